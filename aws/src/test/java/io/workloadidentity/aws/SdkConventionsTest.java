package io.workloadidentity.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.core.internal.Shared;
import io.workloadidentity.testkit.CacheEvents;
import io.workloadidentity.testkit.ReceivedRequest;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.utils.IoUtils;
import software.amazon.awssdk.utils.SdkAutoCloseable;
import software.amazon.awssdk.utils.builder.ToCopyableBuilder;

/**
 * The AWS SDK's conventions, written the way an SDK user calls them: {@code toBuilder()} and {@code
 * copy(...)}, {@code SdkAutoCloseable}, the redacting {@code ToString} style, the builder's
 * vocabulary and null rules, typed listeners, non-blocking {@code resolveIdentity()}, and {@code
 * close()} releasing everything once the last sharer closes.
 */
@ExtendWith(SecretLeakGuard.class)
class SdkConventionsTest {
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

  @Test
  void toBuilderUnchangedSharesTheSessionAndAChangedSettingGetsItsOwn() {
    int sessions = Shared.live();
    try (AwsWebIdentityCredentialsProvider original = bed.provider().roleSessionName("orders-api").build();
        AwsWebIdentityCredentialsProvider same = original.toBuilder().build();
        AwsWebIdentityCredentialsProvider longer = original.toBuilder().sessionDuration(Duration.ofHours(1)).build()) {
      assertThat(Shared.live()).isEqualTo(sessions + 2);
      AwsCredentials a = original.resolveCredentials();
      assertThat(same.resolveCredentials()).isEqualTo(a);
      assertThat(bed.sts.assumeRoleRequests()).as("one session, one request").hasSize(1);

      assertThat(longer.resolveCredentials()).isNotEqualTo(a);
      ReceivedRequest second = bed.sts.assumeRoleRequests().get(1);
      assertThat(second.form()).containsEntry("RoleArn", Testbed.ROLE).containsEntry("RoleSessionName", "orders-api")
          .containsEntry("DurationSeconds", "3600");
    }
    assertThat(Shared.live()).isEqualTo(sessions);
  }

  @Test
  void toBuilderCarriesWhatWasReadFromTheEnvironment() {
    Environment env = Environment.of(Map.of(
        "AWS_ROLE_ARN", Testbed.ROLE,
        "AWS_WEB_IDENTITY_TOKEN_FILE", bed.volume.tokenFile().toString(),
        "AWS_REGION", "us-west-2",
        "AWS_ROLE_SESSION_NAME", "from-env",
        "AWS_ENDPOINT_URL_STS", bed.sts.endpoint().toString()));
    try (var fromEnv = AwsWebIdentityCredentialsProvider.builder().environment(env).clock(bed.clock).build();
        var copy = fromEnv.toBuilder().build();
        // A builder that no longer reads those variables: every setting came with toBuilder().
        var isolated = fromEnv.toBuilder().environment(Environment.of(Map.of())).build()) {
      assertThat(copy.resolveCredentials()).isEqualTo(fromEnv.resolveCredentials());
      assertThat(isolated.resolveCredentials()).isEqualTo(fromEnv.resolveCredentials());
      assertThat(bed.sts.assumeRoleRequests()).hasSize(1);
      assertThat(bed.sts.assumeRoleRequests().get(0).form()).containsEntry("RoleSessionName", "from-env");
    }
  }

  @Test
  void copyWithAMutationIsTheSdksToCopyableBuilderIdiom() {
    try (var original = bed.provider().build();
        AwsWebIdentityCredentialsProvider renamed = original.copy(b -> b.roleSessionName("reporting"))) {
      assertThat(original).isInstanceOf(ToCopyableBuilder.class);
      renamed.resolveCredentials();
      assertThat(bed.sts.assumeRoleRequests().get(0).form()).containsEntry("RoleSessionName", "reporting");
      assertThat(original.toString()).doesNotContain("reporting");
    }
    // A builder's copy() is independent and builds nothing.
    var builder = bed.provider().roleSessionName("first");
    var copied = builder.copy().roleSessionName("second");
    assertThat(bed.sts.assumeRoleRequests()).hasSize(1);
    assertThat(builder.toString()).contains("roleSessionName=first");
    assertThat(copied.toString()).contains("roleSessionName=second");
    try (var a = builder.build(); var b = copied.build()) {
      a.resolveCredentials();
      b.resolveCredentials();
    }
    assertThat(bed.sts.assumeRoleRequests()).extracting(r -> r.form().get("RoleSessionName"))
        .containsExactly("reporting", "first", "second");
  }

