package io.workloadidentity.gcp.internal;

import com.google.api.client.http.HttpResponseException;
import com.google.api.client.json.GenericJson;
import com.google.api.client.json.gson.GsonFactory;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.internal.Redaction;
import io.workloadidentity.gcp.GcpCredentialsException;
import io.workloadidentity.gcp.GcpCredentialsException.Reason;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns what Google answered (HTTP status and error body, as recorded by {@link GuardedTransport})
 * into a {@link GcpCredentialsException} whose message explains the cause and the fix. Messages name
 * claims (iss, sub, aud), never the token.
 */
final class Failures {
  private static final Pattern PROVIDER = Pattern.compile(
      "^//iam\\.([^/]+)/projects/([^/]+)/locations/([^/]+)/workloadIdentityPools/([^/]+)/providers/([^/]+)$");

  private Failures() {}

  /**
   * The recorded response, or failing that the one google-auth attached to its exception. A runtime
   * exception without a response is a bug rather than an I/O failure and is rethrown as is; with a
   * response it is google-auth failing to parse it (a truncated body surfaces as a
   * NullPointerException from its JSON parser).
   */
  static GuardedTransport.Response responseOf(GuardedTransport transport, Exception error, String url) {
    GuardedTransport.Response r = transport == null ? null : transport.last();
    if (r != null) {
      return r;
    }
    if (error instanceof RuntimeException re && findHttp(error) == null) {
      throw re;
    }
    HttpResponseException h = findHttp(error);
    return h == null ? null : new GuardedTransport.Response(url, h.getStatusCode(), h.getContent());
  }

