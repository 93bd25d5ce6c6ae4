package io.workloadidentity.aws.internal;

import io.workloadidentity.aws.AwsExchangeException;
import io.workloadidentity.core.Expiring;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenSource;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.AssumeRoleWithWebIdentityResponse;
import software.amazon.awssdk.services.sts.model.Credentials;
import software.amazon.awssdk.services.sts.model.PolicyDescriptorType;
import software.amazon.awssdk.services.sts.model.StsException;

/**
 * One STS {@code AssumeRoleWithWebIdentity} exchange: reads the current token, calls STS unsigned,
 * and maps the answer to session credentials or a typed error. Retrying with backoff is the
 * cache's job; the only retry here is the one the token itself calls for: when STS says the token is
 * expired or invalid, the token file is re-read (the kubelet may have just rotated it) and the call
 * is made once more.
 */
public final class StsExchange {
  private static final System.Logger LOG = System.getLogger(StsExchange.class.getName());
  static final String PROVIDER_NAME = "AwsWebIdentityCredentialsProvider";

  private final StsKey key;
  private final TokenSource tokens;
  private final StsClient sts;
  private final Clock clock;
  private final String endpoint;
  private final List<PolicyDescriptorType> policyArns;

  public StsExchange(StsKey key, TokenSource tokens, StsClient sts, Clock clock, String endpoint) {
    this.key = key;
    this.tokens = tokens;
    this.sts = sts;
    this.clock = clock;
    this.endpoint = endpoint;
    this.policyArns = key.policyArns().stream().map(a -> PolicyDescriptorType.builder().arn(a).build()).toList();
  }

  /** Performs the exchange. Throws {@link AwsExchangeException} or a core token exception. */
  public Expiring<AwsSessionCredentials> exchange() {
    ProjectedToken token = tokens.token();
    try {
      return assume(token);
    } catch (StsException e) {
      if (!StsErrors.rereadMayHelp(e)) {
        throw StsErrors.toException(e, key.roleArn(), token, endpoint);
      }
      ProjectedToken fresh = tokens.refresh();
      LOG.log(Level.INFO, () -> "STS answered " + StsErrors.code(e) + " for the token sha256 " + token.fingerprint()
          + "; re-read " + tokens.description() + " (sha256 " + fresh.fingerprint() + ") and retrying once");
      try {
        return assume(fresh);
      } catch (StsException again) {
        throw StsErrors.toException(again, key.roleArn(), fresh, endpoint);
      } catch (SdkClientException io) {
        throw StsErrors.toException(io, key.roleArn(), endpoint);
      }
    } catch (SdkClientException e) {
      throw StsErrors.toException(e, key.roleArn(), endpoint);
    }
  }

  private Expiring<AwsSessionCredentials> assume(ProjectedToken token) {
    String sessionName = key.sessionName() != null ? key.sessionName() : SessionNames.fromToken(token, clock);
    AssumeRoleWithWebIdentityResponse response = sts.assumeRoleWithWebIdentity(r -> r
        .roleArn(key.roleArn())
        .roleSessionName(sessionName)
        .webIdentityToken(token.value())
        .durationSeconds(key.durationSeconds())
        .policy(key.policy())
        .policyArns(policyArns.isEmpty() ? null : policyArns));
    Credentials c = response.credentials();
    if (c == null || c.accessKeyId() == null || c.secretAccessKey() == null || c.sessionToken() == null
        || c.expiration() == null) {
      String advice = "STS answered without complete credentials; retrying. If it persists, check that "
          + endpoint + " is an STS endpoint.";
      throw new AwsExchangeException("STS AssumeRoleWithWebIdentity for role " + key.roleArn()
          + " returned an incomplete response. " + advice, null, response.sdkHttpResponse().statusCode(), true,
          key.roleArn(), response.responseMetadata().requestId(), advice, null);
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
}
