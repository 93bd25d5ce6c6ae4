package io.workloadidentity.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.testkit.FakeResourceServer;
import io.workloadidentity.testkit.ReceivedRequest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Stands in for S3: the testkit's {@link FakeResourceServer} answering every request 200, so a test
 * can check the SigV4 signature an SDK client computed with the credentials it got from our provider.
 */
final class S3Recorder implements AutoCloseable {
  private static final Pattern AUTH = Pattern.compile(
      "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})");

  private final FakeResourceServer server = FakeResourceServer.builder()
      .header("x-amz-bucket-region", "us-west-2").body("application/xml", "").build();

  /** An ordinary S3 client using {@code credentials}, pointed at this recorder. */
  S3Client client(AwsCredentialsProvider credentials) {
    return S3Client.builder()
        .region(Region.US_WEST_2)
        .endpointOverride(URI.create(server.url("/")))
        .forcePathStyle(true)
        .credentialsProvider(credentials)
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .build();
  }

  /** The next request S3 received (waits at most 5 s). */
  ReceivedRequest take() throws InterruptedException {
    return server.takeRequest(Duration.ofSeconds(5));
  }

  int requestCount() {
    return server.requestCount();
  }

  /**
   * Checks the request's SigV4 signature by recomputing it with {@code secretAccessKey}, and returns
   * the access key ID it names. Fails if the signature was computed with another secret.
   */
  static String verifySigV4(ReceivedRequest r, String secretAccessKey) throws GeneralSecurityException {
    Matcher m = AUTH.matcher(r.header("Authorization").orElse(""));
    assertThat(m.matches()).as("a SigV4 Authorization header").isTrue();
    String accessKeyId = m.group(1);
    String date = m.group(2);
    String scope = date + "/" + m.group(3) + "/" + m.group(4) + "/aws4_request";
    List<String> signed = Arrays.asList(m.group(5).split(";"));
    String canonicalHeaders = signed.stream()
        .map(h -> h + ":" + String.join(",", r.headers().getOrDefault(h, List.of())).trim().replaceAll(" +", " ") + "\n")
        .collect(Collectors.joining());
    String query = r.query();
    String canonicalQuery = query.isEmpty() ? "" : Arrays.stream(query.split("&"))
        .map(p -> p.contains("=") ? p : p + "=").sorted().collect(Collectors.joining("&"));
    String canonicalRequest = r.method() + "\n" + r.path() + "\n" + canonicalQuery + "\n"
        + canonicalHeaders + "\n" + m.group(5) + "\n" + r.header("x-amz-content-sha256").orElse("");
    String stringToSign = "AWS4-HMAC-SHA256\n" + r.header("x-amz-date").orElse("") + "\n" + scope + "\n"
        + hex(MessageDigest.getInstance("SHA-256").digest(canonicalRequest.getBytes(StandardCharsets.UTF_8)));
    byte[] key = ("AWS4" + secretAccessKey).getBytes(StandardCharsets.UTF_8);
    for (String part : new String[] {date, m.group(3), m.group(4), "aws4_request"}) {
      key = hmac(key, part);
    }
    assertThat(hex(hmac(key, stringToSign))).as("SigV4 signature recomputed with the issued secret").isEqualTo(m.group(6));
    return accessKeyId;
  }

  private static byte[] hmac(byte[] key, String data) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b).toLowerCase(Locale.ROOT);
  }

  @Override
  public void close() {
    server.close();
  }
}
