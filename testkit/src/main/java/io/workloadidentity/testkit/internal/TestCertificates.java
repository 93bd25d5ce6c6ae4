package io.workloadidentity.testkit.internal;

import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;

/**
 * The testkit's certificate authority and the TLS material built from it.
 *
 * <p>Deliberate JVM-wide sharing: one root CA per JVM (created on first use, immutable) signs the
 * certificate of every HTTPS fake server, so a single trust manager ({@link #clientCertificates()})
 * trusts all of them. That matters for SDKs whose HTTP client is configured once per JVM.
 */
public final class TestCertificates {
  private TestCertificates() {}

  private static final class Root {
    static final HeldCertificate CA = new HeldCertificate.Builder()
        .certificateAuthority(0)
        .commonName("workload-identity-testkit CA")
        .duration(3650, TimeUnit.DAYS)
        .build();
    static final HandshakeCertificates CLIENT = new HandshakeCertificates.Builder()
        .addTrustedCertificate(CA.certificate())
        .build();
  }

  /** The root certificate every testkit server certificate chains to. */
  public static X509Certificate rootCertificate() {
    return Root.CA.certificate();
  }

  /** Client-side TLS material that trusts (only) the testkit CA. */
  public static HandshakeCertificates clientCertificates() {
    return Root.CLIENT;
  }

  /** Server-side TLS material for a loopback server: SAN {@code localhost} and {@code 127.0.0.1}. */
  public static HandshakeCertificates serverCertificates() {
    HeldCertificate leaf = new HeldCertificate.Builder()
        .commonName("localhost")
        .addSubjectAlternativeName("localhost")
        .addSubjectAlternativeName("127.0.0.1")
        .duration(3650, TimeUnit.DAYS)
        .signedBy(Root.CA)
        .build();
    return new HandshakeCertificates.Builder()
        .heldCertificate(leaf, Root.CA.certificate())
        .build();
  }
}
