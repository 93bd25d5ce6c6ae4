package io.workloadidentity.examples.springboot;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import io.workloadidentity.spring.boot.CredentialListenerFactory;
import io.workloadidentity.testkit.CacheEvents;
import io.workloadidentity.testkit.FakeAwsSts;
import io.workloadidentity.testkit.FakeResourceServer;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.ReceivedRequest;
import io.workloadidentity.testkit.TokenSpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Starts the application on a random port against the testkit: a cluster writing the projected
 * token, STS trusting it, and a stand-in for S3. Calls the application over HTTP as a client would.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class OrdersApplicationTest {
  static final String ROLE = "arn:aws:iam::111122223333:role/orders";
  static final Path DIR;
  static final KubernetesCluster CLUSTER = KubernetesCluster.start();
  static final FakeAwsSts STS = FakeAwsSts.start();
  static final FakeResourceServer S3 = FakeResourceServer.builder().header("x-amz-bucket-region", "us-west-2")
      .body("application/xml", "<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Buckets>"
          + "<Bucket><Name>orders-archive</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket>"
          + "</Buckets><Owner><ID>x</ID></Owner></ListAllMyBucketsResult>").build();
  static final ProjectedVolume VOLUME;

  static {
    try {
      DIR = Files.createTempDirectory("orders-token");
    } catch (IOException e) {
      throw new ExceptionInInitializerError(e);
    }
    STS.trustIssuer(CLUSTER.issuer()).role(ROLE, "system:serviceaccount:shop:orders");
    VOLUME = CLUSTER.projectedVolume(DIR, TokenSpec.builder().namespace("shop").serviceAccount("orders")
        .audiences(FakeAwsSts.STS_AUDIENCE).build());
  }

  /** What the EKS webhook would inject, plus endpoints pointing at the fakes. */
  @DynamicPropertySource
  static void pod(DynamicPropertyRegistry registry) {
    registry.add("AWS_ROLE_ARN", () -> ROLE);
    registry.add("AWS_WEB_IDENTITY_TOKEN_FILE", () -> VOLUME.tokenFile().toString());
    registry.add("AWS_REGION", () -> "us-west-2");
    registry.add("AWS_ENDPOINT_URL_STS", () -> STS.endpoint().toString());
    registry.add("orders.s3.endpoint", () -> S3.url("/"));
  }

  @AfterAll
  static void stopFakes() {
    VOLUME.close();
    S3.close();
    STS.close();
    CLUSTER.close();
  }

  /** The aws credentials' events, through the starter's extension point for listeners. */
  static final CacheEvents EVENTS = CacheEvents.withTimeout(Duration.ofSeconds(10));

  @TestConfiguration(proxyBeanMethods = false)
  static class Events {
    @Bean
    CredentialListenerFactory testEvents() {
      return cloud -> EVENTS;
    }
  }

  @LocalServerPort int port;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void listsBucketsWithTheStartersCredentialsAndReportsTheirHealth() throws Exception {
    assertThat(JsonPath.<String>read(get("/actuator/health").body(), "$.components.workloadIdentity.components.aws.status"))
        .as("before first use").isEqualTo("UNKNOWN");

    HttpResponse<String> buckets = get("/buckets");
    assertThat(buckets.statusCode()).isEqualTo(200);
    assertThat(JsonPath.<List<String>>read(buckets.body(), "$")).containsExactly("orders-archive");
    ReceivedRequest listBuckets = S3.takeRequest(Duration.ofSeconds(5));
    assertThat(listBuckets.header("Authorization")).hasValueSatisfying(a ->
        assertThat(a).contains("Credential=" + STS.issued().get(0).accessKeyId() + "/"));

    // Health learns of the refresh from the credentials' event, sent just after the exchange's
    // waiters wake: wait for that event (bounded), then read.
    EVENTS.awaitRefreshed();
    HttpResponse<String> response = get("/actuator/health");
    assertThat(response.statusCode()).isEqualTo(200);
    String health = response.body();
    assertThat(JsonPath.<String>read(health, "$.status")).isEqualTo("UP");
    assertThat(JsonPath.<String>read(health, "$.components.workloadIdentity.components.aws.status")).isEqualTo("UP");
    assertThat(JsonPath.<Integer>read(health, "$.components.workloadIdentity.components.aws.details.secondsToExpiry"))
        .isBetween(3500, 3600);
    assertThat(health).doesNotContain(STS.issued().get(0).secretAccessKey(), STS.issued().get(0).sessionToken());

    HttpResponse<String> exchanges = get("/actuator/metrics/workload.identity.exchanges?tag=cloud:aws&tag=outcome:success");
    assertThat(exchanges.statusCode()).isEqualTo(200);
    assertThat(JsonPath.<Double>read(exchanges.body(), "$.measurements[0].value")).isEqualTo(1.0);
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
        .build(), HttpResponse.BodyHandlers.ofString());
  }
}
