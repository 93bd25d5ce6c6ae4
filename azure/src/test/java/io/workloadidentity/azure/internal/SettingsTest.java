package io.workloadidentity.azure.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.internal.HttpDefaults;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {
  static final String CLIENT = "5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11";
  static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  static final Map<String, String> POD = Map.of("AZURE_CLIENT_ID", CLIENT, "AZURE_TENANT_ID", TENANT,
      "AZURE_FEDERATED_TOKEN_FILE", "/var/run/secrets/azure/tokens/azure-identity-token");

  static AzureSettings resolve(Map<String, String> env) {
    AzureSettings.Values v = new AzureSettings.Values();
    v.environment = Environment.of(env);
    return v.resolve();
  }

  @Test
  void instanceDiscoveryIsOnlyForMicrosoftsOwnClouds() {
    assertThat(AzureSettings.isMicrosoftCloud(AzureSettings.authorityHost("https://login.microsoftonline.com/", "test", false, true))).isTrue();
    assertThat(AzureSettings.isMicrosoftCloud(AzureSettings.authorityHost("https://login.chinacloudapi.cn", "test", false, true))).isTrue();
    assertThat(AzureSettings.isMicrosoftCloud(AzureSettings.authorityHost("https://login.microsoftonline.us/", "test", false, true))).isTrue();
    // A private or local authority: MSAL must not ask login.microsoftonline.com about it.
    assertThat(AzureSettings.isMicrosoftCloud(AzureSettings.authorityHost("https://127.0.0.1:8443/", "test", false, true))).isFalse();
    assertThat(AzureSettings.isMicrosoftCloud(AzureSettings.authorityHost("https://adfs.example.com/", "test", false, true))).isFalse();
  }

  @Test
  void unsetValuesComeFromTheEnvironmentThenTheDefaults() {
    AzureSettings s = resolve(POD);
    assertThat(s.clientId()).isEqualTo(CLIENT);
    assertThat(s.tenantId()).isEqualTo(TENANT);
    assertThat(s.tokenFile()).isEqualTo(Path.of("/var/run/secrets/azure/tokens/azure-identity-token"));
    assertThat(s.tokenFileVariable()).isEqualTo("AZURE_FEDERATED_TOKEN_FILE");
    assertThat(s.authorityHost()).isEqualTo("https://login.microsoftonline.com/");
    assertThat(s.instanceDiscovery()).isTrue();
    assertThat(s.clock()).isEqualTo(Clock.systemUTC());
    assertThat(s.refreshPolicy()).isEqualTo(RefreshPolicy.defaults());
    assertThat(s.exchangeTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(s.connectTimeout()).isEqualTo(HttpDefaults.CONNECT_TIMEOUT).isEqualTo(Duration.ofSeconds(2));
    assertThat(s.readTimeout()).isEqualTo(HttpDefaults.READ_TIMEOUT).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.additionallyAllowedTenants()).isEmpty();
  }

  @Test
  void identicalConfigurationsAreOneSharingKeyAndAnyDifferenceIsAnother() {
    assertThat(resolve(POD)).isEqualTo(resolve(POD)).hasSameHashCodeAs(resolve(POD));
    AzureSettings.Values other = new AzureSettings.Values();
    other.environment = Environment.of(POD);
    other.readTimeout = Duration.ofSeconds(6);
    assertThat(other.resolve()).isNotEqualTo(resolve(POD));
  }

  @Test
  void additionallyAllowedTenantsComeFromAzureIdentitysVariable() {
    Map<String, String> env = new java.util.HashMap<>(POD);
    env.put("AZURE_ADDITIONALLY_ALLOWED_TENANTS", "Fabrikam.onmicrosoft.com; 11111111-2222-3333-4444-555555555555");
    AzureSettings s = resolve(env);
    assertThat(s.allowsTenant("fabrikam.onmicrosoft.com")).isTrue();
    assertThat(s.allowsTenant("11111111-2222-3333-4444-555555555555")).isTrue();
    assertThat(s.allowsTenant("contoso.onmicrosoft.com")).isFalse();
    env.put("AZURE_ADDITIONALLY_ALLOWED_TENANTS", "*");
    assertThat(resolve(env).allowsTenant("contoso.onmicrosoft.com")).isTrue();
  }

  @Test
  void aMalformedAllowedTenantIsAConfigurationError() {
    AzureSettings.Values v = new AzureSettings.Values();
    v.environment = Environment.of(POD);
    v.additionallyAllowedTenants = List.of("my tenant");
    assertThatThrownBy(v::resolve).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("\"my tenant\" is not a tenant ID");
  }
}
