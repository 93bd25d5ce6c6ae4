package io.workloadidentity.testkit.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import io.workloadidentity.testkit.internal.OidcVerifier.Reason;
import io.workloadidentity.testkit.internal.OidcVerifier.Rejection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OidcVerifierTest {
  static final TokenSpec SPEC = TokenSpec.builder().namespace("ns").serviceAccount("sa").audiences("aud-1").build();

  TestClock clock = TestClock.at(Instant.parse("2025-01-15T10:00:00Z"));
  KubernetesCluster cluster;
  OidcVerifier verifier;

  @BeforeEach
  void start() {
    cluster = KubernetesCluster.builder().clock(clock).build();
    verifier = OidcVerifier.builder().clock(clock).build();
  }

  @AfterEach
  void stop() {
    verifier.close();
    cluster.close();
  }

  @Test
  void acceptsAMintedTokenUntilItExpiresAndFetchesKeysOnce() throws Exception {
    String jwt = cluster.mint(SPEC);
    JWTClaimsSet claims = verifier.verify(jwt);
    assertThat(claims.getSubject()).isEqualTo("system:serviceaccount:ns:sa");
    assertThat(claims.getAudience()).containsExactly("aud-1");

    clock.advance(Duration.ofMinutes(59));
    verifier.verify(jwt);
    assertThat(cluster.requestCount(KubernetesCluster.DISCOVERY_PATH)).isEqualTo(1);
    assertThat(cluster.requestCount(KubernetesCluster.JWKS_PATH)).isEqualTo(1);

    clock.advance(Duration.ofMinutes(1));
    assertThat(reject(jwt).reason()).isEqualTo(Reason.EXPIRED);
  }

  @Test
  void aRotatedVolumeTokenIsAcceptedUntilItExpiresAndRejectedAfter(@TempDir Path dir) throws Exception {
    try (ProjectedVolume volume = cluster.projectedVolume(dir, SPEC)) {
      String first = Files.readString(volume.tokenFile());
      verifier.verify(first);
      clock.advance(Duration.ofMinutes(49));
      assertThat(volume.rotateIfDue()).isTrue();
      String second = Files.readString(volume.tokenFile());
      verifier.verify(first); // still valid for 11 minutes
      verifier.verify(second);
      clock.advance(Duration.ofMinutes(11));
      assertThat(reject(first).reason()).isEqualTo(Reason.EXPIRED);
      verifier.verify(second);

      volume.mode(ProjectedVolume.Mode.STOPPED);
      clock.advance(Duration.ofMinutes(49));
      assertThat(volume.rotateIfDue()).isFalse();
      assertThat(reject(Files.readString(volume.tokenFile())).reason()).isEqualTo(Reason.EXPIRED);
    }
  }

  @Test
  void rejectsATokenFromTheFutureBeyondTheLeeway() {
    String jwt = cluster.mint(SPEC.toBuilder().issuedAt(clock.instant().plusSeconds(120)).build());
    Rejection r = reject(jwt);
    assertThat(r.reason()).isEqualTo(Reason.NOT_YET_VALID);
  }

  @Test
  void rejectsAForgedSignature() {
    Rejection r = reject(cluster.mintForged(SPEC));
    assertThat(r.reason()).isEqualTo(Reason.BAD_SIGNATURE);
    assertThat(r.getMessage()).contains(cluster.issuer());
  }

  @Test
  void followsKeyRotationAndRejectsRetiredKeys() throws Exception {
    String old = cluster.mint(SPEC);
    verifier.verify(old);
    cluster.rotateSigningKey();
    String fresh = cluster.mint(SPEC);
    verifier.verify(fresh); // unknown kid in the cached set: re-fetched
    verifier.verify(old);
    assertThat(cluster.requestCount(KubernetesCluster.JWKS_PATH)).isEqualTo(2);

    cluster.retireOldSigningKeys();
    verifier.clearCache();
    assertThat(reject(old).reason()).isEqualTo(Reason.UNKNOWN_KEY);
  }

  @Test
  void jwksOutageIsIssuerUnreachableButACachedKeySetStillWorks() throws Exception {
    String jwt = cluster.mint(SPEC);
    cluster.faults().failAlways(KubernetesCluster.JWKS_PATH, Fault.serverError(503));
    Rejection r = reject(jwt);
    assertThat(r.reason()).isEqualTo(Reason.ISSUER_UNREACHABLE);
    assertThat(r.getMessage()).contains("HTTP 503");

    cluster.faults().clear();
    verifier.verify(jwt);
    cluster.faults().failAlways(Fault.connectionReset());
    verifier.verify(jwt); // served from the cache
    clock.advance(Duration.ofMinutes(61));
    String later = cluster.mint(SPEC);
    assertThat(reject(later).reason()).isEqualTo(Reason.ISSUER_UNREACHABLE);
  }

  @Test
  void unreachableIssuerAndIssuerMismatch() throws Exception {
    try (KubernetesCluster privateCluster = KubernetesCluster.builder().clock(clock)
        .issuer("http://127.0.0.1:1/not-listening").build()) {
      assertThat(reject(privateCluster.mint(SPEC)).reason()).isEqualTo(Reason.ISSUER_UNREACHABLE);
    }
    // The token claims this server as issuer, but its discovery document names another one.
    try (KubernetesCluster other = KubernetesCluster.builder().clock(clock).issuer("https://elsewhere.example").build()) {
      RSAKey key = new RSAKeyGenerator(2048).keyID("k").generate();
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k").build(),
          new JWTClaimsSet.Builder().issuer(other.baseUrl()).subject("s").audience("a")
              .expirationTime(Date.from(clock.instant().plusSeconds(600))).build());
      jwt.sign(new RSASSASigner(key));
      Rejection r = reject(jwt.serialize());
      assertThat(r.reason()).isEqualTo(Reason.ISSUER_MISMATCH);
      assertThat(r.getMessage()).contains("https://elsewhere.example");
    }
  }

  @Test
  void rejectsMalformedTokensWithoutEchoingThem() throws Exception {
    String unsigned = new PlainJWT(new JWTClaimsSet.Builder().issuer(cluster.issuer()).subject("x")
        .expirationTime(Date.from(clock.instant().plusSeconds(600))).build()).serialize();
    assertThat(reject(unsigned).reason()).isEqualTo(Reason.MALFORMED);
    assertThat(reject(unsigned).getMessage()).contains("alg none").doesNotContain(unsigned);

    JWSObject hmac = new JWSObject(new JWSHeader(JWSAlgorithm.HS256), new Payload("{\"iss\":\"x\",\"exp\":9999999999}"));
    hmac.sign(new MACSigner(new byte[32]));
    assertThat(reject(hmac.serialize()).reason()).isEqualTo(Reason.MALFORMED);

    for (String garbage : new String[] {"", "   ", "not-a-jwt", "a.b.c", "a.b"}) {
      Rejection r = reject(garbage);
      assertThat(r.reason()).as(garbage).isEqualTo(Reason.MALFORMED);
    }
    assertThat(cluster.requestCount()).isZero();
  }

  private Rejection reject(String jwt) {
    Rejection r = catchThrowableOfType(Rejection.class, () -> verifier.verify(jwt));
    assertThat(r).as("expected a rejection").isNotNull();
    return r;
  }
}
