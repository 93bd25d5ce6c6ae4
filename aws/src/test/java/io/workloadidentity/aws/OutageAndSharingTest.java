package io.workloadidentity.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.core.FileTokenSource;
import io.workloadidentity.core.internal.Shared;
import io.workloadidentity.testkit.CacheEvents;
import io.workloadidentity.testkit.CountingTokenSource;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.services.s3.S3Client;

/** STS outages under concurrent load, and one STS session shared by many SDK clients. */
@ExtendWith(SecretLeakGuard.class) // no token, key or session token of the fakes in any log or console output
class OutageAndSharingTest {
  @TempDir Path dir;
  Testbed bed;

  @BeforeEach
  void start() {
    bed = new Testbed(dir);
  }

  @AfterEach
  void stop() {
    bed.close();
  }

  /**
   * Acceptance: STS failing with 503 and then Throttling for nine minutes, shorter than the
   * credentials' remaining life, is invisible to 16 concurrent callers, and the provider backs off
   * instead of calling STS on every read.
   */
  @Test
  void anOutageShorterThanTheRemainingLifeIsInvisibleTo16ConcurrentCallers() throws Exception {
    CacheEvents events = CacheEvents.create();
    ExecutorService callers = Executors.newFixedThreadPool(16);
    Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
    try (FileTokenSource file = FileTokenSource.builder(bed.volume.tokenFile()).clock(bed.clock).build();
        var p = bed.provider().tokenSource(exchanges(file)).listener(events).build()) {
      AwsSessionCredentials first = (AwsSessionCredentials) p.resolveCredentials();
      events.awaitRefreshed();
      Instant start = bed.clock.instant();
      Instant expiry = first.expirationTime().orElseThrow();
      bed.sts.clearRequests();
      bed.sts.faults().failAlways(Fault.serverError(503));

      // Minute 47 (before the earliest refresh point) to 56: a nine-minute outage, 503 then Throttling.
      bed.clock.set(start.plus(Duration.ofMinutes(47)));
      int reads = 0;
      while (bed.clock.instant().isBefore(start.plus(Duration.ofMinutes(56)))) {
        if (bed.clock.instant().equals(start.plus(Duration.ofMinutes(52)))) {
          bed.sts.faults().clear().failAlways(Fault.throttled());
        }
        reads += readConcurrently(p, callers, errors);
        settle(events);
        bed.clock.advance(Duration.ofSeconds(1));
      }
      int callsDuringOutage = bed.sts.assumeRoleRequests().size();
      bed.sts.faults().clear();

      // STS is back: a refresh succeeds at the next backoff point, well before the old credentials expire.
      while (!events.refreshedWithin(Duration.ZERO)) {
        assertThat(bed.clock.instant()).as("recovered before the credentials expired").isBefore(expiry);
        reads += readConcurrently(p, callers, errors);
        settle(events);
        bed.clock.advance(Duration.ofSeconds(1));
      }
      AwsCredentials recovered = p.resolveCredentials();
      assertThat(recovered).isNotEqualTo(first);

      assertThat(errors).as("errors seen by callers").isEmpty();
      assertThat(reads).isGreaterThan(16 * 4 * 540);
      assertThat(events.failures()).as("failed background attempts").hasSize(callsDuringOutage)
          .allSatisfy(e -> assertThat(((AwsExchangeException) e).retryable()).isTrue());
      // Capped exponential backoff (1 s doubling to 60 s) with full jitter: about 20 attempts in nine
      // minutes. Without backoff it would be one per second (540), without single flight one per read.
      assertThat(callsDuringOutage).as("STS calls during the outage").isBetween(8, 60);
      assertThat(bed.sts.assumeRoleRequests().stream().filter(r -> r.status() == 200)).hasSize(1);
      assertThat(recovered.accessKeyId()).isEqualTo(bed.sts.issued().get(1).accessKeyId());
    } finally {
      callers.shutdownNow();
    }
  }

  private CountingTokenSource exchangesStarted;

  private CountingTokenSource exchanges(FileTokenSource file) {
    exchangesStarted = CountingTokenSource.of(file);
    return exchangesStarted;
  }

  /**
   * Lets every exchange that started finish before the clock moves on, so the number of STS calls
   * is decided by the backoff and not by how fast this test advances the clock.
   */
  private void settle(CacheEvents events) throws InterruptedException {
    events.awaitCompleted(exchangesStarted.reads());
  }

