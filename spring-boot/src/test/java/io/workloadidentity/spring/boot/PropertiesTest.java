package io.workloadidentity.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.spring.boot.internal.CoreEnvironment;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/** The properties: binding, the refresh policy, precedence over variables, and the generated metadata. */
class PropertiesTest {
  @Test
  void theRefreshDefaultsAreTheLibrarysDefaults() {
    assertThat(new WorkloadIdentityProperties().getRefresh().toPolicy()).isEqualTo(RefreshPolicy.defaults());
    Contexts.runner().run(context -> assertThat(context.getBean(RefreshPolicy.class)).isEqualTo(RefreshPolicy.defaults()));
  }

  @Test
  void refreshPropertiesBuildThePolicy() {
    Contexts.runner().withPropertyValues("workload-identity.refresh.fraction=0.5", "workload-identity.refresh.max-backoff=2m",
            "workload-identity.refresh.maximum-lifetime=1h")
        .run(context -> assertThat(context.getBean(RefreshPolicy.class)).isEqualTo(RefreshPolicy.builder().refreshFraction(0.5)
            .backoff(Duration.ofSeconds(1), Duration.ofMinutes(2)).maximumLifetime(Duration.ofHours(1)).build()));
  }

  @Test
  void anOutOfRangeRefreshPropertyFailsStartupNamingIt() {
    Contexts.runner().withPropertyValues("workload-identity.refresh.fraction=1.5").run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("refreshFraction must be in (0, 1)");
      assertThat(context.getStartupFailure()).hasRootCauseInstanceOf(IllegalArgumentException.class);
      Throwable t = context.getStartupFailure();
      while (t != null && !(t instanceof ConfigurationException)) {
        t = t.getCause();
      }
      assertThat(t).as("a typed exception names the properties").isNotNull()
          .hasMessageContaining("workload-identity.refresh.");
    });
  }

  @Test
  void anApplicationsPolicyBeanWins() {
    RefreshPolicy own = RefreshPolicy.builder().refreshFraction(0.6).build();
    Contexts.runner().withBean(RefreshPolicy.class, () -> own).withPropertyValues("workload-identity.refresh.fraction=0.5")
        .run(context -> assertThat(context.getBean(RefreshPolicy.class)).isSameAs(own));
  }

  @Test
  void propertiesOverrideVariablesAndTheSystemPropertiesThatWouldWinOverThem() {
    StandardEnvironment spring = new StandardEnvironment();
    spring.getPropertySources().addFirst(new MapPropertySource("test", Map.of(
        "AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/from-variable",
        "AZURE_TENANT_ID", "tenant-from-variable",
        "workload-identity.ignored", "lower-case names are not variables")));
    WorkloadIdentityProperties properties = new WorkloadIdentityProperties();
    properties.getAws().setRoleArn("arn:aws:iam::111122223333:role/from-property");
    properties.getGcp().setCredentialsFile(Path.of("/etc/gcp/config.json"));
    String previous = System.setProperty("aws.roleArn", "arn:aws:iam::111122223333:role/from-system-property");
    try {
      Environment env = CoreEnvironment.of(spring, properties);
      assertThat(env.get("AWS_ROLE_ARN", "aws.roleArn")).hasValue("arn:aws:iam::111122223333:role/from-property");
      assertThat(env.get("AZURE_TENANT_ID", "AZURE_TENANT_ID")).hasValue("tenant-from-variable");
      assertThat(env.variable("GOOGLE_APPLICATION_CREDENTIALS")).hasValue(Path.of("/etc/gcp/config.json").toString());
      assertThat(env.variable("workload-identity.ignored")).isEmpty();
      assertThat(env.variable("PATH")).as("the process environment is there too").isEqualTo(
          java.util.Optional.ofNullable(System.getenv("PATH")).map(String::strip).filter(p -> !p.isEmpty()));
    } finally {
      if (previous == null) {
        System.clearProperty("aws.roleArn");
      } else {
        System.setProperty("aws.roleArn", previous);
      }
    }
  }

  @Test
  void theConfigurationMetadataDescribesEveryProperty() throws Exception {
    String json;
    try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
      assertThat(in).as("written by spring-boot-configuration-processor").isNotNull();
      json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    for (String name : new String[] {"workload-identity.enabled", "workload-identity.aws.enabled",
        "workload-identity.aws.role-arn", "workload-identity.aws.token-file", "workload-identity.aws.region",
        "workload-identity.aws.role-session-name", "workload-identity.aws.sts-endpoint", "workload-identity.azure.enabled",
        "workload-identity.azure.client-id", "workload-identity.azure.tenant-id", "workload-identity.azure.token-file",
        "workload-identity.azure.authority-host", "workload-identity.gcp.enabled", "workload-identity.gcp.credentials-file",
        "workload-identity.gcp.audience", "workload-identity.gcp.service-account", "workload-identity.gcp.token-file",
        "workload-identity.refresh.fraction", "workload-identity.refresh.max-backoff"}) {
      assertThat(json).contains("\"name\": \"" + name + "\"");
    }
    assertThat(json).contains("Default: AWS_ROLE_ARN.", "\"defaultValue\": 0.8");
  }
}
