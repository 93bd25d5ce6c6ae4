package io.workloadidentity.aws.internal;

import io.workloadidentity.aws.AwsExchangeException;
import io.workloadidentity.core.ProjectedToken;
import java.util.Locale;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.sts.model.StsException;

/**
 * Classifies STS {@code AssumeRoleWithWebIdentity} failures (retryable or not, re-read the token or
 * not) and turns them into {@link AwsExchangeException}s whose message names the role, the token's
 * claims and the fix.
 */
public final class StsErrors {
  private static final Set<String> THROTTLING = Set.of("Throttling", "ThrottlingException", "ThrottledException",
      "RequestThrottledException", "RequestThrottled", "TooManyRequestsException", "RequestLimitExceeded",
      "SlowDown", "PriorRequestNotComplete");
  private static final Set<String> SERVER = Set.of("InternalFailure", "InternalError", "ServiceUnavailable");

  private StsErrors() {}

  /** AWS's error code of an SDK service exception, or null. */
  public static String code(StsException e) {
    AwsErrorDetails d = e.awsErrorDetails();
    return d == null ? null : d.errorCode();
  }

  private static String stsMessage(StsException e) {
    AwsErrorDetails d = e.awsErrorDetails();
    String m = d == null ? null : d.errorMessage();
    return m == null || m.isBlank() ? "(no message)" : m;
  }

  /** "Couldn't retrieve verification key from your identity provider": STS could not fetch the JWKS. */
  static boolean isVerificationKeyFailure(String code, String message) {
    return "InvalidIdentityToken".equals(code) && message != null
        && message.toLowerCase(Locale.ROOT).contains("verification key");
  }

  /**
   * Whether the token itself was refused in a way a fresh read of the token file may fix: the
   * kubelet may have rotated it a moment ago (the race of aws-sdk-go-v2#2962).
   */
  public static boolean rereadMayHelp(StsException e) {
    String code = code(e);
    return "ExpiredTokenException".equals(code)
        || ("InvalidIdentityToken".equals(code) && !isVerificationKeyFailure(code, stsMessage(e)));
  }

  /** The typed exception for an STS error response. */
  public static AwsExchangeException toException(StsException e, String roleArn, ProjectedToken token, String endpoint) {
    String code = code(e);
    String message = stsMessage(e);
    int status = e.statusCode();
    String claims = "iss=" + token.issuer() + ", sub=" + token.subject() + ", aud=" + token.audiences();
    String what = "STS AssumeRoleWithWebIdentity for role " + roleArn + " at " + endpoint + " failed with "
        + (code == null ? "HTTP " + status : code + " (HTTP " + status + ")") + ": " + sentence(message) + " Token: "
        + claims + ".";
    boolean retryable;
    String advice;
    if (code != null && THROTTLING.contains(code) || status == 429) {
      retryable = true;
      advice = "STS is throttling this account; retrying with backoff. If it persists, reduce the number of sessions"
          + " (share one provider per role in a process) or ask for a higher STS quota.";
    } else if (status >= 500 || code != null && SERVER.contains(code)) {
      retryable = true;
      advice = "STS had a server-side failure; retrying with backoff.";
    } else if ("IDPCommunicationError".equals(code) || isVerificationKeyFailure(code, message)) {
      retryable = true;
      advice = "STS could not fetch the signing keys (JWKS) of the issuer " + token.issuer() + "; this is usually"
          + " transient and is retried with backoff. If it persists, check that " + token.issuer()
          + "/.well-known/openid-configuration and its jwks_uri are reachable from the internet over HTTPS.";
    } else if ("ExpiredTokenException".equals(code)) {
      // The file was re-read and STS still says expired: the kubelet may rotate it any moment.
      retryable = true;
      advice = "The token expired at " + token.expiresAt() + " even after re-reading the token file. The kubelet"
          + " normally rotates it at 80% of its lifetime: check the kubelet and the projected volume, and that this"
          + " node's clock is correct.";
    } else if ("InvalidIdentityToken".equals(code)) {
      retryable = false;
      advice = invalidTokenAdvice(message, roleArn, token);
    } else if ("AccessDenied".equals(code) || "AccessDeniedException".equals(code)) {
      retryable = false;
      advice = "The role's trust policy does not allow this token. It must allow sts:AssumeRoleWithWebIdentity for "
          + trustPolicy(roleArn, token) + " Check the role ARN (AWS_ROLE_ARN, set from the service account's"
          + " eks.amazonaws.com/role-arn annotation) and the namespace and service account in the conditions.";
    } else if ("IDPRejectedClaim".equals(code)) {
      retryable = false;
      advice = "A claim of the token (" + claims + ") was rejected. Check the IAM OIDC provider for " + token.issuer()
          + " and that the role's trust policy allows " + trustPolicy(roleArn, token);
    } else if ("RegionDisabledException".equals(code)) {
      retryable = false;
      advice = "STS is not activated in this region for account " + AwsSettings.accountOf(roleArn) + ". Activate it"
          + " in IAM > Account settings, or point AWS_REGION / AWS_ENDPOINT_URL_STS at a region where it is active.";
    } else if ("MalformedPolicyDocument".equals(code) || "PackedPolicyTooLarge".equals(code)) {
      retryable = false;
      advice = "The session policy or policy ARNs passed with the request are invalid or too large: fix them in the"
          + " provider's builder.";
    } else if ("ValidationError".equals(code) && message.contains("DurationSeconds")) {
      retryable = false;
      advice = "The requested session duration exceeds the role's MaxSessionDuration: lower the builder's"
          + " sessionDuration or raise the role's maximum session duration in IAM.";
    } else {
      retryable = false;
      advice = "Check the role ARN, the session name and the request parameters.";
    }
    return new AwsExchangeException(what + " " + advice, code, status, retryable, roleArn,
        e.requestId(), advice, e);
  }

