package io.workloadidentity.benchmarks;

import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.util.ConfigurationBuilder;
import com.azure.core.util.ConfigurationSource;
import com.azure.identity.WorkloadIdentityCredential;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.auth.http.HttpTransportFactory;
import com.google.auth.oauth2.ExternalAccountCredentials;
import com.google.auth.oauth2.IdentityPoolCredentials;
import io.workloadidentity.aws.AwsWebIdentityCredentialsProvider;
import io.workloadidentity.azure.AzureWorkloadIdentityCredential;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.gcp.GcpWorkloadIdentityCredentials;
import io.workloadidentity.testkit.FakeAwsSts;
import io.workloadidentity.testkit.FakeEndpoint;
import io.workloadidentity.testkit.FakeEntraId;
import io.workloadidentity.testkit.FakeGcp;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TokenSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsWebIdentityTokenFileCredentialsProvider;

/**
 * One cloud's testkit stand-in (a Kubernetes cluster issuing the projected token, the cloud's token
 * endpoint) and the two providers under test pointed at that same endpoint: ours and the SDK's own
 * ("the peer"). Each is configured the way a user on Kubernetes would configure it, except for the
 * endpoint (and, where a scenario shortens the lifetime, the peer's margins, see {@link Margins}).
 *
 * <ul>
 *   <li>AWS: the fake STS over HTTP. The peer gets an {@code StsClient} with {@code
 *       endpointOverride}, anonymous credentials and the url-connection client (the one our module
 *       uses), with the SDK's default retries.
 *   <li>Azure: the fake Entra ID over HTTPS. Both credentials are given the port-less authority
 *       {@code https://login.benchmark.invalid/} and an azure-core {@code HttpClient} (the JDK one,
 *       trusting the testkit CA) that sends each request to the fake's {@code 127.0.0.1:PORT}: with
 *       a port in the authority MSAL never serves from its cache (reference azure.md §1.4), which
 *       would measure a quirk of tests, not what a pod sees.
 *   <li>Google: the fake STS over HTTPS, through one gcloud-style {@code external_account} file
 *       ({@code token_url} the fake, {@code credential_source} the token file) that both read, and
 *       one {@code HttpTransport} trusting the testkit CA.
 * </ul>
 */
public final class Testbed implements AutoCloseable {
  static final String AWS_ROLE = "arn:aws:iam::111122223333:role/app";
  static final String SUBJECT = "system:serviceaccount:default:app";
  static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  static final String CLIENT = "5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11";
  static final String AZURE_SCOPE = "https://vault.azure.net/.default";
  /** Port-less, never resolved: {@link #rewriting} sends its requests to the fake. */
  static final String AZURE_AUTHORITY = "https://login.benchmark.invalid/";
  static final URI GCP_RESOURCE = URI.create("https://storage.googleapis.com/storage/v1/b");
  private static final ConfigurationSource NONE = path -> Map.of();

  private final Cloud cloud;
  private final Path dir;
  private final KubernetesCluster cluster;
  private final ProjectedVolume volume;
  private final FakeEndpoint endpoint;
  private final HttpClient azureHttp;
  private final HttpTransportFactory gcpTransport;
  private final Path gcpConfig;
  /** Exchanges our providers started (first loads, refreshes, retries): one per backoff step. */
  private final AtomicInteger oursAttempts = new AtomicInteger();
  private final CredentialCache.Listener<Object> counting = new CredentialCache.Listener<>() {
    @Override
    public void onExchangeStarted(Object key) {
      oursAttempts.incrementAndGet();
    }
  };

  private Testbed(Cloud cloud, Duration lifetime) throws IOException {
    this.cloud = cloud;
    this.dir = Files.createTempDirectory("wi-bench-");
    this.cluster = KubernetesCluster.builder().build();
    TokenSpec.Builder spec = TokenSpec.builder().namespace("default").serviceAccount("app").podName("app-7d9f8c6b5-x2x4q");
    HttpClient http = null;
    HttpTransportFactory transport = null;
    Path config = null;
    switch (cloud) {
      case AWS: {
        FakeAwsSts sts = FakeAwsSts.builder().credentialLifetime(lifetime).build();
        sts.trustIssuer(cluster.issuer());
        sts.role(AWS_ROLE, SUBJECT);
        endpoint = sts;
        spec.audiences(FakeAwsSts.STS_AUDIENCE);
        break;
      }
      case AZURE: {
        FakeEntraId entra = FakeEntraId.builder().tokenLifetime(lifetime).build();
        entra.addFederatedCredential(TENANT, CLIENT, cluster.issuer(), SUBJECT);
        endpoint = entra;
        spec.audiences(FakeEntraId.DEFAULT_AUDIENCE);
        http = rewriting(entra);
        break;
      }
      case GCP: {
        FakeGcp gcp = FakeGcp.builder().stsTokenLifetime(Duration.ofSeconds(lifetime.toSeconds())).build();
        String audience = gcp.addProvider("k8s-pool", "cluster", cluster.issuer());
        endpoint = gcp;
        spec.audiences("https:" + audience);
        HttpTransport t = new NetHttpTransport.Builder().setSslSocketFactory(gcp.sslSocketFactory()).build();
        transport = () -> t;
        config = dir.resolve("credential-config.json");
        break;
      }
      default:
        throw new AssertionError(cloud);
    }
    this.volume = cluster.projectedVolume(dir.resolve("token"), spec.build());
    this.azureHttp = http;
    this.gcpTransport = transport;
    this.gcpConfig = config;
    if (config != null) {
      Files.writeString(config, gcpConfigJson(((FakeGcp) endpoint).stsUrl(), gcpAudience(spec.build()), volume.tokenFile()));
    }
  }

