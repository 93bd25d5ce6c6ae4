package io.workloadidentity.aws.internal;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.internal.HttpDefaults;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.endpoints.StsEndpointProvider;

/**
 * The complete, validated configuration of one AWS credentials session: the builder's values, with
 * every value left unset resolved from the environment (system property first, then the variable,
 * with the SDK's names) and then the default. Immutable.
 *
 * <p><b>The sharing key.</b> Identically configured providers share one {@link AwsSession}: {@link
 * #equals} compares values by value and the caller-supplied {@link StsClient} and {@link TokenSource}
 * by identity (two distinct clients may be configured differently in ways we cannot see). Clocks
 * compare with their own {@code equals} (the system clocks are equal to each other). The listener
 * is not part of the key: sharers each register their own.
 *
 * @param protocol STS web identity or EKS Pod Identity
 * @param roleArn the role to assume (STS), else null
 * @param sessionName the configured role session name (STS), or null to derive it from the token
 * @param region the configured region (STS), or null (global endpoint)
 * @param globalEndpoint whether {@code AWS_STS_REGIONAL_ENDPOINTS=legacy} selected the global endpoint
 * @param endpoint the STS endpoint override (or null), or the Pod Identity agent URL
 * @param durationSeconds the requested session duration (STS), or null for STS's default (1 h)
 * @param policy an inline session policy (STS), or null
 * @param policyArns managed session policy ARNs (STS), possibly empty
 * @param stsClient a caller-supplied STS client, or null for one of our own
 * @param tokenFile the absolute token file, or null when {@code tokenSource} is set
 * @param tokenVariable the variable that named {@code tokenFile}, for messages, or null
 * @param tokenSource a caller-supplied token source, or null when {@code tokenFile} is set
 * @param clock the wall clock
 * @param refreshPolicy when to refresh and how to back off
 * @param exchangeTimeout the deadline of one exchange (the cache's, and the STS call's)
 * @param connectTimeout the time to establish a connection
 * @param readTimeout the longest wait for the next bytes of a response
 */
