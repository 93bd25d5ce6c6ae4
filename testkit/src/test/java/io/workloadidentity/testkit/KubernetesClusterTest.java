package io.workloadidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.workloadidentity.core.KubernetesClaims;
import io.workloadidentity.core.ProjectedToken;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KubernetesClusterTest {
  static final Instant T0 = Instant.parse("2025-01-15T10:00:00Z");
  static TestClock clock;
  static KubernetesCluster cluster;
  static final OkHttpClient http = new OkHttpClient();

  @BeforeAll
  static void start() {
    clock = TestClock.at(T0);
    cluster = KubernetesCluster.builder().clock(clock).build();
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void discoveryDocumentHasExactlyTheApiserverFields() throws Exception {
    try (Response r = http.newCall(new Request.Builder().url(cluster.issuer() + "/.well-known/openid-configuration").build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.header("Content-Type")).isEqualTo("application/json");
      assertThat(r.header("Cache-Control")).isEqualTo("public, max-age=3600");
      Map<String, Object> doc = JSONObjectUtils.parse(r.body().string());
      assertThat(doc).containsOnlyKeys("issuer", "jwks_uri", "response_types_supported",
          "subject_types_supported", "id_token_signing_alg_values_supported");
      assertThat(doc.get("issuer")).isEqualTo(cluster.issuer());
      assertThat(doc.get("jwks_uri")).isEqualTo(cluster.issuer() + "/openid/v1/jwks");
      assertThat(doc.get("response_types_supported")).isEqualTo(List.of("id_token"));
      assertThat(doc.get("subject_types_supported")).isEqualTo(List.of("public"));
      assertThat(doc.get("id_token_signing_alg_values_supported")).isEqualTo(List.of("RS256"));
    }
    assertThat(cluster.issuer()).startsWith("http://127.0.0.1:").doesNotEndWith("/");
  }

  @Test
  void jwksHasTheKeyWithKubernetesFieldsAndHeaders() throws Exception {
    try (Response r = http.newCall(new Request.Builder().url(cluster.jwksUri()).build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.header("Content-Type")).isEqualTo("application/jwk-set+json");
      assertThat(r.header("Cache-Control")).isEqualTo("public, max-age=3600");
      Map<String, Object> doc = JSONObjectUtils.parse(r.body().string());
      assertThat(doc).containsOnlyKeys("keys");
      @SuppressWarnings("unchecked")
      Map<String, Object> key = ((List<Map<String, Object>>) doc.get("keys")).get(0);
      assertThat(key).containsOnlyKeys("use", "kty", "kid", "alg", "n", "e");
      assertThat(key).containsEntry("use", "sig").containsEntry("kty", "RSA").containsEntry("alg", "RS256")
          .containsEntry("e", "AQAB").containsEntry("kid", cluster.signingKeyId());
      RSAKey rsa = (RSAKey) JWKSet.parse(doc).getKeys().get(0);
      assertThat(rsa.size()).isEqualTo(2048);
    }
  }

  @Test
  void kidIsBase64UrlSha256OfTheDerSubjectPublicKeyInfoComputedIndependently() throws Exception {
    RSAKey key = (RSAKey) cluster.publicKeys().getKeys().get(0);
    byte[] spki = spki(key.getModulus().decodeToBigInteger(), key.getPublicExponent().decodeToBigInteger());
    String expected = Base64.getUrlEncoder().withoutPadding()
        .encodeToString(MessageDigest.getInstance("SHA-256").digest(spki));
    assertThat(cluster.signingKeyId()).isEqualTo(expected).hasSize(43).doesNotContain("=", "+", "/");
  }

  @Test
  void mintedTokenHasExactlyTheProjectedTokenClaimsAndVerifies() throws Exception {
    TokenSpec spec = TokenSpec.builder().namespace("payments").serviceAccount("api")
        .audiences("sts.amazonaws.com").lifetime(Duration.ofHours(24)).podName("api-0").nodeName("node-a").build();
    String jwt = cluster.mint(spec);

    String[] parts = jwt.split("\\.");
    Map<String, Object> header = JSONObjectUtils.parse(decode(parts[0]));
    assertThat(header).containsOnlyKeys("alg", "kid").containsEntry("alg", "RS256")
        .containsEntry("kid", cluster.signingKeyId());
    String payloadJson = decode(parts[1]);
    assertThat(payloadJson).contains("\"aud\":[\"sts.amazonaws.com\"]");
    Map<String, Object> claims = JSONObjectUtils.parse(payloadJson);
    assertThat(claims).containsOnlyKeys("aud", "exp", "iat", "iss", "jti", "kubernetes.io", "nbf", "sub");
    assertThat(claims.get("iat")).isEqualTo(T0.getEpochSecond()).isEqualTo(claims.get("nbf"));
    assertThat(claims.get("exp")).isEqualTo(T0.getEpochSecond() + 86400);
    assertThat((String) claims.get("jti")).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}");
    @SuppressWarnings("unchecked")
    Map<String, Object> k8s = (Map<String, Object>) claims.get("kubernetes.io");
    assertThat(k8s).containsOnlyKeys("namespace", "node", "pod", "serviceaccount");

    ProjectedToken token = ProjectedToken.parse(jwt);
    assertThat(token.issuer()).isEqualTo(cluster.issuer());
    assertThat(token.subject()).isEqualTo("system:serviceaccount:payments:api");
    assertThat(token.audiences()).containsExactly("sts.amazonaws.com");
    assertThat(token.expiresAt()).isEqualTo(T0.plus(Duration.ofHours(24)));
    KubernetesClaims kc = token.kubernetes().orElseThrow();
    assertThat(kc.namespace()).contains("payments");
    assertThat(kc.serviceAccountName()).contains("api");
    assertThat(kc.podName()).contains("api-0");
    assertThat(kc.nodeName()).contains("node-a");
    assertThat(kc.podUid()).isPresent();
    assertThat(kc.warnAfter()).isEmpty();
    assertThat(token.verify(cluster.publicKeys())).isTrue();
    assertThat(token.verify(new JWKSet())).isFalse();
  }

  @Test
  void extendedTokenExpiresInAYearWithWarnAfterAtTheLifetime() {
    String jwt = cluster.mint(TokenSpec.builder().audiences("https://kubernetes.default.svc.cluster.local")
        .lifetime(Duration.ofSeconds(3607)).extended(true).build());
    ProjectedToken token = ProjectedToken.parse(jwt);
    assertThat(token.expiresAt()).isEqualTo(T0.plus(Duration.ofDays(365)));
    assertThat(token.kubernetes().orElseThrow().warnAfter()).contains(T0.plusSeconds(3607));
  }

  @Test
  void forgedTokenCarriesTheRealKidButDoesNotVerify() {
    ProjectedToken forged = ProjectedToken.parse(cluster.mintForged(TokenSpec.of("sts.amazonaws.com")));
    assertThat(forged.keyId()).contains(cluster.signingKeyId());
    assertThat(forged.verify(cluster.publicKeys())).isFalse();
  }

  private static String decode(String part) {
    return new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8);
  }

  /** DER SubjectPublicKeyInfo of an RSA key, encoded by hand (RFC 5280, RFC 8017 A.1.1). */
  private static byte[] spki(BigInteger n, BigInteger e) {
    byte[] rsaPublicKey = der(0x30, concat(der(0x02, n.toByteArray()), der(0x02, e.toByteArray())));
    byte[] rsaEncryptionOid = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01};
    byte[] algorithm = der(0x30, concat(rsaEncryptionOid, new byte[] {0x05, 0x00}));
    byte[] bitString = der(0x03, concat(new byte[] {0x00}, rsaPublicKey));
    return der(0x30, concat(algorithm, bitString));
  }

  private static byte[] der(int tag, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    int len = content.length;
    if (len < 128) {
      out.write(len);
    } else {
      byte[] l = BigInteger.valueOf(len).toByteArray();
      int skip = l[0] == 0 ? 1 : 0;
      out.write(0x80 | (l.length - skip));
      out.write(l, skip, l.length - skip);
    }
    out.writeBytes(content);
    return out.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = new byte[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
