package io.workloadidentity.gcp.internal;

import com.google.api.client.json.GenericJson;
import com.google.api.client.json.gson.GsonFactory;
import io.workloadidentity.core.ConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A validated {@code external_account} credential configuration, the JSON written by {@code gcloud
 * iam workload-identity-pools create-cred-config} (AIP-4117), restricted to what a Kubernetes
 * workload uses: a file credential source in text or json format holding a JWT.
 *
 * @param audience the workload identity provider, {@code //iam.googleapis.com/projects/...}
 * @param tokenUrl the STS endpoint
 * @param serviceAccount the service account to impersonate, if any
 * @param iamEndpoint the IAM Credentials base URL ({@code https://iamcredentials.googleapis.com})
 * @param lifetime the impersonated token lifetime, if configured
 * @param tokenFile the subject token file
 * @param jsonField for a json-format source, the field holding the token; empty for text
 * @param quotaProject the quota project, if any
 * @param universeDomain the universe domain ({@code googleapis.com} by default)
 */
public record ExternalAccountConfig(
    String audience,
    String tokenUrl,
    Optional<String> serviceAccount,
    String iamEndpoint,
    Optional<Duration> lifetime,
    Path tokenFile,
    Optional<String> jsonField,
    Optional<String> quotaProject,
    String universeDomain) {

  public static final String DEFAULT_UNIVERSE = "googleapis.com";
  private static final long MAX_CONFIG_BYTES = 64 * 1024;
  private static final Pattern IMPERSONATION_URL =
      Pattern.compile("^(https://[^/]+)(?:/v1)?/projects/-/serviceAccounts/([^/:]+):generateAccessToken$");
  private static final String GCLOUD = "gcloud iam workload-identity-pools create-cred-config PROVIDER_RESOURCE_NAME"
      + " --credential-source-file=/var/run/service-account/token --credential-source-type=text --output-file=...";

  /**
   * Reads and validates {@code file}; {@code variable} names where the path came from (for messages).
   *
   * @throws ConfigurationException naming the file, the field and the fix
   */
  public static ExternalAccountConfig read(Path file, String variable) {
    String where = file + (variable == null ? "" : " (" + variable + ")");
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes((int) MAX_CONFIG_BYTES + 1);
    } catch (NoSuchFileException e) {
      throw new ConfigurationException("Google credential configuration " + where + " does not exist. Mount the"
          + " configuration file (usually from a ConfigMap) or fix the path.", e);
    } catch (IOException e) {
      throw new ConfigurationException("Google credential configuration " + where + " cannot be read: " + e, e);
    }
    if (bytes.length > MAX_CONFIG_BYTES) {
      throw new ConfigurationException("Google credential configuration " + where + " is larger than 64 KiB: wrong file?");
    }
    return parse(new String(bytes, StandardCharsets.UTF_8), where);
  }

  /** Validates configuration text; {@code where} describes its origin in messages. */
  public static ExternalAccountConfig parse(String text, String where) {
    GenericJson json;
    try {
      json = GsonFactory.getDefaultInstance().fromString(text, GenericJson.class);
    } catch (IOException | RuntimeException e) {
      throw new ConfigurationException("Google credential configuration " + where + " is not valid JSON ("
          + e.getMessage() + "). Generate it with: " + GCLOUD, e);
    }
    if (json == null) {
      throw new ConfigurationException("Google credential configuration " + where + " is empty. Generate it with: " + GCLOUD);
    }
    String type = string(json, "type", where).orElse(null);
    if (!"external_account".equals(type)) {
      throw new ConfigurationException("Google credential configuration " + where + " has \"type\": " + quoted(type)
          + ", but workload identity federation needs \"external_account\"" + typeHint(type) + " Generate it with: " + GCLOUD);
    }
    String universe = string(json, "universe_domain", where).orElse(DEFAULT_UNIVERSE);
    String audience = string(json, "audience", where).orElseThrow(() -> new ConfigurationException(
        "Google credential configuration " + where + " has no \"audience\". It must be the workload identity provider,"
            + " //iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER."));
    validateAudience(audience, where);
    string(json, "subject_token_type", where).ifPresent(t -> {
      if (!t.equals("urn:ietf:params:oauth:token-type:jwt") && !t.equals("urn:ietf:params:oauth:token-type:id_token")) {
        throw new ConfigurationException("Google credential configuration " + where + " has subject_token_type " + t
            + "; a Kubernetes service-account token needs urn:ietf:params:oauth:token-type:jwt.");
      }
    });
    if (json.containsKey("workforce_pool_user_project") && json.get("workforce_pool_user_project") != null) {
      throw new ConfigurationException("Google credential configuration " + where + " is for a workforce pool"
          + " (workforce_pool_user_project): workforce pools federate people, not Kubernetes workloads.");
    }
    String tokenUrl = string(json, "token_url", where).orElse("https://sts." + universe + "/v1/token");
    requireHttps(tokenUrl, "token_url", where);

    Optional<String> serviceAccount = Optional.empty();
    String iamEndpoint = "https://iamcredentials." + universe;
    Optional<String> impersonationUrl = string(json, "service_account_impersonation_url", where);
    if (impersonationUrl.isPresent()) {
      requireHttps(impersonationUrl.get(), "service_account_impersonation_url", where);
      Matcher m = IMPERSONATION_URL.matcher(impersonationUrl.get());
      if (!m.matches()) {
        throw new ConfigurationException("Google credential configuration " + where + " has service_account_impersonation_url "
            + impersonationUrl.get() + "; expected https://iamcredentials." + universe
            + "/v1/projects/-/serviceAccounts/SERVICE_ACCOUNT_EMAIL:generateAccessToken.");
      }
      iamEndpoint = m.group(1);
      serviceAccount = Optional.of(m.group(2));
    }
    Optional<Duration> lifetime = lifetime(json, where, serviceAccount.isPresent());

    Object source = json.get("credential_source");
    if (!(source instanceof Map<?, ?> src)) {
      throw new ConfigurationException("Google credential configuration " + where + " has no \"credential_source\"."
          + " For Kubernetes it is {\"file\": \"/var/run/service-account/token\", \"format\": {\"type\": \"text\"}}.");
    }
    for (String unsupported : new String[] {"url", "executable", "environment_id", "certificate"}) {
      if (src.containsKey(unsupported) && !src.containsKey("file")) {
        throw new ConfigurationException("Google credential configuration " + where + " uses a credential_source."
            + unsupported + " source; workload-identity-gcp reads the projected token from a file"
            + " (credential_source.file). Regenerate with --credential-source-file, or use google-auth's"
            + " ExternalAccountCredentials for other sources.");
      }
    }
    if (!(src.get("file") instanceof String file) || file.isBlank()) {
      throw new ConfigurationException("Google credential configuration " + where + " has no credential_source.file:"
          + " set it to the projected service-account token path, for example /var/run/service-account/token.");
    }
    Optional<String> jsonField = Optional.empty();
    if (src.get("format") instanceof Map<?, ?> format) {
      Object formatType = format.get("type");
      if ("json".equals(formatType)) {
        if (!(format.get("subject_token_field_name") instanceof String field) || field.isBlank()) {
          throw new ConfigurationException("Google credential configuration " + where + " has credential_source.format"
              + " type json without subject_token_field_name: name the JSON field that holds the token.");
        }
        jsonField = Optional.of(field);
      } else if (formatType != null && !"text".equals(formatType)) {
        throw new ConfigurationException("Google credential configuration " + where + " has credential_source.format"
            + " type " + quoted(String.valueOf(formatType)) + "; use \"text\" (a projected token file) or \"json\".");
      }
    }
    Optional<String> quota = string(json, "quota_project_id", where);
    return new ExternalAccountConfig(audience, tokenUrl, serviceAccount, iamEndpoint, lifetime, Path.of(file.strip()),
        jsonField, quota, universe);
  }

  /**
   * Checks the shape of a workload identity provider audience.
   *
   * @throws ConfigurationException with the expected shape when it is wrong
   */
  public static void validateAudience(String audience, String where) {
    String in = where == null ? "" : " in " + where;
    if (audience.startsWith("https://") || audience.startsWith("http://")) {
      throw new ConfigurationException("The audience" + in + " is " + audience + ": that is the form projected into the"
          + " Kubernetes token; the STS audience is the provider's resource name without the scheme, "
          + audience.substring(audience.indexOf("//")) + ".");
    }
    if (!audience.startsWith("//iam.") || !audience.contains("/workloadIdentityPools/") || !audience.contains("/providers/")) {
      throw new ConfigurationException("The audience" + in + " is " + audience + "; it must be the workload identity"
          + " provider's full resource name,"
          + " //iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER.");
    }
  }

  /**
   * Checks that an endpoint URL is {@code https} with a host, as Google requires for tokens on the wire.
   *
   * @throws ConfigurationException otherwise
   */
  public static void requireHttps(String url, String field, String where) {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(field + (where == null ? "" : " in " + where) + " is not a URL: " + url, e);
    }
    if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
      throw new ConfigurationException(field + (where == null ? "" : " in " + where) + " is " + url
          + "; it must be an https:// URL with a host (tokens are never sent in clear text).");
    }
  }

  private static Optional<Duration> lifetime(GenericJson json, String where, boolean impersonating) {
    if (!(json.get("service_account_impersonation") instanceof Map<?, ?> imp) || imp.get("token_lifetime_seconds") == null) {
      return Optional.empty();
    }
    if (!impersonating) {
      throw new ConfigurationException("Google credential configuration " + where + " sets service_account_impersonation."
          + "token_lifetime_seconds without service_account_impersonation_url: the lifetime applies only to impersonation.");
    }
    Object value = imp.get("token_lifetime_seconds");
    long seconds;
    try {
      seconds = value instanceof BigDecimal b ? b.longValueExact() : Long.parseLong(String.valueOf(value));
    } catch (ArithmeticException | NumberFormatException e) {
      throw new ConfigurationException("Google credential configuration " + where + " has token_lifetime_seconds "
          + value + "; it must be a whole number of seconds between 600 and 43200.", e);
    }
    if (seconds < 600 || seconds > 43_200) {
      throw new ConfigurationException("Google credential configuration " + where + " has token_lifetime_seconds "
          + seconds + "; it must be between 600 and 43200 (above 3600 needs the organization policy"
          + " constraints/iam.allowServiceAccountCredentialLifetimeExtension).");
    }
    return Optional.of(Duration.ofSeconds(seconds));
  }

  private static Optional<String> string(GenericJson json, String field, String where) {
    Object v = json.get(field);
    if (v == null) {
      return Optional.empty(); // absent or JSON null: google-auth tolerates null optional fields (#1706)
    }
    if (!(v instanceof String s)) {
      throw new ConfigurationException("Google credential configuration " + where + " has a non-string \"" + field + "\".");
    }
    return s.isBlank() ? Optional.empty() : Optional.of(s.strip());
  }

  private static String typeHint(String type) {
    if ("service_account".equals(type)) {
      return ": this is a service-account key, which needs no workload identity (and should not be in a pod).";
    }
    if ("authorized_user".equals(type)) {
      return ": this is a user's gcloud login, not a workload identity configuration.";
    }
    return ".";
  }

  private static String quoted(String s) {
    return s == null ? "(missing)" : "\"" + s + "\"";
  }
}