public record AwsSettings(Protocol protocol, String roleArn, String sessionName, String region,
    boolean globalEndpoint, URI endpoint, Integer durationSeconds, String policy, List<String> policyArns,
    StsClient stsClient, Path tokenFile, String tokenVariable, TokenSource tokenSource, Clock clock,
    RefreshPolicy refreshPolicy, Duration exchangeTimeout, Duration connectTimeout, Duration readTimeout) {

  /** The deadline of one exchange unless configured: the cache's default. */
  public static final Duration DEFAULT_EXCHANGE_TIMEOUT = Duration.ofSeconds(30);

  /** The two ways this module obtains credentials. */
  public enum Protocol {
    /** STS {@code AssumeRoleWithWebIdentity}. */
    STS,
    /** The EKS Pod Identity agent. */
    POD_IDENTITY
  }

  /**
   * Checks the invariants the builders establish; the components are described on the record.
   *
   * @param protocol see the record
   * @param roleArn see the record
   * @param sessionName see the record
   * @param region see the record
   * @param globalEndpoint see the record
   * @param endpoint see the record
   * @param durationSeconds see the record
   * @param policy see the record
   * @param policyArns see the record
   * @param stsClient see the record
   * @param tokenFile see the record
   * @param tokenVariable see the record
   * @param tokenSource see the record
   * @param clock see the record
   * @param refreshPolicy see the record
   * @param exchangeTimeout see the record
   * @param connectTimeout see the record
   * @param readTimeout see the record
   */
  public AwsSettings {
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(refreshPolicy, "refreshPolicy");
    Objects.requireNonNull(exchangeTimeout, "exchangeTimeout");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(readTimeout, "readTimeout");
    policyArns = List.copyOf(policyArns);
    if ((tokenFile == null) == (tokenSource == null)) {
      throw new IllegalArgumentException("exactly one of tokenFile and tokenSource");
    }
    if (protocol == Protocol.STS ? roleArn == null : endpoint == null) {
      throw new IllegalArgumentException(protocol == Protocol.STS ? "roleArn" : "endpoint");
    }
  }

  /**
   * Where the token comes from, for messages.
   *
   * @return the token file's path, or the caller's source's description
   */
  public String tokenDescription() {
    return tokenFile != null ? tokenFile.toString() : tokenSource.description();
  }

  /**
   * Values by value; the caller's STS client and token source by identity. The variable that named
   * the token file only words messages, so it is left out: {@code create()} and a builder given the
   * same file share.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof AwsSettings s && protocol == s.protocol && Objects.equals(roleArn, s.roleArn)
        && Objects.equals(sessionName, s.sessionName) && Objects.equals(region, s.region)
        && globalEndpoint == s.globalEndpoint && Objects.equals(endpoint, s.endpoint)
        && Objects.equals(durationSeconds, s.durationSeconds) && Objects.equals(policy, s.policy)
        && policyArns.equals(s.policyArns) && stsClient == s.stsClient && Objects.equals(tokenFile, s.tokenFile)
        && tokenSource == s.tokenSource && clock.equals(s.clock)
        && refreshPolicy.equals(s.refreshPolicy) && exchangeTimeout.equals(s.exchangeTimeout)
        && connectTimeout.equals(s.connectTimeout) && readTimeout.equals(s.readTimeout);
  }

  @Override
  public int hashCode() {
    return Objects.hash(protocol, roleArn, sessionName, region, globalEndpoint, endpoint, durationSeconds, policy,
        policyArns, System.identityHashCode(stsClient), tokenFile, System.identityHashCode(tokenSource),
        clock, refreshPolicy, exchangeTimeout, connectTimeout, readTimeout);
  }

  /** The configuration without the policy's text (which may be long and is nobody's business in a log). */
  @Override
  public String toString() {
    return protocol == Protocol.STS
        ? "sts{role=" + roleArn + ", session=" + (sessionName == null ? "<pod name>" : sessionName) + ", token="
            + tokenDescription() + ", region=" + (region == null ? "none (global endpoint)" : region)
            + (endpoint == null ? "" : ", endpoint=" + endpoint) + (stsClient == null ? "" : ", client=caller's StsClient")
            + "}"
        : "pod-identity{endpoint=" + endpoint + ", token=" + tokenDescription() + "}";
  }

  // ---- the builders' values -------------------------------------------------------------------

  /**
   * The values a public builder collects, before resolution: {@code null} means "not set, use the
   * environment, then the default". Each setter checks its argument (a null is a {@link
   * NullPointerException} naming the setting); {@link #sts()} and {@link #podIdentity()} resolve
   * and check the whole. Not thread-safe, like the builders that hold one.
   */
  public static final class Draft {
    private Environment environment = Environment.system();
    private String roleArn;
    private String sessionName;
    private String region;
    private URI endpoint;
    private Integer durationSeconds;
    private String policy;
    private List<String> policyArns;
    private StsClient stsClient;
    private Path tokenFile;
    private String tokenVariable;
    private TokenSource tokenSource;
    private Clock clock;
    private RefreshPolicy refreshPolicy;
    private Duration exchangeTimeout;
    private Duration connectTimeout;
    private Duration readTimeout;

    /** An empty draft: everything from the system environment and the defaults. */
    public Draft() {}

    /**
     * A draft holding every value of {@code settings}, so that {@link #sts()} or {@link
     * #podIdentity()} gives equal settings again while nothing is changed.
     *
     * @param settings the resolved settings
     * @param environment the environment they were resolved from (for the values that were unset)
     * @return the draft
     */
    public static Draft of(AwsSettings settings, Environment environment) {
      Draft d = new Draft();
      d.environment = environment;
      d.roleArn = settings.roleArn;
      d.sessionName = settings.sessionName;
      d.region = settings.region;
      d.endpoint = settings.endpoint;
      d.durationSeconds = settings.durationSeconds;
      d.policy = settings.policy;
      d.policyArns = settings.policyArns;
      d.stsClient = settings.stsClient;
      d.tokenFile = settings.tokenFile;
      d.tokenVariable = settings.tokenVariable;
      d.tokenSource = settings.tokenSource;
      d.clock = settings.clock;
      d.refreshPolicy = settings.refreshPolicy;
      d.exchangeTimeout = settings.exchangeTimeout;
      d.connectTimeout = settings.connectTimeout;
      d.readTimeout = settings.readTimeout;
      return d;
    }

    /**
     * An independent copy.
     *
     * @return a draft with the same values
     */
    public Draft copy() {
      Draft d = new Draft();
      d.environment = environment;
      d.roleArn = roleArn;
      d.sessionName = sessionName;
      d.region = region;
      d.endpoint = endpoint;
      d.durationSeconds = durationSeconds;
      d.policy = policy;
      d.policyArns = policyArns;
      d.stsClient = stsClient;
      d.tokenFile = tokenFile;
      d.tokenVariable = tokenVariable;
      d.tokenSource = tokenSource;
      d.clock = clock;
      d.refreshPolicy = refreshPolicy;
      d.exchangeTimeout = exchangeTimeout;
      d.connectTimeout = connectTimeout;
      d.readTimeout = readTimeout;
      return d;
    }

    /**
     * The environment unset values are read from.
     *
     * @return the environment
     */
    public Environment environment() {
      return environment;
    }

    /**
     * Sets the environment unset values are read from.
     *
     * @param environment the environment
     */
    public void environment(Environment environment) {
      this.environment = Objects.requireNonNull(environment, "environment");
    }

    /**
     * Sets the role ARN (checked when resolved, so that the message can say where it came from).
     *
     * @param roleArn the role ARN; surrounding whitespace is dropped
     */
    public void roleArn(String roleArn) {
      this.roleArn = Objects.requireNonNull(roleArn, "roleArn").strip();
    }

    /**
     * Sets the role session name (checked when resolved).
     *
     * @param name the session name; surrounding whitespace is dropped
     */
    public void roleSessionName(String name) {
      this.sessionName = Objects.requireNonNull(name, "roleSessionName").strip();
    }

    /**
     * Sets the STS region (checked when resolved).
     *
     * @param region the region; surrounding whitespace is dropped
     */
    public void region(String region) {
      this.region = Objects.requireNonNull(region, "region").strip();
    }

    /**
     * Sets the STS endpoint override, checked at once.
     *
     * @param endpoint an absolute http(s) URL
     * @throws ConfigurationException if it is not one
     */
    public void stsEndpoint(URI endpoint) {
      this.endpoint = AwsSettings.endpoint(Objects.requireNonNull(endpoint, "stsEndpoint").toString(), "stsEndpoint()");
    }

    /**
     * Sets the Pod Identity agent URL, checked at once (see {@link AwsSettings#containerEndpoint}).
     *
     * @param endpoint the agent's credentials URL
     * @throws ConfigurationException if it uses plain http to a host other than loopback or an agent's
     */
    public void agentEndpoint(URI endpoint) {
      this.endpoint = containerEndpoint(Objects.requireNonNull(endpoint, "endpoint").toString(), "endpoint()");
    }

    /**
     * Sets the session duration.
     *
     * @param duration whole seconds from 15 minutes to 12 hours
     * @throws ConfigurationException if it is out of range or not whole seconds
     */
    public void sessionDuration(Duration duration) {
      long s = Objects.requireNonNull(duration, "sessionDuration").getSeconds();
      if (s < 900 || s > 43_200 || duration.getNano() != 0) {
        throw new ConfigurationException("sessionDuration must be whole seconds between 15 minutes and 12 hours: "
            + duration);
      }
      this.durationSeconds = (int) s;
    }

    /**
     * Sets the inline session policy.
     *
     * @param policyJson the policy, 1 to 2048 characters
     * @throws ConfigurationException if it is empty or too long
     */
    public void sessionPolicy(String policyJson) {
      String p = Objects.requireNonNull(policyJson, "sessionPolicy");
      if (p.isEmpty() || p.length() > 2048) {
        throw new ConfigurationException("sessionPolicy must be 1 to 2048 characters, not " + p.length());
      }
      this.policy = p;
    }

    /**
     * Sets the managed session policy ARNs.
     *
     * @param arns at most 10, none null
     * @throws ConfigurationException if there are more than 10
     */
    public void policyArns(Collection<String> arns) {
      Objects.requireNonNull(arns, "policyArns");
      List<String> copy = new ArrayList<>(arns.size());
      for (String a : arns) {
        copy.add(Objects.requireNonNull(a, "policyArns"));
      }
      if (copy.size() > 10) {
        throw new ConfigurationException("At most 10 policy ARNs can be passed to STS, not " + copy.size());
      }
      this.policyArns = List.copyOf(copy);
    }

    /**
     * Sets the caller's STS client (used, never closed).
     *
     * @param client the client
     */
    public void stsClient(StsClient client) {
      this.stsClient = Objects.requireNonNull(client, "stsClient");
    }

    /**
     * Sets the token file (and forgets a token source).
     *
     * @param file the projected token file
     */
    public void tokenFile(Path file) {
      this.tokenFile = Objects.requireNonNull(file, "tokenFile");
      this.tokenVariable = null;
      this.tokenSource = null;
    }

    /**
     * Sets the caller's token source (and forgets a token file).
     *
     * @param source the source (used, never closed)
     */
    public void tokenSource(TokenSource source) {
      this.tokenSource = Objects.requireNonNull(source, "tokenSource");
      this.tokenFile = null;
      this.tokenVariable = null;
    }

    /**
     * Sets the wall clock.
     *
     * @param clock the clock
     */
    public void clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Sets the refresh policy.
     *
     * @param policy the policy
     */
    public void refreshPolicy(RefreshPolicy policy) {
      this.refreshPolicy = Objects.requireNonNull(policy, "refreshPolicy");
    }

    /**
     * Sets the deadline of one exchange.
     *
     * @param timeout positive
     * @throws ConfigurationException if it is not positive
     */
    public void exchangeTimeout(Duration timeout) {
      this.exchangeTimeout = positive(timeout, "exchangeTimeout");
    }

    /**
     * Sets the connect timeout.
     *
     * @param timeout positive
     * @throws ConfigurationException if it is not positive
     */
    public void connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
    }

    /**
     * Sets the read timeout.
     *
     * @param timeout positive
     * @throws ConfigurationException if it is not positive
     */
    public void readTimeout(Duration timeout) {
      this.readTimeout = positive(timeout, "readTimeout");
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new ConfigurationException(name + " must be positive, not " + d);
      }
      return d;
    }

    /**
     * The STS settings: explicit values, else the environment, else the defaults.
     *
     * @return the settings
     * @throws ConfigurationException if the role ARN or token file is missing, or a value is invalid
     */
    public AwsSettings sts() {
      String role = roleArn != null ? AwsSettings.roleArn(roleArn, "roleArn()")
          : ROLE_ARN.in(environment).map(v -> AwsSettings.roleArn(v, ROLE_ARN.names()))
              .orElseThrow(() -> new ConfigurationException("No IAM role to assume: set " + ROLE_ARN.names()
                  + " (the EKS webhook sets it from the service account's eks.amazonaws.com/role-arn annotation;"
                  + " restart the pod after annotating) or call roleArn()."));
      String session = sessionName != null ? SessionNames.validate(sessionName, "roleSessionName()")
          : SESSION_NAME.in(environment).map(v -> SessionNames.validate(v, SESSION_NAME.names())).orElse(null);
      String reg = region != null ? AwsSettings.region(region, "region()")
          : AwsSettings.region(environment).map(Sourced::value).orElse(null);
      URI override = endpoint != null ? endpoint : endpointOverride(environment).map(Sourced::value).orElse(null);
      boolean global = useGlobalEndpoint(environment, reg);
      Path file = tokenFile;
      String variable = tokenVariable;
      if (tokenSource == null && file == null) {
        file = TOKEN_FILE.in(environment).map(Path::of).orElseThrow(() -> new ConfigurationException(
            "No web identity token file: set " + TOKEN_FILE.names() + " (the EKS webhook sets it to"
                + " /var/run/secrets/eks.amazonaws.com/serviceaccount/token) or call tokenFile()."));
        variable = TOKEN_FILE.variable();
      }
      return new AwsSettings(Protocol.STS, role, session, reg, global, override, durationSeconds, policy,
          policyArns == null ? List.of() : policyArns, stsClient, absolute(file), variable, tokenSource,
          clockOrDefault(), policyOrDefault(), exchangeTimeoutOrDefault(), connectTimeoutOrDefault(),
          readTimeoutOrDefault());
    }

    /**
     * The EKS Pod Identity settings: explicit values, else the environment, else the defaults.
     *
     * @return the settings
     * @throws ConfigurationException if the agent URL or token file is missing, or a value is invalid
     */
    public AwsSettings podIdentity() {
      URI uri = endpoint != null ? endpoint : CONTAINER_FULL_URI.in(environment)
          .map(v -> containerEndpoint(v, CONTAINER_FULL_URI.names()))
          .orElseThrow(() -> new ConfigurationException("No Pod Identity agent URL: set "
              + CONTAINER_FULL_URI.names() + " (the EKS Pod Identity webhook sets it when the service"
              + " account has a Pod Identity association; restart the pod after creating one) or call endpoint()."));
      Path file = tokenFile;
      String variable = tokenVariable;
      if (tokenSource == null && file == null) {
        file = CONTAINER_TOKEN_FILE.in(environment).map(Path::of).orElseThrow(() ->
            new ConfigurationException("No Pod Identity token file: set " + CONTAINER_TOKEN_FILE.names()
                + " (on EKS /var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token) or call"
                + " tokenFile()."));
        variable = CONTAINER_TOKEN_FILE.variable();
      }
      return new AwsSettings(Protocol.POD_IDENTITY, null, null, null, false, uri, null, null, List.of(), null,
          absolute(file), variable, tokenSource, clockOrDefault(), policyOrDefault(), exchangeTimeoutOrDefault(),
          connectTimeoutOrDefault(), readTimeoutOrDefault());
    }

    private static Path absolute(Path file) {
      return file == null ? null : file.toAbsolutePath().normalize();
    }

    private Clock clockOrDefault() {
      return clock != null ? clock : Clock.systemUTC();
    }

    private RefreshPolicy policyOrDefault() {
      return refreshPolicy != null ? refreshPolicy : RefreshPolicy.defaults();
    }

    private Duration exchangeTimeoutOrDefault() {
      return exchangeTimeout != null ? exchangeTimeout : DEFAULT_EXCHANGE_TIMEOUT;
    }

    private Duration connectTimeoutOrDefault() {
      return connectTimeout != null ? connectTimeout : HttpDefaults.CONNECT_TIMEOUT;
    }

    private Duration readTimeoutOrDefault() {
      return readTimeout != null ? readTimeout : HttpDefaults.READ_TIMEOUT;
    }

    /** The explicitly set values, for the builders' {@code toString()}; a policy only by its length. */
    @Override
    public String toString() {
      return software.amazon.awssdk.utils.ToString.builder("")
          .add("roleArn", roleArn)
          .add("roleSessionName", sessionName)
          .add("tokenFile", tokenFile != null ? tokenFile : tokenSource != null ? tokenSource.description() : null)
          .add("region", region)
          .add("endpoint", endpoint)
          .add("sessionDuration", durationSeconds == null ? null : Duration.ofSeconds(durationSeconds))
          .add("sessionPolicy", policy == null ? null : "*** (" + policy.length() + " characters)")
          .add("policyArns", policyArns)
          .add("stsClient", stsClient == null ? null : "caller's")
          .add("exchangeTimeout", exchangeTimeout)
          .add("connectTimeout", connectTimeout)
          .add("readTimeout", readTimeout)
          .build();
    }
  }

  // ---- the environment: names, parsing and validation (shared with detection) ------------------

  /**
   * One setting: an environment variable and, where the SDK has one, a system property.
   *
   * @param variable the environment variable
   * @param property the system property, or null
   */
  public record Setting(String variable, String property) {
    /**
     * The setting's value.
     *
     * @param env where to look
     * @return the system property if set, else the variable; trimmed; empty when unset or blank
     */
    public Optional<String> in(Environment env) {
      return env.get(variable, property);
    }

    /**
     * Both names, for messages.
     *
     * @return for example {@code AWS_ROLE_ARN (-Daws.roleArn)}
     */
    public String names() {
      return property == null ? variable : variable + " (-D" + property + ")";
    }
  }

  // The SDK's names (SdkSystemSetting), so a pod configured for the SDK works unchanged.
  /** The role to assume (IRSA). */
  public static final Setting ROLE_ARN = new Setting("AWS_ROLE_ARN", "aws.roleArn");
  /** The projected token file (IRSA). */
  public static final Setting TOKEN_FILE = new Setting("AWS_WEB_IDENTITY_TOKEN_FILE", "aws.webIdentityTokenFile");
  /** The role session name. */
  public static final Setting SESSION_NAME = new Setting("AWS_ROLE_SESSION_NAME", "aws.roleSessionName");
  /** The STS region. */
  public static final Setting REGION = new Setting("AWS_REGION", "aws.region");
  /** Not read by the Java SDK v2, but injected by the EKS webhook and honoured by every other SDK. */
  public static final Setting DEFAULT_REGION = new Setting("AWS_DEFAULT_REGION", null);
  /** {@code regional} (the default) or {@code legacy} (the global endpoint for the original regions). */
  public static final Setting STS_REGIONAL_ENDPOINTS = new Setting("AWS_STS_REGIONAL_ENDPOINTS", null);
  /** An explicit STS endpoint. */
  public static final Setting ENDPOINT_URL_STS = new Setting("AWS_ENDPOINT_URL_STS", "aws.endpointUrlSts");
  /** An explicit endpoint for every service, used for STS when {@link #ENDPOINT_URL_STS} is unset. */
  public static final Setting ENDPOINT_URL = new Setting("AWS_ENDPOINT_URL", "aws.endpointUrl");
  /** The Pod Identity agent's credentials URL. */
  public static final Setting CONTAINER_FULL_URI =
      new Setting("AWS_CONTAINER_CREDENTIALS_FULL_URI", "aws.containerCredentialsFullUri");
  /** The projected token file (Pod Identity). */
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

  /**
   * Validates a role ARN.
   *
   * @param arn the value
   * @param source where it came from, named in the message
   * @return {@code arn}
   * @throws ConfigurationException if it is not an IAM role ARN
   */
  public static String roleArn(String arn, String source) {
    if (!ROLE_ARN_PATTERN.matcher(arn).matches()) {
      throw new ConfigurationException("The role ARN from " + source + " is not an IAM role ARN: '" + arn
          + "'. Expected arn:aws:iam::<12-digit account id>:role/<name>; copy it from the IAM console or the"
          + " service account's eks.amazonaws.com/role-arn annotation.");
    }
    return arn;
  }

  /**
   * The account of an ARN.
   *
   * @param arn a role or assumed-role ARN, or null
   * @return the 12-digit account ID, or null
   */
  public static String accountOf(String arn) {
    String[] parts = arn == null ? new String[0] : arn.split(":", 6);
    return parts.length >= 5 && parts[4].matches("\\d{12}") ? parts[4] : null;
  }

  /**
   * The partition of an ARN.
   *
   * @param arn an ARN, or null
   * @return {@code aws}, {@code aws-cn}, ...; {@code aws} when there is none
   */
  public static String partitionOf(String arn) {
    String[] parts = arn == null ? new String[0] : arn.split(":", 3);
    return parts.length >= 2 && !parts[1].isEmpty() ? parts[1] : "aws";
  }

  /**
   * Validates a region name.
   *
   * @param region the value
   * @param source where it came from, named in the message
   * @return {@code region}
   * @throws ConfigurationException if it is not a region name
   */
  public static String region(String region, String source) {
    if (!REGION_PATTERN.matcher(region).matches()) {
      throw new ConfigurationException("The region from " + source + " is not an AWS region name: '" + region
          + "'. Expected something like us-west-2.");
    }
    return region;
  }

  /**
   * The configured region ({@code AWS_REGION}, then {@code AWS_DEFAULT_REGION}). Never probes
   * instance metadata.
   *
   * @param env where to look
   * @return the region and the setting it came from, or empty
   * @throws ConfigurationException if the value is not a region name
   */
  public static Optional<Sourced<String>> region(Environment env) {
    for (Setting s : new Setting[] {REGION, DEFAULT_REGION}) {
      Optional<String> v = s.in(env);
      if (v.isPresent()) {
        return Optional.of(new Sourced<>(region(v.get(), s.names()), s.names()));
      }
    }
    return Optional.empty();
  }

  /**
   * The configured STS endpoint override ({@code AWS_ENDPOINT_URL_STS}, then {@code AWS_ENDPOINT_URL}).
   *
   * @param env where to look
   * @return the URL and the setting it came from, or empty
   * @throws ConfigurationException if the value is not an absolute http(s) URL
   */
  public static Optional<Sourced<URI>> endpointOverride(Environment env) {
    for (Setting s : new Setting[] {ENDPOINT_URL_STS, ENDPOINT_URL}) {
      Optional<String> v = s.in(env);
      if (v.isPresent()) {
        return Optional.of(new Sourced<>(endpoint(v.get(), s.names()), s.names()));
      }
    }
    return Optional.empty();
  }

  /**
   * Parses and checks an http(s) endpoint URL.
   *
   * @param value the text
   * @param source where it came from, named in the message
   * @return the URL
   * @throws ConfigurationException if it is not an absolute http(s) URL
   */
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
   *
   * @param env where to look
   * @param region the configured region, or null
   * @return true for the global endpoint
   * @throws ConfigurationException if the value is neither {@code regional} nor {@code legacy}
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

  /**
   * The SDK region to give the STS client.
   *
   * @param region the configured region, or null
   * @param global whether the global endpoint was asked for
   * @return the configured region, or {@code aws-global} when there is none or the global endpoint is wanted
   */
  public static Region stsRegion(String region, boolean global) {
    return region == null || global ? Region.AWS_GLOBAL : Region.of(region);
  }

  /**
   * The endpoint the SDK will call, for reports and messages (no network).
   *
   * @param region the STS client's region
   * @param override the endpoint override, or null
   * @return the URL as text
   */
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
   *
   * @param value the text
   * @param source where it came from, named in the message
   * @return the URL
   * @throws ConfigurationException if it is not an absolute http(s) URL, or plain http to another host
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

  /**
   * A value and the setting it came from.
   *
   * @param value the value
   * @param source the setting's names
   * @param <T> the value's type
   */
  public record Sourced<T>(T value, String source) {}
}
