package io.workloadidentity.aws.internal;

import io.workloadidentity.aws.AwsExchangeException;
import io.workloadidentity.aws.AwsExchangeException.Reason;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.internal.BoundedBodies;
import io.workloadidentity.core.internal.Redaction;
import java.util.Locale;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.sts.model.StsException;

/**
 * Classifies STS {@code AssumeRoleWithWebIdentity} failures into a {@link Reason} (which decides
 * retryable and token-rejected) and turns them into {@link AwsExchangeException}s whose message
 * names the role, the token's claims and the fix. STS's own text passes through {@link Redaction}.
 */
final class StsErrors {
  private static final Set<String> THROTTLING = Set.of("Throttling", "ThrottlingException", "ThrottledException",
      "RequestThrottledException", "RequestThrottled", "TooManyRequestsException", "RequestLimitExceeded",
      "SlowDown", "PriorRequestNotComplete");
  private static final Set<String> SERVER = Set.of("InternalFailure", "InternalError", "ServiceUnavailable");

  private StsErrors() {}

  /** AWS's error code of an SDK service exception, or null. */
  static String code(StsException e) {
    AwsErrorDetails d = e.awsErrorDetails();
    return d == null ? null : d.errorCode();
  }

  private static String stsMessage(StsException e) {
    AwsErrorDetails d = e.awsErrorDetails();
    String m = d == null ? null : d.errorMessage();
    return m == null || m.isBlank() ? "(no message)" : m;
  }

  /** What went wrong, from STS's code, HTTP status and message. */
  static Reason reason(StsException e) {
    String code = code(e);
    int status = e.statusCode();
    String lower = stsMessage(e).toLowerCase(Locale.ROOT);
    if (code != null && THROTTLING.contains(code) || status == 429) {
      return Reason.THROTTLED;
    }
    if (status >= 500 || code != null && SERVER.contains(code)) {
      return Reason.SERVICE_ERROR;
    }
    if (code == null) {
      return Reason.OTHER;
    }
    switch (code) {
      case "IDPCommunicationError":
        return Reason.IDENTITY_PROVIDER_UNREACHABLE;
      case "ExpiredTokenException":
        return Reason.TOKEN_EXPIRED;
      case "InvalidIdentityToken":
        if (lower.contains("verification key")) {
          return Reason.IDENTITY_PROVIDER_UNREACHABLE; // STS could not fetch the JWKS: usually transient
        }
        if (lower.contains("no openidconnect provider")) {
          return Reason.NO_OIDC_PROVIDER;
        }
        if (lower.contains("audience") || lower.contains("claim: aud")) {
          return Reason.AUDIENCE_MISMATCH;
        }
        return lower.contains("expired") ? Reason.TOKEN_EXPIRED : Reason.TOKEN_INVALID;
      case "AccessDenied":
      case "AccessDeniedException":
        return Reason.ACCESS_DENIED;
      case "IDPRejectedClaim":
        return Reason.CLAIM_REJECTED;
      case "RegionDisabledException":
        return Reason.REGION_DISABLED;
      case "MalformedPolicyDocument":
      case "PackedPolicyTooLarge":
      case "ValidationError":
        return Reason.INVALID_REQUEST;
      default:
        return Reason.OTHER;
    }
  }

