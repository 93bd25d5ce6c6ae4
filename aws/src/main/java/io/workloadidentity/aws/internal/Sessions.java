package io.workloadidentity.aws.internal;

import io.workloadidentity.core.FileTokenSource;
import io.workloadidentity.core.TokenSource;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.awscore.defaultsmode.DefaultsMode;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/** Opens the shared sessions behind the public providers. */
public final class Sessions {
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
  static final Duration READ_TIMEOUT = Duration.ofSeconds(10);
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(20);

  private Sessions() {}

  /** The shared STS session for {@code key}; {@code tokenVariable} is quoted in token-file errors. */
  public static SharedSession sts(StsKey key, String tokenVariable) {
    return SharedSession.acquire(key, k -> {
      List<AutoCloseable> owned = new ArrayList<>();
      try {
        TokenSource tokens = tokenSource(key.tokenOrigin(), tokenVariable, key.clock(), owned);
        Region region = AwsSettings.stsRegion(key.region(), key.globalEndpoint());
        StsClient sts = key.client();
        String endpoint;
        if (sts == null) {
          sts = newStsClient(region, key);
          owned.add(sts);
          endpoint = AwsSettings.describeEndpoint(region, key.endpointOverride());
        } else {
          endpoint = "the STS endpoint of the caller's StsClient";
        }
        StsExchange exchange = new StsExchange(key, tokens, sts, key.clock(), endpoint);
        return SharedSession.create(key, "aws", key.clock(), key.refreshPolicy(), key.listener(), tokens,
            exchange::exchange, owned);
      } catch (RuntimeException e) {
        closeAll(owned);
        throw e;
      }
    });
  }

  /** The shared Pod Identity session for {@code key}. */
  public static SharedSession podIdentity(PodIdentityKey key, String tokenVariable) {
    return SharedSession.acquire(key, k -> {
      List<AutoCloseable> owned = new ArrayList<>();
      try {
        TokenSource tokens = tokenSource(key.tokenOrigin(), tokenVariable, key.clock(), owned);
        PodIdentityExchange exchange = new PodIdentityExchange(key.endpoint(), tokens);
        return SharedSession.create(key, "aws-pod-identity", key.clock(), key.refreshPolicy(), key.listener(),
            tokens, exchange::exchange, owned);
      } catch (RuntimeException e) {
        closeAll(owned);
        throw e;
      }
    });
  }

  private static TokenSource tokenSource(Object origin, String variable, Clock clock, List<AutoCloseable> owned) {
    if (origin instanceof TokenSource t) {
      return t;
    }
    FileTokenSource file = FileTokenSource.builder((Path) origin).variable(variable).clock(clock).build();
    owned.add(file);
    return file;
  }

  /**
   * Our STS client: unsigned (the operation needs no credentials, and signing would make the SDK
   * look for credentials: the chicken-and-egg this module exists to avoid), the JDK-based HTTP
   * client, and no SDK retries: the credential cache owns retry and backoff, so one exchange is
   * exactly one HTTP request and an outage cannot multiply into a storm. Defaults mode "standard"
   * because "auto" would probe instance metadata.
   */
  private static StsClient newStsClient(Region region, StsKey key) {
    var builder = StsClient.builder()
        .region(region)
        .credentialsProvider(AnonymousCredentialsProvider.create())
        .defaultsMode(DefaultsMode.STANDARD)
        .httpClientBuilder(UrlConnectionHttpClient.builder()
            .connectionTimeout(CONNECT_TIMEOUT)
            .socketTimeout(READ_TIMEOUT))
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()).apiCallTimeout(CALL_TIMEOUT));
    if (key.endpointOverride() != null) {
      builder.endpointOverride(key.endpointOverride());
    }
    return builder.build();
  }

  private static void closeAll(List<AutoCloseable> owned) {
    for (AutoCloseable c : owned) {
      try {
        c.close();
      } catch (Exception ignored) {
        // Cleaning up after a failed construction; the construction error is what matters.
      }
    }
  }
}
