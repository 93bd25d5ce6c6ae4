package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@ExtendWith(SecretLeakGuard.class)
class ProjectedTokenTest {
  private static final Instant IAT = Instant.parse("2026-11-26T10:00:00Z");

  @Test
  void parsesTheExactShapeKubeApiserverIssues() {
    // An "extended" token of the default kube-api-access volume: array aud, warnafter = iat + 3607.
    String raw = SecretLeakGuard.secret(TestTokens.sign(TestTokens.claims(IAT, Duration.ofDays(365), "https://kubernetes.default.svc")
        .claim("kubernetes.io", Map.of(
            "namespace", "default",
            "node", Map.of("name", "minikube", "uid", "aad42a6b-1"),
            "pod", Map.of("name", "ratings-v1-abc", "uid", "8597bc3b-1"),
            "serviceaccount", Map.of("name", "bookinfo-ratings", "uid", "3b3f63de-1"),
            "warnafter", IAT.plusSeconds(3607).getEpochSecond()))
        .build()));

    ProjectedToken t = ProjectedToken.parse(raw + "\n");

    assertThat(t.value()).isEqualTo(raw);
    assertThat(t.issuer()).isEqualTo(TestTokens.ISSUER);
    assertThat(t.subject()).isEqualTo("system:serviceaccount:payments:api");
    assertThat(t.audiences()).containsExactly("https://kubernetes.default.svc");
    assertThat(t.issuedAt()).contains(IAT);
    assertThat(t.notBefore()).contains(IAT);
    assertThat(t.expiresAt()).isEqualTo(IAT.plus(Duration.ofDays(365)));
    assertThat(t.lifetime()).contains(Duration.ofDays(365));
    assertThat(t.keyId()).isPresent();
    KubernetesClaims k = t.kubernetes().orElseThrow();
    assertThat(k.namespace()).contains("default");
    assertThat(k.serviceAccountName()).contains("bookinfo-ratings");
    assertThat(k.serviceAccountUid()).contains("3b3f63de-1");
    assertThat(k.podName()).contains("ratings-v1-abc");
    assertThat(k.podUid()).contains("8597bc3b-1");
    assertThat(k.nodeName()).contains("minikube");
    assertThat(k.warnAfter()).contains(IAT.plusSeconds(3607));
    assertThat(t.verify(TestTokens.publicKeys())).isTrue();
    assertThat(t.isExpiredAt(IAT.plus(Duration.ofDays(366)))).isTrue();
  }

  @Test
  void acceptsAStringAudience() {
    String raw = TestTokens.sign(TestTokens.claims(IAT, Duration.ofHours(1), "x").audience("sts.amazonaws.com").build());
    assertThat(ProjectedToken.parse(raw).audiences()).containsExactly("sts.amazonaws.com");
  }

  @Test
  void toleratesUnknownClaimsAndMissingKubernetesClaim() {
    String raw = TestTokens.sign(new JWTClaimsSet.Builder().issuer("https://token.actions.example").subject("repo:x")
        .audience("a").expirationTime(java.util.Date.from(IAT.plusSeconds(600))).claim("ref", "main").build());
    ProjectedToken t = ProjectedToken.parse(raw);
    assertThat(t.kubernetes()).isEmpty();
    assertThat(t.issuedAt()).isEmpty();
    assertThat(t.lifetime()).isEmpty();
  }

  @Test
  void toStringShowsClaimsButNeverTheToken() {
    String raw = SecretLeakGuard.secret(TestTokens.token(IAT, Duration.ofHours(1), "sts.amazonaws.com"));
    ProjectedToken t = ProjectedToken.parse(raw);
    SecretLeakGuard.inspect(t);
    assertThat(t.toString())
        .contains("system:serviceaccount:payments:api", "sts.amazonaws.com", "api-7d9f8b6c5-x2x7k", t.fingerprint())
        .doesNotContain(raw).doesNotContain(raw.substring(raw.lastIndexOf('.') + 1));
  }

