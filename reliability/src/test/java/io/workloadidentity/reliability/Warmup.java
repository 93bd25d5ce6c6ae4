package io.workloadidentity.reliability;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/** The first load of a scenario, which is not what the scenario measures. */
final class Warmup {
  private static final Set<Rig.Cloud> WARM = EnumSet.noneOf(Rig.Cloud.class);

  private Warmup() {}

  /**
   * Once per JVM and cloud: one exchange with a generous deadline in a throwaway test bed, so that the SDK's
   * classes are loaded and its TLS stack initialised before a scenario measures anything.
   */
  static synchronized void cloud(Rig.Cloud cloud) throws Exception {
    if (WARM.contains(cloud)) {
      return;
    }
    Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target", "reliability")), "warmup-");
    try (Rig rig = cloud.start(dir);
        Rig.Client client = rig.open(new Rig.Options().exchangeTimeout(Duration.ofSeconds(60)))) {
      client.read();
    }
    WARM.add(cloud);
  }

  /**
   * Loads the first credential: a cold JVM (class loading, the first TLS handshake) on a busy machine can miss a
   * short exchange deadline, so a failed first load is retried after its backoff (by the injected clock), up to
   * five times.
   */
  static void load(Rig rig, Rig.Client client, Recorder rec, Duration backoff) throws Exception {
    cloud(rig.cloud);
    for (int attempt = 1; ; attempt++) {
      try {
        client.read();
        rec.settle(Duration.ofSeconds(30));
        return;
      } catch (Exception e) {
        Leaks.scan(e);
        if (attempt == 5) {
          throw e;
        }
        rec.settle(Duration.ofSeconds(30));
        rig.clock.advance(backoff);
      }
    }
  }
}
