package io.workloadidentity.azure.internal;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The Azure settings and their validation, shared by the credential builder and detection so that
 * both explain a problem with the same words.
 *
 * <p>The variables are the ones the azure-workload-identity webhook injects. A system property of the
 * same name wins over the variable, as in azure-core's {@code Configuration}.
 */
public final class Settings {
  public static final String CLIENT_ID = "AZURE_CLIENT_ID";
  public static final String TENANT_ID = "AZURE_TENANT_ID";
  public static final String TOKEN_FILE = "AZURE_FEDERATED_TOKEN_FILE";
  public static final String AUTHORITY_HOST = "AZURE_AUTHORITY_HOST";
  public static final String DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com/";
  /** The audience the webhook requests; Entra's recommended federated-credential audience. */
  public static final String AUDIENCE = "api://AzureADTokenExchange";
  /** The recommended audiences of the public cloud, Azure US Government and Azure China. */
  public static final Set<String> AUDIENCES =
      Set.of(AUDIENCE, "api://AzureADTokenExchangeUSGov", "api://AzureADTokenExchangeChina");

  static final String POD_NOT_MUTATED = "Pod not mutated by the azure-workload-identity webhook: is it labelled"
      + " azure.workload.identity/use: \"true\" and is the service account annotated with"
      + " azure.workload.identity/client-id? The webhook mutates pods only when they are created: restart the pod after"
      + " fixing the label or annotation.";
  /** Entra's own check (ValidationUtil in azure-identity): anything else cannot be a tenant. */
  private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9.-]+");

  private Settings() {}

  /** A setting from a system property of the same name or the environment variable. */
  public static Optional<String> get(Environment env, String name) {
    return env.get(name, name);
  }

  /**
   * What is wrong with these values, one sentence with its fix per problem; empty when usable.
   *
   * @param hasTokenFile whether a token file (or token source) is configured
   */
  public static List<String> problems(String clientId, String tenantId, boolean hasTokenFile, String authorityHost) {
    List<String> problems = new ArrayList<>();
    boolean client = clientId != null;
    boolean tenant = tenantId != null;
    if (!client && !tenant && !hasTokenFile) {
      problems.add(CLIENT_ID + ", " + TENANT_ID + " and " + TOKEN_FILE + " are not set. " + POD_NOT_MUTATED
          + " Outside Kubernetes, set the three variables or configure the builder.");
    } else if (!hasTokenFile) {
      problems.add(TOKEN_FILE + " is not set" + (client || tenant ? " although " + (client ? CLIENT_ID : TENANT_ID) + " is"
          : "") + ". " + POD_NOT_MUTATED);
    } else if (!client) {
      problems.add(CLIENT_ID + " is not set although " + TOKEN_FILE + " is: the webhook mutated the pod but the service"
          + " account has no azure.workload.identity/client-id annotation. Annotate it with the application (client) ID"
          + " of the app registration or user-assigned managed identity and restart the pod, or set " + CLIENT_ID + ".");
    }
    if (hasTokenFile && !tenant) {
      problems.add(TENANT_ID + " is not set: annotate the service account with azure.workload.identity/tenant-id (or"
          + " set the webhook's default tenant), then restart the pod; or set " + TENANT_ID + ".");
    }
    if (tenant && !TENANT.matcher(tenantId).matches()) {
      problems.add(TENANT_ID + " \"" + tenantId + "\" is not a tenant ID: use the directory (tenant) ID, a GUID, or a"
          + " verified domain such as contoso.onmicrosoft.com.");
    }
    if (authorityHost != null) {
      try {
        authorityHost(authorityHost);
      } catch (ConfigurationException e) {
        problems.add(e.getMessage());
      }
    }
    return problems;
  }

  /**
   * Validates an authority host and returns it with one trailing slash.
   *
   * @throws ConfigurationException if it is not {@code https://host[:port]/}
   */
  public static String authorityHost(String value) {
    String fix = " Use the Entra endpoint of your cloud, for example " + DEFAULT_AUTHORITY_HOST
        + " (public), https://login.chinacloudapi.cn/ (Azure China) or https://login.microsoftonline.us/ (Azure US"
        + " Government); the tenant is configured separately.";
    URI uri;
    try {
      uri = new URI(value.strip());
    } catch (URISyntaxException e) {
      throw new ConfigurationException(AUTHORITY_HOST + " \"" + value + "\" is not a URL." + fix);
    }
    if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
      throw new ConfigurationException(AUTHORITY_HOST + " \"" + value + "\" must be an https:// URL with a host"
          + " (Entra and azure-identity refuse anything else)." + fix);
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (!path.isEmpty() && !path.equals("/") || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new ConfigurationException(AUTHORITY_HOST + " \"" + value + "\" must have no path: MSAL would take the"
          + " path as the tenant." + fix);
    }
    return "https://" + uri.getRawAuthority() + "/";
  }

  /** Whether {@code authorityHost} (normalised, {@code https://host/}) is one of Microsoft's own clouds. */
  public static boolean isMicrosoftCloud(String authorityHost) {
    String host = java.net.URI.create(authorityHost).getHost();
    return host != null && java.util.Set.of("login.microsoftonline.com", "login.microsoft.com", "login.windows.net",
        "login.chinacloudapi.cn", "login.partner.microsoftonline.cn", "login.microsoftonline.us").contains(host.toLowerCase(java.util.Locale.ROOT));
  }
}
