package io.workloadidentity.aws.internal;

import io.workloadidentity.aws.AwsCredentialKey;
import io.workloadidentity.aws.AwsExchangeException;
import io.workloadidentity.aws.AwsExchangeException.Reason;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Expiring;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.internal.Tokens;
import java.io.InputStream;
import java.time.Instant;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkPlugin;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.AssumeRoleWithWebIdentityRequest;
import software.amazon.awssdk.services.sts.model.AssumeRoleWithWebIdentityResponse;
import software.amazon.awssdk.services.sts.model.PolicyDescriptorType;
import software.amazon.awssdk.services.sts.model.StsException;

/**
 * One STS {@code AssumeRoleWithWebIdentity} attempt: exactly one HTTP request, unsigned, mapped to
 * session credentials or a typed error.
 *
 * <p>Retrying is the cache's job alone: the SDK's retries are switched off for every request (also
 * on a caller's {@link StsClient}, through a request-level plugin), and the call's {@code
 * apiCallTimeout} is the cache's exchange deadline, so an attempt never outlives it. The token is
 * read after everything else is prepared, immediately before the call, so a rotation the source has
 * seen is never missed. When STS refuses the token itself (expired, invalid), the token file is
 * re-read, so that a kubelet rotation is noticed, and the failure is thrown as token-rejected: the
 * cache retries as soon as the new token is seen, not inside this attempt.
 */
final class StsExchange implements CredentialCache.Exchange<AwsCredentialKey, AwsSessionCredentials> {
  static final String PROVIDER_NAME = "AwsWebIdentityCredentialsProvider";

  /**
   * For one request, whatever the client was built with: the SDK's retries off, and the response
   * body capped (STS answers with 1 to 4 KiB; nothing past the cap is read, and the call fails).
   */
  private static SdkPlugin perRequest(int maxResponseBytes) {
    ExecutionInterceptor cap = new ExecutionInterceptor() {
      @Override
      public Optional<InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse context,
          ExecutionAttributes executionAttributes) {
        return context.responseBody().map(in -> new CappedInputStream(in, maxResponseBytes));
      }
    };
    return config -> config.overrideConfiguration(config.overrideConfiguration().toBuilder()
        .retryStrategy(AwsRetryStrategy.doNotRetry()).addExecutionInterceptor(cap).build());
  }

  private final AwsSettings settings;
  private final TokenSource tokens;
  private final StsClient sts;
  private final String endpoint;
  /** Everything but the token and the session name, built once. */
  private final AssumeRoleWithWebIdentityRequest template;
  /** The session name derived from the first token (the pod's name), then kept: CloudTrail shows one session. */
  private volatile String derivedSessionName;

  StsExchange(AwsSettings settings, TokenSource tokens, StsClient sts, String endpoint) {
    this.settings = settings;
    this.tokens = tokens;
    this.sts = sts;
    this.endpoint = endpoint;
    this.template = AssumeRoleWithWebIdentityRequest.builder()
        .roleArn(settings.roleArn())
        .durationSeconds(settings.durationSeconds())
        .policy(settings.policy())
        .policyArns(settings.policyArns().isEmpty() ? null
            : settings.policyArns().stream().map(a -> PolicyDescriptorType.builder().arn(a).build()).toList())
        .overrideConfiguration(AwsRequestOverrideConfiguration.builder()
            .apiCallTimeout(settings.exchangeTimeout())
            .addPlugin(perRequest(settings.maxResponseBytes()))
            .build())
        .build();
  }

  /** Performs one attempt. Throws {@link AwsExchangeException} or a core token exception. */
  @Override
  public Expiring<AwsSessionCredentials> exchange(AwsCredentialKey key) {
    AssumeRoleWithWebIdentityRequest.Builder request = template.toBuilder();
    ProjectedToken token = tokens.token(); // read last: nothing but the call itself follows
    request.roleSessionName(sessionName(token)).webIdentityToken(token.value());
    AssumeRoleWithWebIdentityResponse response;
    try {
      response = sts.assumeRoleWithWebIdentity(request.build());
    } catch (StsException e) {
      throw refused(e, token);
    } catch (SdkClientException e) {
      throw StsErrors.toException(e, settings.roleArn(), endpoint, settings.maxResponseBytes());
    }
    Instant now = settings.clock().instant();
    Expiring<AwsSessionCredentials> c = StsResponses.credentials(response, now, settings.roleArn(), endpoint);
    return ResponseChecks.capped(c.value(), c.expiresAt(), now, settings.refreshPolicy());
  }

  private AwsExchangeException refused(StsException e, ProjectedToken sent) {
    Reason reason = StsErrors.reason(e);
    // The kubelet may have rotated the token a moment ago: re-reading publishes the new one, which
    // ends the cache's backoff at once. No second request from here.
    String reread = reason.tokenRejected() ? Tokens.rereadAfterRejection(tokens, sent) : "";
    return StsErrors.toException(e, reason, settings.roleArn(), sent, reread, endpoint);
  }

  private String sessionName(ProjectedToken token) {
    if (settings.sessionName() != null) {
      return settings.sessionName();
    }
    String name = derivedSessionName;
    if (name == null) {
      name = SessionNames.fromToken(token, settings.clock());
      derivedSessionName = name;
    }
    return name;
  }

  @Override
  public String toString() {
    return "StsExchange{" + settings.roleArn() + " at " + endpoint + "}";
  }
}
