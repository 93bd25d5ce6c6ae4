package io.workloadidentity.aws.internal;

import io.workloadidentity.aws.AwsExchangeException;
import io.workloadidentity.aws.AwsExchangeException.Reason;
import io.workloadidentity.core.Expiring;
import java.time.Instant;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.services.sts.model.AssumeRoleWithWebIdentityResponse;
import software.amazon.awssdk.services.sts.model.Credentials;

/**
 * STS's {@code AssumeRoleWithWebIdentity} answer, checked and turned into session credentials: the
 * four {@code Credentials} members the model requires, each present and usable, and the expiry in
 * the future (see {@link ResponseChecks}). A function of the response and the time, so property tests
 * can drive it with any response.
 */
final class StsResponses {
  static final String PROVIDER_NAME = StsExchange.PROVIDER_NAME;

  private StsResponses() {}

  /**
   * The credentials of a successful answer.
   *
   * @param response what the SDK unmarshalled
   * @param now this machine's time
   * @param roleArn the role assumed, for the message
   * @param endpoint the endpoint called, for the message
   * @return the credentials and their expiry
   * @throws AwsExchangeException ({@link Reason#MALFORMED_RESPONSE}) naming the member that is missing,
   *     empty or unusable, or the expiry that is already past
   */
  static Expiring<AwsSessionCredentials> credentials(AssumeRoleWithWebIdentityResponse response, Instant now,
      String roleArn, String endpoint) {
    Credentials c = response.credentials();
    String problem = c == null ? "has no Credentials element" : problem(c, now, response);
    if (problem != null) {
      throw malformed(response, roleArn, endpoint, problem);
    }
    String account = AwsSettings.accountOf(response.assumedRoleUser() == null ? null : response.assumedRoleUser().arn());
    AwsSessionCredentials credentials = AwsSessionCredentials.builder()
        .accessKeyId(c.accessKeyId())
        .secretAccessKey(c.secretAccessKey())
        .sessionToken(c.sessionToken())
        .expirationTime(c.expiration())
        .accountId(account)
        .providerName(PROVIDER_NAME)
        .build();
    return Expiring.of(credentials, c.expiration());
  }

  private static String problem(Credentials c, Instant now, AssumeRoleWithWebIdentityResponse response) {
    String p = ResponseChecks.memberProblem("AccessKeyId", c.accessKeyId(), ResponseChecks.MAX_KEY_LENGTH);
    if (p == null) {
      p = ResponseChecks.memberProblem("SecretAccessKey", c.secretAccessKey(), ResponseChecks.MAX_KEY_LENGTH);
    }
    if (p == null) {
      p = ResponseChecks.memberProblem("SessionToken", c.sessionToken(), Integer.MAX_VALUE);
    }
    if (p == null) {
      p = c.expiration() == null ? "has no Expiration" : ResponseChecks.expiryProblem(c.expiration(), now,
          response.sdkHttpResponse() == null ? null
              : ResponseChecks.httpDate(response.sdkHttpResponse().firstMatchingHeader("Date")));
    }
    return p;
  }

  private static AwsExchangeException malformed(AssumeRoleWithWebIdentityResponse response, String roleArn,
      String endpoint, String problem) {
    String advice = "STS answered without usable credentials; retrying. If it persists, check that " + endpoint
        + " is an STS endpoint (AWS_ENDPOINT_URL_STS, the builder's stsEndpoint) and this machine's time.";
    int status = response.sdkHttpResponse() == null ? -1 : response.sdkHttpResponse().statusCode();
    String requestId = response.responseMetadata() == null ? null : response.responseMetadata().requestId();
    return new AwsExchangeException("The STS AssumeRoleWithWebIdentity answer for role " + roleArn + " from "
        + endpoint + " " + problem + ". " + advice, Reason.MALFORMED_RESPONSE, null, status, roleArn,
        StsErrors.safeId(requestId), advice, null);
  }
}
