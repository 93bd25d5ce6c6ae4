package io.workloadidentity.testkit;

import static io.workloadidentity.testkit.internal.FakeServer.json;
import static io.workloadidentity.testkit.internal.FakeServer.body;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.workloadidentity.testkit.internal.SecretRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;

/**
 * A local stand-in for a Kubernetes cluster's service-account token issuer: an OIDC issuer on
 * 127.0.0.1 that serves {@code /.well-known/openid-configuration} and {@code /openid/v1/jwks}
 * exactly as kube-apiserver does, and mints projected service-account tokens with exactly the
 * claims kube-apiserver puts in them, signed RS256 with an RSA-2048 key whose {@code kid} is derived
 * the Kubernetes way ({@code base64url(SHA-256(DER SubjectPublicKeyInfo))}).
 *
 * <pre>{@code
 * try (KubernetesCluster cluster = KubernetesCluster.start()) {
 *   String jwt = cluster.mint(TokenSpec.of("sts.amazonaws.com"));
 *   // or write it where the pod would see it, rotated like the kubelet does:
 *   ProjectedVolume volume = cluster.projectedVolume(dir, TokenSpec.of("sts.amazonaws.com"));
 * }
 * }</pre>
 *
 * <p>Fault injection ({@link #faults()}) applies to the discovery and key-set endpoints, e.g. a JWKS
 * outage: {@code cluster.faults().failAlways(Fault.serverError(503))}. Errors are rendered as
 * kube-apiserver {@code Status} objects.
 *
 * <p>Thread-safe. Closing it stops the server.
 */
public final class KubernetesCluster extends FakeEndpoint {
  /** Path of the discovery document, relative to the issuer. */
  public static final String DISCOVERY_PATH = "/.well-known/openid-configuration";
  /** Path of the key set, as kube-apiserver serves it. */
  public static final String JWKS_PATH = "/openid/v1/jwks";

  private final String issuer;
  private final Object keyLock = new Object();
  private volatile RSAKey signingKey;
  private volatile JWKSet publishedKeys;
  private RSAKey forgeryKey; // guarded by keyLock; created on first use

  private KubernetesCluster(Builder b) {
    super("kubernetes", b.https, b.clock);
    this.issuer = b.issuer != null ? stripSlash(b.issuer) : baseUrl();
    this.signingKey = generateKey();
    this.publishedKeys = new JWKSet(signingKey.toPublicJWK());
  }

  /**
   * Starts a cluster with the defaults: plain HTTP on 127.0.0.1, the system clock.
   *
   * @return the started cluster, with a fresh signing key
   */
  public static KubernetesCluster start() {
    return builder().build();
  }

  /**
   * A builder for a cluster with a custom clock, HTTPS or issuer.
   *
   * @return a builder with the defaults of {@link #start()}
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The issuer the fake clouds must trust.
   *
   * @return the issuer URL ({@code iss} claim and discovery {@code issuer}), without a trailing
   *     slash: this server's base URL unless {@link Builder#issuer} set another
   */
  public String issuer() {
    return issuer;
  }

  /**
   * The URL of the discovery document on this server (also when the issuer is overridden).
   *
   * @return {@code http(s)://127.0.0.1:PORT/.well-known/openid-configuration}
   */
  public String discoveryUri() {
    return url(DISCOVERY_PATH);
  }

  /**
   * The URL of the key set, as the discovery document's {@code jwks_uri} names it.
   *
   * @return {@code http(s)://127.0.0.1:PORT/openid/v1/jwks}
   */
  public String jwksUri() {
    return url(JWKS_PATH);
  }

  /**
   * The published public keys, as the key-set endpoint serves them now; pass them to {@link
   * io.workloadidentity.core.ProjectedToken#verify} to check a token offline.
   *
   * @return the current signing key first, then keys rotated out but not retired
   */
  public JWKSet publicKeys() {
    return publishedKeys;
  }

  /**
   * The key that signs newly minted tokens.
   *
   * @return its {@code kid}, as in minted tokens' headers
   */
  public String signingKeyId() {
    return signingKey.getKeyID();
  }

  /**
   * Mints a projected service-account token for {@code spec}: header {@code {"alg":"RS256","kid":..}},
   * claims {@code aud} (always an array), {@code exp}, {@code iat}, {@code iss}, {@code jti},
   * {@code kubernetes.io}, {@code nbf} (= {@code iat}) and {@code sub}.
   *
   * @param spec the subject, audiences and lifetime of the token; times are taken from the cluster's
   *     clock
   * @return the compact JWT; a bearer secret for the fake clouds, so don't log it
   */
  public String mint(TokenSpec spec) {
    return sign(spec, signingKey);
  }

