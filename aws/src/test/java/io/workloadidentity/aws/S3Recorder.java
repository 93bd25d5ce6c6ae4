package io.workloadidentity.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Stands in for S3: answers every request 200 and records it, so a test can check the SigV4
 * signature an SDK client computed with the credentials it got from our provider.
 */
final class S3Recorder implements AutoCloseable {
  private static final Pattern AUTH = Pattern.compile(
      "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})");

  private final MockWebServer server = new MockWebServer();

  S3Recorder() {
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        return new MockResponse.Builder().code(200).setHeader("x-amz-bucket-region", "us-west-2").build();
      }
    });
    try {
      server.start(InetAddress.getByName("127.0.0.1"), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An ordinary S3 client using {@code credentials}, pointed at this recorder. */
  S3Client client(AwsCredentialsProvider credentials) {
    return S3Client.builder()
        .region(Region.US_WEST_2)
        .endpointOverride(URI.create(server.url("/").toString()))
        .forcePathStyle(true)
        .credentialsProvider(credentials)
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .build();
  }

  /** The next request S3 received (waits at most 5 s). */
  RecordedRequest take() throws InterruptedException {
    RecordedRequest r = server.takeRequest(5, TimeUnit.SECONDS);
    assertThat(r).as("a request to S3").isNotNull();
    return r;
  }

  int requestCount() {
    return server.getRequestCount();
  }

  /**
   * Checks the request's SigV4 signature by recomputing it with {@code secretAccessKey}, and returns
   * the access key ID it names. Fails if the signature was computed with another secret.
   */
  static String verifySigV4(RecordedRequest r, String secretAccessKey) throws GeneralSecurityException {
    Matcher m = AUTH.matcher(String.valueOf(r.getHeaders().get("Authorization")));
    assertThat(m.matches()).as("a SigV4 Authorization header").isTrue();
    String accessKeyId = m.group(1);
    String date = m.group(2);
    String scope = date + "/" + m.group(3) + "/" + m.group(4) + "/aws4_request";
    List<String> signed = Arrays.asList(m.group(5).split(";"));
    String canonicalHeaders = signed.stream()
        .map(h -> h + ":" + String.join(",", r.getHeaders().values(h)).trim().replaceAll(" +", " ") + "\n")
        .collect(Collectors.joining());
    String query = r.getUrl().encodedQuery();
    String canonicalQuery = query == null ? "" : Arrays.stream(query.split("&"))
        .map(p -> p.contains("=") ? p : p + "=").sorted().collect(Collectors.joining("&"));
    String canonicalRequest = r.getMethod() + "\n" + r.getUrl().encodedPath() + "\n" + canonicalQuery + "\n"
        + canonicalHeaders + "\n" + m.group(5) + "\n" + r.getHeaders().get("x-amz-content-sha256");
    String stringToSign = "AWS4-HMAC-SHA256\n" + r.getHeaders().get("x-amz-date") + "\n" + scope + "\n"
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
