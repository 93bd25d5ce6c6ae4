package io.workloadidentity.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.reliability.Rig.Cloud;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Scenario 8: no token, access key, session token or access token in anything a user sees. Every scenario class
 * runs under the testkit's {@link SecretLeakGuard} (every JUL record at every level, and the console: a hit fails
 * that class), and hands every exception its callers and listeners saw to {@link Leaks}, which also scans every
 * JUL record itself and counts. This class runs last: it adds the failures most likely to echo a secret (a forged,
 * a garbage and an expired projected token; error answers, throttling, a malformed body, a reset), scans the
 * credential objects' {@code toString()}, and asserts the count of hits over the whole suite is 0.
 */
@Tag("reliability")
@Order(Integer.MAX_VALUE)
@ExtendWith(SecretLeakGuard.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecretHygieneTest {
  static final Table TABLE = Table.of("8. Secret hygiene", "scope", "failure kinds", "exceptions scanned",
      "log records scanned", "objects scanned", "hits");

  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(Cloud.class)
  @Order(1)
  void failuresOfEveryKindEchoNoSecret(Cloud cloud) throws Exception {
    Warmup.cloud(cloud);
    int exceptions = Leaks.THROWABLES.get();
    int records = Leaks.RECORDS.get();
    int objects = Leaks.OBJECTS.get();
    int hits = Leaks.HITS.get();
    try (Rig rig = cloud.start(dir)) {
      try (Rig.Client ok = rig.open(new Rig.Options())) {
        Rig.Cred c = ok.read();
        SecretLeakGuard.secret(c.value);
        Leaks.scanObject(ok.target());
      }
      String good = rig.volume.current().value();
      List<String> kinds = new ArrayList<>();
      failWith(rig, kinds, "forged token", r -> r.volume.writeRaw(r.cluster.mintForged(r.volume.spec())));
      failWith(rig, kinds, "garbage token", r -> r.volume.writeRaw("not-a-jwt"));
      failWith(rig, kinds, "expired token", r -> r.volume.writeRaw(r.cluster.mint(r.volume.spec().toBuilder()
          .issuedAt(r.clock.instant().minus(Duration.ofDays(2))).build())));
      rig.volume.writeRaw(good);
      failWith(rig, kinds, "400 error", r -> r.endpoint().faults().failAlways(Fault.error(400, "InvalidParameterValue",
          "bad request")));
      failWith(rig, kinds, "429", r -> r.endpoint().faults().failAlways(Fault.throttled()));
      failWith(rig, kinds, "503", r -> r.endpoint().faults().failAlways(Fault.serverError(503)));
      failWith(rig, kinds, "malformed body", r -> r.endpoint().faults().failAlways(Fault.malformedBody()));
      failWith(rig, kinds, "reset", r -> r.endpoint().faults().failAlways(Fault.connectionReset()));
      TABLE.row(cloud, String.join(", ", kinds), Leaks.THROWABLES.get() - exceptions, Leaks.RECORDS.get() - records,
          Leaks.OBJECTS.get() - objects, Leaks.HITS.get() - hits);
    }
    assertThat(Leaks.HITS.get() - hits).as("%s: secrets in messages, exceptions, toString and logs", cloud).isZero();
  }

  @Test
  @Order(2)
  void noSecretInTheWholeSuite() {
    TABLE.row("the whole suite (every scenario class before this one)", "all of the above", Leaks.THROWABLES.get(),
        Leaks.RECORDS.get(), Leaks.OBJECTS.get(), Leaks.HITS.get());
    assertThat(Leaks.RECORDS.get()).as("log records scanned: the scan is looking").isPositive();
    assertThat(Leaks.HITS.get()).as("secrets in any log record, exception or toString of the suite").isZero();
  }

  /** A cold credential whose first read fails after {@code setup}: scans the failure and the object. */
  private static void failWith(Rig rig, List<String> kinds, String kind, Consumer<Rig> setup) throws Exception {
    setup.accept(rig);
    try (Rig.Client c = rig.open(new Rig.Options().exchangeTimeout(Duration.ofSeconds(10)))) {
      try {
        Rig.Cred cred = c.read();
        SecretLeakGuard.secret(cred.value);
        kinds.add(kind + " (no failure)");
      } catch (Exception | Error e) {
        Leaks.scan(e);
        kinds.add(kind);
      }
      Leaks.scanObject(c.target());
    } finally {
      rig.endpoint().faults().clear();
    }
  }
}