  /**
   * The typed exception for an STS error response.
   *
   * @param token the token that was sent
   * @param reread after a token rejection, what re-reading the token file found; else empty
   */
  static AwsExchangeException toException(StsException e, Reason reason, String roleArn, ProjectedToken token,
      String reread, String endpoint) {
    String code = code(e);
    String message = stsMessage(e);
    int status = e.statusCode();
    String claims = claims(token);
    String what = "STS AssumeRoleWithWebIdentity for role " + roleArn + " at " + endpoint + " failed with "
        + (code == null ? "HTTP " + status : Redaction.escape(code) + " (HTTP " + status + ")") + ": "
        + sentence(Redaction.message(message)) + " Token: " + claims + ".";
    String advice;
    switch (reason) {
      case THROTTLED:
        advice = "STS is throttling this account; retrying with backoff. If it persists, reduce the number of sessions"
            + " (share one provider per role in a process) or ask for a higher STS quota.";
        break;
      case SERVICE_ERROR:
        advice = "STS had a server-side failure; retrying with backoff.";
        break;
      case IDENTITY_PROVIDER_UNREACHABLE:
        advice = "STS could not fetch the signing keys (JWKS) of the issuer " + Redaction.escape(token.issuer())
            + "; this is usually transient and is retried with backoff. If it persists, check that "
            + Redaction.escape(token.issuer()) + "/.well-known/openid-configuration and its jwks_uri are reachable"
            + " from the internet over HTTPS.";
        break;
      case TOKEN_EXPIRED:
        advice = "STS says the token (expires " + token.expiresAt() + " by its claims) has expired. " + reread
            + " The kubelet normally rotates it at 80% of its lifetime: if this persists, check the kubelet, the"
            + " projected volume, and that this node's clock is correct.";
        break;
      case TOKEN_INVALID:
        advice = "STS rejected the token. " + reread + " If this persists, check that the IAM OIDC"
            + " provider " + providerPath(token.issuer()) + " in account " + AwsSettings.accountOf(roleArn)
            + " matches the token's issuer, and that the issuer's discovery document and keys are publicly"
            + " reachable.";
        break;
      case NO_OIDC_PROVIDER:
        advice = "Register the cluster's issuer " + Redaction.escape(token.issuer()) + " as an IAM OIDC identity provider"
            + " in account " + AwsSettings.accountOf(roleArn) + " with client ID " + AwsSettings.IRSA_AUDIENCE
            + " (for EKS: eksctl utils associate-iam-oidc-provider --cluster <name> --approve).";
        break;
      case AUDIENCE_MISMATCH:
        advice = "The token's audience " + Redaction.escape(String.valueOf(token.audiences())) + " is not a client ID"
            + " of the IAM OIDC provider " + providerPath(token.issuer()) + ": set the projected token's audience to "
            + AwsSettings.IRSA_AUDIENCE + " (eks.amazonaws.com/audience annotation) or add the audience to the"
            + " provider's client IDs.";
        break;
      case ACCESS_DENIED:
        advice = "The role's trust policy does not allow this token. It must allow sts:AssumeRoleWithWebIdentity for "
            + trustPolicy(roleArn, token) + " Check the role ARN (AWS_ROLE_ARN, set from the service account's"
            + " eks.amazonaws.com/role-arn annotation) and the namespace and service account in the conditions.";
        break;
      case CLAIM_REJECTED:
        advice = "A claim of the token (" + claims + ") was rejected. Check the IAM OIDC provider for "
            + Redaction.escape(token.issuer()) + " and that the role's trust policy allows " + trustPolicy(roleArn, token);
        break;
      case REGION_DISABLED:
        advice = "STS is not activated in this region for account " + AwsSettings.accountOf(roleArn) + ". Activate it"
            + " in IAM > Account settings, or point AWS_REGION / AWS_ENDPOINT_URL_STS at a region where it is active.";
        break;
      case INVALID_REQUEST:
        advice = message.contains("DurationSeconds")
            ? "The requested session duration exceeds the role's MaxSessionDuration: lower the builder's"
                + " sessionDuration or raise the role's maximum session duration in IAM."
            : "A parameter of the request is invalid (session policy, policy ARNs, session name or duration): fix it"
                + " in the provider's builder.";
        break;
      default:
        advice = "Check the role ARN, the session name and the request parameters.";
        break;
    }
    // The SDK's exception is not attached: its message is STS's (or a stranger's) raw text, described above.
    return new AwsExchangeException(what + " " + advice, reason, code == null ? null : safeId(code), status, roleArn,
        safeId(e.requestId()), advice, null);
  }

  /**
   * An ID or code from a response, fit for a field a caller may print: cut to 100 characters, then
   * through {@link Redaction#message} (anything token-shaped redacted, control characters escaped).
   *
   * @param id the value, or null
   * @return the safe value, or null
   */
  static String safeId(String id) {
    if (id == null) {
      return null;
    }
    String cut = id.length() > 100 ? id.substring(0, 100) : id;
    return Redaction.message(cut);
  }

  private static String sentence(String s) {
    String t = s.strip();
    return t.endsWith(".") ? t : t + ".";
  }

  private static String claims(ProjectedToken token) {
    return "iss=" + Redaction.escape(token.issuer()) + ", sub=" + Redaction.escape(token.subject()) + ", aud="
        + Redaction.escape(String.valueOf(token.audiences())) + " (claims as read, not verified)";
  }

