package io.workloadidentity.aws.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.aws.AwsCredentialKey;
import io.workloadidentity.aws.AwsExchangeException;
import io.workloadidentity.aws.ScriptedServer;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.FileTokenSource;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * An attempt ends at the exchange deadline even against a server that sends one byte every few
 * seconds (each read then returns before the socket's read timeout, so that timeout alone never
 * fires). Measured on the exchange itself, not on the caller, whom the cache releases at the
 * deadline anyway: the thread and the connection must be free too.
 */
@ExtendWith(SecretLeakGuard.class)
class ExchangeDeadlineTest {
  private static final Duration DEADLINE = Duration.ofSeconds(1);
  /** The drip: longer than the deadline, shorter than the 5 s read timeout. */
  private static final Duration EVERY = Duration.ofSeconds(4);

  @TempDir Path dir;
  final TestClock clock = TestClock.create();
  KubernetesCluster cluster;
  ScriptedServer server;

  @BeforeEach
  void start() {
    cluster = KubernetesCluster.builder().clock(clock).build();
    server = new ScriptedServer();
  }

  @AfterEach
  void stop() {
    server.close();
    cluster.close();
  }

  private ProjectedVolume volume(String audience) {
    return cluster.projectedVolume(dir, TokenSpec.builder().namespace("shop").serviceAccount("orders")
        .podName("orders-1").audiences(audience).lifetime(Duration.ofHours(24)).build());
  }

  private AwsSettings.Draft draft(ProjectedVolume volume) {
    AwsSettings.Draft d = new AwsSettings.Draft();
    d.environment(Environment.of(Map.of()));
    d.tokenFile(volume.tokenFile());
    d.clock(clock);
    d.exchangeTimeout(DEADLINE);
    return d;
  }

  /** Runs the attempt on its own thread and returns how long it took (failing after 20 s). */
  private static Duration timed(Runnable attempt) throws Exception {
    CompletableFuture<Long> took = CompletableFuture.supplyAsync(() -> {
      long start = System.nanoTime();
      try {
        attempt.run();
      } catch (AwsExchangeException e) {
        assertThat(e.retryable()).isTrue();
        SecretLeakGuard.inspect(e);
      }
      return System.nanoTime() - start;
    });
    return Duration.ofNanos(took.get(20, TimeUnit.SECONDS));
  }

  @Test
  void aDrippingAgentCannotHoldAPodIdentityAttemptPastTheDeadline() throws Exception {
    try (ProjectedVolume volume = volume("pods.eks.amazonaws.com");
        FileTokenSource tokens = FileTokenSource.builder(volume.tokenFile()).clock(clock).build()) {
      server.drip(200, "{\"AccessKeyId\":\"" + "A".repeat(200) + "\"}", EVERY);
      AwsSettings.Draft d = draft(volume);
      d.agentEndpoint(server.url("/v1/credentials"));
      AwsSettings s = d.podIdentity();
      var pool = io.workloadidentity.core.internal.Threads.boundedPool("test-http", 2);
      try {
        PodIdentityExchange x = new PodIdentityExchange(s, tokens, pool);
        Duration took = timed(() -> x.exchange(AwsCredentialKey.eksPodIdentity(s.endpoint())));
        assertThat(took).isLessThan(DEADLINE.plusMillis(1_500));
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void aDrippingStsCannotHoldAnStsAttemptPastTheDeadline() throws Exception {
    try (ProjectedVolume volume = volume("sts.amazonaws.com");
        FileTokenSource tokens = FileTokenSource.builder(volume.tokenFile()).clock(clock).build()) {
      server.drip(200, ScriptedServer.stsXml("<AccessKeyId>" + "A".repeat(100) + "</AccessKeyId>"), EVERY);
      AwsSettings.Draft d = draft(volume);
      d.roleArn("arn:aws:iam::111122223333:role/orders");
      d.region("us-west-2");
      d.stsEndpoint(server.url("/"));
      AwsSettings s = d.sts();
      java.util.concurrent.ScheduledExecutorService timeouts =
          io.workloadidentity.core.internal.Threads.scheduler("test-sts-timeout");
      try (var sts = AwsSession.newStsClient(AwsSettings.stsRegion(s.region(), false), s, timeouts)) {
        StsExchange x = new StsExchange(s, tokens, sts, s.endpoint().toString());
        Duration took = timed(() -> x.exchange(AwsCredentialKey.stsWebIdentity(s.roleArn(), null, "e")));
        assertThat(took).isLessThan(DEADLINE.plusMillis(1_500));
      } finally {
        timeouts.shutdownNow();
      }
    }
  }
}
