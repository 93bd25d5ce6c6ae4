package io.workloadidentity.reliability;

/**
 * The counts of a run: short by default (CI, a couple of minutes on two busy cores), long with {@code -P
 * reliability} (the profile sets {@code reliability.profile=long}). Every figure can also be set alone with a
 * system property {@code reliability.<name>}.
 */
final class Profile {
  static final boolean LONG = "long".equals(System.getProperty("reliability.profile", "short"));

  /** Scenario 1: concurrent callers during an outage. */
  static final int OUTAGE_CALLERS = get("outageCallers", 16, 64);
  /** Scenario 1: reads per caller per backoff step. */
  static final int READS_PER_STEP = get("readsPerStep", 4, 16);
  /** Scenario 1: backoff steps in the remaining lifetime (the outage of x% lasts about x% of them). */
  static final int STEPS_PER_LIFETIME = get("stepsPerLifetime", 5, 20);
  /** Scenario 1 and 5: the exchange deadline against a hung endpoint, in milliseconds. */
  static final int HANG_DEADLINE_MILLIS = get("hangDeadlineMillis", 800, 2000);
  /** Scenario 2: rotations, and the threads reading through them. */
  static final int ROTATIONS = get("rotations", 20, 100);
  static final int ROTATION_THREADS = get("rotationThreads", 8, 64);
  /** Scenario 3: throttled attempts observed, and the slow endpoint's bytes. */
  static final int THROTTLED_ATTEMPTS = get("throttledAttempts", 6, 12);
  /** Scenario 7: create/use/close cycles per provider. */
  static final int HYGIENE_CYCLES = get("hygieneCycles", 20, 500);

  private Profile() {}

  static String name() {
    return LONG ? "long" : "short";
  }

  private static int get(String name, int shortValue, int longValue) {
    return Integer.getInteger("reliability." + name, LONG ? longValue : shortValue);
  }
}
