package io.workloadidentity.examples.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.testkit.SecretLeakGuard;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The testkit README's configured {@code SecretLeakGuard} snippet. */
class ConfiguredSecretLeakGuardSampleTest {
  // tag::register[]
  @RegisterExtension                     // or configured
  static final SecretLeakGuard LEAKS = SecretLeakGuard.builder()
      .forbid(Pattern.compile("ya29\\.[\\w-]+"), "a Google access token")   // any text of that shape
      .expectLogRecords(true)                                           // fail if it saw no log record
      .build();
  // end::register[]

  @Test
  void logsNoSecret(@TempDir Path dir) {
    assertThat(SecretLeakGuardSampleTest.useAndLog(dir)).startsWith("ASIA");
  }
}
