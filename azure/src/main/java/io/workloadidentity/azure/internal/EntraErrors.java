package io.workloadidentity.azure.internal;

import com.microsoft.aad.msal4j.MsalClientException;
import com.microsoft.aad.msal4j.MsalServiceException;
import io.workloadidentity.azure.AzureTokenException;
import io.workloadidentity.azure.AzureTokenException.Reason;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.core.internal.Redaction;
import java.io.IOException;
import java.time.Instant;

/**
 * Turns what azure-identity throws into {@link AzureTokenException}s with a {@link Reason}.
 * azure-identity wraps the MSAL service exception up to three levels deep ({@code RuntimeException
 * -> RuntimeException -> ExecutionException -> MsalServiceException}) and the {@code AADSTS} code
 * exists only in the message text (MSAL does not expose {@code error_codes}), so the chain is walked
 * and the message parsed.
 *
 * <p>Everything here reads text the server chose (MSAL's message is Entra's {@code
 * error_description}, or the whole body of a response that is not Entra's JSON). Bound on work: the
 * text is cut to {@link #MAX_SCANNED} characters first, then looked at by hand-written scans that
 * visit each character a constant number of times ({@code indexOf} of a fixed word, digit runs); no
 * regular expression touches it, and what reaches a message passes through {@link Redaction}.
 */
public final class EntraErrors {
  /** The most characters of a server's text scanned at all (Entra's descriptions are a few hundred). */
  static final int MAX_SCANNED = Redaction.MAX_INPUT_LENGTH;
  /** Longest OAuth error or correlation ID quoted; longer values are not Entra's. */
  private static final int MAX_CODE_LENGTH = 64;
  /** Entra appends "Trace ID: ... Correlation ID: ... Timestamp: ...", sometimes after a line break. */
  private static final String TRACE = "Trace ID:";
  /** Entra's descriptions are a few hundred characters; longer ones are cut. */
  private static final int MAX_DESCRIPTION = 600;

  /**
   * Who asked: the identity, the tenant the request went to, the authority and the token that was
   * sent (when known), for messages.
   */
  public record Request(String clientId, String tenantId, String authorityHost, ProjectedToken sent, String tokenSource,
      Instant now) {}

  private EntraErrors() {}

  /**
   * The typed exception for a failed token request. A {@link WorkloadIdentityException} anywhere in
   * the chain (the token source failed while azure-identity asked for the assertion) is returned as is.
   *
   * @param failure what azure-identity threw
   * @param request who asked, for the message
   * @return the typed exception
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
          + Redaction.describe(io) + ". " + NETWORK, Reason.NETWORK, null, null, -1, null, NETWORK, true, false,
          RedactedCause.of(failure));
    }
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root
        && (root.getClass() == RuntimeException.class || root instanceof java.util.concurrent.ExecutionException)) {
      root = root.getCause();
    }
    // MSAL's own client-side failures (an unparsable success response, ...) are transient server glitches.
    boolean retryable = find(failure, MsalClientException.class) != null;
    String advice = retryable
        ? "Entra ID's response could not be processed; this is retried with backoff."
        : "The token request was refused before it was sent; check the builder configuration and the scopes requested.";
    return new AzureTokenException("Token request to Entra ID for client ID " + request.clientId() + " failed: "
        + Redaction.describe(root) + ". " + advice, retryable ? Reason.INVALID_RESPONSE : Reason.INVALID_REQUEST,
        null, null, -1, null, advice, retryable, false, RedactedCause.of(failure));
  }

  /**
   * The refusal of a request naming a tenant the credential may not ask for; nothing was sent.
   *
   * @param requested the tenant the request named
   * @param settings the credential's settings
   * @return the exception (not retryable: only a configuration change helps)
   */
  public static AzureTokenException tenantNotAllowed(String requested, AzureSettings settings) {
    String tenant = Redaction.escape(requested);
    String advice = "To let this credential request tokens for tenant " + tenant + ", build it with"
        + " AzureWorkloadIdentityCredential.builder().additionallyAllowedTenants(\"" + tenant + "\") (or \"*\" for any"
        + " tenant), or set " + AzureSettings.ADDITIONALLY_ALLOWED_TENANTS + "; the application (client ID "
        + settings.clientId() + ") must also be multi-tenant and present in that tenant.";
    return new AzureTokenException("The token request names tenant " + tenant + ", but this credential is configured"
        + " for tenant " + settings.tenantId() + " and " + tenant + " is not among its additionally allowed tenants; the"
        + " request was not sent. " + advice, Reason.TENANT_NOT_ALLOWED, null, null, -1, null, advice, false, false, null);
  }

