package io.workloadidentity.reliability;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenRequestContext;
import io.workloadidentity.aws.AwsWebIdentityCredentialsProvider;
import io.workloadidentity.azure.AzureWorkloadIdentityCredential;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.gcp.GcpWorkloadIdentityCredentials;
import io.workloadidentity.testkit.FakeAwsSts;
import io.workloadidentity.testkit.FakeEndpoint;
import io.workloadidentity.testkit.FakeEntraId;
import io.workloadidentity.testkit.FakeGcp;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * One cloud's test bed: a Kubernetes cluster and the cloud's token endpoint (testkit fakes sharing one {@link
 * TestClock}), a projected volume, and a factory for the library's public credential type with the real SDK
 * types. Credentials last {@link #LIFETIME}; the projected token a day, so that it never expires under a scenario
 * unless the scenario wants it to.
 */
abstract class Rig implements AutoCloseable {
  static final Duration LIFETIME = Duration.ofHours(1);

  static {
    Leaks.install(); // before anything logs
    // The testkit CA signs every fake's certificate: the SDKs' default HTTP stacks (the JDK's) must trust it.
    try (FakeEntraId trustSource = FakeEntraId.start()) {
      SSLContext.setDefault(trustSource.sslContext());
      HttpsURLConnection.setDefaultSSLSocketFactory(trustSource.sslSocketFactory());
    }
  }

  /** The three clouds. */
  enum Cloud {
    AWS,
    AZURE,
    GCP;

    Rig start(Path dir) {
      return start(dir, LIFETIME);
    }

    /** A test bed whose fake issues credentials valid for {@code lifetime}. */
    Rig start(Path dir, Duration lifetime) {
      switch (this) {
        case AWS:
          return new Aws(dir, lifetime);
        case AZURE:
          return new Azure(dir, lifetime);
        default:
          return new Gcp(dir, lifetime);
      }
    }
  }

  /** What a caller gets: the credential's identifying value (a secret) and, where the SDK type says, its expiry. */
  static final class Cred {
    final String value;
    final Instant expiresAt;

    Cred(String value, Instant expiresAt) {
      this.value = value;
      this.expiresAt = expiresAt;
    }
  }

  /** The library's credential object of one cloud, read the way that cloud's SDK reads it. */
  interface Client extends AutoCloseable {
    Cred read() throws Exception;

    /** The library's object itself (what a user may log: its {@code toString()} is scanned for secrets). */
    Object target();

    @Override
    void close();
  }

  /** How a scenario wants the credential built; null leaves the library's default. */
  static final class Options {
    RefreshPolicy policy;
    Duration exchangeTimeout;
    CredentialCache.Listener<Object> listener;
    TokenSource tokenSource;
    Path tokenFile;
    boolean useClock = true;
    String endpoint;

    /** Another token endpoint (a base URL) instead of the fake's. */
    Options endpoint(String url) {
      endpoint = url;
      return this;
    }

    Options policy(RefreshPolicy p) {
      policy = p;
      return this;
    }

    Options exchangeTimeout(Duration d) {
      exchangeTimeout = d;
      return this;
    }

    Options listener(CredentialCache.Listener<Object> l) {
      listener = l;
      return this;
    }

    Options tokenSource(TokenSource s) {
      tokenSource = s;
      return this;
    }

    Options tokenFile(Path f) {
      tokenFile = f;
      return this;
    }

    Options systemClock() {
      useClock = false;
      return this;
    }
  }

  final Cloud cloud;
  final Path dir;
  final TestClock clock = TestClock.create();
  final KubernetesCluster cluster = KubernetesCluster.builder().clock(clock).build();
  ProjectedVolume volume;

  Rig(Cloud cloud, Path dir) {
    this.cloud = cloud;
    this.dir = dir;
  }

  /** The fake the exchanges go to (where faults are injected). */
  abstract FakeEndpoint endpoint();

  /** Token exchange requests the fake has received. */
  abstract int exchanges();

  abstract Client open(Options o);

  /** The projected token the last exchange request presented (empty string when there was none). */
  final String lastPresented() {
    java.util.List<io.workloadidentity.testkit.ReceivedRequest> r = exchangeRequests();
    return r.isEmpty() ? "" : r.get(r.size() - 1).form().getOrDefault(tokenField(), "");
  }

  abstract java.util.List<io.workloadidentity.testkit.ReceivedRequest> exchangeRequests();

  abstract String tokenField();

  /** Environment variables that make {@code WorkloadIdentity.detect} find this cloud. */
  abstract Map<String, String> environment();

  @Override
  public void close() {
    if (volume != null) {
      volume.close();
    }
    endpoint().close();
    cluster.close();
  }

  @Override
  public String toString() {
    return cloud.name();
  }

  final ProjectedVolume volume(TokenSpec.Builder spec) {
    volume = cluster.projectedVolume(dir.resolve("token-" + cloud.name().toLowerCase()),
        spec.lifetime(Duration.ofHours(24)).build());
    return volume;
  }

  final Path tokenFile(Options o) {
    return o.tokenFile != null ? o.tokenFile : volume.tokenFile();
  }

  // ---- AWS: AssumeRoleWithWebIdentity with the SDK's StsClient -----------------------------------

  static final class Aws extends Rig {
    static final String ROLE = "arn:aws:iam::111122223333:role/orders";
    final FakeAwsSts sts;

    Aws(Path dir, Duration lifetime) {
      super(Cloud.AWS, dir);
      sts = FakeAwsSts.builder().clock(clock).credentialLifetime(lifetime).build();
      sts.trustIssuer(cluster.issuer()).role(ROLE, "system:serviceaccount:shop:*");
      volume(TokenSpec.builder().namespace("shop").serviceAccount("orders").audiences(FakeAwsSts.STS_AUDIENCE));
    }

    @Override
    FakeEndpoint endpoint() {
      return sts;
    }

    @Override
    int exchanges() {
      return sts.assumeRoleRequests().size();
    }

    @Override
    java.util.List<io.workloadidentity.testkit.ReceivedRequest> exchangeRequests() {
      return sts.assumeRoleRequests();
    }

    @Override
    String tokenField() {
      return "WebIdentityToken";
    }

    @Override
    Client open(Options o) {
      AwsWebIdentityCredentialsProvider.Builder b = AwsWebIdentityCredentialsProvider.builder()
          .environment(Environment.of(Map.of())).roleArn(ROLE).region("us-west-2")
          .stsEndpoint(o.endpoint != null ? URI.create(o.endpoint) : sts.endpoint());
      if (o.tokenSource != null) {
        b.tokenSource(o.tokenSource);
      } else {
        b.tokenFile(tokenFile(o));
      }
      if (o.useClock) {
        b.clock(clock);
      }
      if (o.policy != null) {
        b.refreshPolicy(o.policy);
      }
      if (o.exchangeTimeout != null) {
        b.exchangeTimeout(o.exchangeTimeout);
      }
      if (o.listener != null) {
        b.listener(o.listener);
      }
      AwsWebIdentityCredentialsProvider p = b.build();
      return new Client() {
        @Override
        public Cred read() {
          AwsSessionCredentials c = (AwsSessionCredentials) p.resolveCredentials();
          return new Cred(c.sessionToken(), c.expirationTime().orElse(null));
        }

        @Override
        public Object target() {
          return p;
        }

        @Override
        public void close() {
          p.close();
        }
      };
    }

    @Override
    Map<String, String> environment() {
      return Map.of("AWS_ROLE_ARN", ROLE, "AWS_WEB_IDENTITY_TOKEN_FILE", volume.tokenFile().toString(),
          "AWS_REGION", "us-west-2", "AWS_ENDPOINT_URL_STS", sts.endpoint().toString());
    }
  }

  // ---- Azure: Entra ID client credentials with a federated assertion, azure-core's TokenCredential -----

  static final class Azure extends Rig {
    static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    static final String CLIENT = "5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11";
    static final TokenRequestContext VAULT = new TokenRequestContext().addScopes("https://vault.azure.net/.default");
    final FakeEntraId entra;

    Azure(Path dir, Duration lifetime) {
      super(Cloud.AZURE, dir);
      entra = FakeEntraId.builder().clock(clock).tokenLifetime(lifetime).build();
      entra.addFederatedCredential(TENANT, CLIENT, cluster.issuer(), "system:serviceaccount:payments:api");
      volume(TokenSpec.builder().namespace("payments").serviceAccount("api").audiences(FakeEntraId.DEFAULT_AUDIENCE));
    }

    @Override
    FakeEndpoint endpoint() {
      return entra;
    }

    @Override
    int exchanges() {
      return entra.requests(FakeEntraId.tokenPath(TENANT)).size();
    }

    @Override
    java.util.List<io.workloadidentity.testkit.ReceivedRequest> exchangeRequests() {
      return entra.requests(FakeEntraId.tokenPath(TENANT));
    }

    @Override
    String tokenField() {
      return "client_assertion";
    }

    @Override
    Client open(Options o) {
      AzureWorkloadIdentityCredential.Builder b = AzureWorkloadIdentityCredential.builder()
          .environment(Environment.of(Map.of())).tenantId(TENANT).clientId(CLIENT)
          .authorityHost(o.endpoint != null ? o.endpoint : entra.authorityHost()).instanceDiscovery(false);
      if (o.tokenSource != null) {
        b.tokenSource(o.tokenSource);
      } else {
        b.tokenFile(tokenFile(o));
      }
      if (o.useClock) {
        b.clock(clock);
      }
      if (o.policy != null) {
        b.refreshPolicy(o.policy);
      }
      if (o.exchangeTimeout != null) {
        b.exchangeTimeout(o.exchangeTimeout);
      }
      if (o.listener != null) {
        b.listener(o.listener);
      }
      AzureWorkloadIdentityCredential c = b.build();
      return new Client() {
        @Override
        public Cred read() {
          AccessToken t = c.getTokenSync(VAULT);
          return new Cred(t.getToken(), t.getExpiresAt().toInstant());
        }

        @Override
        public Object target() {
          return c;
        }

        @Override
        public void close() {
          c.close();
        }
      };
    }

    @Override
    Map<String, String> environment() {
      return Map.of("AZURE_CLIENT_ID", CLIENT, "AZURE_TENANT_ID", TENANT,
          "AZURE_FEDERATED_TOKEN_FILE", volume.tokenFile().toString(), "AZURE_AUTHORITY_HOST", entra.authorityHost());
    }
  }

  // ---- Google: workload identity federation (STS token exchange), google-auth's GoogleCredentials ------

  static final class Gcp extends Rig {
    static final URI API = URI.create("https://storage.googleapis.com/storage/v1/b");
    final FakeGcp gcp;
    final String audience;

    Gcp(Path dir, Duration lifetime) {
      super(Cloud.GCP, dir);
      gcp = FakeGcp.builder().clock(clock).stsTokenLifetime(lifetime).build();
      audience = gcp.addProvider("k8s-pool", "cluster", cluster.issuer());
      volume(TokenSpec.builder().namespace("default").serviceAccount("app").audiences("https:" + audience));
    }

    @Override
    FakeEndpoint endpoint() {
      return gcp;
    }

    @Override
    int exchanges() {
      return gcp.requests(FakeGcp.STS_PATH).size();
    }

    @Override
    java.util.List<io.workloadidentity.testkit.ReceivedRequest> exchangeRequests() {
      return gcp.requests(FakeGcp.STS_PATH);
    }

    @Override
    String tokenField() {
      return "subject_token";
    }

    @Override
    Client open(Options o) {
      GcpWorkloadIdentityCredentials.Builder b = GcpWorkloadIdentityCredentials.builder()
          .environment(Environment.of(Map.of())).audience(audience)
          .stsEndpoint(o.endpoint != null ? o.endpoint + FakeGcp.STS_PATH : gcp.stsUrl());
      if (o.tokenSource != null) {
        b.tokenSource(o.tokenSource);
      } else {
        b.tokenFile(tokenFile(o));
      }
      if (o.useClock) {
        b.clock(clock);
      }
      if (o.policy != null) {
        b.refreshPolicy(o.policy);
      }
      if (o.exchangeTimeout != null) {
        b.exchangeTimeout(o.exchangeTimeout);
      }
      if (o.listener != null) {
        b.listener(o.listener);
      }
      GcpWorkloadIdentityCredentials c = b.build();
      return new Client() {
        @Override
        public Cred read() throws IOException {
          String token = c.getRequestMetadata(API).get("Authorization").get(0).substring("Bearer ".length());
          // google-auth's metadata carries no expiry: the fake knows when the token it issued expires.
          return new Cred(token, gcp.tokenInfo(token).map(FakeGcp.IssuedToken::expiresAt).orElse(null));
        }

        @Override
        public Object target() {
          return c;
        }

        @Override
        public void close() {
          c.close();
        }
      };
    }

    @Override
    Map<String, String> environment() {
      String config = "{\"universe_domain\": \"googleapis.com\", \"type\": \"external_account\", \"audience\": \""
          + audience + "\", \"subject_token_type\": \"urn:ietf:params:oauth:token-type:jwt\", \"token_url\": \""
          + gcp.stsUrl() + "\", \"credential_source\": {\"file\": \"" + volume.tokenFile()
          + "\", \"format\": {\"type\": \"text\"}}}";
      try {
        Path file = Files.writeString(dir.resolve("gcp-credentials.json"), config);
        return Map.of("GOOGLE_APPLICATION_CREDENTIALS", file.toString());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

}
