package io.workloadidentity.micrometer;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.CredentialExchangeException;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.WorkloadIdentityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Micrometer meters for the credential caches of the cloud modules. Hand each credentials builder
 * the {@linkplain #listener(String) listener} of its cloud, and bind this object to a registry:
 *
 * <pre>{@code
 * WorkloadIdentityMetrics metrics = new WorkloadIdentityMetrics();
 * metrics.bindTo(registry);
 * AwsWebIdentityCredentialsProvider aws = AwsWebIdentityCredentialsProvider.builder()
 *     .listener(metrics.listener("aws"))
 *     .build();
 * }</pre>
 *
 * <p><b>Meters</b> (every one tagged {@code cloud}, plus the tags given to the constructor):
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>more tags</th><th>what</th></tr>
 *   <tr><td>{@value #EXCHANGES}</td><td>counter</td><td>{@code outcome=success|failure}</td>
 *       <td>credential exchanges that ended (first loads, refreshes, retries)</td></tr>
 *   <tr><td>{@value #EXCHANGE_DURATION}</td><td>function timer</td><td>{@code outcome}</td>
 *       <td>time from the start of an exchange to its outcome</td></tr>
 *   <tr><td>{@value #EXPIRY}</td><td>gauge, seconds</td><td>{@code credential}</td>
 *       <td>seconds until the served credential expires (negative once expired; NaN before the first one)</td></tr>
 *   <tr><td>{@value #FAILURES}</td><td>counter</td><td>{@code code}, {@code retryable}</td>
 *       <td>failed exchanges by the cloud's error code</td></tr>
 *   <tr><td>{@value #ROTATIONS}</td><td>counter</td><td></td><td>projected token rotations seen</td></tr>
 * </table>
 *
 * <p><b>Tag values.</b> {@code code} is the cloud's error code ({@code AccessDenied}, {@code
 * AADSTS70021}, {@code invalid_grant}), {@code none} when the cloud sent none (I/O failure, timeout),
 * or the exception's simple class name for local failures ({@code TokenFileException}). {@code
 * credential} is the cache key's description (role, scopes or audience; the cache contract keeps
 * secrets out of it), with long opaque runs masked. Cardinality is bounded: at most {@value
 * #MAX_CLOUDS} clouds, {@value #MAX_CODES} codes per cloud (then {@code other}) and {@value
 * #MAX_GAUGED_CREDENTIALS} credential gauges per cloud.
 *
 * <p><b>Costs.</b> Meters read counters kept here ({@link FunctionCounter}, {@link FunctionTimer}),
 * so events that happen before {@link #bindTo} is called (Spring Boot binds late) are not lost, one
 * instance can be bound to several registries, and nothing runs or allocates between events. An
 * exchange start or refresh for a known key updates a few {@link LongAdder}s and volatile fields and
 * allocates nothing; reading a meter allocates nothing either.
 *
 * <p>Thread-safe. Listener methods never throw and never block.
 */
public final class WorkloadIdentityMetrics implements MeterBinder {
  /** Counter of finished exchanges. */
  public static final String EXCHANGES = "workload.identity.exchanges";
  /** Function timer of exchange latency. */
  public static final String EXCHANGE_DURATION = "workload.identity.exchange.duration";
  /** Gauge of seconds until a credential expires. */
  public static final String EXPIRY = "workload.identity.credential.expiry";
  /** Counter of failed exchanges by error code. */
  public static final String FAILURES = "workload.identity.failures";
  /** Counter of projected token rotations. */
  public static final String ROTATIONS = "workload.identity.token.rotations";

  /** Most clouds one instance accepts. */
  static final int MAX_CLOUDS = 16;
  /** Most distinct error codes per cloud before they are counted as {@code other}. */
  static final int MAX_CODES = 32;
  /** Most credentials per cloud that get an expiry gauge. */
  static final int MAX_GAUGED_CREDENTIALS = 16;
  /** Most keys per cloud whose exchanges are timed (the cache's own default bound is 1000). */
  static final int MAX_TRACKED_KEYS = 256;
  private static final int MAX_LABEL = 120;
  private static final Pattern CLOUD_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");
  /** A JWT, or a long run of token-like characters: masked in labels in case a key ever described a secret. */
  private static final Pattern OPAQUE =
      Pattern.compile("eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*(\\.[A-Za-z0-9_-]*)?|[A-Za-z0-9+/_-]{40,}");
  private static final long NOT_STARTED = Long.MIN_VALUE;
  private static final System.Logger LOG = System.getLogger(WorkloadIdentityMetrics.class.getName());

  private final Tags tags;
  private final Clock clock;
  private final Map<String, Cloud> clouds = new ConcurrentHashMap<>();
  private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();

  /** Meters with no extra tags, timed by the system clock. */
  public WorkloadIdentityMetrics() {
    this(Tags.empty());
  }

  /**
   * Meters with extra tags, timed by the system clock.
   *
   * @param tags added to every meter
   */
  public WorkloadIdentityMetrics(Iterable<Tag> tags) {
    this(tags, Clock.SYSTEM);
  }

  /**
   * Meters with extra tags and a given clock (tests use a {@code MockClock}).
   *
   * @param tags added to every meter
   * @param clock its monotonic time measures exchange latency, its wall time the time to expiry
   */
  public WorkloadIdentityMetrics(Iterable<Tag> tags, Clock clock) {
    this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * The listener for one cloud's credentials; the same instance for the same name. Pass it to the
   * cloud builder's {@code listener(...)}.
   *
   * @param cloud the {@code cloud} tag: {@code aws}, {@code azure}, {@code gcp} (lower case letters,
   *     digits, {@code -} and {@code _}, at most 32 characters)
   * @return the listener
   * @throws IllegalArgumentException if the name is not valid, or more than {@value #MAX_CLOUDS}
   *     clouds are asked for
   */
  public CredentialCache.Listener<Object> listener(String cloud) {
    Objects.requireNonNull(cloud, "cloud");
    Cloud c = clouds.get(cloud);
    if (c != null) {
      return c;
    }
    if (!CLOUD_NAME.matcher(cloud).matches()) {
      throw new IllegalArgumentException("A cloud name is lower case letters, digits, '-' and '_', at most 32"
          + " characters, such as aws: '" + cloud + "'");
    }
    synchronized (this) {
      c = clouds.get(cloud);
      if (c == null) {
        if (clouds.size() >= MAX_CLOUDS) {
          throw new IllegalArgumentException("At most " + MAX_CLOUDS + " clouds can be metered by one "
              + "WorkloadIdentityMetrics; '" + cloud + "' would be one more");
        }
        c = new Cloud(cloud);
        clouds.put(cloud, c);
        c.registerInitialMeters();
      }
      return c;
    }
  }

  /**
   * Registers the meters of every cloud asked for so far, and of those asked for later, with {@code
   * registry}. May be called for several registries.
   *
   * @param registry the registry
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    synchronized (this) {
      if (registries.contains(registry)) {
        return;
      }
      registries.add(registry);
      for (Cloud c : clouds.values()) {
        c.registrations.forEach(r -> r.accept(registry));
      }
    }
  }

  /** The metered clouds and the number of registries; no tag values. */
  @Override
  public String toString() {
    return "WorkloadIdentityMetrics" + new TreeSet<>(clouds.keySet()) + "{registries=" + registries.size() + "}";
  }

  /** Adds a meter registration to {@code c} and applies it to every bound registry. */
  private synchronized void register(Cloud c, Consumer<MeterRegistry> registration) {
    c.registrations.add(registration);
    for (MeterRegistry r : registries) {
      registration.accept(r);
    }
  }

  /** The {@code code} tag of a failure. */
  static String code(WorkloadIdentityException error) {
    if (error instanceof CredentialExchangeException c) {
      return c.code().map(WorkloadIdentityMetrics::cleanCode).orElse("none");
    }
    return error.getClass().getSimpleName();
  }

  private static String cleanCode(String code) {
    StringBuilder sb = new StringBuilder(Math.min(code.length(), 64));
    for (int i = 0; i < code.length() && sb.length() < 64; i++) {
      char ch = code.charAt(i);
      sb.append(ch < 128 && (Character.isLetterOrDigit(ch) || ch == '_' || ch == '-' || ch == '.' || ch == ':') ? ch : '_');
    }
    return sb.length() == 0 ? "none" : sb.toString();
  }

  /** The {@code credential} tag of a key: printable ASCII, opaque runs masked, at most 120 characters. */
  static String label(Object key) {
    String s = OPAQUE.matcher(String.valueOf(key)).replaceAll("***");
    StringBuilder sb = new StringBuilder(Math.min(s.length(), MAX_LABEL));
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      sb.append(ch >= 0x20 && ch < 0x7f ? ch : '?');
    }
    if (sb.length() > MAX_LABEL) {
      sb.setLength(MAX_LABEL - 3);
      sb.append("...");
    }
    return sb.toString();
  }

  /** One cloud's counters; it is the listener handed to that cloud's builders. */
  private final class Cloud implements CredentialCache.Listener<Object> {
    final String name;
    final Tags cloudTags;
    /** Every meter of this cloud, to replay on a registry bound later. Guarded by the outer lock. */
    final List<Consumer<MeterRegistry>> registrations = new ArrayList<>();
    final LongAdder successes = new LongAdder();
    final LongAdder failures = new LongAdder();
    final LongAdder successesTimed = new LongAdder();
    final LongAdder failuresTimed = new LongAdder();
    final LongAdder successNanos = new LongAdder();
    final LongAdder failureNanos = new LongAdder();
    final LongAdder rotations = new LongAdder();
    final Map<Object, Credential> credentials = new ConcurrentHashMap<>();
    /** Failure counters by code: [0] not retryable, [1] retryable. */
    final List<Map<String, LongAdder>> codes = List.of(new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
    /** Guarded by the outer lock. */
    final Set<String> labels = new HashSet<>();
    /** Guarded by the outer lock. */
    int gauged;
    volatile boolean overflowLogged;

    Cloud(String name) {
      this.name = name;
      this.cloudTags = tags.and("cloud", name);
    }

    void registerInitialMeters() {
      exchangeMeters("success", successes, successesTimed, successNanos);
      exchangeMeters("failure", failures, failuresTimed, failureNanos);
      LongAdder r = rotations;
      register(this, reg -> FunctionCounter.builder(ROTATIONS, r, LongAdder::sum).tags(cloudTags)
          .description("Projected service-account token rotations seen").register(reg));
    }

    private void exchangeMeters(String outcome, LongAdder count, LongAdder timed, LongAdder nanos) {
      Tags t = cloudTags.and("outcome", outcome);
      register(this, reg -> FunctionCounter.builder(EXCHANGES, count, LongAdder::sum).tags(t)
          .description("Credential exchanges that ended (first loads, refreshes and retries)").register(reg));
      register(this, reg -> FunctionTimer.builder(EXCHANGE_DURATION, this, c -> timed.sum(), c -> nanos.sum(),
          TimeUnit.NANOSECONDS).tags(t).description("Time from the start of a credential exchange to its outcome")
          .register(reg));
    }

    @Override
    public void onExchangeStarted(Object key) {
      Credential c = credential(key);
      if (c != null) {
        c.startedNanos = clock.monotonicTime();
      }
    }

    @Override
    public void onRefreshed(Object key, Instant expiresAt) {
      successes.increment();
      Credential c = credential(key);
      if (c != null) {
        time(c, successesTimed, successNanos);
        c.expiresAtMillis = expiresAt.toEpochMilli();
      }
    }

    @Override
    public void onRefreshFailed(Object key, WorkloadIdentityException error, Duration retryIn) {
      failures.increment();
      Credential c = credential(key);
      if (c != null) {
        time(c, failuresTimed, failureNanos);
      }
      boolean retryable = !(error instanceof CredentialExchangeException x) || x.retryable();
      failureCounter(code(error), retryable).increment();
    }

    @Override
    public void onTokenRotated(ProjectedToken token) {
      rotations.increment();
    }

    private void time(Credential c, LongAdder count, LongAdder nanos) {
      long started = c.startedNanos;
      if (started != NOT_STARTED) {
        c.startedNanos = NOT_STARTED;
        nanos.add(Math.max(0, clock.monotonicTime() - started));
        count.increment();
      }
    }

    /** The key's state, created on first sight; null once {@value #MAX_TRACKED_KEYS} keys are tracked. */
    private Credential credential(Object key) {
      Credential c = credentials.get(key);
      if (c != null || key == null) {
        return c;
      }
      if (credentials.size() >= MAX_TRACKED_KEYS) {
        overflow();
        return null;
      }
      boolean[] created = {false};
      c = credentials.computeIfAbsent(key, k -> {
        created[0] = true;
        return new Credential();
      });
      if (created[0]) {
        gauge(key, c);
      }
      return c;
    }

    private void gauge(Object key, Credential c) {
      String label;
      synchronized (WorkloadIdentityMetrics.this) {
        if (gauged >= MAX_GAUGED_CREDENTIALS) {
          overflow();
          return;
        }
        gauged++;
        String base = label(key);
        label = base;
        for (int n = 2; !labels.add(label); n++) {
          label = base + " #" + n;
        }
      }
      Tags t = cloudTags.and("credential", label);
      register(this, reg -> Gauge.builder(EXPIRY, c, cred -> cred.secondsToExpiry(clock)).tags(t).baseUnit("seconds")
          .description("Seconds until the served credential expires (negative once expired)").strongReference(true)
          .register(reg));
    }

    private LongAdder failureCounter(String code, boolean retryable) {
      Map<String, LongAdder> byCode = codes.get(retryable ? 1 : 0);
      LongAdder a = byCode.get(code);
      if (a != null) {
        return a;
      }
      synchronized (WorkloadIdentityMetrics.this) {
        a = byCode.get(code);
        if (a != null) {
          return a;
        }
        String tag = codes.get(0).size() + codes.get(1).size() >= MAX_CODES ? "other" : code;
        a = byCode.get(tag);
        if (a == null) {
          LongAdder counter = new LongAdder();
          a = counter;
          byCode.put(tag, counter);
          Tags t = cloudTags.and("code", tag).and("retryable", Boolean.toString(retryable));
          register(this, reg -> FunctionCounter.builder(FAILURES, counter, LongAdder::sum).tags(t)
              .description("Failed credential exchanges by the cloud's error code").register(reg));
        }
        return a;
      }
    }

    private void overflow() {
      if (!overflowLogged) {
        overflowLogged = true;
        LOG.log(System.Logger.Level.INFO, "More " + name + " credentials than WorkloadIdentityMetrics meters one by"
            + " one; the counters still count them all (logged once).");
      }
    }

    @Override
    public String toString() {
      return "WorkloadIdentityMetrics.listener(" + name + ")";
    }
  }

  /** What is known of one credential (cache key). */
  private static final class Credential {
    volatile long startedNanos = NOT_STARTED;
    volatile long expiresAtMillis = Long.MIN_VALUE;

    double secondsToExpiry(Clock clock) {
      long exp = expiresAtMillis;
      return exp == Long.MIN_VALUE ? Double.NaN : (exp - clock.wallTime()) / 1000.0;
    }
  }
}
