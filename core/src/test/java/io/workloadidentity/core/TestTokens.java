package io.workloadidentity.core;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Really signed tokens of the exact shape kube-apiserver issues, for core's own tests. */
final class TestTokens {
  static final String ISSUER = "https://oidc.example.test/id/ABC123";
  private static final RSAKey KEY = generate();

  private TestTokens() {}

  static JWKSet publicKeys() {
    return new JWKSet(KEY.toPublicJWK());
  }

  /** A projected token issued at {@code iat}, valid for {@code ttl}, for audience {@code aud}. */
  static String token(Instant iat, Duration ttl, String aud) {
    return sign(claims(iat, ttl, aud).build());
  }

  static JWTClaimsSet.Builder claims(Instant iat, Duration ttl, String aud) {
    return new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .subject("system:serviceaccount:payments:api")
        .audience(List.of(aud))
        .issueTime(Date.from(iat))
        .notBeforeTime(Date.from(iat))
        .expirationTime(Date.from(iat.plus(ttl)))
        .jwtID(UUID.randomUUID().toString())
        .claim("kubernetes.io", Map.of(
            "namespace", "payments",
            "pod", Map.of("name", "api-7d9f8b6c5-x2x7k", "uid", "8597bc3b-0000-4000-8000-000000000001"),
            "serviceaccount", Map.of("name", "api", "uid", "3b3f63de-0000-4000-8000-000000000002"),
            "node", Map.of("name", "ip-10-0-1-23.ec2.internal", "uid", "aad42a6b-0000-4000-8000-000000000003")));
  }

  static String sign(JWTClaimsSet claims) {
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(KEY.getKeyID()).build(), claims);
      jwt.sign(new RSASSASigner(KEY));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  private static RSAKey generate() {
    try {
      return new RSAKeyGenerator(2048).keyIDFromThumbprint(true).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }
}
