package io.workloadidentity.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.client.http.GenericUrl;
import com.google.api.client.http.HttpRequestFactory;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.auth.http.HttpCredentialsAdapter;
import io.workloadidentity.core.internal.Shared;
import io.workloadidentity.testkit.CacheEvents;
import io.workloadidentity.testkit.FakeGcp;
import io.workloadidentity.testkit.FakeResourceServer;
import io.workloadidentity.testkit.ReceivedRequest;
import io.workloadidentity.testkit.TestClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Identically configured credentials in one JVM share one session: one cache entry and one STS
 * exchange per refresh cycle, however many there are (google-auth's own {@code
 * IdentityPoolCredentials}: one exchange per instance). Each is used the way a Google client library
 * uses it, through google-auth's {@link HttpCredentialsAdapter} on a google-http-client request
 * factory, against a fake Cloud Storage.
 */
class SharingTest extends GcpFixture {
  static final int INSTANCES = 10;
  FakeResourceServer storage;
  int sessionsBefore;

  @Override
  FakeGcp.Builder fake() {
    return FakeGcp.builder().stsTokenLifetime(Duration.ofSeconds(120));
  }

  @BeforeEach
  void startStorage() {
    storage = FakeResourceServer.builder().json("{\"kind\": \"storage#buckets\"}").build();
    sessionsBefore = Shared.live();
  }

  @AfterEach
  void stopStorage() {
    storage.close();
  }

  /** One Google client library: a request factory whose requests carry these credentials. */
  static HttpRequestFactory client(GcpWorkloadIdentityCredentials credentials) {
    return new NetHttpTransport().createRequestFactory(new HttpCredentialsAdapter(credentials));
  }

  /** Lists buckets through {@code client} and returns the bearer token the fake storage received. */
  String listBuckets(HttpRequestFactory client) throws Exception {
    int before = storage.requestCount();
    // (google-http-client logs a request's headers, the Authorization header included, when its logger
    // is at Level.ALL, as the leak guard sets it; a client library's request is not ours to log.)
    client.buildGetRequest(new GenericUrl(storage.url("/storage/v1/b"))).setLoggingEnabled(false).execute().disconnect();
    ReceivedRequest r = storage.requests().get(before);
    return r.header("Authorization").orElseThrow().substring("Bearer ".length());
  }

  /** Ten services in one pod, each building its credentials from the same gcloud configuration. */
  List<GcpWorkloadIdentityCredentials> tenInstances(List<CacheEvents> listeners) {
    List<GcpWorkloadIdentityCredentials> all = new ArrayList<>();
    for (int i = 0; i < INSTANCES; i++) {
      CacheEvents own = CacheEvents.create();
      listeners.add(own);
      Path file = config(audience, volume.tokenFile(), null, null); // its own copy of the same configuration
      all.add(closeLater(GcpWorkloadIdentityCredentials.builder().credentialsFile(file).httpTransportFactory(transport)
          .clock(clock).refreshPolicy(FAST).listener(own).build()));
    }
    return all;
  }

  @Test
  void tenIdenticallyConfiguredCredentialsMakeOneExchangePerRefreshCycle() throws Exception {
    List<CacheEvents> listeners = new ArrayList<>();
    List<GcpWorkloadIdentityCredentials> all = tenInstances(listeners);
    List<HttpRequestFactory> clients = all.stream().map(SharingTest::client).toList();
    assertThat(Shared.live()).isEqualTo(sessionsBefore + 1);

    Set<String> first = ConcurrentHashMap.newKeySet();
    for (HttpRequestFactory c : clients) {
      first.add(listBuckets(c));
    }
    assertThat(first).hasSize(1);
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(1);
    for (CacheEvents l : listeners) {
      l.awaitRefreshed(); // the first load, announced to every sharer's listener
    }
    String token = first.iterator().next();

    for (int cycle = 2; cycle <= 3; cycle++) {
      clock.advance(Duration.ofSeconds(105)); // past the refresh point of the 120 s token, before its expiry
      Set<String> during = ConcurrentHashMap.newKeySet();
      for (HttpRequestFactory c : clients) {
        during.add(listBuckets(c)); // nobody waits: the old token is served while the refresh runs
      }
      for (CacheEvents l : listeners) {
        assertThat(l.refreshedWithin(Duration.ofSeconds(10))).isTrue(); // every sharer's listener hears of it
      }
      String next = awaitNewToken(all.get(0), token);
      assertThat(during).contains(token).isSubsetOf(token, next);
      for (HttpRequestFactory c : clients) {
        assertThat(listBuckets(c)).isEqualTo(next);
      }
      assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(cycle); // one exchange per cycle for all ten
      token = next;
    }
  }

