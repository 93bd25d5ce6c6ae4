package io.workloadidentity.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.workloadidentity.aws.AwsWebIdentityCredentialsProvider;
import io.workloadidentity.aws.EksPodIdentityCredentialsProvider;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Detection;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.micrometer.WorkloadIdentityMetrics;
import io.workloadidentity.spring.boot.internal.HealthView;
import io.workloadidentity.testkit.CacheEvents;
import io.workloadidentity.testkit.FakeAwsPodIdentityAgent;
import io.workloadidentity.testkit.FakeAwsSts;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

/**
 * The AWS part of the starter against the testkit's cluster and STS, all on one test clock that the
 * context's credentials share (the {@code workloadIdentityClock} bean).
 */
@ExtendWith(SecretLeakGuard.class)
class AwsAutoConfigurationTest {
  static final String ROLE = "arn:aws:iam::111122223333:role/orders";

  @TempDir Path dir;
  TestClock clock;
  KubernetesCluster cluster;
  FakeAwsSts sts;
  ProjectedVolume volume;
  /** The aws credentials' events: the cache reports an outcome just after its waiters wake, so tests wait for it. */
  final CacheEvents events = CacheEvents.withTimeout(Duration.ofSeconds(10));

  @BeforeEach
  void start() {
    clock = TestClock.create();
    cluster = KubernetesCluster.builder().clock(clock).build();
    sts = FakeAwsSts.builder().clock(clock).build();
    sts.trustIssuer(cluster.issuer()).role(ROLE, "system:serviceaccount:shop:orders");
    volume = cluster.projectedVolume(dir.resolve("aws"), TokenSpec.builder().namespace("shop").serviceAccount("orders")
        .audiences(FakeAwsSts.STS_AUDIENCE).lifetime(Duration.ofHours(24)).build());
  }

  @AfterEach
  void stop() {
    volume.close();
    sts.close();
    cluster.close();
  }

  /** The starter configured by workload-identity.aws.* properties, on the test clock. */
  ApplicationContextRunner configured() {
    return Contexts.runner()
        .withBean("workloadIdentityClock", Clock.class, () -> clock)
        .withBean("testEvents", CredentialListenerFactory.class, () -> cloud -> events)
        .withPropertyValues("workload-identity.aws.role-arn=" + ROLE, "workload-identity.aws.token-file=" + volume.tokenFile(),
            "workload-identity.aws.region=us-west-2", "workload-identity.aws.sts-endpoint=" + sts.endpoint());
  }