  /**
   * Mints a token like {@link #mint} but signed with a private key that is not the cluster's, while
   * naming the current signing key's {@code kid}: a forgery that verifiers must reject for its
   * signature.
   *
   * @param spec the subject, audiences and lifetime of the token
   * @return the compact JWT, well formed and with valid claims; only its signature is wrong
   */
  public String mintForged(TokenSpec spec) {
    RSAKey forger;
    synchronized (keyLock) {
      if (forgeryKey == null) {
        forgeryKey = generateKey();
      }
      forger = forgeryKey;
    }
    try {
      RSAKey impostor = new RSAKey.Builder(forger).keyID(signingKey.getKeyID()).build();
      return sign(spec, impostor);
    } catch (RuntimeException e) {
      throw new IllegalStateException("Could not forge a token", e);
    }
  }

  /**
   * Rotates the signing key, as when an operator adds a new {@code --service-account-signing-key-file}:
   * new tokens are signed with a fresh key, and the old key stays published so tokens it signed
   * still verify until {@link #retireOldSigningKeys()}.
   *
   * @return the new signing key's {@code kid}
   */
  public String rotateSigningKey() {
    synchronized (keyLock) {
      RSAKey next = generateKey();
      List<JWK> keys = new ArrayList<>();
      keys.add(next.toPublicJWK());
      keys.addAll(publishedKeys.getKeys());
      signingKey = next;
      publishedKeys = new JWKSet(keys);
      return next.getKeyID();
    }
  }

  /** Stops publishing every key except the current signing key: older tokens no longer verify. */
  public void retireOldSigningKeys() {
    synchronized (keyLock) {
      publishedKeys = new JWKSet(signingKey.toPublicJWK());
    }
  }

  /**
   * Writes a projected volume for {@code spec} into {@code dir} in the kubelet's layout, with a
   * freshly minted token; see {@link ProjectedVolume}.
   *
   * @param dir the mount directory, created if needed; it must not hold a projected volume already
   * @param spec what every token of the volume is minted from
   * @return the volume; close it to delete the files it wrote
   * @throws IllegalArgumentException if {@code dir} already holds a projected volume
   * @throws java.io.UncheckedIOException if the directory or files cannot be written
   */
  public ProjectedVolume projectedVolume(Path dir, TokenSpec spec) {
    return new ProjectedVolume(this, dir, spec);
  }

