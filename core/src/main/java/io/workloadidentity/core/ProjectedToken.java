package io.workloadidentity.core;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An immutable, parsed projected service-account token (a signed JWT as kube-apiserver issues it).
 *
 * <p>{@link #parse(String)} checks the <em>shape</em> of the token, not its signature: the cloud
 * that receives the token verifies it, and a pod has no access to the issuer's keys anyway. Use
 * {@link #verify(JWKSet)} where you do have the keys (tests, the testkit).
 *
 * <p>{@link #toString()} shows the claims and never the raw token. {@link #value()} is the only way
 * to get the raw compact JWT; pass it to a cloud, never to a log.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class ProjectedToken {
  /** Largest token accepted. Real tokens are 1-2 KiB; anything near this is the wrong file. */
  public static final int MAX_SIZE_BYTES = 64 * 1024;

  private final String value;
  private final SignedJWT jwt;
  private final String issuer;
  private final String subject;
  private final List<String> audiences;
  private final Instant issuedAt;
  private final Instant notBefore;
  private final Instant expiresAt;
  private final Optional<KubernetesClaims> kubernetes;
  private final String fingerprint;

  private ProjectedToken(String value, SignedJWT jwt, JWTClaimsSet claims) {
    this.value = value;
    this.jwt = jwt;
    this.issuer = claims.getIssuer();
    this.subject = claims.getSubject();
    this.audiences = List.copyOf(claims.getAudience());
    this.issuedAt = toInstant(claims.getIssueTime());
    this.notBefore = toInstant(claims.getNotBeforeTime());
    this.expiresAt = toInstant(claims.getExpirationTime());
    this.kubernetes = kubernetesClaims(claims);
    this.fingerprint = sha256Prefix(value);
  }

  /**
   * Parses a compact JWT. Surrounding whitespace (the trailing newline some tools write) is removed.
   *
   * @throws MalformedTokenException if the input is not a signed JWT with {@code iss}, {@code sub},
   *     {@code aud} and {@code exp} claims; the message says which check failed and never echoes
   *     the input
   */
  public static ProjectedToken parse(String jwt) {
    if (jwt == null) {
      throw new MalformedTokenException("Token is null.");
    }
    if (jwt.length() > MAX_SIZE_BYTES) {
      throw new MalformedTokenException(
          "Token is " + jwt.length() + " characters, larger than the " + MAX_SIZE_BYTES
              + " accepted: this is not a service-account token (real ones are 1-2 KiB). Check the file path.");
    }
    String trimmed = jwt.strip();
    if (trimmed.isEmpty()) {
      throw new MalformedTokenException("Token is empty.");
    }
    if (trimmed.chars().filter(c -> c == '.').count() != 2) {
      throw new MalformedTokenException(
          "Token is not a signed JWT: expected three base64url parts separated by two dots.");
    }
    JWT parsed;
    try {
      parsed = JWTParser.parse(trimmed);
    } catch (ParseException e) {
      throw new MalformedTokenException("Token is not a valid JWT: " + describe(e), null);
    }
    if (parsed instanceof PlainJWT) {
      throw new MalformedTokenException(
          "Token is unsigned (alg: none). Kubernetes signs every service-account token; refusing it.");
    }
    if (!(parsed instanceof SignedJWT signed)) {
      throw new MalformedTokenException("Token is encrypted (JWE), not a signed service-account token.");
    }
    JWSAlgorithm alg = signed.getHeader().getAlgorithm();
    if (alg == null || JWSAlgorithm.Family.HMAC_SHA.contains(alg)) {
      throw new MalformedTokenException(
          "Token is signed with " + alg + "; service-account tokens use an asymmetric algorithm (RS256, ES256).");
    }
    JWTClaimsSet claims;
    try {
      claims = signed.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new MalformedTokenException("Token payload is not a JSON claims set: " + describe(e), null);
    }
    if ("kubernetes/serviceaccount".equals(claims.getIssuer())) {
      throw new MalformedTokenException(
          "Token is a legacy secret-based service-account token (iss \"kubernetes/serviceaccount\", no expiry). "
              + "No cloud accepts it: mount a projected serviceAccountToken volume with the cloud's audience.");
    }
    requireClaim(claims.getIssuer() != null && !claims.getIssuer().isBlank(), "iss");
    requireClaim(claims.getSubject() != null && !claims.getSubject().isBlank(), "sub");
    requireClaim(claims.getAudience() != null && !claims.getAudience().isEmpty(), "aud");
    requireClaim(claims.getExpirationTime() != null, "exp");
    try {
      return new ProjectedToken(trimmed, signed, claims);
    } catch (RuntimeException e) {
      throw new MalformedTokenException("Token claims have unexpected types: " + e.getClass().getSimpleName(), null);
    }
  }

  /** The raw compact JWT, trimmed. This is a bearer secret: never log it. */
  public String value() {
    return value;
  }

  /** The {@code iss} claim: the cluster's service-account issuer URL. */
  public String issuer() {
    return issuer;
  }

  /** The {@code sub} claim, {@code system:serviceaccount:<namespace>:<name>} for Kubernetes tokens. */
  public String subject() {
    return subject;
  }

  /** The {@code aud} claim as a list (Kubernetes always writes an array). */
  public List<String> audiences() {
    return audiences;
  }

  /** Whether {@code aud} contains the given audience (exact match). */
  public boolean hasAudience(String audience) {
    return audiences.contains(audience);
  }

  /** The {@code iat} claim. */
  public Optional<Instant> issuedAt() {
    return Optional.ofNullable(issuedAt);
  }

  /** The {@code nbf} claim. */
  public Optional<Instant> notBefore() {
    return Optional.ofNullable(notBefore);
  }

  /** The {@code exp} claim. Always present: tokens without it are rejected by {@link #parse}. */
  public Instant expiresAt() {
    return expiresAt;
  }

  /** Whether the token is expired at {@code now}. */
  public boolean isExpiredAt(Instant now) {
    return !now.isBefore(expiresAt);
  }

  /**
   * The token's lifetime, {@code exp - iat}; when {@code iat} is absent, {@code null}-safe fallback
   * to the time between {@code nbf} and {@code exp}, or empty.
   */
  public Optional<Duration> lifetime() {
    Instant start = issuedAt != null ? issuedAt : notBefore;
    return start == null ? Optional.empty() : Optional.of(Duration.between(start, expiresAt));
  }

  /** The {@code kubernetes.io} claim, absent for tokens from other issuers. */
  public Optional<KubernetesClaims> kubernetes() {
    return kubernetes;
  }

  /** The JWS {@code kid} header, if present. */
  public Optional<String> keyId() {
    return Optional.ofNullable(jwt.getHeader().getKeyID());
  }

  /**
   * A short, non-reversible fingerprint of the raw token (first 12 hex digits of its SHA-256), safe
   * to log and useful to tell two tokens apart.
   */
  public String fingerprint() {
    return fingerprint;
  }

  /**
   * Verifies the signature against the given key set, choosing the key by {@code kid} (or trying
   * every key of a matching type when the token has no {@code kid}).
   *
   * @return whether a key in the set verifies the signature
   */
  public boolean verify(JWKSet keys) {
    Objects.requireNonNull(keys, "keys");
    String kid = jwt.getHeader().getKeyID();
    DefaultJWSVerifierFactory factory = new DefaultJWSVerifierFactory();
    for (JWK jwk : keys.getKeys()) {
      if (kid != null && !kid.equals(jwk.getKeyID())) {
        continue;
      }
      if (!(jwk instanceof AsymmetricJWK asymmetric)) {
        continue;
      }
      try {
        Key key = asymmetric.toPublicKey();
        JWSVerifier verifier = factory.createJWSVerifier(jwt.getHeader(), key);
        if (jwt.verify(verifier)) {
          return true;
        }
      } catch (JOSEException e) {
        // Key of the wrong type for this algorithm: try the next one.
      }
    }
    return false;
  }

  /** Equal when the raw tokens are equal. */
  @Override
  public boolean equals(Object o) {
    return o instanceof ProjectedToken other && value.equals(other.value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  /** The claims, for humans and logs; never the raw token. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("ProjectedToken{iss=").append(issuer)
        .append(", sub=").append(subject)
        .append(", aud=").append(audiences);
    if (issuedAt != null) {
      sb.append(", iat=").append(issuedAt);
    }
    sb.append(", exp=").append(expiresAt);
    kubernetes.flatMap(KubernetesClaims::podName).ifPresent(p -> sb.append(", pod=").append(p));
    kubernetes.flatMap(KubernetesClaims::warnAfter).ifPresent(w -> sb.append(", warnafter=").append(w));
    return sb.append(", sha256=").append(fingerprint).append('}').toString();
  }

  private static void requireClaim(boolean present, String claim) {
    if (!present) {
      throw new MalformedTokenException(
          "Token has no '" + claim + "' claim; a projected service-account token always has iss, sub, aud and exp.");
    }
  }

  private static String describe(ParseException e) {
    // Nimbus messages describe the structure ("Invalid JSON", "Missing part delimiters") but can
    // quote fragments of the input; keep only the first clause, before any quoted content.
    String m = String.valueOf(e.getMessage());
    int cut = m.indexOf(':');
    return cut > 0 ? m.substring(0, cut) : m;
  }

  private static Instant toInstant(Date date) {
    return date == null ? null : date.toInstant();
  }

  @SuppressWarnings("unchecked")
  private static Optional<KubernetesClaims> kubernetesClaims(JWTClaimsSet claims) {
    Object raw = claims.getClaim("kubernetes.io");
    if (!(raw instanceof Map<?, ?> k8s)) {
      return Optional.empty();
    }
    Map<String, Object> m = (Map<String, Object>) k8s;
    Object warn = m.get("warnafter");
    return Optional.of(new KubernetesClaims(
        string(m.get("namespace")),
        nested(m, "serviceaccount", "name"),
        nested(m, "serviceaccount", "uid"),
        nested(m, "pod", "name"),
        nested(m, "pod", "uid"),
        nested(m, "node", "name"),
        warn instanceof Number n ? Optional.of(Instant.ofEpochSecond(n.longValue())) : Optional.empty()));
  }

  private static Optional<String> nested(Map<String, Object> m, String object, String field) {
    Object o = m.get(object);
    return o instanceof Map<?, ?> inner ? string(inner.get(field)) : Optional.empty();
  }

  private static Optional<String> string(Object o) {
    return o instanceof String s ? Optional.of(s) : Optional.empty();
  }

  private static String sha256Prefix(String value) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
      StringBuilder sb = new StringBuilder(12);
      for (int i = 0; i < 6; i++) {
        sb.append(Character.forDigit((d[i] >> 4) & 0xf, 16)).append(Character.forDigit(d[i] & 0xf, 16));
      }
      return sb.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JVM", e);
    }
  }
}