  private static HttpResponseException findHttp(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof HttpResponseException h) {
        return h;
      }
    }
    return null;
  }

  /** A failed STS token exchange; {@code subject} is the token that was sent, or null if none was read. */
  static GcpCredentialsException sts(
      GuardedTransport.Response r, Exception error, String url, String audience, ProjectedToken subject) {
    if (r == null) {
      return unreachable("Google STS", url, error,
          "Check that the pod can reach " + host(url) + ":443 (network policy, egress firewall, proxy settings).");
    }
    Body body = Body.parse(r.errorBody());
    String said = said(r, body);
    if (r.status() < 300) {
      return unexpected("Google STS", url, r, error);
    }
    if (throttled(r, body)) {
      return fail(Reason.THROTTLED, "Google STS throttled the token exchange (" + said + ").", "The cached credential,"
          + " if any, stays in use and the exchange is retried with backoff; many pods exchanging at once can exceed"
          + " the STS quota: share one credentials instance per process.", body, r, error, false);
    }
    if (r.status() >= 500) {
      return serverError("Google STS", url, said, body, r, error);
    }
    String code = body.code == null ? "" : body.code;
    String who = "The projected token (" + (subject == null ? "not read" : claims(subject)) + ")";
    switch (code) {
      case "invalid_grant" -> {
        if (body.description.toLowerCase(Locale.ROOT).contains("audience")) {
          return fail(Reason.AUDIENCE_MISMATCH, "Google STS rejected the token's audience (" + said + "). " + who
              + " was exchanged at workload identity provider " + audience + ".", "Set the projected volume's"
              + " serviceAccountToken.audience to one of the provider's allowed audiences (by default "
              + defaultAudience(audience) + ")" + (subject == null ? "" : ", or add " + Redaction.escape(String.valueOf(subject.audiences()))
              + " to the provider's allowed audiences") + " (gcloud iam workload-identity-pools providers update-oidc"
              + " ... --allowed-audiences=...).", body, r, error, false);
        }
        return fail(Reason.SUBJECT_TOKEN_REJECTED, "Google STS rejected the projected token (" + said + "). " + who
            + ".", "The token file is re-read and the exchange retried when the kubelet rotates the token; if this"
            + " persists, the provider " + audience + " must have issuer URI "
            + (subject == null ? "the token's iss" : Redaction.escape(subject.issuer())) + " and be able to verify the signature"
            + " (Google fetches the issuer's JWKS, which must be public, or use the provider's --jwk-json-path with"
            + " the cluster's current keys), its attribute condition, if any, must accept this subject, and an"
            + " expired or stale token means the kubelet is not rotating it.", body, r, error, true);
      }
      case "invalid_target" -> {
        return fail(Reason.PROVIDER_NOT_FOUND, "Google STS does not know workload identity provider " + audience
            + " (" + said + ").", "Check the project NUMBER (not ID), pool and provider IDs (gcloud iam"
            + " workload-identity-pools providers describe PROVIDER --workload-identity-pool=POOL --location=global),"
            + " and that neither the pool nor the provider is disabled or deleted.", body, r, error, false);
      }
      default -> {
        String fix = PROVIDER.matcher(audience).matches()
            ? "The audience " + audience + " is well formed: check the scopes and the STS endpoint."
            : "The audience must be the provider's full resource name,"
                + " //iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER;"
                + " it is " + audience + ".";
        return fail(Reason.INVALID_REQUEST, "Google STS rejected the request (" + said + ").", fix, body, r, error, false);
      }
    }
  }

  /** A failed IAM Credentials generateAccessToken call. */
  static GcpCredentialsException iam(GuardedTransport.Response r, Exception error, String url, String audience,
      String serviceAccount, ProjectedToken subject) {
    if (r == null) {
      return unreachable("IAM Credentials", url, error,
          "Check that the pod can reach " + host(url) + ":443 (network policy, egress firewall, proxy settings).");
    }
    Body body = Body.parse(r.errorBody());
    String said = said(r, body);
    if (r.status() < 300) {
      return unexpected("IAM Credentials", url, r, error);
    }
    if (throttled(r, body)) {
      return fail(Reason.THROTTLED, "IAM Credentials throttled generateAccessToken for " + serviceAccount + " ("
          + said + ").", "The cached credential, if any, stays in use and the exchange is retried with backoff.",
          body, r, error, false);
    }
    if (r.status() >= 500) {
      return serverError("IAM Credentials", url, said, body, r, error);
    }
    if (r.status() == 403 || r.status() == 404 || "PERMISSION_DENIED".equals(body.code) || "NOT_FOUND".equals(body.code)) {
      String principal = principal(audience, Redaction.escape(subject.subject()));
      return fail(Reason.IMPERSONATION_DENIED, "IAM Credentials denied impersonating service account "
          + serviceAccount + " (" + said + "). The caller is the federated principal " + principal
          + " (assuming the provider maps google.subject=assertion.sub).", "Grant it roles/iam.workloadIdentityUser"
          + " on the service account: gcloud iam service-accounts add-iam-policy-binding " + serviceAccount
          + " --role=roles/iam.workloadIdentityUser --member=" + principal + " ; check that the service account"
          + " exists in the right project; new bindings can take a few minutes to apply.", body, r, error, false);
    }
    return fail(Reason.INVALID_REQUEST, "IAM Credentials rejected generateAccessToken for " + serviceAccount + " ("
        + said + ").", "The token lifetime may exceed the maximum (3600 s unless the organization policy"
        + " constraints/iam.allowServiceAccountCredentialLifetimeExtension allows up to 12 h), or a scope is invalid.",
        body, r, error, false);
  }

  /** A failed GKE metadata server token request. */
  static GcpCredentialsException metadata(GuardedTransport.Response r, Exception error, String url) {
    if (r == null) {
      return unreachable("The GKE metadata server", url, error, "At pod start the GKE metadata server can take a"
          + " few seconds to answer (the exchange is retried with backoff); if this persists, check that the node"
          + " pool runs it (--workload-metadata=GKE_METADATA), that the pod does not use hostNetwork, and"
          + " GCE_METADATA_HOST.");
    }
    Body body = Body.parse(r.errorBody());
    String said = said(r, body);
    if (r.status() < 300) {
      return unexpected("The GKE metadata server", url, r, error);
    }
    if (throttled(r, body)) {
      return fail(Reason.THROTTLED, "The GKE metadata server throttled the token request (" + said + ").",
          "The exchange is retried with backoff.", body, r, error, false);
    }
    if (r.status() >= 500) {
      return serverError("The GKE metadata server", url, said, body, r, error);
    }
    return fail(Reason.METADATA_SERVER_REFUSED, "The GKE metadata server refused to issue an access token (" + said
        + ").", "Enable Workload Identity on the cluster and node pool; either grant roles directly to"
        + " principal://iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/"
        + "PROJECT_ID.svc.id.goog/subject/ns/NAMESPACE/sa/KSA, or annotate the Kubernetes service account with"
        + " iam.gke.io/gcp-service-account=GSA and grant roles/iam.workloadIdentityUser on GSA to"
        + " serviceAccount:PROJECT_ID.svc.id.goog[NAMESPACE/KSA].", body, r, error, false);
  }

  /** The principal IAM sees for a subject federated through the pool named in {@code audience}. */
  static String principal(String audience, String subject) {
    Matcher m = PROVIDER.matcher(audience);
    if (!m.matches()) {
      return "principal://iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/subject/" + subject;
    }
    return "principal://iam." + m.group(1) + "/projects/" + m.group(2) + "/locations/" + m.group(3)
        + "/workloadIdentityPools/" + m.group(4) + "/subject/" + subject;
  }

  /** The provider's default allowed audience, the form Google's Kubernetes guide projects. */
  static String defaultAudience(String audience) {
    return audience.startsWith("//") ? "https:" + audience : audience;
  }

  static String claims(ProjectedToken t) {
    return "iss=" + Redaction.escape(t.issuer()) + ", sub=" + Redaction.escape(t.subject()) + ", aud="
        + Redaction.escape(String.valueOf(t.audiences())) + ", exp=" + t.expiresAt() + " (claims not verified)";
  }

  private static boolean throttled(GuardedTransport.Response r, Body body) {
    String all = (body.code + " " + body.description).toLowerCase(Locale.ROOT);
    return r.status() == 429 || all.contains("rate_limit") || all.contains("throttl") || all.contains("resource_exhausted");
  }

  private static GcpCredentialsException fail(Reason reason, String what, String advice, Body body,
      GuardedTransport.Response r, Exception error, boolean tokenRejected) {
    return new GcpCredentialsException(reason, what + " Fix: " + advice, body.code, r.status(), advice, tokenRejected,
        safeCause(error));
  }

  private static GcpCredentialsException unreachable(String what, String url, Exception error, String advice) {
    String cause = error == null ? "no response" : Redaction.describe(error);
    return new GcpCredentialsException(Reason.UNREACHABLE, what + " at " + url + " did not answer (" + cause + "). "
        + advice, null, -1, advice, false, safeCause(error));
  }

  private static GcpCredentialsException serverError(String what, String url, String said, Body body,
      GuardedTransport.Response r, Exception error) {
    String advice = "Nothing to do unless it persists: the exchange is retried with backoff.";
    return new GcpCredentialsException(Reason.SERVER_ERROR, what + " at " + url + " failed (" + said + "). " + advice,
        body.code, r.status(), advice, false, safeCause(error));
  }

  static GcpCredentialsException unexpected(String what, String url, GuardedTransport.Response r, Exception error) {
    String advice = "Is a proxy rewriting responses?";
    return new GcpCredentialsException(Reason.UNEXPECTED_RESPONSE, what + " at " + url + " answered HTTP " + r.status()
        + " but the response could not be used (" + (error == null ? "no usable token in it" : Redaction.describe(error))
        + "). " + advice, null, r.status(), advice, false, safeCause(error));
  }

  /**
   * The failures decided by the transport rather than by Google's answer: the exchange deadline
   * passed, or a successful response cannot be used (too large, a field missing or wrong). Null when
   * neither happened.
   */
  static GcpCredentialsException unusable(String what, String url, GuardedTransport guard, Exception error) {
    if (guard == null) {
      return null;
    }
    GuardedTransport.Response r = guard.last();
    if (r != null && r.problem() != null) {
      String advice = r.clockProblem() ? "Synchronize this machine's clock (NTP or chrony on the node)."
          : "Is a proxy or another server answering in Google's place? The exchange is retried with backoff.";
      return new GcpCredentialsException(Reason.UNEXPECTED_RESPONSE, what + " at " + url + " answered HTTP "
          + r.status() + " but the response cannot be used: " + r.problem() + ". " + advice, null, r.status(), advice,
          false, null);
    }
    if (guard.timedOut()) {
      String advice = "The server is reachable but too slow (or sends its answer a byte at a time); the exchange is"
          + " retried with backoff. Raise exchangeTimeout only if the network path is known to be slow.";
      return new GcpCredentialsException(Reason.UNREACHABLE, what + " at " + url + " did not complete its answer"
          + " within the exchange deadline of " + guard.deadline().toMillis() + " ms" + (r == null ? "" : " (HTTP "
          + r.status() + ")") + ", so the request was abandoned. " + advice, null, r == null ? -1 : r.status(), advice,
          false, null);
    }
    return null;
  }

  /**
   * What a failure may keep as its cause: the JDK's own network exception at the root of the chain
   * (a timeout, a refused connection, an unknown host, a TLS failure), whose message is the JDK's.
   * google-auth's and google-http-client's exceptions are never kept: their messages quote server
   * responses, which reach our messages only through {@link Redaction}.
   */
  static Throwable safeCause(Throwable error) {
    Throwable root = error;
    for (int i = 0; root != null && root.getCause() != null && root.getCause() != root && i < 16; i++) {
      root = root.getCause();
    }
    if (root == null) {
      return null;
    }
    String pkg = root.getClass().getPackageName();
    boolean jdkNetwork = pkg.equals("java.net") || pkg.equals("javax.net.ssl") || root instanceof java.io.InterruptedIOException
        && pkg.equals("java.io") && root.getMessage() != null && root.getMessage().startsWith("Read timed out");
    return jdkNetwork ? root : null;
  }

  private static String said(GuardedTransport.Response r, Body body) {
    StringBuilder sb = new StringBuilder("HTTP ").append(r.status());
    if (body.code != null) {
      sb.append(' ').append(body.code);
    }
    if (!body.description.isEmpty()) {
      sb.append(": ").append(body.description);
    } else if (body.code == null && r.errorBody() != null && !r.errorBody().isBlank()) {
      sb.append(": ").append(Redaction.message(r.errorBody().strip()));
    }
    return sb.toString();
  }

  private static String host(String url) {
    try {
      return java.net.URI.create(url).getHost();
    } catch (IllegalArgumentException e) {
      return url;
    }
  }

  /** The error fields of either Google error shape: OAuth ({@code error} string) or API ({@code error} object). */
  private record Body(String code, String description) {
    static Body parse(String text) {
      if (text == null || text.isBlank() || !TokenResponses.depthWithin(text, TokenResponses.MAX_DEPTH)) {
        return new Body(null, "");
      }
      try {
        GenericJson json = GsonFactory.getDefaultInstance().fromString(text, GenericJson.class);
        Object error = json.get("error");
        if (error instanceof String s) {
          Object d = json.get("error_description");
          return new Body(Redaction.message(s), d instanceof String ds ? Redaction.message(ds) : "");
        }
        if (error instanceof Map<?, ?> m) {
          Object status = m.get("status");
          Object message = m.get("message");
          return new Body(status instanceof String s ? Redaction.message(s) : null,
              message instanceof String ms ? Redaction.message(ms) : "");
        }
      } catch (java.io.IOException | RuntimeException e) {
        // Not JSON (a proxy's HTML page, a truncated body): reported through Redaction by said().
      }
      return new Body(null, "");
    }
  }
}