  /** Each of 16 callers reads 4 times; every credential must be unexpired by the clock. */
  private int readConcurrently(AwsWebIdentityCredentialsProvider p, ExecutorService callers, Queue<Throwable> errors)
      throws Exception {
    List<Callable<Integer>> tasks = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      tasks.add(() -> {
        for (int j = 0; j < 4; j++) {
          try {
            AwsSessionCredentials c = (AwsSessionCredentials) p.resolveCredentials();
            if (!c.expirationTime().orElseThrow().isAfter(bed.clock.instant())) {
              errors.add(new AssertionError("expired credentials handed out"));
            }
          } catch (RuntimeException e) {
            errors.add(e);
          }
        }
        return 4;
      });
    }
    int n = 0;
    for (Future<Integer> f : callers.invokeAll(tasks, 10, TimeUnit.SECONDS)) {
      n += f.get();
    }
    return n;
  }

  /** Acceptance: ten SDK clients, each with its own {@code create()}, make one STS call. */
  @Test
  void tenSdkClientsEachBuiltWithCreateShareOneStsSession() throws Exception {
    int sessionsBefore = Shared.live();
    System.setProperty("aws.roleArn", Testbed.ROLE);
    System.setProperty("aws.webIdentityTokenFile", bed.volume.tokenFile().toString());
    System.setProperty("aws.region", "us-west-2");
    System.setProperty("aws.endpointUrlSts", bed.sts.endpoint().toString());
    List<AwsWebIdentityCredentialsProvider> providers = new ArrayList<>();
    List<S3Client> clients = new ArrayList<>();
    try (S3Recorder s3 = new S3Recorder()) {
      for (int i = 0; i < 10; i++) {
        AwsWebIdentityCredentialsProvider p = AwsWebIdentityCredentialsProvider.create();
        providers.add(p);
        clients.add(s3.client(p));
      }
      // Built explicitly with the same values, and with a listener of its own: the same session.
      AwsWebIdentityCredentialsProvider explicit = AwsWebIdentityCredentialsProvider.builder()
          .roleArn(Testbed.ROLE).tokenFile(bed.volume.tokenFile()).region("us-west-2")
          .stsEndpoint(bed.sts.endpoint()).listener(CacheEvents.create()).build();
      providers.add(explicit);
      assertThat(Shared.live()).isEqualTo(sessionsBefore + 1);
      for (S3Client c : clients) {
        c.headBucket(b -> b.bucket("orders"));
      }
      String key = bed.sts.issued().get(0).accessKeyId();
      for (int i = 0; i < 10; i++) {
        assertThat(S3Recorder.verifySigV4(s3.take(), bed.sts.issued().get(0).secretAccessKey())).isEqualTo(key);
      }
      assertThat(bed.sts.assumeRoleRequests()).hasSize(1);
    } finally {
      clients.forEach(S3Client::close);
      providers.forEach(AwsWebIdentityCredentialsProvider::close);
      for (String k : List.of("aws.roleArn", "aws.webIdentityTokenFile", "aws.region", "aws.endpointUrlSts")) {
        System.clearProperty(k);
      }
    }
    assertThat(Shared.live()).as("the last close ends the session").isEqualTo(sessionsBefore);
  }

  /** Acceptance: with ten clients, each refresh cycle costs one STS call. */
  @Test
  void tenSdkClientsMakeOneStsCallPerRefreshCycle() throws Exception {
    CacheEvents events = CacheEvents.create();
    List<AwsWebIdentityCredentialsProvider> providers = new ArrayList<>();
    List<S3Client> clients = new ArrayList<>();
    try (S3Recorder s3 = new S3Recorder()) {
      for (int i = 0; i < 10; i++) {
        AwsWebIdentityCredentialsProvider p = bed.provider().listener(events).build();
        providers.add(p);
        clients.add(s3.client(p));
      }
      for (int cycle = 1; cycle <= 3; cycle++) {
        for (S3Client c : clients) {
          c.headBucket(b -> b.bucket("orders")); // the first read of a cycle starts the (one) refresh
        }
        events.awaitRefreshed();
        assertThat(bed.sts.assumeRoleRequests()).as("STS calls after cycle %d", cycle).hasSize(cycle);
        String newest = bed.sts.issued().get(cycle - 1).accessKeyId();
        assertThat(providers.get(0).resolveCredentials().accessKeyId()).isEqualTo(newest);
        for (S3Client c : clients) {
          c.headBucket(b -> b.bucket("orders"));
        }
        for (int i = 0; i < 10; i++) {
          s3.take(); // signed with the old or the new credentials, depending on the race with the refresh
        }
        for (int i = 0; i < 10; i++) {
          assertThat(s3.take().header("Authorization").orElseThrow()).contains("Credential=" + newest + "/");
        }
        bed.clock.advance(Duration.ofMinutes(50)); // past the refresh point of the newest credentials
      }
      assertThat(bed.sts.assumeRoleRequests()).hasSize(3);
      assertThat(s3.requestCount()).isEqualTo(60);
    } finally {
      clients.forEach(S3Client::close);
      providers.forEach(AwsWebIdentityCredentialsProvider::close);
    }
  }

  @Test
  void closingOneProviderNeverBreaksAnotherOfTheSameSession() {
    int before = Shared.live();
    var a = bed.provider().build();
    var b = bed.provider().build();
    var other = bed.provider().roleSessionName("another-session").build();
    assertThat(Shared.live()).isEqualTo(before + 2);
    AwsCredentials fromA = a.resolveCredentials();
    a.close();
    assertThat(b.resolveCredentials()).isEqualTo(fromA);
    assertThat(other.resolveCredentials()).isNotEqualTo(fromA);
    assertThat(bed.sts.assumeRoleRequests()).hasSize(2);
    b.close();
    other.close();
    assertThat(Shared.live()).isEqualTo(before);
  }
}