  /**
   * The refusal of a request this credential cannot make as asked; nothing was sent.
   *
   * @param what what is wrong with it, a sentence
   * @param advice what to do instead
   * @return the exception (not retryable)
   */
  public static AzureTokenException invalidRequest(String what, String advice) {
    return new AzureTokenException(what + " The request was not sent. " + advice, Reason.INVALID_REQUEST, null, null,
        -1, null, advice, false, false, null);
  }

  /**
   * The refusal of an answer of Entra (or of something between this pod and Entra) that cannot be
   * used: no or an empty token, no or a non-positive lifetime, wrong JSON, a body beyond the cap.
   * Retryable: the next answer may be fine, and a valid cached token keeps being served meanwhile.
   *
   * @param problem what is wrong with it, naming the field; never a value that could be a secret
   * @param status the HTTP status of the answer
   * @param authorityHost the authority it came from
   * @return the exception
   */
  public static AzureTokenException invalidResponse(String problem, int status, String authorityHost) {
    String advice = "This is retried with backoff, and a valid cached token keeps being served meanwhile. If it"
        + " persists, check for a proxy or gateway between this pod and " + authorityHost + " that rewrites"
        + " responses, and that " + AzureSettings.AUTHORITY_HOST + " is Entra ID's endpoint for your cloud.";
    return new AzureTokenException("Refused Entra ID's answer (HTTP " + status + ") from " + authorityHost + ": "
        + problem + ". " + advice, Reason.INVALID_RESPONSE, null, null, status, null, advice, true, false, null);
  }

  /**
   * The refusal of an error answer that is not Entra's error JSON (an HTML page, a proxy's text):
   * something between this pod and Entra answered. Typed by its status, which MSAL would lose
   * (it reports such a body as an error without a status): 429 throttled, 408 and 5xx unavailable,
   * both retryable; other statuses not retryable. The start of the body is quoted, redacted.
   *
   * @param status the HTTP status
   * @param contentType the answer's content type, or null
   * @param body the body (already capped)
   * @param authorityHost the authority the request went to
   * @return the exception
   */
  public static AzureTokenException foreignAnswer(int status, String contentType, String body, String authorityHost) {
    boolean throttled = status == 429;
    boolean unavailable = status == 408 || status >= 500;
    String advice = throttled ? THROTTLED : unavailable ? OUTAGE
        : status == 407 ? "The proxy between this pod and Entra ID asks for credentials: configure them in HTTPS_PROXY"
            + " (http://user:password@host:port) or on the HTTP client given to the builder."
        : "Check the proxy settings (HTTPS_PROXY, NO_PROXY) and that " + AzureSettings.AUTHORITY_HOST + " is Entra ID's"
            + " endpoint for your cloud.";
    String start = body.length() > 200 ? body.substring(0, 200) : body;
    String message = "The token request to " + authorityHost + " got HTTP " + status + " with a body that is not Entra"
        + " ID's error JSON (" + (contentType == null ? "no content type" : Redaction.message(contentType)) + ", "
        + body.length() + " characters" + (start.isBlank() ? "" : ": \"" + Redaction.message(start) + "\"") + "): a"
        + " proxy, gateway or load balancer probably answered instead of Entra ID. " + advice;
    return new AzureTokenException(message, throttled ? Reason.THROTTLED : unavailable ? Reason.UNAVAILABLE : Reason.OTHER,
        null, null, status, null, advice, throttled || unavailable, false, null);
  }

