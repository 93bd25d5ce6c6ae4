package io.workloadidentity.spring.boot.internal;

import io.workloadidentity.core.Environment;
import io.workloadidentity.spring.boot.WorkloadIdentityProperties;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.regex.Pattern;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertySource;

/**
 * The library's {@link Environment} for a Spring application: the variables the cloud modules read,
 * taken from Spring's {@link org.springframework.core.env.Environment} (so the process environment,
 * and any upper-case property such as {@code AWS_REGION} given on the command line, in a profile or
 * in a test), then overridden by the {@code workload-identity.*} properties; the system properties
 * as they are at startup, minus those a property overrides.
 */
public final class CoreEnvironment {
  /** What an environment variable's name looks like; other property names are not variables. */
  private static final Pattern VARIABLE = Pattern.compile("[A-Z][A-Z0-9_]*");

  private CoreEnvironment() {}

  /**
   * The environment detection and the builders read.
   *
   * @param spring the application's environment
   * @param properties the bound {@code workload-identity.*} properties
   * @return the environment
   */
  public static Environment of(org.springframework.core.env.Environment spring, WorkloadIdentityProperties properties) {
    Map<String, String> variables = new HashMap<>();
    if (spring instanceof ConfigurableEnvironment configurable) {
      for (PropertySource<?> source : configurable.getPropertySources()) {
        if (source instanceof EnumerablePropertySource<?> e) {
          for (String name : e.getPropertyNames()) {
            if (VARIABLE.matcher(name).matches() && !variables.containsKey(name)) {
              // Through the environment, so that the highest-precedence source and placeholders apply.
              String value = spring.getProperty(name);
              if (value != null) {
                variables.put(name, value);
              }
            }
          }
        }
      }
    } else {
      variables.putAll(System.getenv());
    }
    Map<String, String> systemProperties = new HashMap<>();
    Properties current = System.getProperties();
    for (String name : current.stringPropertyNames()) {
      systemProperties.put(name, current.getProperty(name));
    }
    WorkloadIdentityProperties.Aws aws = properties.getAws();
    override(variables, systemProperties, "AWS_ROLE_ARN", "aws.roleArn", aws.getRoleArn());
    override(variables, systemProperties, "AWS_WEB_IDENTITY_TOKEN_FILE", "aws.webIdentityTokenFile", path(aws.getTokenFile()));
    override(variables, systemProperties, "AWS_ROLE_SESSION_NAME", "aws.roleSessionName", aws.getRoleSessionName());
    override(variables, systemProperties, "AWS_REGION", "aws.region", aws.getRegion());
    override(variables, systemProperties, "AWS_ENDPOINT_URL_STS", "aws.endpointUrlSts",
        aws.getStsEndpoint() == null ? null : aws.getStsEndpoint().toString());
    WorkloadIdentityProperties.Azure azure = properties.getAzure();
    // azure-core's convention: a system property has the variable's name.
    override(variables, systemProperties, "AZURE_CLIENT_ID", "AZURE_CLIENT_ID", azure.getClientId());
    override(variables, systemProperties, "AZURE_TENANT_ID", "AZURE_TENANT_ID", azure.getTenantId());
    override(variables, systemProperties, "AZURE_FEDERATED_TOKEN_FILE", "AZURE_FEDERATED_TOKEN_FILE", path(azure.getTokenFile()));
    override(variables, systemProperties, "AZURE_AUTHORITY_HOST", "AZURE_AUTHORITY_HOST", azure.getAuthorityHost());
    override(variables, systemProperties, "GOOGLE_APPLICATION_CREDENTIALS", "workloadidentity.gcp.credentials",
        path(properties.getGcp().getCredentialsFile()));
    return Environment.of(variables, systemProperties);
  }

  /** A property wins over the variable and over the system property that would win over the variable. */
  private static void override(Map<String, String> variables, Map<String, String> systemProperties, String variable,
      String systemProperty, String value) {
    if (value != null && !value.isBlank()) {
      variables.put(variable, value.strip());
      systemProperties.remove(Objects.requireNonNull(systemProperty));
    }
  }

  private static String path(Path p) {
    return p == null ? null : p.toString();
  }
}