  private static String sentence(String s) {
    String t = s.strip();
    return t.endsWith(".") ? t : t + ".";
  }

  /** The typed exception for a failure without an STS response (connection, timeout, unreadable body). */
  public static AwsExchangeException toException(SdkClientException e, String roleArn, String endpoint) {
    String advice = "No usable answer from STS at " + endpoint + "; retrying with backoff. If it persists, check"
        + " that the pod can reach this endpoint (VPC endpoint, proxy, network policy) and that AWS_REGION is right.";
    return new AwsExchangeException("STS AssumeRoleWithWebIdentity for role " + roleArn + " failed: "
        + e.getClass().getSimpleName() + ": " + sentence(String.valueOf(e.getMessage())) + " " + advice, null, -1, true,
        roleArn, null, advice, e);
  }

  private static String invalidTokenAdvice(String message, String roleArn, ProjectedToken token) {
    String lower = message.toLowerCase(Locale.ROOT);
    String account = AwsSettings.accountOf(roleArn);
    String provider = providerPath(token.issuer());
    if (lower.contains("no openidconnect provider")) {
      return "Register the cluster's issuer " + token.issuer() + " as an IAM OIDC identity provider in account "
          + account + " with client ID " + AwsSettings.IRSA_AUDIENCE + " (for EKS: eksctl utils"
          + " associate-iam-oidc-provider --cluster <name> --approve).";
    }
    if (lower.contains("audience") || lower.contains("claim: aud")) {
      return "The token's audience " + token.audiences() + " is not a client ID of the IAM OIDC provider "
          + provider + ": set the projected token's audience to " + AwsSettings.IRSA_AUDIENCE
          + " (eks.amazonaws.com/audience annotation) or add the audience to the provider's client IDs.";
    }
    return "STS rejected the token even after re-reading the token file. Check that the IAM OIDC provider " + provider
        + " in account " + account + " matches the token's issuer, and that the issuer's discovery document and"
        + " keys are publicly reachable.";
  }

  /** The trust-policy statement the role needs for this token, in words a user can paste from. */
  static String trustPolicy(String roleArn, ProjectedToken token) {
    String provider = providerPath(token.issuer());
    String aud = token.audiences().contains(AwsSettings.IRSA_AUDIENCE) || token.audiences().isEmpty()
        ? AwsSettings.IRSA_AUDIENCE : token.audiences().get(0);
    return "Principal {\"Federated\": \"arn:" + AwsSettings.partitionOf(roleArn) + ":iam::"
        + AwsSettings.accountOf(roleArn) + ":oidc-provider/" + provider + "\"} with Condition StringEquals {\""
        + provider + ":sub\": \"" + token.subject() + "\", \"" + provider + ":aud\": \"" + aud + "\"}.";
  }

  /** The IAM OIDC provider name for an issuer URL: host and path, without the scheme. */
  static String providerPath(String issuer) {
    String s = issuer.replaceFirst("^https?://", "");
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
