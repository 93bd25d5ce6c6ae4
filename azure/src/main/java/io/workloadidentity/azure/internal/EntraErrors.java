package io.workloadidentity.azure.internal;

import com.microsoft.aad.msal4j.MsalClientException;
import com.microsoft.aad.msal4j.MsalServiceException;
import io.workloadidentity.azure.ApplicationNotFoundException;
import io.workloadidentity.azure.AssertionTimeRangeException;
import io.workloadidentity.azure.AzureTokenException;
import io.workloadidentity.azure.FederatedCredentialMismatchException;
import io.workloadidentity.azure.TenantNotFoundException;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.WorkloadIdentityException;
import java.io.IOException;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns what azure-identity throws into our typed exceptions. azure-identity wraps the MSAL service
 * exception up to three levels deep ({@code RuntimeException -> RuntimeException ->
 * ExecutionException -> MsalServiceException}) and the {@code AADSTS} code exists only in the message
 * text (MSAL does not expose {@code error_codes}), so the chain is walked and the message parsed.
 */
public final class EntraErrors {
  private static final Pattern AADSTS = Pattern.compile("AADSTS(\\d+)");
  /** MSAL's text for a response whose body is not Entra's JSON: the status is only in the message. */
  private static final Pattern STATUS_IN_TEXT = Pattern.compile("status code:? (\\d{3})");
  /** Entra appends "Trace ID: ... Correlation ID: ... Timestamp: ...", sometimes after a line break. */
  private static final Pattern TRACE = Pattern.compile("\\s*Trace ID:");
  /** Anything shaped like a JWT: never echo one, whatever a server put in its error text. */
  private static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*");

  /** Who asked: the identity, the authority and the token that was sent (when known), for messages. */
  public record Request(String clientId, String tenantId, String authorityHost, ProjectedToken sent, String tokenSource,
      Instant now, boolean retried) {}

  private EntraErrors() {}