  @Test
  void verifyRejectsAForeignKey() throws Exception {
    ProjectedToken t = ProjectedToken.parse(TestTokens.token(IAT, Duration.ofHours(1), "a"));
    JWKSet other = new JWKSet(new RSAKeyGenerator(2048).keyID(t.keyId().orElseThrow()).generate().toPublicJWK());
    assertThat(t.verify(other)).isFalse();
    assertThat(t.verify(new JWKSet())).isFalse();
  }

  @Test
  void equalityIsByRawValue() {
    String raw = TestTokens.token(IAT, Duration.ofHours(1), "a");
    assertThat(ProjectedToken.parse(raw)).isEqualTo(ProjectedToken.parse(" " + raw + "\n"))
        .hasSameHashCodeAs(ProjectedToken.parse(raw));
  }

  static Stream<Arguments> malformed() {
    String good = TestTokens.token(IAT, Duration.ofHours(1), "a");
    String[] p = good.split("\\.");
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String header = p[0];
    String sig = p[2];
    return Stream.of(
        Arguments.of("null", null, "null"),
        Arguments.of("empty", "", "empty"),
        Arguments.of("whitespace only", " \n\t", "empty"),
        Arguments.of("one part", "abc", "three base64url parts"),
        Arguments.of("two parts", p[0] + "." + p[1], "three base64url parts"),
        Arguments.of("four parts", good + ".x", "three base64url parts"),
        Arguments.of("bad base64 header", "@@@." + p[1] + "." + sig, "outside the JWS compact alphabet"),
        Arguments.of("header not JSON", b64.encodeToString("nope".getBytes(StandardCharsets.UTF_8)) + "." + p[1] + "." + sig, "not a valid JWT"),
        Arguments.of("payload not JSON", header + "." + b64.encodeToString("[1,2".getBytes(StandardCharsets.UTF_8)) + "." + sig, "not"),
        Arguments.of("alg none", new PlainJWT(TestTokens.claims(IAT, Duration.ofHours(1), "a").build()).serialize(), "alg: none"),
        Arguments.of("HMAC signed", hmac(), "asymmetric"),
        Arguments.of("missing exp", TestTokens.sign(TestTokens.claims(IAT, Duration.ofHours(1), "a").expirationTime(null).build()), "'exp'"),
        Arguments.of("missing sub", TestTokens.sign(TestTokens.claims(IAT, Duration.ofHours(1), "a").subject(null).build()), "'sub'"),
        Arguments.of("missing iss", TestTokens.sign(TestTokens.claims(IAT, Duration.ofHours(1), "a").issuer(null).build()), "'iss'"),
        Arguments.of("missing aud", TestTokens.sign(TestTokens.claims(IAT, Duration.ofHours(1), "a").audience((List<String>) null).build()), "'aud'"),
        Arguments.of("exp not a number", TestTokens.sign(TestTokens.claims(IAT, Duration.ofHours(1), "a").claim("exp", "tomorrow").build()), "not"),
        Arguments.of("legacy secret token", TestTokens.sign(new JWTClaimsSet.Builder().issuer("kubernetes/serviceaccount")
            .subject("system:serviceaccount:default:x").claim("kubernetes.io/serviceaccount/namespace", "default").build()), "legacy"),
        Arguments.of("1 MB input", "a".repeat(1024 * 1024), "larger than"),
        Arguments.of("JWE (five parts)", "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d", "three base64url parts"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void rejectsMalformedInputWithTheTypedException(String name, String input, String expected) {
    assertThatThrownBy(() -> ProjectedToken.parse(input))
        .isInstanceOf(MalformedTokenException.class)
        .hasMessageContaining(expected)
        .satisfies(SecretLeakGuard::inspect)
        .satisfies(e -> {
          if (input != null && input.length() > 20) {
            assertThat(e.getMessage()).doesNotContain(input.substring(input.length() - 20));
          }
        });
  }

  private static String hmac() {
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), TestTokens.claims(IAT, Duration.ofHours(1), "a").build());
      jwt.sign(new MACSigner("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8)));
      return jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
