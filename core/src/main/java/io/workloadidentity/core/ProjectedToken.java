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
import io.workloadidentity.core.internal.Redaction;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
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

  /** Latest date accepted in {@code exp}, {@code nbf} and {@code iat}: 9999-12-31T23:59:59Z. */
  private static final long MAX_EPOCH_SECOND = 253_402_300_799L;

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

  private ProjectedToken(String value, SignedJWT jwt, JWTClaimsSet claims, Instant iat, Instant nbf, Instant exp) {
    this.value = value;
    this.jwt = jwt;
    this.issuer = claims.getIssuer();
    this.subject = claims.getSubject();
    this.audiences = List.copyOf(claims.getAudience());
    this.issuedAt = iat;
    this.notBefore = nbf;
    this.expiresAt = exp;
    this.kubernetes = kubernetesClaims(claims);
    this.fingerprint = sha256Prefix(value);
  }

  /**
   * Parses a compact JWT. Surrounding whitespace (the trailing newline some tools write) is removed.
   *
   * <p>Before anything else looks at it, the token is checked against the JWS compact serialization
   * (RFC 7515): three non-empty base64url parts ({@code A-Z a-z 0-9 - _}) separated by two dots. A line
   * break, space, tab, padding, control or non-ASCII character anywhere inside is refused, so a
   * token that would corrupt an HTTP header is never sent. The date claims {@code exp}, {@code nbf}
   * and {@code iat} must be numbers of seconds between 1970 and the end of the year 9999 ({@code
   * exp} after {@code nbf}); a fractional value is allowed (RFC 7519) and rounded towards the safe
   * side: {@code exp} and {@code iat} down, {@code nbf} up.
   *
   * @param jwt the compact JWT, as read from the token file
   * @return the parsed token
   * @throws MalformedTokenException if the input is not a signed JWT with {@code iss}, {@code sub},
   *     {@code aud} and {@code exp} claims and valid dates; the message says which check failed (and
   *     where in the token) and never echoes the input or any part of it
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
    checkCompactSerialization(trimmed);
    JWT parsed;
    try {
      parsed = JWTParser.parse(trimmed);
    } catch (ParseException e) {
      throw new MalformedTokenException("Token is not a valid JWT: " + describe(e) + ".", null);
    } catch (RuntimeException e) {
      throw new MalformedTokenException("Token is not a valid JWT (" + e.getClass().getSimpleName() + ").", null);
    }
    if (parsed instanceof PlainJWT) {
      throw new MalformedTokenException(
          "Token is unsigned (alg: none). Kubernetes signs every service-account token; refusing it.");
    }
    if (!(parsed instanceof SignedJWT signed)) {
      throw new MalformedTokenException("Token is encrypted (JWE), not a signed service-account token.");
    }
    requireAsymmetric(signed.getHeader().getAlgorithm());
    Map<String, Object> json = signed.getPayload().toJSONObject();
    if (json == null) {
      throw new MalformedTokenException("Token payload is not a JSON object: this is not a JWT claims set.");
    }
    Instant exp = numericDate(json, "exp", RoundingMode.FLOOR);
    Instant nbf = numericDate(json, "nbf", RoundingMode.CEILING);
    Instant iat = numericDate(json, "iat", RoundingMode.FLOOR);
    JWTClaimsSet claims;
    try {
      claims = signed.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new MalformedTokenException("Token payload is not a JSON claims set: " + describe(e) + ".", null);
    } catch (RuntimeException e) {
      throw new MalformedTokenException("Token payload is not a JSON claims set (" + e.getClass().getSimpleName() + ").", null);
    }
    if ("kubernetes/serviceaccount".equals(claims.getIssuer())) {
      throw new MalformedTokenException(
          "Token is a legacy secret-based service-account token (iss \"kubernetes/serviceaccount\", no expiry). "
              + "No cloud accepts it: mount a projected serviceAccountToken volume with the cloud's audience.");
    }
    requireClaim(claims.getIssuer() != null && !claims.getIssuer().isBlank(), "iss");
    requireClaim(claims.getSubject() != null && !claims.getSubject().isBlank(), "sub");
    requireClaim(claims.getAudience() != null && !claims.getAudience().isEmpty(), "aud");
    requireClaim(exp != null, "exp");
    if (nbf != null && !exp.isAfter(nbf)) {
      throw new MalformedTokenException("Token is never valid: its 'exp' (" + exp + ") is not after its 'nbf' ("
          + nbf + "). The issuer wrote inconsistent dates; ask for a new token.");
    }
    try {
      return new ProjectedToken(trimmed, signed, claims, iat, nbf, exp);
    } catch (RuntimeException e) {
      throw new MalformedTokenException("Token claims have unexpected types: " + e.getClass().getSimpleName(), null);
    }
  }

  /**
   * Checks the JWS compact serialization in one linear pass: only base64url characters and exactly
   * two dots, no empty part. Runs before any parser sees the token. Package-private for the property
   * tests.
   *
   * @throws MalformedTokenException naming the first offending character by kind and position, never
   *     by value
   */
  static void checkCompactSerialization(String token) {
    int length = token.length();
    int dots = 0;
    int emptyPart = 0; // 1-based number of the first empty part, 0 if none
    int partStart = 0;
    for (int i = 0; i < length; i++) {
      char c = token.charAt(i);
      if (c == '.') {
        if (i == partStart && emptyPart == 0) {
          emptyPart = dots + 1;
        }
        dots++;
        partStart = i + 1;
      } else if (!isBase64Url(c)) {
        throw new MalformedTokenException(badCharacter(token, i));
      }
    }
    if (partStart == length && emptyPart == 0) {
      emptyPart = dots + 1;
    }
    if (dots != 2) {
      throw new MalformedTokenException("Token is not a signed JWT: expected three base64url parts separated by two"
          + " dots, found " + (dots + 1) + (dots == 4 ? " (five parts is an encrypted JWE)" : "") + ".");
    }
    if (emptyPart == 3) {
      throw new MalformedTokenException("Token is unsigned: its signature part is empty (alg: none, or the signature"
          + " was cut off). Kubernetes signs every service-account token; refusing it.");
    }
    if (emptyPart != 0) {
      throw new MalformedTokenException("Token is not a signed JWT: its " + (emptyPart == 1 ? "header" : "payload")
          + " part is empty.");
    }
  }

  private static boolean isBase64Url(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_';
  }

  /** What is wrong with the character at {@code i}, by kind and position: never the character itself. */
  private static String badCharacter(String token, int i) {
    char c = token.charAt(i);
    String where = " at position " + i + " (of " + token.length() + " characters)";
    String rule = " A JWS compact token is three base64url parts (A-Z a-z 0-9 - _) separated by two dots.";
    if (c == '\n' || c == '\r') {
      return "Token contains a line break (" + (c == '\n' ? "LF" : "CR") + ")" + where
          + ": a token is a single line, and one with a line break inside would corrupt the HTTP request."
          + " The file was edited, wrapped or concatenated; let the kubelet write it.";
    }
    if (c == ' ' || c == '\t') {
      if (token.regionMatches(true, 0, "bearer", 0, 6) && i == 6) {
        return "Token starts with the word \"Bearer\" and a space: the file must hold the bare token, without"
            + " an authorization scheme.";
      }
      return "Token contains " + (c == ' ' ? "a space" : "a tab") + where + "." + rule;
    }
    if (c == '=') {
      return "Token contains base64 padding ('=')" + where + ": a JWS uses unpadded base64url (RFC 7515)." + rule;
    }
    if (c == '+' || c == '/') {
      return "Token contains a standard-base64 character ('+' or '/')" + where
          + ": a JWS uses base64url ('-' and '_')." + rule;
    }
    if (c == '"' || c == '\'') {
      return "Token contains a quote character" + where + ": the file holds a quoted string (JSON?), not the bare"
          + " token." + rule;
    }
    int cp = token.codePointAt(i);
    String u = String.format(Locale.ROOT, "U+%04X", cp);
    if (cp == 0xFEFF) {
      return "Token contains a byte-order mark (U+FEFF)" + where + ": save the file as UTF-8 without a BOM." + rule;
    }
    if (Character.isISOControl(cp)) {
      return "Token contains the control character " + u + where + "." + rule;
    }
    if (cp > 0x7f) {
      return "Token contains the non-ASCII character " + u + where + " (a look-alike copied from a document or chat,"
          + " or a damaged file): a token is plain ASCII." + rule;
    }
    return "Token contains a character outside the JWS compact alphabet (" + u + ")" + where + "." + rule;
  }

  private static void requireAsymmetric(JWSAlgorithm alg) {
    if (alg != null && (JWSAlgorithm.Family.RSA.contains(alg) || JWSAlgorithm.Family.EC.contains(alg)
        || JWSAlgorithm.Family.ED.contains(alg))) {
      return;
    }
    String name = alg == null ? "no algorithm" : "\"" + Redaction.message(alg.getName()) + "\"";
    throw new MalformedTokenException("Token is signed with " + name + "; service-account tokens use an asymmetric"
        + " algorithm (RS256, ES256, PS256, EdDSA).");
  }

  /**
   * A NumericDate claim (RFC 7519: seconds since 1970-01-01T00:00:00Z), read from the raw JSON because
   * the JWT library silently wraps absurd values (1e30 becomes 1969). Null when absent.
   */
  private static Instant numericDate(Map<String, Object> json, String claim, RoundingMode rounding) {
    Object raw = json.get(claim);
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof Number n)) {
      throw new MalformedTokenException("Token's '" + claim + "' claim is not a valid date: it is " + jsonType(raw)
          + ", not a NumericDate (a number of seconds since 1970-01-01T00:00:00Z). The token is damaged or was not"
          + " issued by a Kubernetes API server.");
    }
    Long seconds = epochSeconds(n, rounding);
    if (seconds == null) {
      String shown = String.valueOf(n);
      if (shown.length() > 32) {
        shown = shown.substring(0, 32) + "...";
      }
      throw new MalformedTokenException("Token's '" + claim + "' claim is not a valid date: " + shown
          + (Double.isFinite(n.doubleValue()) ? " seconds since 1970 is " + (n.doubleValue() < 0 ? "before 1970" : "after the year 9999")
              : " is not a finite number")
          + ". The token is damaged or was not issued by a Kubernetes API server.");
    }
    return Instant.ofEpochSecond(seconds);
  }

  /** Whole seconds in [0, 9999-12-31T23:59:59Z], or null when {@code n} is not a date in that range. */
  private static Long epochSeconds(Number n, RoundingMode rounding) {
    if (n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte) {
      long v = n.longValue();
      return v >= 0 && v <= MAX_EPOCH_SECOND ? v : null;
    }
    double d = n.doubleValue();
    if (!Double.isFinite(d) || d < 0 || d > MAX_EPOCH_SECOND) {
      return null;
    }
    return (long) (rounding == RoundingMode.CEILING ? Math.ceil(d) : Math.floor(d));
  }

  private static String jsonType(Object raw) {
    if (raw instanceof String) {
      return "a string";
    }
    if (raw instanceof Boolean) {
      return "a boolean";
    }
    if (raw instanceof List) {
      return "an array";
    }
    if (raw instanceof Map) {
      return "an object";
    }
    return "a " + raw.getClass().getSimpleName();
  }

  /**
   * The raw token, for the request to a cloud. This is a bearer secret: never log it.
   *
   * @return the compact JWT, without surrounding whitespace
   */
  public String value() {
    return value;
  }

  /**
   * The {@code iss} claim: the cluster's service-account issuer URL, which a cloud's trust
   * configuration (OIDC provider, federated credential, workload identity pool) must name exactly.
   *
   * @return the issuer, never blank
   */
  public String issuer() {
    return issuer;
  }

  /**
   * The {@code sub} claim.
   *
   * @return the subject, never blank; {@code system:serviceaccount:<namespace>:<name>} for
   *     Kubernetes tokens
   */
  public String subject() {
    return subject;
  }

  /**
   * The {@code aud} claim as a list (Kubernetes always writes an array).
   *
   * @return the audiences in token order, unmodifiable, never empty
   */
  public List<String> audiences() {
    return audiences;
  }

  /**
   * Whether the token is meant for the given audience.
   *
   * @param audience the audience a cloud expects, for example {@code sts.amazonaws.com}
   * @return true if {@code aud} contains it exactly (case-sensitive, no normalisation of trailing
   *     slashes)
   */
  public boolean hasAudience(String audience) {
    return audiences.contains(audience);
  }

  /**
   * The {@code iat} claim: when the token was issued.
   *
   * @return the instant, rounded down to a whole second; empty if the token has no {@code iat}
   */
  public Optional<Instant> issuedAt() {
    return Optional.ofNullable(issuedAt);
  }

  /**
   * The {@code nbf} claim: when the token becomes valid.
   *
   * @return the instant, rounded up to a whole second; empty if the token has no {@code nbf}
   */
  public Optional<Instant> notBefore() {
    return Optional.ofNullable(notBefore);
  }

  /**
   * The {@code exp} claim: when the token stops being valid. Always present: tokens without it are
   * rejected by {@link #parse}.
   *
   * @return the instant, rounded down to a whole second
   */
  public Instant expiresAt() {
    return expiresAt;
  }

  /**
   * Whether the token is expired at the given instant. No clock skew is allowed for: a cloud refuses
   * a token from its {@code exp} on.
   *
   * @param now the instant to check, not {@code null}
   * @return true if {@code now} is at or after {@link #expiresAt()}
   */
  public boolean isExpiredAt(Instant now) {
    return !now.isBefore(expiresAt);
  }

  /**
   * The token's lifetime as issued (the kubelet rotates a projected token once 80% of it has passed).
   *
   * @return {@code exp - iat}; when {@code iat} is absent, {@code exp - nbf}; empty when the token has
   *     neither
   */
  public Optional<Duration> lifetime() {
    Instant start = issuedAt != null ? issuedAt : notBefore;
    return start == null ? Optional.empty() : Optional.of(Duration.between(start, expiresAt));
  }

  /**
   * The {@code kubernetes.io} claim: the namespace, service account, pod and node the token is bound
   * to.
   *
   * @return the claim, empty for tokens from other issuers (or where it is not a JSON object)
   */
  public Optional<KubernetesClaims> kubernetes() {
    return kubernetes;
  }

  /**
   * The JWS {@code kid} header: which of the issuer's signing keys signed the token.
   *
   * @return the key ID, empty if the header has none
   */
  public Optional<String> keyId() {
    return Optional.ofNullable(jwt.getHeader().getKeyID());
  }

  /**
   * A short, non-reversible fingerprint of the raw token (first 12 hex digits of its SHA-256), safe
   * to log and useful to tell two tokens apart.
   *
   * @return 12 lower-case hex digits
   */
  public String fingerprint() {
    return fingerprint;
  }

  /**
   * Verifies the signature against the given key set, choosing the key by {@code kid} (or trying
   * every key of a matching type when the token has no {@code kid}).
   *
   * <p>This checks the signature only, not the dates or the audience.
   *
   * @param keys the issuer's public keys (its JWKS document), not {@code null}; symmetric keys are
   *     ignored
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

  /** The claims (control characters escaped), for humans and logs; never the raw token. */
  @Override
  public String toString() {
    // Claims are not secret but are untrusted text: escape control characters (forged log lines, ANSI).
    StringBuilder sb = new StringBuilder("ProjectedToken{iss=").append(Redaction.escape(issuer))
        .append(", sub=").append(Redaction.escape(subject))
        .append(", aud=").append(Redaction.escape(audiences.toString()));
    if (issuedAt != null) {
      sb.append(", iat=").append(issuedAt);
    }
    sb.append(", exp=").append(expiresAt);
    if (notBefore != null && !notBefore.equals(issuedAt)) {
      sb.append(", nbf=").append(notBefore);
    }
    kubernetes.flatMap(KubernetesClaims::podName).ifPresent(p -> sb.append(", pod=").append(Redaction.escape(p)));
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
    // Nimbus messages describe the structure ("Invalid JWS header: Invalid JSON: ...") but the JSON
    // parser's part can quote the input; keep only the first clause, and redact even that.
    String m = String.valueOf(e.getMessage());
    int cut = m.indexOf(':');
    return Redaction.message(cut > 0 ? m.substring(0, cut) : m);
  }

  @SuppressWarnings("unchecked")
  private static Optional<KubernetesClaims> kubernetesClaims(JWTClaimsSet claims) {
    Object raw = claims.getClaim("kubernetes.io");
    if (!(raw instanceof Map<?, ?> k8s)) {
      return Optional.empty();
    }
    Map<String, Object> m = (Map<String, Object>) k8s;
    Long warn = m.get("warnafter") instanceof Number n ? epochSeconds(n, RoundingMode.FLOOR) : null;
    return Optional.of(new KubernetesClaims(
        string(m.get("namespace")),
        nested(m, "serviceaccount", "name"),
        nested(m, "serviceaccount", "uid"),
        nested(m, "pod", "name"),
        nested(m, "pod", "uid"),
        nested(m, "node", "name"),
        warn == null ? Optional.empty() : Optional.of(Instant.ofEpochSecond(warn))));
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
