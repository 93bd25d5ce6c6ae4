package io.workloadidentity.testkit.internal;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Verifies a JWT the way a cloud identity service verifies a federated token: it fetches the
 * issuer's OIDC discovery document ({@code iss + "/.well-known/openid-configuration"}) and then its
 * {@code jwks_uri} over HTTP, picks the key by {@code kid}, checks the signature, then {@code exp}
 * and {@code nbf} against a {@link Clock}.
 *
 * <p>Key sets are cached per issuer for {@link Builder#jwksCacheTtl(Duration)} (by the clock) and
 * re-fetched when a token names an unknown {@code kid}, as the clouds do after a key rotation. A
 * cached key set keeps working during an issuer outage until it ages out.
 *
 * <p>Whether the issuer is registered and the audience allowed is the calling fake cloud's job:
 * read the unverified claims with {@link #unverifiedClaims(String)} first (a cloud does not fetch
 * keys from an issuer it doesn't know), then call {@link #verify(String)}.
 *
 * <p>Thread-safe. {@link #close()} releases the HTTP connections.
 */
public final class OidcVerifier implements AutoCloseable {
  /** Why a token was rejected; each fake cloud maps these to its own error codes. */
  public enum Reason {
    /** Not a signed JWT, unsupported algorithm ({@code none}, HMAC), or missing {@code iss}/{@code exp}. */
    MALFORMED,
    /** The discovery document or the key set could not be fetched (I/O error, timeout, non-200, bad JSON). */
    ISSUER_UNREACHABLE,
    /** The discovery document names another issuer than the token's {@code iss}. */
    ISSUER_MISMATCH,
    /** No key in the issuer's key set has the token's {@code kid}, even after a re-fetch. */
    UNKNOWN_KEY,
    /** The signature does not verify with the issuer's key. */
    BAD_SIGNATURE,
    /** {@code exp} is not in the future. */
    EXPIRED,
    /** {@code nbf} (or {@code iat}) is in the future beyond the leeway. */
    NOT_YET_VALID
  }

  /**
   * A rejected token. The message says what is wrong in words fit for a cloud's error text; it
   * names claims such as {@code iss} but never contains the token.
   */
  public static final class Rejection extends Exception {
    private static final long serialVersionUID = 1L;
    private final Reason reason;

    /** A rejection for {@code reason}. */
    public Rejection(Reason reason, String message) {
      this(reason, message, null);
    }

    /** A rejection for {@code reason} with the underlying cause (an I/O error, say). */
    public Rejection(Reason reason, String message, Throwable cause) {
      super(message, cause);
      this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** Why the token was rejected. */
    public Reason reason() {
      return reason;
    }
  }

  private final Clock clock;
  private final OkHttpClient http;
  private final Duration notBeforeLeeway;
  private final Duration expiryLeeway;
  private final Duration jwksCacheTtl;
  private final Map<String, CachedKeys> cache = new ConcurrentHashMap<>();

  private OidcVerifier(Builder b) {
    this.clock = b.clock;
    this.notBeforeLeeway = b.notBeforeLeeway;
    this.expiryLeeway = b.expiryLeeway;
    this.jwksCacheTtl = b.jwksCacheTtl;
    this.http = new OkHttpClient.Builder()
        .connectTimeout(b.timeout)
        .readTimeout(b.timeout)
        .callTimeout(b.timeout.multipliedBy(2))
        .retryOnConnectionFailure(false)
        .followRedirects(true)
        .sslSocketFactory(TestCertificates.clientCertificates().sslSocketFactory(),
            TestCertificates.clientCertificates().trustManager())
        .build();
  }

  /** A verifier with the system clock and default settings. */
  public static OidcVerifier create() {
    return builder().build();
  }

  /** A builder for a verifier. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Parses the token without verifying anything but its shape, so a fake cloud can look up the
   * issuer it claims before trusting it.
   *
   * @throws Rejection with {@link Reason#MALFORMED}
   */
  public static JWTClaimsSet unverifiedClaims(String token) throws Rejection {
    return claimsOf(parse(token));
  }

  /**
   * Verifies signature, expiry and not-before of {@code token} against its issuer's published keys.
   *
   * @return the verified claims
   * @throws Rejection why the token is not acceptable
   */
  public JWTClaimsSet verify(String token) throws Rejection {
    SignedJWT jwt = parse(token);
    JWTClaimsSet claims = claimsOf(jwt);
    String kid = jwt.getHeader().getKeyID();
    CachedKeys keys = keys(claims.getIssuer(), false);
    List<JWK> candidates = candidates(keys.keys, kid);
    if (candidates.isEmpty() && !keys.fresh) {
      // Unknown kid with a cached key set: the issuer may have rotated its key since.
      candidates = candidates(keys(claims.getIssuer(), true).keys, kid);
    }
    if (candidates.isEmpty()) {
      throw new Rejection(Reason.UNKNOWN_KEY, "The token's signing key " + (kid == null ? "(no kid)" : "kid " + kid)
          + " is not in the key set published by issuer " + claims.getIssuer() + ".");
    }
    if (!verifiesWithAny(jwt, candidates)) {
      throw new Rejection(Reason.BAD_SIGNATURE, "The token's signature does not verify with the key"
          + (kid == null ? "s" : " " + kid) + " published by issuer " + claims.getIssuer() + ".");
    }
    Instant now = clock.instant();
    Instant exp = claims.getExpirationTime().toInstant();
    if (!now.isBefore(exp.plus(expiryLeeway))) {
      throw new Rejection(Reason.EXPIRED, "The token expired at " + exp + " (now " + now + ").");
    }
    Instant nbf = claims.getNotBeforeTime() != null ? claims.getNotBeforeTime().toInstant()
        : claims.getIssueTime() != null ? claims.getIssueTime().toInstant() : null;
    if (nbf != null && now.plus(notBeforeLeeway).isBefore(nbf)) {
      throw new Rejection(Reason.NOT_YET_VALID, "The token is not valid before " + nbf + " (now " + now + ").");
    }
    return claims;
  }

  /** Forgets every cached discovery document and key set. */
  public void clearCache() {
    cache.clear();
  }

  /** Releases the HTTP connections. */
  @Override
  public void close() {
    http.connectionPool().evictAll();
  }

  private static SignedJWT parse(String token) throws Rejection {
    if (token == null || token.isBlank()) {
      throw new Rejection(Reason.MALFORMED, "The token is empty.");
    }
    String t = token.strip();
    if (t.chars().filter(c -> c == '.').count() != 2) {
      throw new Rejection(Reason.MALFORMED, "The token is not a signed JWT (expected three dot-separated parts).");
    }
    JWT jwt;
    try {
      jwt = JWTParser.parse(t);
    } catch (ParseException e) {
      throw new Rejection(Reason.MALFORMED, "The token is not a parseable JWT.");
    }
    if (jwt instanceof PlainJWT) {
      throw new Rejection(Reason.MALFORMED, "The token is unsigned (alg none).");
    }
    if (!(jwt instanceof SignedJWT signed)) {
      throw new Rejection(Reason.MALFORMED, "The token is encrypted, not signed.");
    }
    JWSAlgorithm alg = signed.getHeader().getAlgorithm();
    if (!JWSAlgorithm.Family.RSA.contains(alg) && !JWSAlgorithm.Family.EC.contains(alg)) {
      throw new Rejection(Reason.MALFORMED, "The token's algorithm " + alg + " is not supported (RS*, PS*, ES* only).");
    }
    return signed;
  }

  private static JWTClaimsSet claimsOf(SignedJWT jwt) throws Rejection {
    JWTClaimsSet claims;
    try {
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new Rejection(Reason.MALFORMED, "The token payload is not a JSON claims set.");
    }
    if (claims.getIssuer() == null || claims.getIssuer().isBlank()) {
      throw new Rejection(Reason.MALFORMED, "The token has no iss claim.");
    }
    if (claims.getExpirationTime() == null) {
      throw new Rejection(Reason.MALFORMED, "The token has no exp claim.");
    }
    return claims;
  }

  private CachedKeys keys(String issuer, boolean refetch) throws Rejection {
    Instant now = clock.instant();
    CachedKeys cached = cache.get(issuer);
    if (!refetch && cached != null && now.isBefore(cached.fetchedAt.plus(jwksCacheTtl))) {
      return new CachedKeys(cached.keys, cached.fetchedAt, false);
    }
    String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
    Map<String, Object> discovery;
    try {
      discovery = JSONObjectUtils.parse(get(base + "/.well-known/openid-configuration", "discovery document"));
    } catch (ParseException e) {
      throw new Rejection(Reason.ISSUER_UNREACHABLE,
          "The OpenID discovery document of issuer " + issuer + " is not valid JSON.");
    }
    if (!issuer.equals(discovery.get("issuer"))) {
      throw new Rejection(Reason.ISSUER_MISMATCH, "The discovery document at " + base
          + "/.well-known/openid-configuration names issuer " + discovery.get("issuer")
          + ", not the token's issuer " + issuer + ".");
    }
    if (!(discovery.get("jwks_uri") instanceof String jwksUri) || jwksUri.isBlank()) {
      throw new Rejection(Reason.ISSUER_UNREACHABLE, "The discovery document of issuer " + issuer + " has no jwks_uri.");
    }
    JWKSet keys;
    try {
      keys = JWKSet.parse(get(jwksUri, "key set"));
    } catch (ParseException e) {
      throw new Rejection(Reason.ISSUER_UNREACHABLE, "The key set at " + jwksUri + " is not a valid JWK set.");
    }
    CachedKeys fetched = new CachedKeys(keys, now, true);
    cache.put(issuer, fetched);
    return fetched;
  }

  private String get(String url, String what) throws Rejection {
    Request request;
    try {
      request = new Request.Builder().url(url).header("Accept", "application/json").build();
    } catch (IllegalArgumentException e) {
      throw new Rejection(Reason.ISSUER_UNREACHABLE, "The " + what + " URL " + url + " is not a valid HTTP(S) URL.");
    }
    try (Response response = http.newCall(request).execute()) {
      ResponseBody body = response.body();
      if (response.code() != 200) {
        throw new Rejection(Reason.ISSUER_UNREACHABLE,
            "Fetching the " + what + " at " + url + " failed with HTTP " + response.code() + ".");
      }
      return body.string();
    } catch (IOException e) {
      throw new Rejection(Reason.ISSUER_UNREACHABLE,
          "Fetching the " + what + " at " + url + " failed: " + e.getClass().getSimpleName() + ".", e);
    }
  }

  private static List<JWK> candidates(JWKSet keys, String kid) {
    List<JWK> out = new ArrayList<>();
    for (JWK k : keys.getKeys()) {
      if ((kid == null || kid.equals(k.getKeyID())) && k instanceof AsymmetricJWK
          && (k.getKeyUse() == null || "sig".equals(k.getKeyUse().identifier()))) {
        out.add(k);
      }
    }
    return out;
  }

  private static boolean verifiesWithAny(SignedJWT jwt, List<JWK> keys) {
    DefaultJWSVerifierFactory factory = new DefaultJWSVerifierFactory();
    for (JWK k : keys) {
      try {
        JWSVerifier verifier = factory.createJWSVerifier(jwt.getHeader(), ((AsymmetricJWK) k).toPublicKey());
        if (jwt.verify(verifier)) {
          return true;
        }
      } catch (JOSEException e) {
        // Wrong key type for the algorithm: not this key.
      }
    }
    return false;
  }

  private record CachedKeys(JWKSet keys, Instant fetchedAt, boolean fresh) {}

  /** Settings of an {@link OidcVerifier}. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private Duration timeout = Duration.ofSeconds(2);
    private Duration notBeforeLeeway = Duration.ofMinutes(1);
    private Duration expiryLeeway = Duration.ZERO;
    private Duration jwksCacheTtl = Duration.ofHours(1);

    private Builder() {}

    /** The clock for {@code exp}/{@code nbf} checks and the cache age. Default: system UTC. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Connect and read timeout of each fetch. Default 2 s. */
    public Builder timeout(Duration timeout) {
      this.timeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** How far in the future {@code nbf} may be (clock skew). Default 1 minute. */
    public Builder notBeforeLeeway(Duration leeway) {
      this.notBeforeLeeway = Objects.requireNonNull(leeway, "leeway");
      return this;
    }

    /** How long after {@code exp} a token is still accepted. Default zero. */
    public Builder expiryLeeway(Duration leeway) {
      this.expiryLeeway = Objects.requireNonNull(leeway, "leeway");
      return this;
    }

    /** How long a fetched key set is used before it is fetched again. Default 1 hour. */
    public Builder jwksCacheTtl(Duration ttl) {
      this.jwksCacheTtl = Objects.requireNonNull(ttl, "ttl");
      return this;
    }

    /** Builds the verifier. */
    public OidcVerifier build() {
      return new OidcVerifier(this);
    }
  }
}