  /**
   * Starts the cluster and the cloud's fake, issuing credentials of the given lifetime.
   *
   * @param cloud the cloud
   * @param lifetime the lifetime of the credentials the fake issues (whole seconds for Google)
   * @return the started testbed; close it
   */
  public static Testbed start(Cloud cloud, Duration lifetime) {
    try {
      return new Testbed(cloud, lifetime);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The audience the Google config names: the token's {@code aud} without the {@code https:} prefix. */
  private static String gcpAudience(TokenSpec spec) {
    return spec.audiences().get(0).substring("https:".length());
  }

  static String gcpConfigJson(String tokenUrl, String audience, Path tokenFile) {
    return "{\"type\":\"external_account\",\"audience\":\"" + audience + "\","
        + "\"subject_token_type\":\"urn:ietf:params:oauth:token-type:jwt\",\"token_url\":\"" + tokenUrl + "\","
        + "\"credential_source\":{\"file\":\"" + tokenFile + "\",\"format\":{\"type\":\"text\"}}}";
  }

  /** The JDK azure-core client trusting the fake, sending every request to the fake's host and port. */
  static HttpClient rewriting(FakeEndpoint entra) {
    HttpClient jdk = new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(entra.sslContext())).build();
    String base = entra.baseUrl();
    return request -> {
      String url = request.getUrl().toString();
      if (url.startsWith(AZURE_AUTHORITY)) {
        request.setUrl(base + "/" + url.substring(AZURE_AUTHORITY.length()));
      }
      return jdk.send(request);
    };
  }

  /**
   * The cloud.
   *
   * @return the cloud this testbed stands in for
   */
  public Cloud cloud() {
    return cloud;
  }

  /**
   * The fake token endpoint, for faults (latency, outage) and request counts.
   *
   * @return the endpoint both providers call
   */
  public FakeEndpoint endpoint() {
    return endpoint;
  }

  /**
   * The projected token file (the kubelet's layout).
   *
   * @return the {@code token} symlink both providers read
   */
  public Path tokenFile() {
    return volume.tokenFile();
  }

  /**
   * The gcloud-style {@code external_account} file (Google only).
   *
   * @return its path, or {@code null} for the other clouds
   */
  public Path gcpConfig() {
    return gcpConfig;
  }

  /**
   * The exchanges our providers of this testbed started so far, each one cache attempt (first load,
   * refresh or retry after a backoff step), from their listener's {@code onExchangeStarted}.
   *
   * @return the count
   */
  public int oursAttempts() {
    return oursAttempts.get();
  }

  /**
   * When the endpoint received each token request so far.
   *
   * @return epoch milliseconds, oldest first
   */
  public java.util.List<Long> tokenRequestTimes() {
    java.util.List<io.workloadidentity.testkit.ReceivedRequest> r;
    switch (cloud) {
      case AWS:
        r = ((FakeAwsSts) endpoint).assumeRoleRequests();
        break;
      case AZURE:
        r = endpoint.requests(FakeEntraId.tokenPath(TENANT));
        break;
      default:
        r = endpoint.requests(FakeGcp.STS_PATH);
        break;
    }
    return r.stream().map(q -> q.receivedAt().toEpochMilli()).toList();
  }

  /**
   * The token requests the endpoint received so far (failed ones included).
   *
   * @return the count
   */
  public int tokenRequests() {
    switch (cloud) {
      case AWS:
        return ((FakeAwsSts) endpoint).assumeRoleRequests().size();
      case AZURE:
        return endpoint.requestCount(FakeEntraId.tokenPath(TENANT));
      default:
        return endpoint.requestCount(FakeGcp.STS_PATH);
    }
  }

  /**
   * Our provider for this cloud.
   *
   * @param policy the refresh policy, or {@code null} for the default
   * @return a new provider (identically configured ones share a session, as in production)
   */
  public Subject ours(RefreshPolicy policy) {
    RefreshPolicy p = policy == null ? RefreshPolicy.defaults() : policy;
    switch (cloud) {
      case AWS: {
        AwsWebIdentityCredentialsProvider provider = AwsWebIdentityCredentialsProvider.builder()
            .environment(Environment.of(Map.of()))
            .roleArn(AWS_ROLE).tokenFile(volume.tokenFile()).region("us-west-2")
            .stsEndpoint(((FakeAwsSts) endpoint).endpoint()).refreshPolicy(p).listener(counting).build();
        return subject(provider::resolveCredentials, provider::close);
      }
      case AZURE: {
        AzureWorkloadIdentityCredential credential = AzureWorkloadIdentityCredential.builder()
            .environment(Environment.of(Map.of()))
            .tenantId(TENANT).clientId(CLIENT).authorityHost(AZURE_AUTHORITY).instanceDiscovery(false)
            .tokenFile(volume.tokenFile()).httpClient(azureHttp).refreshPolicy(p).listener(counting).build();
        TokenRequestContext request = new TokenRequestContext().addScopes(AZURE_SCOPE);
        return subject(() -> credential.getTokenSync(request), credential::close);
      }
      default: {
        GcpWorkloadIdentityCredentials credentials = GcpWorkloadIdentityCredentials.builder()
            .environment(Environment.of(Map.of()))
            .credentialsFile(gcpConfig).httpTransportFactory(gcpTransport).refreshPolicy(p).listener(counting)
            .build();
        return subject(() -> credentials.getRequestMetadata(GCP_RESOURCE), credentials::close);
      }
    }
  }

  /**
   * The SDK's own provider for this cloud.
   *
   * @param margins the peer's refresh margins, or {@code null} for its defaults
   * @return a new provider
   */
  public Subject peer(Margins margins) {
    switch (cloud) {
      case AWS: {
        StsClient sts = StsClient.builder()
            .endpointOverride(((FakeAwsSts) endpoint).endpoint()).region(Region.US_WEST_2)
            .credentialsProvider(AnonymousCredentialsProvider.create())
            .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
        StsWebIdentityTokenFileCredentialsProvider.Builder b = StsWebIdentityTokenFileCredentialsProvider.builder()
            .stsClient(sts).roleArn(AWS_ROLE).roleSessionName("app-7d9f8c6b5-x2x4q")
            .webIdentityTokenFile(volume.tokenFile());
        if (margins != null) {
          b.prefetchTime(margins.refresh()).staleTime(margins.stale());
        }
        StsWebIdentityTokenFileCredentialsProvider provider = b.build();
        return subject(provider::resolveCredentials, () -> {
          provider.close();
          sts.close();
        });
      }
      case AZURE: {
        // configuration() first: it would reset the authority host (reference azure.md §2.1).
        WorkloadIdentityCredential credential = new WorkloadIdentityCredentialBuilder()
            .configuration(new ConfigurationBuilder(NONE, NONE, NONE).build())
            .authorityHost(AZURE_AUTHORITY).disableInstanceDiscovery()
            .tenantId(TENANT).clientId(CLIENT).tokenFilePath(volume.tokenFile().toString())
            .httpClient(azureHttp).build();
        TokenRequestContext request = new TokenRequestContext().addScopes(AZURE_SCOPE);
        return subject(() -> credential.getTokenSync(request), () -> {});
      }
      default: {
        IdentityPoolCredentials credentials;
        try {
          credentials = (IdentityPoolCredentials) ExternalAccountCredentials.fromStream(
              new ByteArrayInputStream(Files.readString(gcpConfig).getBytes(StandardCharsets.UTF_8)), gcpTransport);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        if (margins != null) {
          IdentityPoolCredentials.Builder b = credentials.toBuilder();
          b.setRefreshMargin(margins.refresh());
          b.setExpirationMargin(margins.stale());
          credentials = b.build();
        }
        IdentityPoolCredentials c = credentials;
        return subject(() -> c.getRequestMetadata(GCP_RESOURCE), () -> {});
      }
    }
  }

  /** A reader and its closer as a {@link Subject}. */
  static Subject subject(Read read, Runnable close) {
    return new Subject() {
      @Override
      public Object read() throws Exception {
        return read.read();
      }

      @Override
      public void close() {
        close.run();
      }
    };
  }

  /** The SDK-facing call. */
  @FunctionalInterface
  interface Read {
    Object read() throws Exception;
  }

  @Override
  public void close() {
    volume.close();
    endpoint.close();
    cluster.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind is harmless
    }
  }
}
