package io.workloadidentity.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.workloadidentity.core.CredentialExchangeException;
import io.workloadidentity.core.Environment;
import io.workloadidentity.testkit.CacheEvents;
import io.workloadidentity.testkit.FakeAwsPodIdentityAgent;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * One retry policy, the cache's: an outage costs exactly one HTTP request per cache attempt, with
 * this module's STS client, with a caller's STS client built with the SDK's default retries, and
 * with the Pod Identity agent. And every attempt ends at the exchange timeout.
 */
@ExtendWith(SecretLeakGuard.class)
class OneRequestPerAttemptTest {
  private static final int ATTEMPTS = 6;

  @TempDir Path dir;

  /**
   * Reads {@code ATTEMPTS} times with nothing cached, moving the clock past the longest backoff (60 s)
   * between reads, so that each read starts exactly one attempt; returns the attempts started.
   */
  private static int outage(AwsCredentialsProvider p, TestClock clock, CacheEvents events) {
    for (int i = 0; i < ATTEMPTS; i++) {
      AwsExchangeException e = catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials);
      assertThat(e.retryable()).isTrue();
      clock.advance(Duration.ofSeconds(61));
    }
    return events.startedCount();
  }

  @Test
  void anStsOutageCostsOneRequestPerAttempt() {
    try (Testbed bed = new Testbed(dir)) {
      CacheEvents events = CacheEvents.create();
      bed.sts.faults().failAlways(Fault.serverError(503));
      try (var p = bed.provider().listener(events).build()) {
        assertThat(outage(p, bed.clock, events)).isEqualTo(ATTEMPTS);
      }
      assertThat(bed.sts.assumeRoleRequests()).as("STS requests").hasSize(ATTEMPTS);
    }
  }

  /** A caller's StsClient keeps the SDK's default retry strategy; it is switched off per request. */
  @Test
  void anStsOutageCostsOneRequestPerAttemptWithACallersClientThatRetries() {
    try (Testbed bed = new Testbed(dir);
        StsClient retrying = StsClient.builder()
            .region(Region.US_WEST_2)
            .endpointOverride(bed.sts.endpoint())
            .credentialsProvider(AnonymousCredentialsProvider.create())
            .httpClientBuilder(UrlConnectionHttpClient.builder())
            .build()) {
      CacheEvents events = CacheEvents.create();
      bed.sts.faults().failAlways(Fault.serverError(503));
      try (var p = bed.provider().stsClient(retrying).listener(events).build()) {
        assertThat(outage(p, bed.clock, events)).isEqualTo(ATTEMPTS);
      }
      assertThat(bed.sts.assumeRoleRequests()).as("STS requests").hasSize(ATTEMPTS);

      // The same client used directly still retries: only our requests had the SDK's retries off.
      bed.sts.clearRequests();
      catchThrowableOfType(software.amazon.awssdk.services.sts.model.StsException.class,
          () -> retrying.getCallerIdentity());
      assertThat(bed.sts.requestCount()).isGreaterThan(1);
    }
  }

  @Test
  void aPodIdentityOutageCostsOneRequestPerAttempt() {
    TestClock clock = TestClock.create();
    try (PodIdentityBed bed = new PodIdentityBed(dir, clock)) {
      CacheEvents events = CacheEvents.create();
      bed.agent.faults().failAlways(Fault.serverError(500));
      try (var p = bed.provider().listener(events).build()) {
        assertThat(outage(p, clock, events)).isEqualTo(ATTEMPTS);
      }
      assertThat(bed.agent.requestCount()).as("agent requests").isEqualTo(ATTEMPTS);
    }
  }

  @Test
  @Timeout(20)
  void aHungStsCallEndsAtTheExchangeTimeout() {
    try (Testbed bed = new Testbed(dir)) {
      bed.sts.faults().latency(Duration.ofSeconds(60));
      try (var p = bed.provider().exchangeTimeout(Duration.ofMillis(500)).build()) {
        assertHung(p::resolveCredentials);
      }
      assertThat(bed.sts.assumeRoleRequests()).hasSize(1);
    }
  }

  @Test
  @Timeout(20)
  void aHungPodIdentityCallEndsAtTheExchangeTimeout() {
    TestClock clock = TestClock.create();
    try (PodIdentityBed bed = new PodIdentityBed(dir, clock)) {
      bed.agent.faults().latency(Duration.ofSeconds(60));
      try (var p = bed.provider().exchangeTimeout(Duration.ofMillis(500)).build()) {
        assertHung(p::resolveCredentials);
      }
      assertThat(bed.agent.requestCount()).isEqualTo(1);
    }
  }

  /** The read fails, retryably, long before the server would have answered. */
  private static void assertHung(Supplier<?> read) {
    long start = System.nanoTime();
    CredentialExchangeException e = catchThrowableOfType(CredentialExchangeException.class, read::get);
    assertThat(e.retryable()).isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }

  /** A cluster, its Pod Identity token volume and a fake agent that trusts it. */
  static final class PodIdentityBed implements AutoCloseable {
    final TestClock clock;
    final KubernetesCluster cluster;
    final FakeAwsPodIdentityAgent agent;
    final ProjectedVolume volume;

    PodIdentityBed(Path dir, TestClock clock) {
      this.clock = clock;
      cluster = KubernetesCluster.builder().clock(clock).build();
      agent = FakeAwsPodIdentityAgent.start(clock, Duration.ofHours(6));
      agent.trustIssuer(cluster.issuer()).associate("shop", "orders", "arn:aws:iam::444455556666:role/orders");
      volume = cluster.projectedVolume(dir, TokenSpec.builder().namespace("shop").serviceAccount("orders")
          .audiences("pods.eks.amazonaws.com").lifetime(Duration.ofHours(24)).build());
    }

    EksPodIdentityCredentialsProvider.Builder provider() {
      return EksPodIdentityCredentialsProvider.builder().environment(Environment.of(Map.of()))
          .endpoint(agent.credentialsUrl()).tokenFile(volume.tokenFile()).clock(clock);
    }

    @Override
    public void close() {
      volume.close();
      agent.close();
      cluster.close();
    }
  }
}