  @Override
  MockResponse handle(RecordedRequest request) {
    String path = request.getUrl().encodedPath();
    boolean known = path.equals(DISCOVERY_PATH) || path.equals(JWKS_PATH);
    if (!known) {
      return status(404, "NotFound", "the server could not find the requested resource");
    }
    if (!"GET".equals(request.getMethod())) {
      return status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    }
    if (path.equals(DISCOVERY_PATH)) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("issuer", issuer);
      doc.put("jwks_uri", jwksUri());
      doc.put("response_types_supported", List.of("id_token"));
      doc.put("subject_types_supported", List.of("public"));
      doc.put("id_token_signing_alg_values_supported", List.of("RS256"));
      return cached(body(200, "application/json", JSONObjectUtils.toJSONString(doc)));
    }
    return cached(body(200, "application/jwk-set+json", JSONObjectUtils.toJSONString(jwks())));
  }

  @Override
  MockResponse renderFault(Fault fault, RecordedRequest request) {
    return switch (fault.kind()) {
      case THROTTLED -> status(429, "TooManyRequests", "Too many requests, please try again later.")
          .newBuilder().setHeader("Retry-After", "1").build();
      case SERVER_ERROR -> status(fault.status(), fault.status() == 503 ? "ServiceUnavailable" : "InternalError",
          "the server is currently unable to handle the request");
      default -> status(fault.status(), fault.code().orElse("InternalError"), fault.message().orElse(""));
    };
  }

  /** The JWKS document: each key with use, kty, kid, alg, n, e, in kube-apiserver's field order. */
  private Map<String, Object> jwks() {
    List<Object> keys = new ArrayList<>();
    for (JWK k : publishedKeys.getKeys()) {
      RSAKey rsa = (RSAKey) k;
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("use", "sig");
      m.put("kty", "RSA");
      m.put("kid", rsa.getKeyID());
      m.put("alg", "RS256");
      m.put("n", rsa.getModulus().toString());
      m.put("e", rsa.getPublicExponent().toString());
      keys.add(m);
    }
    return Map.of("keys", keys);
  }

  private static MockResponse cached(MockResponse r) {
    return r.newBuilder().setHeader("Cache-Control", "public, max-age=3600").build();
  }

  /** A kube-apiserver {@code Status} error object. */
  private static MockResponse status(int code, String reason, String message) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("kind", "Status");
    s.put("apiVersion", "v1");
    s.put("metadata", Map.of());
    s.put("status", "Failure");
    s.put("message", message);
    s.put("reason", reason);
    s.put("code", code);
    return json(code, s);
  }

  private String sign(TokenSpec spec, RSAKey key) {
    Instant iat = spec.issuedAt().orElseGet(() -> Instant.ofEpochSecond(clock().instant().getEpochSecond()));
    long now = iat.getEpochSecond();
    long lifetime = spec.lifetime().getSeconds();
    long exp = spec.extended() ? now + TokenSpec.EXTENDED_EXPIRY.getSeconds() : now + lifetime;

    // Field order as kube-apiserver's JSON encoding emits it (alphabetical).
    Map<String, Object> k8s = new LinkedHashMap<>();
    k8s.put("namespace", spec.namespace());
    k8s.put("node", ref(spec.nodeName(), "node/" + spec.nodeName()));
    k8s.put("pod", ref(spec.podName(), "pod/" + spec.namespace() + "/" + spec.podName()));
    k8s.put("serviceaccount", ref(spec.serviceAccount(), "sa/" + spec.namespace() + "/" + spec.serviceAccount()));
    if (spec.extended()) {
      k8s.put("warnafter", now + lifetime);
    }
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("aud", spec.audiences()); // always an array, even for one audience
    claims.put("exp", exp);
    claims.put("iat", now);
    claims.put("iss", issuer);
    claims.put("jti", UUID.randomUUID().toString());
    claims.put("kubernetes.io", k8s);
    claims.put("nbf", now);
    claims.put("sub", spec.subject());

    JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build();
    JWSObject jws = new JWSObject(header, new Payload(JSONObjectUtils.toJSONString(claims)));
    try {
      jws.sign(new RSASSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("Could not sign a token", e);
    }
    // Registered before anyone sees it, for SecretLeakGuard: a projected token must never be logged.
    return SecretRegistry.register(jws.serialize(), "a token minted by KubernetesCluster");
  }

  /** {@code {name, uid}} with a UID that is stable for the same object, like a real cluster's. */
  private static Map<String, Object> ref(String name, String identity) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("uid", UUID.nameUUIDFromBytes(identity.getBytes(StandardCharsets.UTF_8)).toString());
    return m;
  }

  private static RSAKey generateKey() {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
      gen.initialize(2048);
      KeyPair pair = gen.generateKeyPair();
      RSAPublicKey pub = (RSAPublicKey) pair.getPublic();
      return new RSAKey.Builder(pub)
          .privateKey((RSAPrivateKey) pair.getPrivate())
          .keyUse(KeyUse.SIGNATURE)
          .algorithm(JWSAlgorithm.RS256)
          .keyID(keyId(pub))
          .build();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("RSA is required by every JVM", e);
    }
  }

  /** Kubernetes' {@code keyIDFromPublicKey}: base64url, no padding, of SHA-256 over the DER SPKI. */
  static String keyId(RSAPublicKey key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JVM", e);
    }
  }

  private static String stripSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  /** Settings of a {@link KubernetesCluster}. Not thread-safe. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private boolean https;
    private String issuer;

    private Builder() {}

    /**
     * The clock for {@code iat}/{@code nbf}/{@code exp} and projected-volume rotation; share it with
     * the fake clouds and the code under test.
     *
     * @param clock the clock, not {@code null}; default the system clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Whether to serve HTTPS with a certificate from the testkit CA (trusted by {@link KubernetesCluster#sslContext()}).
     * Default false: plain HTTP on loopback.
     *
     * @param https true for HTTPS
     * @return this builder
     */
    public Builder https(boolean https) {
      this.https = https;
      return this;
    }

    /**
     * Overrides the issuer ({@code iss} of minted tokens and the discovery {@code issuer}); by
     * default it is this server's base URL. An issuer that is not this server's URL is one a
     * cloud cannot reach, as with a private cluster's {@code https://kubernetes.default.svc}.
     *
     * @param issuer the issuer URL; a trailing slash is removed
     * @return this builder
     */
    public Builder issuer(String issuer) {
      this.issuer = Objects.requireNonNull(issuer, "issuer");
      return this;
    }

    /**
     * Starts the cluster.
     *
     * @return the started cluster, with a fresh signing key
     */
    public KubernetesCluster build() {
      return new KubernetesCluster(this);
    }
  }
}
