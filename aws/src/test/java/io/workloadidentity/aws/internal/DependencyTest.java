package io.workloadidentity.aws.internal;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.SdkHttpService;

/**
 * Guards the module's exclusions: the SDK's Apache and Netty HTTP clients must not come in with
 * {@code sts} (or with the {@code s3} test dependency), and the JDK-based client must be the one the
 * SDK finds.
 */
class DependencyTest {
  @Test
  void noApacheOrNettyHttpClientOnTheClassPath() {
    for (String absent : new String[] {
        "software.amazon.awssdk.http.apache.ApacheHttpClient",
        "software.amazon.awssdk.http.apache5.Apache5HttpClient",
        "software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient",
        "io.netty.channel.Channel",
        "org.apache.http.client.HttpClient",
        "org.apache.hc.client5.http.classic.HttpClient"}) {
      assertThatThrownBy(() -> Class.forName(absent)).as(absent).isInstanceOf(ClassNotFoundException.class);
    }
  }

  @Test
  void theSdkFindsOnlyTheUrlConnectionClient() {
    java.util.List<String> services = java.util.ServiceLoader.load(SdkHttpService.class).stream()
        .map(p -> p.type().getName()).toList();
    org.assertj.core.api.Assertions.assertThat(services)
        .containsExactly("software.amazon.awssdk.http.urlconnection.UrlConnectionSdkHttpService");
  }
}
