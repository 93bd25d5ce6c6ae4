package io.workloadidentity.azure.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SettingsTest {
  @Test
  void instanceDiscoveryIsOnlyForMicrosoftsOwnClouds() {
    assertThat(Settings.isMicrosoftCloud(Settings.authorityHost("https://login.microsoftonline.com/"))).isTrue();
    assertThat(Settings.isMicrosoftCloud(Settings.authorityHost("https://login.chinacloudapi.cn"))).isTrue();
    assertThat(Settings.isMicrosoftCloud(Settings.authorityHost("https://login.microsoftonline.us/"))).isTrue();
    // A private or local authority: MSAL must not ask login.microsoftonline.com about it.
    assertThat(Settings.isMicrosoftCloud(Settings.authorityHost("https://127.0.0.1:8443/"))).isFalse();
    assertThat(Settings.isMicrosoftCloud(Settings.authorityHost("https://adfs.example.com/"))).isFalse();
  }
}
