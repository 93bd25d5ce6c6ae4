package io.workloadidentity.aws.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.workloadidentity.aws.AwsExchangeException;
import io.workloadidentity.aws.AwsExchangeException.Reason;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.TokenSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.sts.model.AssumeRoleWithWebIdentityResponse;
import software.amazon.awssdk.services.sts.model.AssumedRoleUser;
import software.amazon.awssdk.services.sts.model.Credentials;
import software.amazon.awssdk.services.sts.model.StsException;

/**
 * Properties of the STS mapping this module owns: error responses to a {@link Reason} and a message
 * ({@link StsErrors}), and success responses to checked credentials ({@link StsResponses}). Whatever
 * STS (or a stranger posing as it) answers, the result is a typed {@link AwsExchangeException} or
 * usable credentials; messages escape control characters and never hold the token or a secret.
 */
class StsMappingPropertiesTest {
  private static final String ROLE = "arn:aws:iam::111122223333:role/orders";
  private static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");
  private static final Set<String> THROTTLING = Set.of("Throttling", "ThrottlingException", "RequestLimitExceeded",
      "TooManyRequestsException", "SlowDown");
  private static KubernetesCluster cluster;
  private static ProjectedToken token;

  @BeforeContainer
  static void start() {
    cluster = KubernetesCluster.start();
    token = ProjectedToken.parse(SecretLeakGuard.secret(cluster.mint(TokenSpec.builder().namespace("shop")
        .serviceAccount("orders").audiences("sts.amazonaws.com").lifetime(Duration.ofHours(1)).build())));
  }

  @AfterContainer
  static void stop() {
    cluster.close();
  }

  @Provide
  Arbitrary<String> code() {
    return Arbitraries.oneOf(Arbitraries.of("AccessDenied", "InvalidIdentityToken", "ExpiredTokenException",
        "IDPCommunicationError", "IDPRejectedClaim", "RegionDisabledException", "MalformedPolicyDocument",
        "PackedPolicyTooLarge", "ValidationError", "Throttling", "ThrottlingException", "RequestLimitExceeded",
        "TooManyRequestsException", "SlowDown", "InternalFailure", "ServiceUnavailable"),
        Arbitraries.strings().ofMaxLength(300));
  }

  @Provide
  Arbitrary<String> message() {
    Arbitrary<String> words = Arbitraries.of("Couldn't retrieve verification key", "No OpenIDConnect provider found",
        "Incorrect token audience", "Missing a required claim: aud", "Token expired", "DurationSeconds exceeds",
        "\r\n[OK] forged", "\u001b[31m", "\u2028", "\u0000", "Bearer abc.def.ghi", "eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.c2ln",
        " ").list().ofMaxSize(8).map(l -> String.join(" ", l));
    return Arbitraries.oneOf(words, Arbitraries.strings().all().ofMaxLength(3000), Arbitraries.just(null));
  }

  /** (a) Any error answer maps to a typed exception whose message is safe; the reason follows the rules. */
  @Property(tries = 2000)
  void anyErrorMapsToATypedSafeException(@ForAll("code") String code, @ForAll("message") String message,
      @ForAll @IntRange(min = 300, max = 599) int status, @ForAll("message") String requestId) {
    StsException e = (StsException) StsException.builder().statusCode(status).requestId(requestId)
        .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message).build()).build();
    Reason reason = StsErrors.reason(e);
    AwsExchangeException x = StsErrors.toException(e, reason, ROLE, token, "", "https://sts.us-west-2.amazonaws.com");
    assertThat(x.reason()).isEqualTo(reason);
    assertThat(x.retryable()).isEqualTo(reason.retryable());
    if (THROTTLING.contains(code) || status == 429) {
      assertThat(reason).isEqualTo(Reason.THROTTLED);
    } else if (status >= 500) {
      assertThat(reason).isEqualTo(Reason.SERVICE_ERROR);
    }
    assertSafe(x.getMessage());
    assertThat(x.getMessage().length()).isLessThan(12_000);
    assertThat(x.requestId().orElse("")).hasSizeLessThanOrEqualTo(600);
    assertSafe(x.requestId().orElse(""));
    assertSafe(x.code().orElse(""));
    assertThat(x.getCause()).isNull();
  }

  @Provide
  Arbitrary<String> member() {
    return Arbitraries.oneOf(Arbitraries.strings().withChars("ABCDEFabcdef0123456789+/=").ofMinLength(1)
        .ofMaxLength(120), Arbitraries.of("", " ", "a b", "x\r\ny", "\u0000", "caf\u00e9"), Arbitraries.just(null));
  }

  private static boolean usable(String v, int max) {
    return v != null && !v.isBlank() && v.length() <= max && v.chars().allMatch(c -> c > 0x20 && c < 0x7f);
  }

  /**
   * (b) Any success answer: the credentials are returned exactly when every member is usable and the
   * expiry is in the future; otherwise a MALFORMED_RESPONSE naming the member, without any secret.
   */
  @Property(tries = 2000)
  void anySuccessAnswerIsCheckedMemberByMember(@ForAll("member") String id, @ForAll("member") String secret,
      @ForAll("member") String sessionToken, @ForAll @LongRange(min = -86_400L * 3650, max = 86_400L * 3650) long in,
      @ForAll boolean withExpiration, @ForAll boolean withCredentials) {
    Instant expiration = withExpiration ? NOW.plusSeconds(in) : null;
    AssumeRoleWithWebIdentityResponse.Builder b = AssumeRoleWithWebIdentityResponse.builder()
        .assumedRoleUser(AssumedRoleUser.builder().arn("arn:aws:sts::111122223333:assumed-role/orders/x").build());
    if (withCredentials) {
      b.credentials(Credentials.builder().accessKeyId(id).secretAccessKey(secret).sessionToken(sessionToken)
          .expiration(expiration).build());
    }
    AssumeRoleWithWebIdentityResponse r = (AssumeRoleWithWebIdentityResponse) b
        .sdkHttpResponse(SdkHttpResponse.builder().statusCode(200).build()).build();
    boolean good = withCredentials && usable(id, 256) && usable(secret, 256) && usable(sessionToken, Integer.MAX_VALUE)
        && expiration != null && expiration.isAfter(NOW);
    Throwable e = catchThrowable(() -> StsResponses.credentials(r, NOW, ROLE, "https://sts.example"));
    if (good) {
      assertThat(e).isNull();
      assertThat(StsResponses.credentials(r, NOW, ROLE, "https://sts.example").value().accountId())
          .contains("111122223333");
      return;
    }
    assertThat(e).isInstanceOf(AwsExchangeException.class);
    AwsExchangeException x = (AwsExchangeException) e;
    assertThat(x.reason()).isEqualTo(Reason.MALFORMED_RESPONSE);
    assertThat(x.getMessage()).containsAnyOf("Credentials", "AccessKeyId", "SecretAccessKey", "SessionToken",
        "Expiration");
    if (secret != null && secret.length() >= 8) {
      assertThat(x.getMessage()).doesNotContain(secret);
    }
    if (sessionToken != null && sessionToken.length() >= 8) {
      assertThat(x.getMessage()).doesNotContain(sessionToken);
    }
    assertSafe(x.getMessage());
  }

  private static void assertSafe(String text) {
    assertThat(text.chars().noneMatch(c -> c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029)).as(text).isTrue();
    assertThat(text).doesNotContain(token.value().substring(0, 30)).doesNotContain("eyJ4IjoxfQ");
    SecretLeakGuard.assertNoSecrets(text);
  }
}
