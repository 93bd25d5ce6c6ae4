package io.workloadidentity.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.credential.TokenCredential;
import com.google.auth.oauth2.GoogleCredentials;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.WorkloadIdentity;
import io.workloadidentity.reliability.Rig.Cloud;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * Scenario 7: {@link Profile#HYGIENE_CYCLES} create/use/close cycles of each cloud's credential (with the
 * library's defaults: the system clock, its own threads and HTTP stack), and of {@code WorkloadIdentity.detect()}
 * finding all three clouds, leave no thread, file descriptor or inotify watch behind. One cycle runs before the
 * count starts (class loading, JVM-wide pools); the count after waits, at most 10 s, for threads to end and for a
 * garbage collection (descriptors of unreachable objects).
 */
@Tag("reliability")
@Order(7)
@ExtendWith(SecretLeakGuard.class)
class ResourceHygieneTest {
  static final Table TABLE = Table.of("7. Resource hygiene", "credential", "create/use/close cycles",
      "threads left", "left thread names", "descriptors before", "descriptors after", "inotify watches before",
      "inotify watches while open (max)", "inotify watches after");

  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(Cloud.class)
  void cyclesOfOneCloudLeaveNothingBehind(Cloud cloud) throws Exception {
    Warmup.cloud(cloud);
    try (Rig rig = cloud.start(dir)) {
      IntSupplier cycle = () -> {
        try (Rig.Client c = rig.open(new Rig.Options().systemClock())) {
          c.read();
          return Resources.now().watches;
        } catch (Exception e) {
          Leaks.scan(e);
          throw new AssertionError(cloud + ": a create/use/close cycle failed", e);
        }
      };
      measure(cloud.name(), cycle);
    }
  }

  @Test
  void cyclesOfDetectLeaveNothingBehind() throws Exception {
    for (Cloud c : Cloud.values()) {
      Warmup.cloud(c);
    }
    try (Rig aws = Cloud.AWS.start(dir); Rig azure = Cloud.AZURE.start(dir); Rig gcp = Cloud.GCP.start(dir)) {
      Map<String, String> env = new HashMap<>();
      env.putAll(aws.environment());
      env.putAll(azure.environment());
      env.putAll(gcp.environment());
      Environment environment = Environment.of(env);
      IntSupplier cycle = () -> {
        try (WorkloadIdentity wi = WorkloadIdentity.detect(environment)) {
          assertThat(wi.detections()).as(wi.report()).hasSize(3).allMatch(d -> d.isDetected());
          wi.get(AwsCredentialsProvider.class).resolveCredentials();
          wi.get(TokenCredential.class).getTokenSync(Rig.Azure.VAULT);
          wi.get(GoogleCredentials.class).getRequestMetadata(Rig.Gcp.API);
          return Resources.now().watches;
        } catch (Exception e) {
          Leaks.scan(e);
          throw new AssertionError("a detect/use/close cycle failed", e);
        }
      };
      measure("WorkloadIdentity.detect() (3 clouds)", cycle);
    }
  }

  private static void measure(String what, IntSupplier cycle) throws InterruptedException {
    cycle.getAsInt();
    Resources before = Resources.settle(Resources.now(), 2_000);
    int open = 0;
    for (int i = 0; i < Profile.HYGIENE_CYCLES; i++) {
      open = Math.max(open, cycle.getAsInt());
    }
    Resources after = Resources.settle(before, 10_000);
    List<Thread> left = after.newThreadsSince(before);
    TABLE.row(what, Profile.HYGIENE_CYCLES, left.size(), left.isEmpty() ? "-" : String.join(", ", Resources.names(left)),
        before.fds, after.fds, before.watches, open, after.watches);
    assertThat(Resources.names(left)).as("%s: threads left after %d cycles", what, Profile.HYGIENE_CYCLES).isEmpty();
    assertThat(after.fds).as("%s: open file descriptors after %d cycles", what, Profile.HYGIENE_CYCLES)
        .isLessThanOrEqualTo(before.fds);
    assertThat(after.watches).as("%s: inotify watches after %d cycles", what, Profile.HYGIENE_CYCLES)
        .isLessThanOrEqualTo(before.watches);
  }
}