  /**
   * The typed exception for a failed token request. A {@link WorkloadIdentityException} anywhere in
   * the chain (the token source failed while azure-identity asked for the assertion) is returned as is.
   */
  public static WorkloadIdentityException map(Throwable failure, Request request) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof WorkloadIdentityException w) {
        return w;
      }
    }
    MsalServiceException service = find(failure, MsalServiceException.class);
    if (service != null) {
      return fromService(service, request);
    }
    IOException io = find(failure, IOException.class);
    if (io != null) {
      return new AzureTokenException("Could not reach Entra ID at " + request.authorityHost() + ": "
          + io.getClass().getSimpleName() + ": " + clean(io.getMessage()) + ". " + NETWORK, null, null, -1, null,
          NETWORK, true, failure);
    }
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root
        && (root.getClass() == RuntimeException.class || root instanceof java.util.concurrent.ExecutionException)) {
      root = root.getCause();
    }
    // MSAL's own client-side failures (an unparsable success response, ...) are transient server glitches.
    boolean retryable = find(failure, MsalClientException.class) != null;
    String explanation = retryable
        ? "Entra ID's response could not be processed; this is retried with backoff."
        : "The token request was refused before it was sent; check the builder configuration and the scopes requested.";
    return new AzureTokenException("Token request to Entra ID for client ID " + request.clientId() + " failed: "
        + root.getClass().getSimpleName() + ": " + clean(root.getMessage()) + ". " + explanation,
        null, null, -1, null, explanation, retryable, failure);
  }

  private static AzureTokenException fromService(MsalServiceException e, Request request) {
    String description = clean(e.getMessage());
    String oauth = e.errorCode() == null || "unknown".equals(e.errorCode()) ? null : e.errorCode();
    int status = e.statusCode() != null ? e.statusCode() : statusFromText(e.getMessage());
    String correlation = e.correlationId();
    Matcher m = AADSTS.matcher(String.valueOf(e.getMessage()));
    int code = m.find() ? Integer.parseInt(m.group(1)) : -1;
    String errorCode = code >= 0 ? "AADSTS" + code : oauth;
    String headline = "Entra ID refused the token request for client ID " + request.clientId() + " in tenant "
        + request.tenantId() + " (" + (errorCode == null ? "" : errorCode + ", ") + (oauth == null || oauth.equals(errorCode)
        ? "" : oauth + ", ") + "HTTP " + (status < 0 ? "?" : status) + ").";
    String said = description.isEmpty() ? "" : " Entra said: \"" + description + "\"";
    String tail = said + (correlation == null ? "" : " Correlation ID: " + correlation + ".");
    ProjectedToken t = request.sent();
    String iss = t == null ? "<the token's iss claim>" : t.issuer();
    String sub = t == null ? "<the token's sub claim>" : t.subject();
    String aud = t == null ? Settings.AUDIENCE : String.join(", ", t.audiences());
    switch (code) {
      case 70021, 700211, 700212, 700213 -> {
        String which = switch (code) {
          case 700211 -> "No federated credential has the token's issuer. ";
          case 700212 -> "No federated credential has the token's audience. ";
          case 700213 -> "A federated credential has the token's issuer but not its subject. ";
          default -> "";
        };
        String x = which + "Register a federated identity credential on the application (or user-assigned managed"
            + " identity) with client ID " + request.clientId() + " with exactly: issuer \"" + iss + "\", subject \""
            + sub + "\", audience \"" + aud + "\". Entra compares them as exact, case-sensitive strings: a missing or"
            + " extra trailing slash on the issuer, or another namespace or service-account name in the subject, is a"
            + " mismatch. A credential created in the last few minutes may still be propagating; this is retried"
            + " at the slowest backoff (every minute by default).";
        return new FederatedCredentialMismatchException(headline + " " + x + tail, errorCode, oauth, status,
            correlation, x, false, e);
      }
      case 700024 -> {
        String x = "The token sent" + (t == null ? "" : " (iat " + t.issuedAt().map(Instant::toString).orElse("?")
            + ", exp " + t.expiresAt() + ")") + " is outside the validity window by Entra's clock; this machine's time"
            + " is " + request.now() + ". Compare with Entra's current time in its message: if they differ, this node's"
            + " clock is skewed (check NTP); if the token has expired, the kubelet is not rotating " + request.tokenSource()
            + "." + (request.retried() ? " This is after re-reading the token file and retrying once." : "");
        return new AssertionTimeRangeException(headline + " " + x + tail, errorCode, oauth, status, correlation, x,
            false, e);
      }
      case 700016 -> {
        String x = "There is no application with client ID " + request.clientId() + " in tenant " + request.tenantId()
            + ". Check " + Settings.CLIENT_ID + " (the service account's azure.workload.identity/client-id annotation): it"
            + " must be the application (client) ID of the app registration or user-assigned managed identity in this"
            + " tenant; a managed identity's principal (object) ID is not its client ID.";
        return new ApplicationNotFoundException(headline + " " + x + tail, errorCode, oauth, status, correlation, x,
            false, e);
      }
      case 90002 -> {
        String x = "Tenant " + request.tenantId() + " does not exist at " + request.authorityHost() + ". Check "
            + Settings.TENANT_ID + " (the azure.workload.identity/tenant-id annotation or the webhook's default tenant)"
            + " and that " + Settings.AUTHORITY_HOST + " is your tenant's cloud (public, Azure China, Azure US"
            + " Government).";
        return new TenantNotFoundException(headline + " " + x + tail, errorCode, oauth, status, correlation, x, false, e);
      }
      default -> {
        String x = explain(code, status, oauth, iss);
        boolean retryable = isRetryable(code, status, oauth);
        return new AzureTokenException(headline + " " + x + tail, errorCode, oauth, status, correlation, x, retryable, e);
      }
    }
  }

  private static String explain(int code, int status, String oauth, String iss) {
    return switch (code) {
      case 700027 -> "Entra could not verify the token's signature with the keys the issuer " + iss + " publishes. The"
          + " issuer's discovery document and JWKS must be publicly reachable; if the cluster's signing keys were"
          + " rotated recently, Entra may still hold the old ones.";
      case 50166 -> "Entra could not fetch the OIDC discovery document or keys of the issuer " + iss + ". The"
          + " cluster's issuer URL must be reachable from the internet over HTTPS (an in-cluster issuer such as"
          + " https://kubernetes.default.svc is not); on AKS enable the OIDC issuer. Retried with backoff, in case"
          + " the issuer is only briefly down.";
      case 70011 -> "The requested scope is not valid: request exactly one resource's \".default\" scope, for example"
          + " https://management.azure.com/.default.";
      case 500011 -> "The requested resource does not exist in the tenant: check the scope (the resource's application"
          + " ID URI followed by /.default).";
      case 7000215 -> "Entra expected a client secret: the application is not set up for federated credentials, or"
          + " the client ID is another application's.";
      case 90055 -> THROTTLED;
      case 90006, 90033, 90024 -> OUTAGE;
      default -> status == 429 ? THROTTLED
          : status >= 500 || "temporarily_unavailable".equals(oauth) ? OUTAGE
          : "See https://login.microsoftonline.com/error" + (code < 0 ? "" : "?code=" + code) + " for this code.";
    };
  }

  private static boolean isRetryable(int code, int status, String oauth) {
    return code == 50166 || code == 90055 || code == 90006 || code == 90033 || code == 90024 || status == 429 || status >= 500
        || "temporarily_unavailable".equals(oauth);
  }

  private static final String THROTTLED = "Entra ID is throttling token requests from this tenant or application;"
      + " this is retried with backoff and a valid cached token keeps being served meanwhile.";
  private static final String OUTAGE = "Entra ID is temporarily unavailable; this is retried with backoff and a valid"
      + " cached token keeps being served meanwhile.";
  private static final String NETWORK = "Check DNS, egress rules and proxy settings for the authority host; this is"
      + " retried with backoff and a valid cached token keeps being served meanwhile.";

  /** Entra's description without its trace/correlation/timestamp trailer, and without anything token-shaped. */
  static String clean(String description) {
    if (description == null) {
      return "";
    }
    String d = description;
    Matcher trace = TRACE.matcher(d);
    if (trace.find()) {
      d = d.substring(0, trace.start());
    }
    d = d.strip().replaceAll("\\s+", " ");
    if (d.length() > 600) {
      d = d.substring(0, 600) + "...";
    }
    return redact(d);
  }

  static String redact(String text) {
    return text == null ? "" : JWT.matcher(text).replaceAll("<redacted>");
  }

  private static int statusFromText(String text) {
    Matcher m = STATUS_IN_TEXT.matcher(String.valueOf(text));
    return m.find() ? Integer.parseInt(m.group(1)) : -1;
  }

  private static <T extends Throwable> T find(Throwable t, Class<T> type) {
    for (int depth = 0; t != null && depth < 20; t = t.getCause(), depth++) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }
}
