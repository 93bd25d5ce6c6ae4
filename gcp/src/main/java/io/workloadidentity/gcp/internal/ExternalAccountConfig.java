package io.workloadidentity.gcp.internal;

import com.google.api.client.json.GenericJson;
import com.google.api.client.json.gson.GsonFactory;
import com.google.api.client.util.Data;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.internal.Redaction;
import io.workloadidentity.core.internal.Values;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A validated {@code external_account} credential configuration, the JSON written by {@code gcloud
 * iam workload-identity-pools create-cred-config} (AIP-4117), restricted to what a Kubernetes
 * workload uses: a file credential source in text or json format holding a JWT.
 *
 * <p>Parsing follows google-auth where it is lenient: a JSON {@code null} in an optional field means
 * the field is absent, {@code format.type} is case-insensitive, and {@code token_lifetime_seconds}
 * without impersonation is ignored (with an INFO line). It is stricter where the file could hurt:
 * every string is checked for control characters, the universe domain must be a DNS name, the
 * service account and quota project must have their shapes. Which hosts the endpoints may name is
 * decided later, by the {@link EndpointPolicy} of the credentials being built (it knows the opt-ins).
 *
 * @param audience the workload identity provider, {@code //iam.googleapis.com/projects/...}
 * @param tokenUrl the STS endpoint: the file's {@code token_url}, or the universe's default
 * @param serviceAccount the service account to impersonate, if any
 * @param iamEndpoint the IAM Credentials base URL: from {@code service_account_impersonation_url},
 *     or the universe's default
 * @param lifetime the impersonated token lifetime, if configured
 * @param tokenFile the subject token file
 * @param jsonField for a json-format source, the field holding the token; empty for text
 * @param quotaProject the quota project, if any
 * @param universeDomain the universe domain ({@code googleapis.com} by default), lower case
 * @param tokenUrlFromFile whether {@code token_url} was in the file (else derived from the universe)
 * @param where the file, for messages
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
    String universeDomain,
    boolean tokenUrlFromFile,
    String where) {

  /** The default universe domain. */
  public static final String DEFAULT_UNIVERSE = EndpointPolicy.DEFAULT_UNIVERSE;
  private static final System.Logger LOG = System.getLogger(ExternalAccountConfig.class.getName());
  private static final int MAX_CONFIG_BYTES = 64 * 1024;
  private static final int MAX_VALUE = 2_048;
  private static final String IAM_PATH = "/projects/-/serviceAccounts/";
  private static final String IAM_METHOD = ":generateAccessToken";
  private static final String GCLOUD = "gcloud iam workload-identity-pools create-cred-config PROVIDER_RESOURCE_NAME"
      + " --credential-source-file=/var/run/service-account/token --credential-source-type=text --output-file=...";

  /**
   * Reads and validates {@code file}; {@code variable} names where the path came from (for messages).
   *
   * @param file the configuration file
   * @param variable the variable that named it, or {@code null}
   * @return the configuration
   * @throws ConfigurationException naming the file, the field and the fix
   */
  public static ExternalAccountConfig read(Path file, String variable) {
    String where = Redaction.escape(file.toString()) + (variable == null ? "" : " (" + variable + ")");
    byte[] bytes;
    // A configuration file is a ConfigMap entry: a regular file. Anything else (a FIFO) could block the read.
    if (Files.exists(file) && !Files.isRegularFile(file)) {
      throw new ConfigurationException("Google credential configuration " + where + " is not a regular file: point "
          + (variable == null ? "credentialsFile" : variable) + " at the external_account JSON file.");
    }
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_CONFIG_BYTES + 1);
    } catch (NoSuchFileException e) {
      throw new ConfigurationException("Google credential configuration " + where + " does not exist. Mount the"
          + " configuration file (usually from a ConfigMap) or fix the path.", e);
    } catch (IOException e) {
      throw new ConfigurationException("Google credential configuration " + where + " cannot be read: "
          + Redaction.describe(e), null);
    }
    if (bytes.length > MAX_CONFIG_BYTES) {
      throw new ConfigurationException("Google credential configuration " + where + " is larger than 64 KiB: wrong file?");
    }
    return parse(new String(bytes, StandardCharsets.UTF_8), where);
  }

  /**
   * Validates configuration text.
   *
   * @param text the JSON
   * @param where its origin, for messages (already escaped)
   * @return the configuration
   * @throws ConfigurationException naming the field and the fix
   */
  public static ExternalAccountConfig parse(String text, String where) {
    if (text.isBlank()) {
      // An empty ConfigMap key mounts as an empty file; say so rather than quote the JSON parser.
      throw new ConfigurationException("Google credential configuration " + where + " is empty. Generate it with: " + GCLOUD);
    }
    if (!TokenResponses.depthWithin(text, TokenResponses.MAX_DEPTH)) {
      // google-http-client's JSON parser is recursive: a deeply nested file would overflow its stack.
      throw new ConfigurationException("Google credential configuration " + where + " nests JSON deeper than "
          + TokenResponses.MAX_DEPTH + " levels: it is not an external_account configuration. Generate it with: "
          + GCLOUD);
    }
    GenericJson json;
    try {
      json = GsonFactory.getDefaultInstance().fromString(text, GenericJson.class);
    } catch (IOException | RuntimeException e) {
      throw new ConfigurationException("Google credential configuration " + where + " is not valid JSON ("
          + Redaction.describe(e) + "). Generate it with: " + GCLOUD, null);
    }
    if (json == null) {
      throw new ConfigurationException("Google credential configuration " + where + " is empty. Generate it with: " + GCLOUD);
    }
    String type = string(json, "type", where).orElse(null);
    if (!"external_account".equals(type)) {
      throw new ConfigurationException("Google credential configuration " + where + " has \"type\": " + quoted(type)
          + ", but workload identity federation needs \"external_account\"" + typeHint(type) + " Generate it with: " + GCLOUD);
    }
    String universe = EndpointPolicy.universe(string(json, "universe_domain", where).orElse(DEFAULT_UNIVERSE),
        "universe_domain in " + where);
    String audience = string(json, "audience", where).orElseThrow(() -> new ConfigurationException(
        "Google credential configuration " + where + " has no \"audience\". It must be the workload identity provider,"
            + " //iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER."));
    validateAudience(audience, where);
    string(json, "subject_token_type", where).ifPresent(t -> {
      if (!t.equals("urn:ietf:params:oauth:token-type:jwt") && !t.equals("urn:ietf:params:oauth:token-type:id_token")) {
        throw new ConfigurationException("Google credential configuration " + where + " has subject_token_type "
            + quoted(t) + "; a Kubernetes service-account token needs urn:ietf:params:oauth:token-type:jwt.");
      }
    });
    if (string(json, "workforce_pool_user_project", where).isPresent()) {
      throw new ConfigurationException("Google credential configuration " + where + " is for a workforce pool"
          + " (workforce_pool_user_project): workforce pools federate people, not Kubernetes workloads.");
    }
    Optional<String> tokenUrlField = string(json, "token_url", where);
    String tokenUrl = tokenUrlField.orElse("https://sts." + universe + "/v1/token");

    Optional<String> serviceAccount = Optional.empty();
    String iamEndpoint = "https://iamcredentials." + universe;
    Optional<String> impersonationUrl = string(json, "service_account_impersonation_url", where);
    if (impersonationUrl.isPresent()) {
      String url = impersonationUrl.get();
      URI uri = impersonationUri(url, universe, where);
      String path = uri.getRawPath();
      int sa = path.indexOf(IAM_PATH);
      iamEndpoint = uri.getScheme() + "://" + uri.getRawAuthority();
      serviceAccount = Optional.of(Checks.serviceAccount(
          path.substring(sa + IAM_PATH.length(), path.length() - IAM_METHOD.length()),
          "The service account in service_account_impersonation_url in " + where));
    }
    Optional<Duration> lifetime = lifetime(json, where, serviceAccount.isPresent());

    Object source = json.get("credential_source");
    if (!(source instanceof Map<?, ?> src)) {
      throw new ConfigurationException("Google credential configuration " + where + " has no \"credential_source\"."
          + " For Kubernetes it is {\"file\": \"/var/run/service-account/token\", \"format\": {\"type\": \"text\"}}.");
    }
    boolean hasFile = present(src.get("file"));
    for (String unsupported : new String[] {"url", "executable", "environment_id", "certificate"}) {
      if (present(src.get(unsupported)) && !hasFile) {
        throw new ConfigurationException("Google credential configuration " + where + " uses a credential_source."
            + unsupported + " source; workload-identity-gcp reads the projected token from a file"
            + " (credential_source.file). Regenerate with --credential-source-file, or use google-auth's"
            + " ExternalAccountCredentials for other sources.");
      }
    }
    Optional<String> fileName = text(src.get("file"), "credential_source.file", where);
    if (fileName.isEmpty()) {
      throw new ConfigurationException("Google credential configuration " + where + " has no credential_source.file:"
          + " set it to the projected service-account token path, for example /var/run/service-account/token.");
    }
    Path tokenFile;
    try {
      tokenFile = Path.of(fileName.get());
    } catch (InvalidPathException e) {
      throw new ConfigurationException("Google credential configuration " + where + " has credential_source.file "
          + quoted(fileName.get()) + ", which is not a path.");
    }
    Optional<String> jsonField = Optional.empty();
    if (src.get("format") instanceof Map<?, ?> format) {
      String formatType = text(format.get("type"), "credential_source.format.type", where).orElse("text");
      if (formatType.equalsIgnoreCase("json")) {
        Optional<String> field = text(format.get("subject_token_field_name"),
            "credential_source.format.subject_token_field_name", where);
        if (field.isEmpty()) {
          throw new ConfigurationException("Google credential configuration " + where + " has credential_source.format"
              + " type json without subject_token_field_name: name the JSON field that holds the token.");
        }
        jsonField = field;
      } else if (!formatType.equalsIgnoreCase("text")) {
        throw new ConfigurationException("Google credential configuration " + where + " has credential_source.format"
            + " type " + quoted(formatType) + "; use \"text\" (a projected token file) or \"json\".");
      }
    }
    Optional<String> quota = string(json, "quota_project_id", where)
        .map(q -> Checks.quotaProject(q, "quota_project_id in " + where));
    return new ExternalAccountConfig(audience, tokenUrl, serviceAccount, iamEndpoint, lifetime, tokenFile, jsonField,
        quota, universe, tokenUrlField.isPresent(), where);
  }

  /** The impersonation URL, checked for the generateAccessToken shape (the host is the policy's business). */
  private static URI impersonationUri(String url, String universe, String where) {
    String expected = "; expected https://iamcredentials." + universe
        + "/v1/projects/-/serviceAccounts/SERVICE_ACCOUNT_EMAIL:generateAccessToken.";
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new ConfigurationException("Google credential configuration " + where + " has service_account_impersonation_url "
          + quoted(url) + ", which is not a URL" + expected);
    }
    String path = uri.getRawPath();
    boolean ok = uri.getScheme() != null && uri.getRawAuthority() != null && path != null && uri.getRawQuery() == null
        && uri.getRawFragment() == null && path.endsWith(IAM_METHOD) && (path.startsWith("/v1" + IAM_PATH)
        || path.startsWith(IAM_PATH)) && path.indexOf(IAM_PATH) == path.lastIndexOf(IAM_PATH)
        && path.length() > path.indexOf(IAM_PATH) + IAM_PATH.length() + IAM_METHOD.length();
    if (!ok) {
      throw new ConfigurationException("Google credential configuration " + where + " has service_account_impersonation_url "
          + quoted(url) + expected);
    }
    return uri;
  }

  /**
   * Checks the shape of a workload identity provider audience.
   *
   * @param audience the audience
   * @param where its origin, or {@code null}
   * @throws ConfigurationException with the expected shape when it is wrong
   */
  public static void validateAudience(String audience, String where) {
    String in = where == null ? "" : " in " + where;
    Values.requireClean(audience, "The audience" + in, MAX_VALUE);
    if (audience.startsWith("https://") || audience.startsWith("http://")) {
      throw new ConfigurationException("The audience" + in + " is " + quoted(audience) + ": that is the form projected"
          + " into the Kubernetes token; the STS audience is the provider's resource name without the scheme, "
          + Redaction.escape(audience.substring(audience.indexOf("//"))) + ".");
    }
    if (!audience.startsWith("//iam.") || !audience.contains("/workloadIdentityPools/") || !audience.contains("/providers/")) {
      throw new ConfigurationException("The audience" + in + " is " + quoted(audience) + "; it must be the workload"
          + " identity provider's full resource name,"
          + " //iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER.");
    }
  }

  private static Optional<Duration> lifetime(GenericJson json, String where, boolean impersonating) {
    if (!(json.get("service_account_impersonation") instanceof Map<?, ?> imp) || !present(imp.get("token_lifetime_seconds"))) {
      return Optional.empty();
    }
    if (!impersonating) {
      // google-auth accepts it too: the lifetime applies to impersonated tokens only.
      LOG.log(Level.INFO, () -> "Google credential configuration " + where + " sets service_account_impersonation."
          + "token_lifetime_seconds without service_account_impersonation_url: ignored (STS decides the lifetime of"
          + " federated tokens).");
      return Optional.empty();
    }
    Object value = imp.get("token_lifetime_seconds");
    long seconds;
    try {
      seconds = value instanceof BigDecimal b ? b.longValueExact()
          : value instanceof String s && s.length() <= 12 ? Long.parseLong(s.strip()) : Long.MIN_VALUE;
    } catch (ArithmeticException | NumberFormatException e) {
      seconds = Long.MIN_VALUE;
    }
    if (seconds == Long.MIN_VALUE) {
      throw new ConfigurationException("Google credential configuration " + where + " has token_lifetime_seconds "
          + quoted(String.valueOf(value)) + "; it must be a whole number of seconds between 600 and 43200.");
    }
    if (seconds < 600 || seconds > 43_200) {
      throw new ConfigurationException("Google credential configuration " + where + " has token_lifetime_seconds "
          + seconds + "; it must be between 600 and 43200 (above 3600 needs the organization policy"
          + " constraints/iam.allowServiceAccountCredentialLifetimeExtension).");
    }
    return Optional.of(Duration.ofSeconds(seconds));
  }

  /** A top-level string field: absent, JSON null and blank are all "not set". */
  private static Optional<String> string(GenericJson json, String field, String where) {
    return text(json.get(field), "\"" + field + "\"", where);
  }

  /** A string value: absent, JSON null and blank are "not set"; anything else must be clean text. */
  private static Optional<String> text(Object v, String field, String where) {
    if (!present(v)) {
      return Optional.empty(); // google-auth tolerates null optional fields (#1706); GenericJson returns a null placeholder
    }
    if (!(v instanceof String s)) {
      throw new ConfigurationException("Google credential configuration " + where + " has a non-string " + field + ".");
    }
    if (s.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(Values.requireClean(s.strip(), field + " in " + where, MAX_VALUE));
  }

  /** Present and not JSON null. */
  private static boolean present(Object v) {
    return v != null && !Data.isNull(v);
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
    if (s == null) {
      return "(missing)";
    }
    return "\"" + Redaction.escape(s.length() > 300 ? s.substring(0, 300) + "..." : s) + "\"";
  }
}