  @Test
  void podIdentityProvidersOfferTheSameConventions() throws Exception {
    try (OneRequestPerAttemptTest.PodIdentityBed pod = new OneRequestPerAttemptTest.PodIdentityBed(
            dir.resolve("pod"), bed.clock);
        EksPodIdentityCredentialsProvider original = pod.provider().build();
        EksPodIdentityCredentialsProvider same = original.toBuilder().build();
        SdkAutoCloseable closeable = original.copy(b -> b.readTimeout(Duration.ofSeconds(4)))) {
      assertThat(same.resolveCredentials()).isEqualTo(original.resolveCredentials());
      assertThat(pod.agent.requestCount()).isEqualTo(1);
      assertThat(((AwsCredentialsProvider) closeable).resolveCredentials()).isNotEqualTo(original.resolveCredentials());
      assertThat(original.toString()).startsWith("EksPodIdentityCredentialsProvider(")
          .contains(pod.agent.credentialsUrl().toString()).doesNotContain(pod.volume.current().value());
    }
  }

  /** {@code close()} declares no checked exception: try-with-resources and the SDK's helpers need no catch. */
  @Test
  void providersAreSdkAutoCloseable() {
    try (SdkAutoCloseable closeable = bed.provider().build()) {
      assertThat(((AwsCredentialsProvider) closeable).resolveCredentials().accessKeyId())
          .isEqualTo(bed.sts.issued().get(0).accessKeyId());
    }
    AwsWebIdentityCredentialsProvider p = bed.provider().build();
    IoUtils.closeQuietly(p, null);
    assertThatThrownBy(p::resolveCredentials).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  /**
   * An SDK client closes the provider it was given when it is closed (the SDK closes every {@code
   * AutoCloseable} in its configuration). So give each client its own provider: {@code create()}
   * per client costs nothing extra (they share one session), closing a client releases its share,
   * and the last one closes the session.
   */
  @Test
  void eachSdkClientOwnsItsProviderAndClosingOneLeavesTheOthersWorking() throws Exception {
    int sessions = Shared.live();
    try (S3Recorder s3 = new S3Recorder()) {
      AwsWebIdentityCredentialsProvider firstCredentials = bed.provider().build();
      S3Client first = s3.client(firstCredentials);
      S3Client second = s3.client(bed.provider().build());
      first.headBucket(b -> b.bucket("orders"));
      first.close();
      assertThatThrownBy(firstCredentials::resolveCredentials).as("the SDK closed the provider it was given")
          .isInstanceOf(IllegalStateException.class);
      second.headBucket(b -> b.bucket("orders"));
      assertThat(s3.requestCount()).isEqualTo(2);
      assertThat(bed.sts.assumeRoleRequests()).as("one shared session").hasSize(1);
      assertThat(Shared.live()).isEqualTo(sessions + 1);
      second.close();
    }
    assertThat(Shared.live()).as("closing the last client released the session").isEqualTo(sessions);
  }

  @Test
  void toStringIsTheSdksStyleAndRedacted() {
    String policy = "{\"Version\":\"2012-10-17\",\"Statement\":[]}";
    try (var p = bed.provider().roleSessionName("orders-api").sessionPolicy(policy).build()) {
      AwsCredentials c = p.resolveCredentials();
      String s = p.toString();
      assertThat(s).startsWith("AwsWebIdentityCredentialsProvider(").contains("roleArn=" + Testbed.ROLE,
          "roleSessionName=orders-api", "region=us-west-2", "stsEndpoint=" + bed.sts.endpoint(),
          "tokenFile=" + bed.volume.tokenFile().toAbsolutePath().normalize());
      assertThat(s).doesNotContain(policy, bed.volume.current().value(), c.secretAccessKey(), c.accessKeyId());
      SecretLeakGuard.assertNoSecrets(s);
    }
  }

  /** Every builder setter rejects null with a NullPointerException naming the setting. */
  @Test
  void everySetterRejectsNullNamingTheSetting() throws Exception {
    for (Object builder : List.of(AwsWebIdentityCredentialsProvider.builder(), EksPodIdentityCredentialsProvider.builder())) {
      List<String> checked = new ArrayList<>();
      for (Method m : builder.getClass().getDeclaredMethods()) {
        if (!Modifier.isPublic(m.getModifiers()) || m.getParameterCount() != 1 || m.isSynthetic()
            || m.getParameterTypes()[0].isPrimitive()) {
          continue;
        }
        Throwable thrown = null;
        try {
          m.invoke(builder, new Object[] {null});
        } catch (InvocationTargetException e) {
          thrown = e.getCause();
        }
        assertThat(thrown).as(m.toString()).isInstanceOf(NullPointerException.class).hasMessage(m.getName());
        checked.add(m.getName());
      }
      assertThat(checked).contains("environment", "clock", "refreshPolicy", "listener", "exchangeTimeout",
          "connectTimeout", "readTimeout", "tokenFile", "tokenSource");
    }
    assertThatThrownBy(() -> bed.provider().policyArns("arn:aws:iam::aws:policy/ReadOnlyAccess", null))
        .isInstanceOf(NullPointerException.class).hasMessage("policyArns");
  }

  @Test
  void theBuildersShareOneVocabulary() {
    Set<String> shared = Set.of("environment", "clock", "refreshPolicy", "listener", "exchangeTimeout",
        "connectTimeout", "readTimeout", "tokenFile", "tokenSource", "build", "copy");
    for (Class<?> b : List.of(AwsWebIdentityCredentialsProvider.Builder.class,
        EksPodIdentityCredentialsProvider.Builder.class)) {
      Set<String> names = new HashSet<>();
      for (Method m : b.getDeclaredMethods()) {
        if (Modifier.isPublic(m.getModifiers())) {
          names.add(m.getName());
        }
      }
      assertThat(names).as(b.getName()).containsAll(shared);
    }
    assertThat(Set.of(AwsWebIdentityCredentialsProvider.Builder.class.getDeclaredMethods()).stream()
        .map(Method::getName).collect(Collectors.toSet()))
        .contains("roleArn", "roleSessionName", "region", "stsEndpoint", "sessionDuration", "sessionPolicy",
            "policyArns", "stsClient");
  }

  @Test
  void timeoutsMustBePositive() {
    for (Duration bad : List.of(Duration.ZERO, Duration.ofSeconds(-1))) {
      assertThatThrownBy(() -> bed.provider().exchangeTimeout(bad)).isInstanceOf(ConfigurationException.class)
          .hasMessageContaining("exchangeTimeout");
      assertThatThrownBy(() -> bed.provider().connectTimeout(bad)).isInstanceOf(ConfigurationException.class)
          .hasMessageContaining("connectTimeout");
      assertThatThrownBy(() -> EksPodIdentityCredentialsProvider.builder().readTimeout(bad))
          .isInstanceOf(ConfigurationException.class).hasMessageContaining("readTimeout");
    }
    try (var p = bed.provider().exchangeTimeout(Duration.ofSeconds(3)).connectTimeout(Duration.ofSeconds(1))
        .readTimeout(Duration.ofSeconds(2)).build()) {
      p.resolveCredentials();
    }
  }

  /**
   * A typed listener sees its provider's key; sharers with different listeners still share one
   * session, and each listener object hears each event once (a toBuilder() copy carries it).
   */
  @Test
  void typedListenersHearTheirSessionOnce() throws Exception {
    List<AwsCredentialKey> refreshed = new CopyOnWriteArrayList<>();
    CredentialCache.Listener<AwsCredentialKey> typed = new CredentialCache.Listener<>() {
      @Override
      public void onRefreshed(AwsCredentialKey key, Instant expiresAt) {
        refreshed.add(key);
      }
    };
    CacheEvents untyped = CacheEvents.create(); // a Listener<Object> is accepted too
    try (var a = bed.provider().roleSessionName("orders-api").listener(typed).build();
        var b = a.toBuilder().build();
        var c = bed.provider().roleSessionName("orders-api").listener(untyped).build()) {
      a.resolveCredentials();
      untyped.awaitRefreshed();
      assertThat(bed.sts.assumeRoleRequests()).hasSize(1);
      assertThat(refreshed).as("the same listener object, carried by a and b, hears the event once")
          .containsExactly(AwsCredentialKey.stsWebIdentity(Testbed.ROLE, "orders-api", bed.sts.endpoint().toString()));
      AwsCredentialKey key = refreshed.get(0);
      assertThat(key.source()).isEqualTo(AwsCredentialKey.Source.STS_WEB_IDENTITY);
      assertThat(key.roleArn()).contains(Testbed.ROLE);
      assertThat(key.toString()).contains(Testbed.ROLE, "orders-api");
      b.close();
      a.close();
      bed.clock.advance(Duration.ofMinutes(55));
      c.resolveCredentials();
      untyped.awaitRefreshed();
      assertThat(refreshed).as("closed providers' listeners hear nothing more").hasSize(1);
    }
  }

  /** The first resolveIdentity() returns at once while STS is slow: no thread waits for it. */
  @Test
  void resolveIdentityReturnsBeforeTheExchangeCompletes() throws Exception {
    bed.sts.faults().latency(Duration.ofMillis(500));
    try (var p = bed.provider().build()) {
      long start = System.nanoTime();
      CompletableFuture<? extends AwsCredentialsIdentity> pending = p.resolveIdentity();
      long returnedAfter = System.nanoTime() - start;
      assertThat(Duration.ofNanos(returnedAfter)).isLessThan(Duration.ofMillis(400));
      assertThat(pending.get(10, TimeUnit.SECONDS).accessKeyId()).isEqualTo(bed.sts.issued().get(0).accessKeyId());
    }
  }

  /**
   * Closing the last sharer releases what the session opened: the threads it started (cache
   * timer and exchange pool, the STS client's timeout scheduler, the token-file watch) all end.
   */
  @Test
  void closingTheLastSharerReleasesTheStsClientAndTheTokenWatch() throws Exception {
    Set<Thread> before = Thread.getAllStackTraces().keySet();
    int sessions = Shared.live();
    var a = bed.provider().build();
    var b = bed.provider().build();
    a.resolveCredentials();
    Set<Thread> started = startedSince(before);
    assertThat(started).extracting(Thread::getName).as("threads the session started")
        .anyMatch(n -> n.startsWith("workload-identity-aws-"))
        .anyMatch(n -> n.startsWith("workload-identity-token-"))
        .anyMatch(n -> n.startsWith("workload-identity-aws-sts-timeout")) // the SDK call timeouts run on the session's timer
        .noneMatch(n -> n.startsWith("sdk-ScheduledExecutor"));

    a.close();
    assertThat(b.resolveCredentials()).as("the other sharer still works").isNotNull();
    assertThat(Shared.live()).isEqualTo(sessions + 1);

    b.close();
    assertThat(Shared.live()).isEqualTo(sessions);
    for (Thread t : started) {
      t.join(5_000);
      assertThat(t.isAlive()).as("thread %s ended", t.getName()).isFalse();
    }
  }

  @Test
  void closingTheLastPodIdentitySharerReleasesItsThreads() throws Exception {
    try (OneRequestPerAttemptTest.PodIdentityBed pod = new OneRequestPerAttemptTest.PodIdentityBed(
        dir.resolve("pod"), bed.clock)) {
      Set<Thread> before = Thread.getAllStackTraces().keySet();
      var p = pod.provider().build();
      p.resolveCredentials();
      Set<Thread> started = startedSince(before);
      assertThat(started).extracting(Thread::getName)
          .anyMatch(n -> n.startsWith("workload-identity-aws-pod-identity-timer"));
      p.close();
      for (Thread t : started) {
        t.join(5_000);
        assertThat(t.isAlive()).as("thread %s ended", t.getName()).isFalse();
      }
    }
  }

  /** Threads this library and the SDK started since {@code before} (not the fakes' server threads). */
  private static Set<Thread> startedSince(Set<Thread> before) {
    Set<Thread> started = new HashSet<>(Thread.getAllStackTraces().keySet());
    started.removeAll(before);
    started.removeIf(t -> !(t.getName().startsWith("workload-identity-") || t.getName().startsWith("sdk-")));
    return started;
  }

  @Test
  void failuresAreTypedAndSayWhatToDo() {
    bed.sts.role(Testbed.ROLE, "system:serviceaccount:billing:*");
    try (var p = bed.provider().build()) {
      assertThatThrownBy(p::resolveCredentials).isInstanceOf(WorkloadIdentityException.class)
          .isInstanceOfSatisfying(AwsExchangeException.class, e -> {
            assertThat(e.reason()).isEqualTo(AwsExchangeException.Reason.ACCESS_DENIED);
            assertThat(e.cloud()).isEqualTo("aws");
            assertThat(e.advice()).isNotBlank();
            assertThat(e.getMessage()).contains(e.advice());
          });
    }
  }
}