  @Test
  void concurrentFirstReadsOfTenInstancesMakeOneExchange() throws Exception {
    List<GcpWorkloadIdentityCredentials> all = tenInstances(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(INSTANCES);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<String>> reads = new ArrayList<>();
      for (GcpWorkloadIdentityCredentials c : all) {
        HttpRequestFactory client = client(c);
        reads.add(pool.submit(() -> {
          start.await();
          return listBuckets(client);
        }));
      }
      start.countDown();
      Set<String> tokens = ConcurrentHashMap.newKeySet();
      for (Future<String> f : reads) {
        tokens.add(f.get(30, TimeUnit.SECONDS));
      }
      assertThat(tokens).hasSize(1);
      assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(1);
    } finally {
      pool.shutdownNow();
      assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void closingReleasesTheSessionWhenTheLastSharerCloses() throws Exception {
    List<CacheEvents> listeners = new ArrayList<>();
    List<GcpWorkloadIdentityCredentials> all = tenInstances(listeners);
    String token = bearer(all.get(0));
    listeners.get(0).awaitRefreshed();

    for (int i = 0; i < INSTANCES - 1; i++) {
      all.get(i).close();
      assertThatThrownBy(() -> bearer(all.get(0))).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
    GcpWorkloadIdentityCredentials last = all.get(INSTANCES - 1);
    assertThat(Shared.live()).isEqualTo(sessionsBefore + 1); // still shared by the last one
    assertThat(bearer(last)).isEqualTo(token); // and still cached: closing the others cost no exchange
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(1);

    // A closed sharer's listener hears nothing more; the last one's still does.
    last.refresh();
    listeners.get(INSTANCES - 1).awaitRefreshed(); // the first load
    listeners.get(INSTANCES - 1).awaitRefreshed(); // the refresh
    assertThat(listeners.get(INSTANCES - 1).refreshCount()).isEqualTo(2);
    assertThat(listeners.get(0).refreshCount()).isEqualTo(1);

    last.close();
    assertThat(Shared.live()).isEqualTo(sessionsBefore);
    assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("workload-identity-gcp-"));
    assertThatThrownBy(() -> bearer(last)).isInstanceOf(IllegalStateException.class);

    // Building again opens a new session, which exchanges again.
    GcpWorkloadIdentityCredentials again = closeLater(credentials()
        .credentialsFile(config(audience, volume.tokenFile(), null, null)).build());
    assertThat(bearer(again)).startsWith("ya29.fake-sts-");
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(3); // the first load, last.refresh(), this one
  }

  @Test
  void otherScopesOrServiceAccountsAreOtherKeysInTheSameSession() throws Exception {
    gcp.grantWorkloadIdentityUser(SA, gcp.principal(audience, SUBJECT));
    GcpWorkloadIdentityCredentials direct = closeLater(credentials().audience(audience).tokenFile(volume.tokenFile())
        .stsEndpoint(gcp.stsUrl()).iamEndpoint(gcp.iamUrl()).build());
    GcpWorkloadIdentityCredentials readOnly = closeLater(credentials().audience(audience).tokenFile(volume.tokenFile())
        .stsEndpoint(gcp.stsUrl()).iamEndpoint(gcp.iamUrl())
        .scopes("https://www.googleapis.com/auth/devstorage.read_only").build());

    GcpWorkloadIdentityCredentials impersonating = closeLater(credentials().audience(audience).tokenFile(volume.tokenFile())
        .stsEndpoint(gcp.stsUrl()).iamEndpoint(gcp.iamUrl()).serviceAccount(SA).build());

    assertThat(Shared.live()).isEqualTo(sessionsBefore + 1);
    assertThat(bearer(direct)).isNotEqualTo(bearer(readOnly));
    assertThat(bearer(impersonating)).startsWith("ya29.fake-sa-");
    assertThat(readOnly.key().scopes()).containsExactly("https://www.googleapis.com/auth/devstorage.read_only");
    assertThat(impersonating.key().serviceAccount()).contains(SA);
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(3); // three keys, one exchange each

    // Another clock (or token source, or transport) is another configuration: its own session.
    GcpWorkloadIdentityCredentials elsewhere = closeLater(GcpWorkloadIdentityCredentials.builder().audience(audience)
        .tokenFile(volume.tokenFile()).stsEndpoint(gcp.stsUrl()).httpTransportFactory(transport)
        .clock(TestClock.at(clock.instant())).refreshPolicy(FAST).build());
    assertThat(Shared.live()).isEqualTo(sessionsBefore + 2);
    assertThat(bearer(elsewhere)).startsWith("ya29.fake-sts-");
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(4);
  }
}
