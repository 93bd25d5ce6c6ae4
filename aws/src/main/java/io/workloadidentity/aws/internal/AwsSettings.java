package io.workloadidentity.aws.internal;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.endpoints.StsEndpointProvider;

/**
 * The AWS settings this module reads, with the SDK's names (system property wins over the
 * environment variable, values trimmed), and the validation shared by the builders and detection.
 */
public final class AwsSettings {
  private AwsSettings() {}

  /** One setting: an environment variable and, where the SDK has one, a system property. */
  public record Setting(String variable, String property) {
    /** The value in {@code env}: the system property if set, else the variable; trimmed, blank = empty. */
    public Optional<String> in(Environment env) {
      return env.get(variable, property);
    }

    /** "AWS_ROLE_ARN (aws.roleArn)", for messages. */
    public String names() {
      return property == null ? variable : variable + " (-D" + property + ")";
    }
  }

  // The SDK's names (SdkSystemSetting), so a pod configured for the SDK works unchanged.
  public static final Setting ROLE_ARN = new Setting("AWS_ROLE_ARN", "aws.roleArn");
  public static final Setting TOKEN_FILE = new Setting("AWS_WEB_IDENTITY_TOKEN_FILE", "aws.webIdentityTokenFile");
  public static final Setting SESSION_NAME = new Setting("AWS_ROLE_SESSION_NAME", "aws.roleSessionName");
  public static final Setting REGION = new Setting("AWS_REGION", "aws.region");
  /** Not read by the Java SDK v2, but injected by the EKS webhook and honoured by every other SDK. */
  public static final Setting DEFAULT_REGION = new Setting("AWS_DEFAULT_REGION", null);
  public static final Setting STS_REGIONAL_ENDPOINTS = new Setting("AWS_STS_REGIONAL_ENDPOINTS", null);
  public static final Setting ENDPOINT_URL_STS = new Setting("AWS_ENDPOINT_URL_STS", "aws.endpointUrlSts");
  public static final Setting ENDPOINT_URL = new Setting("AWS_ENDPOINT_URL", "aws.endpointUrl");
  public static final Setting CONTAINER_FULL_URI =
      new Setting("AWS_CONTAINER_CREDENTIALS_FULL_URI", "aws.containerCredentialsFullUri");
  public static final Setting CONTAINER_TOKEN_FILE =
      new Setting("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "aws.containerAuthorizationTokenFile");

  /** The audience of IRSA tokens (the IAM OIDC provider's client ID on EKS). */
  public static final String IRSA_AUDIENCE = "sts.amazonaws.com";
  /** The audience of EKS Pod Identity tokens. */
  public static final String POD_IDENTITY_AUDIENCE = "pods.eks.amazonaws.com";

  /** {@code arn:<partition>:iam::<12-digit account>:role/<path/name>}. */
  private static final Pattern ROLE_ARN_PATTERN =
      Pattern.compile("arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]{1,512}");
  private static final Pattern REGION_PATTERN = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d+|aws-global");
  /** Regions that {@code AWS_STS_REGIONAL_ENDPOINTS=legacy} sends to the global endpoint (other SDKs' list). */
  private static final Set<String> LEGACY_GLOBAL_REGIONS = Set.of(
      "ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "aws-global", "ca-central-1",
      "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1", "us-east-1",
      "us-east-2", "us-west-1", "us-west-2");
  /** Hosts the SDK's container provider accepts over plain http besides loopback (EKS, ECS agents). */
  private static final Set<String> AGENT_HOSTS = Set.of("169.254.170.2", "169.254.170.23", "[fd00:ec2::23]");

  /** Validates a role ARN, naming {@code source} in the message. */
  public static String roleArn(String arn, String source) {
    if (!ROLE_ARN_PATTERN.matcher(arn).matches()) {
      throw new ConfigurationException("The role ARN from " + source + " is not an IAM role ARN: '" + arn
          + "'. Expected arn:aws:iam::<12-digit account id>:role/<name>; copy it from the IAM console or the"
          + " service account's eks.amazonaws.com/role-arn annotation.");
    }
    return arn;
  }

  /** The account ID of a role or assumed-role ARN, or null. */
  public static String accountOf(String arn) {
    String[] parts = arn == null ? new String[0] : arn.split(":", 6);
    return parts.length >= 5 && parts[4].matches("\\d{12}") ? parts[4] : null;
  }

  /** The partition ({@code aws}, {@code aws-cn}, ...) of an ARN, defaulting to {@code aws}. */
  public static String partitionOf(String arn) {
    String[] parts = arn == null ? new String[0] : arn.split(":", 3);
    return parts.length >= 2 && !parts[1].isEmpty() ? parts[1] : "aws";
  }

  /** Validates a region name, naming {@code source} in the message. */
  public static String region(String region, String source) {
    if (!REGION_PATTERN.matcher(region).matches()) {
      throw new ConfigurationException("The region from " + source + " is not an AWS region name: '" + region
          + "'. Expected something like us-west-2.");
    }
    return region;
  }

  /** The configured region and where it came from, or empty. Never probes instance metadata. */
  public static Optional<Sourced<String>> region(Environment env) {
    for (Setting s : new Setting[] {REGION, DEFAULT_REGION}) {
      Optional<String> v = s.in(env);
      if (v.isPresent()) {
        return Optional.of(new Sourced<>(region(v.get(), s.names()), s.names()));
      }
    }
    return Optional.empty();
  }

  /** The configured STS endpoint override and where it came from, or empty. */
  public static Optional<Sourced<URI>> endpointOverride(Environment env) {
    for (Setting s : new Setting[] {ENDPOINT_URL_STS, ENDPOINT_URL}) {
      Optional<String> v = s.in(env);
      if (v.isPresent()) {
        return Optional.of(new Sourced<>(endpoint(v.get(), s.names()), s.names()));
      }
    }
    return Optional.empty();
  }

  /** Parses and checks an http(s) endpoint URL, naming {@code source} in the message. */
  public static URI endpoint(String value, String source) {
    URI uri;
    try {
      uri = new URI(value);
    } catch (URISyntaxException e) {
      throw new ConfigurationException("The endpoint URL from " + source + " is not a valid URL: '" + value + "'.", e);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!(scheme.equals("https") || scheme.equals("http")) || uri.getHost() == null) {
      throw new ConfigurationException("The endpoint URL from " + source + " must be an absolute http(s) URL such as"
          + " https://sts.us-west-2.amazonaws.com: '" + value + "'.");
    }
    return uri;
  }

  /**
   * Whether {@code AWS_STS_REGIONAL_ENDPOINTS} asks for the global endpoint for this region.
   * {@code regional} (and unset) mean regional, {@code legacy} means global for the original regions.
   */
  public static boolean useGlobalEndpoint(Environment env, String region) {
    Optional<String> mode = STS_REGIONAL_ENDPOINTS.in(env);
    if (mode.isEmpty() || mode.get().equalsIgnoreCase("regional")) {
      return false;
    }
    if (mode.get().equalsIgnoreCase("legacy")) {
      return region == null || LEGACY_GLOBAL_REGIONS.contains(region);
    }
    throw new ConfigurationException(STS_REGIONAL_ENDPOINTS.names() + " must be 'regional' or 'legacy', not '"
        + mode.get() + "'.");
  }

  /** The SDK region to give the STS client: the configured one, or {@code aws-global} when none or legacy. */
  public static Region stsRegion(String region, boolean global) {
    return region == null || global ? Region.AWS_GLOBAL : Region.of(region);
  }

  /** The endpoint the SDK will call, for reports and messages (no network). */
  public static String describeEndpoint(Region region, URI override) {
    if (override != null) {
      return override.toString();
    }
    try {
      return StsEndpointProvider.defaultProvider()
          .resolveEndpoint(p -> p.region(region).useGlobalEndpoint(false))
          .join().endpointUrl().toUri().toString();
    } catch (RuntimeException e) {
      return "the STS endpoint for " + region.id();
    }
  }

  /**
   * Checks a container credentials URL the way the SDK does: https anywhere; plain http only to a
   * loopback address or to the EKS / ECS agent's link-local address. No network besides resolving
   * the host name.
   */
  public static URI containerEndpoint(String value, String source) {
    URI uri = endpoint(value, source);
    if (uri.getScheme().equalsIgnoreCase("https")) {
      return uri;
    }
    String host = uri.getHost();
    if (AGENT_HOSTS.contains(host) || isLoopback(host)) {
      return uri;
    }
    throw new ConfigurationException("The container credentials URL from " + source + " uses plain http to '" + host
        + "'. Credentials are only fetched over http from the EKS Pod Identity agent (169.254.170.23,"
        + " [fd00:ec2::23]), the ECS agent (169.254.170.2) or a loopback address; use https for any other host.");
  }

  private static boolean isLoopback(String host) {
    try {
      InetAddress[] all = InetAddress.getAllByName(host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
      for (InetAddress a : all) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return all.length > 0;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** A value and the setting it came from. */
  public record Sourced<T>(T value, String source) {}
}