  @Test
  void registersTheProviderServesCredentialsReportsHealthAndMetricsAndClosesWithTheContext() {
    AwsCredentialsProvider[] kept = new AwsCredentialsProvider[1];
    configured().run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(AwsCredentialsProvider.class);
      AwsCredentialsProvider provider = context.getBean(AwsCredentialsProvider.class);
      kept[0] = provider;
      assertThat(provider).isInstanceOf(AwsWebIdentityCredentialsProvider.class);
      assertThat(HealthProbe.clouds(context)).containsExactly("aws");
      assertThat(HealthProbe.read(context, "aws").status()).as("before first use").isEqualTo(HealthView.UNKNOWN);
      assertThat(sts.requestCount()).as("building makes no call").isZero();

      AwsCredentials credentials = provider.resolveCredentials();
      events.awaitRefreshed();
      assertThat(credentials.accessKeyId()).isEqualTo(sts.issued().get(0).accessKeyId());

      HealthView up = SecretLeakGuard.inspect(HealthProbe.read(context, "aws"));
      assertThat(up.status()).isEqualTo(HealthView.UP);
      assertThat(up.details()).containsEntry("secondsToExpiry", 3600L).containsEntry("credentials", 1)
          .containsEntry("lastRefresh", clock.instant().toString()).doesNotContainKey("lastFailure");

      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      context.getBean(WorkloadIdentityMetrics.class).bindTo(registry);
      assertThat(registry.get(WorkloadIdentityMetrics.EXCHANGES).tags("cloud", "aws", "outcome", "success")
          .functionCounter().count()).as("the exchange before binding counts").isEqualTo(1);
      assertThat(registry.get(WorkloadIdentityMetrics.EXPIRY).tags("cloud", "aws").gauge().value())
          .as("the meters read the system clock; the fake STS the test clock, which started at about now")
          .isBetween(3500.0, 3700.0);

      assertThat(context.getBean(WorkloadIdentityDetection.class).detection("aws")).get()
          .extracting(Detection::status).isEqualTo(Detection.Status.DETECTED);
    });
    assertThatThrownBy(kept[0]::resolveCredentials).as("closed with the context").isInstanceOf(IllegalStateException.class);
  }

  @Test
  void detectsTheWebhooksVariablesWithoutAnyProperty() {
    Contexts.runner()
        .withPropertyValues("AWS_ROLE_ARN=" + ROLE, "AWS_WEB_IDENTITY_TOKEN_FILE=" + volume.tokenFile(), "AWS_REGION=us-west-2",
            "AWS_ENDPOINT_URL_STS=" + sts.endpoint())
        .run(context -> {
          assertThat(context).hasSingleBean(AwsCredentialsProvider.class);
          assertThat(context.getBean(AwsCredentialsProvider.class).resolveCredentials().accessKeyId())
              .isEqualTo(sts.issued().get(0).accessKeyId());
        });
  }

  @Test
  void propertiesWinOverTheVariables() {
    configured().withPropertyValues("AWS_ROLE_ARN=arn:aws:iam::111122223333:role/other",
            "AWS_WEB_IDENTITY_TOKEN_FILE=/nonexistent/token")
        .run(context -> {
          context.getBean(AwsCredentialsProvider.class).resolveCredentials();
          assertThat(sts.assumeRoleRequests().get(0).form()).containsEntry("RoleArn", ROLE);
        });
  }

  @Test
  void nothingConfiguredMeansNoBeanAndAStartedContext() {
    Contexts.runner().run(context -> {
      assertThat(context).hasNotFailed().doesNotHaveBean(AwsCredentialsProvider.class);
      assertThat(context.getBean(WorkloadIdentityDetection.class).detection("aws")).get()
          .extracting(Detection::status).isEqualTo(Detection.Status.NOT_CONFIGURED);
      assertThat(HealthProbe.clouds(context)).isEmpty();
    });
  }

  @Test
  void backsOffForTheApplicationsOwnProvider() {
    AwsCredentialsProvider own = StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", "not-a-secret"));
    configured().withBean(AwsCredentialsProvider.class, () -> own).run(context -> {
      assertThat(context).hasSingleBean(AwsCredentialsProvider.class);
      assertThat(context.getBean(AwsCredentialsProvider.class)).isSameAs(own);
      assertThat(HealthProbe.clouds(context)).isEmpty();
    });
  }

  @Test
  void switchedOffByProperty() {
    configured().withPropertyValues("workload-identity.aws.enabled=false").run(context ->
        assertThat(context).hasNotFailed().doesNotHaveBean(AwsCredentialsProvider.class));
    configured().withPropertyValues("workload-identity.enabled=false").run(context ->
        assertThat(context).hasNotFailed().doesNotHaveBean(AwsCredentialsProvider.class)
            .doesNotHaveBean(WorkloadIdentityDetection.class));
  }

  @Test
  void aHalfConfiguredCloudFailsStartupWithTheDetectionReport() {
    Contexts.runner().withPropertyValues("AWS_ROLE_ARN=" + ROLE).run(context -> {
      assertThat(context).hasFailed();
      Throwable failure = context.getStartupFailure();
      FailureAnalysis analysis = new WorkloadIdentityFailureAnalyzer().analyze(failure);
      assertThat(analysis).isNotNull();
      SecretLeakGuard.assertNoSecrets(analysis.getDescription());
      assertThat(analysis.getDescription()).contains("Workload identity for aws is enabled but cannot be configured",
          "AWS_WEB_IDENTITY_TOKEN_FILE", "Detection report", "aws");
      assertThat(analysis.getAction()).contains("workload-identity.aws.enabled=false");
      assertThat(analysis.getCause()).isInstanceOf(CloudMisconfiguredException.class);
    });
  }

  @Test
  void enabledButNotConfiguredFailsStartupToo() {
    Contexts.runner().withPropertyValues("workload-identity.aws.enabled=true").run(context -> {
      assertThat(context).hasFailed();
      FailureAnalysis analysis = new WorkloadIdentityFailureAnalyzer().analyze(context.getStartupFailure());
      assertThat(analysis.getDescription()).contains("No IAM role to assume", "AWS_ROLE_ARN");
    });
  }

  @Test
  void downAfterTheHardExpiryWithTheErrorsAdvice() {
    configured().run(context -> {
      AwsCredentialsProvider provider = context.getBean(AwsCredentialsProvider.class);
      provider.resolveCredentials();
      events.awaitRefreshed();
      sts.faults().failAlways(Fault.error(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"));
      clock.advance(Duration.ofMinutes(61));
      assertThatThrownBy(provider::resolveCredentials).isInstanceOf(WorkloadIdentityException.class);
      events.awaitFailure();

      HealthView down = SecretLeakGuard.inspect(HealthProbe.read(context, "aws"));
      assertThat(down.status()).isEqualTo(HealthView.DOWN);
      assertThat(down.details()).containsEntry("error", "AccessDenied").containsEntry("retryable", false)
          .containsKey("expiredAt");
      assertThat((String) down.details().get("advice")).isNotBlank();
    });
  }

  @Test
  void upWithTheLastFailureWhileAValidCredentialIsServed() {
    configured().run(context -> {
      AwsCredentialsProvider provider = context.getBean(AwsCredentialsProvider.class);
      provider.resolveCredentials();
      events.awaitRefreshed();
      sts.faults().failAlways(Fault.throttled());
      clock.advance(Duration.ofMinutes(61)); // past expiry: the next read fails, throttled
      assertThatThrownBy(provider::resolveCredentials).isInstanceOf(WorkloadIdentityException.class);
      events.awaitFailure();
      sts.faults().clear();
      clock.advance(Duration.ofMinutes(5)); // past the backoff window
      provider.resolveCredentials();
      events.awaitRefreshed();
      HealthView up = HealthProbe.read(context, "aws");
      assertThat(up.status()).isEqualTo(HealthView.UP);
      @SuppressWarnings("unchecked")
      Map<String, Object> last = (Map<String, Object>) up.details().get("lastFailure");
      assertThat(last).containsEntry("code", "Throttling").containsEntry("retryable", true);
    });
  }

  @Test
  void customizersAndListenerFactoriesReachTheBuilder() {
    List<String> seen = new CopyOnWriteArrayList<>();
    CountDownLatch refreshed = new CountDownLatch(1);
    CredentialListenerFactory factory = cloud -> new CredentialCache.Listener<>() {
      @Override
      public void onRefreshed(Object key, Instant expiresAt) {
        seen.add(cloud + " refreshed");
        refreshed.countDown();
      }
    };
    configured()
        .withUserConfiguration(Customizers.class)
        .withBean(CredentialListenerFactory.class, () -> factory)
        .run(context -> {
          context.getBean(AwsCredentialsProvider.class).resolveCredentials();
          assertThat(sts.assumeRoleRequests().get(0).form()).containsEntry("RoleSessionName", "orders-api");
          assertThat(refreshed.await(10, TimeUnit.SECONDS)).isTrue();
          assertThat(seen).containsExactly("aws refreshed");
        });
  }

  @Test
  void eksPodIdentityWhenItsAgentIsConfigured() {
    try (FakeAwsPodIdentityAgent agent = FakeAwsPodIdentityAgent.start(clock, Duration.ofHours(6));
        ProjectedVolume podToken = cluster.projectedVolume(dir.resolve("pod-identity"), TokenSpec.builder().namespace("shop")
            .serviceAccount("orders").audiences(FakeAwsPodIdentityAgent.AUDIENCE).build())) {
      agent.trustIssuer(cluster.issuer()).associate("shop", "orders", ROLE);
      Contexts.runner().withBean("workloadIdentityClock", Clock.class, () -> clock)
          .withBean("testEvents", CredentialListenerFactory.class, () -> cloud -> events)
          .withPropertyValues("AWS_CONTAINER_CREDENTIALS_FULL_URI=" + agent.credentialsUrl(),
              "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=" + podToken.tokenFile())
          .run(context -> {
            AwsCredentialsProvider provider = context.getBean(AwsCredentialsProvider.class);
            assertThat(provider).isInstanceOf(EksPodIdentityCredentialsProvider.class);
            assertThat(provider.resolveCredentials().accessKeyId()).isEqualTo(agent.issued().get(0).accessKeyId());
            events.awaitRefreshed();
            assertThat(HealthProbe.read(context, "aws").status()).isEqualTo(HealthView.UP);
          });
    }
  }

  @Test
  void anAwsOnlyClassPathNeedsNeitherMicrometerNorActuatorNorTheOtherClouds() {
    configured()
        .withPropertyValues("AZURE_CLIENT_ID=5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11", "workload-identity.gcp.enabled=true")
        .withClassLoader(new FilteredClassLoader(MeterBinder.class, HealthProbe.HEALTH_API,
            com.azure.core.credential.TokenCredential.class, com.google.auth.oauth2.GoogleCredentials.class))
        .run(context -> {
          assertThat(context).hasNotFailed().hasSingleBean(AwsCredentialsProvider.class)
              .doesNotHaveBean(WorkloadIdentityMetrics.class).doesNotHaveBean("workloadIdentityHealthContributor")
              .doesNotHaveBean("workloadIdentityAzureCredential").doesNotHaveBean("workloadIdentityGoogleCredentials");
          assertThat(context.getBean(AwsCredentialsProvider.class).resolveCredentials()).isNotNull();
        });
  }

  /** A customizer declared as applications do: a {@code @Bean} method with the builder type. */
  @Configuration(proxyBeanMethods = false)
  static class Customizers {
    @Bean
    WorkloadIdentityCustomizer<AwsWebIdentityCredentialsProvider.Builder> sessionName() {
      return b -> b.roleSessionName("orders-api");
    }

    @Bean
    WorkloadIdentityCustomizer<EksPodIdentityCredentialsProvider.Builder> notForIrsa() {
      return b -> {
        throw new AssertionError("a Pod Identity customizer must not run for IRSA");
      };
    }
  }
}
