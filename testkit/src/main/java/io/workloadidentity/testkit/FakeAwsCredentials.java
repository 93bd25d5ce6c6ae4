package io.workloadidentity.testkit;

import java.time.Instant;

/**
 * Temporary AWS credentials a fake AWS endpoint issued ({@link FakeAwsSts}, {@link
 * FakeAwsPodIdentityAgent}), so a test can check that an SDK client signed with them.
 *
 * <p>{@link #toString()} shows the access key ID and session only, never the secret or the
 * session token.
 *
 * @param accessKeyId the access key ID ({@code ASIA...})
 * @param secretAccessKey the secret access key
 * @param sessionToken the session token (sent by SDK clients as {@code X-Amz-Security-Token})
 * @param expiration when the credentials expire
 * @param roleArn the role that was assumed
 * @param assumedRoleArn the session's ARN, {@code arn:aws:sts::<account>:assumed-role/<role>/<session>}
 * @param roleSessionName the session name the client asked for (the agent uses the pod's)
 * @param subject the {@code sub} of the token the credentials were issued for
 * @param tokenFingerprint a short hash of the token that was exchanged (compare with
 *     {@code ProjectedToken.fingerprint()})
 */
public record FakeAwsCredentials(
    String accessKeyId,
    String secretAccessKey,
    String sessionToken,
    Instant expiration,
    String roleArn,
    String assumedRoleArn,
    String roleSessionName,
    String subject,
    String tokenFingerprint) {

  /**
   * The account ID of the assumed role, as an SDK client reports it.
   *
   * @return the fifth field of {@link #assumedRoleArn()}: 12 digits
   */
  public String accountId() {
    return assumedRoleArn.split(":")[4];
  }

  @Override
  public String toString() {
    return "FakeAwsCredentials{accessKeyId=" + accessKeyId + ", session=" + assumedRoleArn + ", expiration="
        + expiration + "}";
  }
}