  /**
   * The typed exception for a failure without a usable STS error response: no connection, the
   * exchange deadline, a body beyond the cap, or a body the SDK could not unmarshal.
   *
   * @param e the SDK's exception (described, redacted; not attached)
   * @param roleArn the role
   * @param endpoint the endpoint called
   * @param maxResponseBytes the body cap, for the message
   * @return the exception
   */
  static AwsExchangeException toException(SdkClientException e, String roleArn, String endpoint,
      int maxResponseBytes) {
    String call = "STS AssumeRoleWithWebIdentity for role " + roleArn + " at " + endpoint;
    if (has(e, BoundedBodies.TooLarge.class)) {
      String advice = "STS answers with a few KiB: this is not STS. Retrying; if it persists, check the STS endpoint"
          + " (AWS_ENDPOINT_URL_STS, the builder's stsEndpoint) and any proxy in between.";
      return new AwsExchangeException(call + " failed: the response is larger than " + maxResponseBytes + " bytes. "
          + advice, Reason.MALFORMED_RESPONSE, null, -1, roleArn, null, advice, null);
    }
    if (e instanceof ApiCallTimeoutException) {
      String advice = "STS at " + endpoint + " did not answer completely within the exchange timeout; retrying with"
          + " backoff. If it persists, check the network path to this endpoint (VPC endpoint, proxy, network policy).";
      return new AwsExchangeException(call + " timed out. " + advice, Reason.UNREACHABLE, null, -1, roleArn, null,
          advice, null);
    }
    if (isUnmarshalling(e)) {
      String advice = "The answer is not STS's XML; retrying. If it persists, check that " + endpoint
          + " is an STS endpoint.";
      return new AwsExchangeException(call + " returned a response that could not be read: "
          + sentence(Redaction.describe(e)) + " " + advice, Reason.MALFORMED_RESPONSE, null, -1, roleArn, null, advice,
          null);
    }
    String advice = "No usable answer from STS at " + endpoint + "; retrying with backoff. If it persists, check"
        + " that the pod can reach this endpoint (VPC endpoint, proxy, network policy) and that AWS_REGION is right.";
    return new AwsExchangeException(call + " failed: " + sentence(Redaction.describe(e)) + " " + advice,
        Reason.UNREACHABLE, null, -1, roleArn, null, advice, null);
  }

  /** Whether {@code t} or one of its first causes is a {@code type}. */
  private static boolean has(Throwable t, Class<? extends Throwable> type) {
    Throwable c = t;
    for (int i = 0; c != null && i < 8; i++, c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }

  /** The SDK read an answer but could not make an STS response of it (not XML, a bad date...). */
  private static boolean isUnmarshalling(SdkClientException e) {
    if (has(e, java.io.IOException.class)) {
      return false; // the transport failed while reading: unreachable, not malformed
    }
    String m = e.getMessage();
    return m != null && (m.startsWith("Unable to unmarshall") || m.startsWith("Unable to parse"))
        || has(e, javax.xml.stream.XMLStreamException.class) || has(e, java.time.format.DateTimeParseException.class);
  }

  /** The trust-policy statement the role needs for this token, in words a user can paste from. */
  static String trustPolicy(String roleArn, ProjectedToken token) {
    String provider = providerPath(token.issuer());
    String aud = token.audiences().contains(AwsSettings.IRSA_AUDIENCE) || token.audiences().isEmpty()
        ? AwsSettings.IRSA_AUDIENCE : Redaction.escape(token.audiences().get(0));
    return "Principal {\"Federated\": \"arn:" + AwsSettings.partitionOf(roleArn) + ":iam::"
        + AwsSettings.accountOf(roleArn) + ":oidc-provider/" + provider + "\"} with Condition StringEquals {\""
        + provider + ":sub\": \"" + Redaction.escape(token.subject()) + "\", \"" + provider + ":aud\": \"" + aud
        + "\"}.";
  }

  /** The IAM OIDC provider name for an issuer URL: host and path, without the scheme. */
  static String providerPath(String issuer) {
    String s = Redaction.escape(issuer);
    s = s.startsWith("https://") ? s.substring(8) : s.startsWith("http://") ? s.substring(7) : s;
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