  private static AzureTokenException fromService(MsalServiceException e, Request request) {
    String text = scanned(e.getMessage());
    String description = clean(text);
    String oauth = code(e.errorCode());
    int status = e.statusCode() != null ? e.statusCode() : statusFromText(text);
    String correlation = code(e.correlationId());
    int code = aadsts(description);
    String errorCode = code >= 0 ? "AADSTS" + code : oauth;
    String headline = "Entra ID refused the token request for client ID " + request.clientId() + " in tenant "
        + request.tenantId() + " (" + (errorCode == null ? "" : errorCode + ", ") + (oauth == null || oauth.equals(errorCode)
        ? "" : oauth + ", ") + "HTTP " + (status < 0 ? "?" : status) + ").";
    String said = description.isEmpty() ? "" : " Entra said: \"" + description + "\"";
    String tail = said + (correlation == null ? "" : " Correlation ID: " + correlation + ".");
    ProjectedToken t = request.sent();
    String iss = t == null ? "<the token's iss claim>" : Redaction.escape(t.issuer());
    String sub = t == null ? "<the token's sub claim>" : Redaction.escape(t.subject());
    String aud = t == null ? AzureSettings.AUDIENCE : Redaction.escape(String.join(", ", t.audiences()));
    Reason reason;
    String x;
    boolean retryable = false;
    boolean tokenRejected = false;
    switch (code) {
      case 70021, 700211, 700212, 700213 -> {
        String which = switch (code) {
          case 700211 -> "No federated credential has the token's issuer. ";
          case 700212 -> "No federated credential has the token's audience. ";
          case 700213 -> "A federated credential has the token's issuer but not its subject. ";
          default -> "";
        };
        reason = Reason.FEDERATED_CREDENTIAL_MISMATCH;
        x = which + "Register a federated identity credential on the application (or user-assigned managed"
            + " identity) with client ID " + request.clientId() + " with exactly: issuer \"" + iss + "\", subject \""
            + sub + "\", audience \"" + aud + "\". Entra compares them as exact, case-sensitive strings: a missing or"
            + " extra trailing slash on the issuer, or another namespace or service-account name in the subject, is a"
            + " mismatch. A credential created in the last few minutes may still be propagating; this is retried"
            + " at the slowest backoff (every minute by default).";
      }
      case 700024 -> {
        reason = Reason.ASSERTION_TIME_RANGE;
        retryable = true;
        tokenRejected = true;
        x = "The token sent" + (t == null ? "" : " (iat " + t.issuedAt().map(Instant::toString).orElse("?")
            + ", exp " + t.expiresAt() + ")") + " is outside the validity window by Entra's clock; this machine's time"
            + " is " + request.now() + ". Compare with Entra's current time in its message: if they differ, this node's"
            + " clock is skewed (check NTP); if the token has expired, the kubelet is not rotating " + request.tokenSource()
            + ". The token file was re-read; the next attempt is made as soon as a new token is seen.";
      }
      case 700016 -> {
        reason = Reason.APPLICATION_NOT_FOUND;
        x = "There is no application with client ID " + request.clientId() + " in tenant " + request.tenantId()
            + ". Check " + AzureSettings.CLIENT_ID + " (the service account's azure.workload.identity/client-id"
            + " annotation): it must be the application (client) ID of the app registration or user-assigned managed"
            + " identity in this tenant; a managed identity's principal (object) ID is not its client ID.";
      }
      case 90002 -> {
        reason = Reason.TENANT_NOT_FOUND;
        x = "Tenant " + request.tenantId() + " does not exist at " + request.authorityHost() + ". Check "
            + AzureSettings.TENANT_ID + " (the azure.workload.identity/tenant-id annotation or the webhook's default"
            + " tenant) and that " + AzureSettings.AUTHORITY_HOST + " is your tenant's cloud (public, Azure China, Azure"
            + " US Government).";
      }
      default -> {
        x = explain(code, status, oauth, iss);
        retryable = isRetryable(code, status, oauth);
        reason = code == 700027 ? Reason.INVALID_SIGNATURE : code == 50166 ? Reason.ISSUER_UNREACHABLE
            : code == 70011 || code == 500011 ? Reason.INVALID_SCOPE
            : code == 90055 || status == 429 ? Reason.THROTTLED
            : retryable ? Reason.UNAVAILABLE : Reason.OTHER;
        // An unknown signing key: a token signed with the cluster's new key may verify once Entra sees it.
        tokenRejected = code == 700027;
      }
    }
    return new AzureTokenException(headline + " " + x + tail, reason, errorCode, oauth, status, correlation, x,
        retryable, tokenRejected, RedactedCause.of(e));
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

  /** The part of a server's text that is looked at: its first {@link #MAX_SCANNED} characters. */
  static String scanned(String text) {
    if (text == null) {
      return "";
    }
    return text.length() > MAX_SCANNED ? text.substring(0, MAX_SCANNED) : text;
  }

  /**
   * An OAuth {@code error} or a correlation ID as it may be quoted: letters, digits and {@code
   * -_.:} only, at most {@link #MAX_CODE_LENGTH} characters; null for none, MSAL's "unknown", or
   * anything else (which is then not Entra's).
   */
  static String code(String value) {
    if (value == null || value.isEmpty() || value.length() > MAX_CODE_LENGTH || "unknown".equals(value)) {
      return null;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
          || c == ':')) {
        return null;
      }
    }
    return value;
  }

  /**
   * The number of the first {@code AADSTS} followed by a digit, its digits up to nine (what {@code
   * AADSTS(\d{1,9})} would find), or -1: a linear scan.
   */
  static int aadsts(String text) {
    int from = 0;
    while (true) {
      int at = text.indexOf("AADSTS", from);
      if (at < 0) {
        return -1;
      }
      int k = at + 6;
      int value = 0;
      int digits = 0;
      while (k < text.length() && digits < 9 && text.charAt(k) >= '0' && text.charAt(k) <= '9') {
        value = value * 10 + (text.charAt(k) - '0');
        digits++;
        k++;
      }
      if (digits > 0) {
        return value;
      }
      from = at + 6; // "AADSTS" cannot overlap itself: the next occurrence starts after this one
    }
  }

  /** Entra's description without its trace/correlation/timestamp trailer, redacted and escaped. */
  static String clean(String description) {
    if (description == null) {
      return "";
    }
    String d = scanned(description);
    int trace = d.indexOf(TRACE);
    if (trace >= 0) {
      d = d.substring(0, trace);
    }
    d = d.strip();
    if (d.length() > MAX_DESCRIPTION) {
      d = d.substring(0, MAX_DESCRIPTION) + "...";
    }
    return Redaction.message(d.replace('\r', ' ').replace('\n', ' ').replace('\t', ' '));
  }

  /**
   * MSAL's text for a response whose body is not Entra's JSON has the status only in the message
   * ("... status code: 502 with http body: ..."): the three digits after the first "status code",
   * an optional colon and one space, as {@code status code:? (\d{3})} would find them; -1 if none.
   */
  static int statusFromText(String text) {
    int from = 0;
    while (true) {
      int at = text.indexOf("status code", from);
      if (at < 0) {
        return -1;
      }
      int k = at + 11;
      if (k < text.length() && text.charAt(k) == ':') {
        k++;
      }
      if (k + 4 <= text.length() && text.charAt(k) == ' ' && isDigit(text.charAt(k + 1)) && isDigit(text.charAt(k + 2))
          && isDigit(text.charAt(k + 3))) {
        return (text.charAt(k + 1) - '0') * 100 + (text.charAt(k + 2) - '0') * 10 + (text.charAt(k + 3) - '0');
      }
      from = at + 11;
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
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
