package io.workloadidentity.aws.internal;

import io.workloadidentity.aws.AwsCredentialKey;
import io.workloadidentity.aws.AwsExchangeException;
import io.workloadidentity.aws.AwsExchangeException.Reason;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Expiring;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.internal.BoundedBodies;
import io.workloadidentity.core.internal.Redaction;
import io.workloadidentity.core.internal.Tokens;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * One EKS Pod Identity attempt: {@code GET <agent URL>} with the raw projected token in {@code
 * Authorization} (no "Bearer"), JSON credentials back; exactly one HTTP request. The agent answers
 * errors as plain text {@code [request-id]: (Code): message, fault: ...} with the EKS Auth status.
 *
 * <p><b>Deadline.</b> The attempt ends at the exchange deadline whatever the server does: the
 * request runs on the JDK's asynchronous HTTP client and this thread waits for it with the time left
 * (also ending at once when the cache interrupts it), then cancels it, which closes the connection.
 * A body that trickles in (one byte every few seconds keeps any socket read timeout from firing)
 * therefore cannot hold the attempt, nor the connection, past the deadline. The read timeout bounds
 * each silence of the server: the wait for the headers and each gap between body bytes.
 *
 * <p>The body is capped ({@link AwsSettings#maxResponseBytes()}): the request is cancelled as soon
 * as more arrives. The client never goes through a proxy (the agent is on the node's link-local
 * address) and never follows redirects. As for STS, the token is read just before the request is
 * sent, and an expired or invalid token makes the exchange re-read the token and fail
 * token-rejected: the cache retries with the new token.
 */
final class PodIdentityExchange implements CredentialCache.Exchange<AwsCredentialKey, AwsSessionCredentials>,
    AutoCloseable {
  static final String PROVIDER_NAME = "EksPodIdentityCredentialsProvider";
  /** How much of an error body a message quotes: the agent's message fits, a misdirected page does not. */
  private static final int EXCERPT = 300;

  private final AwsSettings settings;
  private final TokenSource tokens;
  private final HttpClient http;
  private final Set<Call> inFlight = ConcurrentHashMap.newKeySet();

  /**
   * The exchange for {@code settings}.
   *
   * @param settings Pod Identity settings
   * @param tokens where the token comes from
   * @param executor runs the HTTP client's completions (the session's; shut down by its owner)
   */
  PodIdentityExchange(AwsSettings settings, TokenSource tokens, Executor executor) {
    this.settings = settings;
    this.tokens = tokens;
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1) // no h2c upgrade dance with a plain-http agent
        .proxy(HttpClient.Builder.NO_PROXY)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(settings.connectTimeout())
        .executor(executor)
        .build();
  }

  /** Performs one attempt. Throws {@link AwsExchangeException} or a core token exception. */
  @Override
  public Expiring<AwsSessionCredentials> exchange(AwsCredentialKey key) {
    long deadline = System.nanoTime() + settings.exchangeTimeout().toNanos();
    ProjectedToken token = tokens.token(); // read last: only the request itself follows
    HttpRequest request = request(token);
    Call call = new Call(settings.maxResponseBytes(), settings.connectTimeout().toNanos(),
        settings.readTimeout().toNanos());
    inFlight.add(call);
    try {
      call.future = http.sendAsync(request, call);
      Response r = call.await(deadline);
      if (r.status == 200) {
        return parse(r);
      }
      throw refused(r, token);
    } finally {
      inFlight.remove(call);
      call.cancel();
    }
  }

  private HttpRequest request(ProjectedToken token) {
    try {
      return HttpRequest.newBuilder(settings.endpoint())
          .GET()
          .header("Accept", "application/json")
          .header("User-Agent", "workload-identity-java")
          .header("Authorization", token.value())
          .build();
    } catch (IllegalArgumentException e) {
      // The JDK refuses header values with control characters, quoting the value: never pass that on.
      // (Tokens pass the core's JWS alphabet check first, so this is a second line of defence.)
      throw new AwsExchangeException("The token from " + tokens.description() + " contains characters that cannot be"
          + " sent in an HTTP header. Check that it holds exactly one projected service-account token.",
          Reason.TOKEN_INVALID, null, -1, null, null, "Check the token's content.", null);
    }
  }

  /** An answer within the deadline: the status, the body (capped) and the server's Date. */
  private record Response(int status, String body, java.time.Instant date) {}

  /**
   * One request in flight: the body subscriber (which caps the body and notes by when the server must
   * send more) and the future of the whole exchange.
   */
  private final class Call implements HttpResponse.BodyHandler<byte[]>, HttpResponse.BodySubscriber<byte[]> {
    private final int limit;
    private final long idleNanos;
    private final CompletableFuture<byte[]> body = new CompletableFuture<>();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    /** The next bytes are due by then (System.nanoTime()); the first wait includes connecting. */
    private volatile long quietUntil;
    private volatile int status = -1;
    private volatile Flow.Subscription subscription;
    private volatile boolean cancelled;
    volatile CompletableFuture<HttpResponse<byte[]>> future;

    Call(int limit, long connectNanos, long idleNanos) {
      this.limit = limit;
      this.idleNanos = idleNanos;
      this.quietUntil = System.nanoTime() + connectNanos + idleNanos;
    }

    @Override
    public HttpResponse.BodySubscriber<byte[]> apply(HttpResponse.ResponseInfo info) {
      status = info.statusCode();
      quietUntil = System.nanoTime() + idleNanos;
      return this;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      if (cancelled) {
        s.cancel();
      } else {
        s.request(Long.MAX_VALUE);
      }
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      quietUntil = System.nanoTime() + idleNanos;
      for (ByteBuffer b : items) {
        if (bytes.size() + b.remaining() > limit) {
          body.completeExceptionally(new BoundedBodies.TooLarge(limit));
          subscription.cancel(); // stop reading: the connection is closed
          return;
        }
        byte[] chunk = new byte[b.remaining()];
        b.get(chunk);
        bytes.write(chunk, 0, chunk.length);
      }
    }

    @Override
    public void onError(Throwable t) {
      body.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      body.complete(bytes.toByteArray());
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return body;
    }

    /**
     * Waits for the answer until the deadline, or until the server has been silent for the read
     * timeout; cancels the request on either, and on an interrupt.
     */
    Response await(long deadline) {
      while (true) {
        long now = System.nanoTime();
        long wait = Math.min(deadline - now, quietUntil - now);
        if (wait <= 0) {
          cancel();
          boolean atDeadline = deadline - now <= 0;
          throw unreachable(atDeadline ? "did not answer within the exchange timeout ("
              + settings.exchangeTimeout().toMillis() + " ms)" : "sent nothing for the read timeout ("
              + settings.readTimeout().toMillis() + " ms)", null);
        }
        try {
          HttpResponse<byte[]> r = future.get(wait, TimeUnit.NANOSECONDS);
          return new Response(r.statusCode(), new String(r.body(), StandardCharsets.UTF_8),
              ResponseChecks.httpDate(r.headers().firstValue("Date")));
        } catch (TimeoutException e) {
          // Loop: bytes may have come meanwhile (a slow but moving body), or a limit is reached.
        } catch (InterruptedException e) {
          cancel();
          Thread.currentThread().interrupt();
          throw unreachable("was interrupted (the exchange was abandoned)", e);
        } catch (CancellationException e) {
          throw unreachable("was cancelled (the session is closing)", null);
        } catch (ExecutionException e) {
          Throwable cause = e.getCause() == null ? e : e.getCause();
          if (cause instanceof BoundedBodies.TooLarge) {
            throw malformed(status, "is larger than " + limit + " bytes; an agent answers with well under 4 KiB");
          }
          throw unreachable("failed: " + Redaction.describe(cause), cause);
        }
      }
    }

    /** Cancels the request; the JDK client then closes the connection. Idempotent. */
    void cancel() {
      cancelled = true;
      Flow.Subscription s = subscription;
      if (s != null) {
        s.cancel();
      }
      CompletableFuture<?> f = future;
      if (f != null) {
        f.cancel(true);
      }
    }
  }

  private AwsExchangeException unreachable(String what, Throwable cause) {
    String advice = "Cannot reach the EKS Pod Identity agent at " + settings.endpoint() + "; retrying with backoff. If"
        + " it persists, check that the eks-pod-identity-agent add-on runs on this node.";
    // The cause is described (redacted) in the message; the JDK's own exception is not attached.
    return new AwsExchangeException("The EKS Pod Identity agent at " + settings.endpoint() + " " + what + ". " + advice,
        Reason.UNREACHABLE, null, -1, null, null, advice, null);
  }

  private AwsExchangeException malformed(int status, String problem) {
    String advice = "The answer is not the Pod Identity credentials JSON; retrying. If it persists, check that "
        + settings.endpoint() + " is the Pod Identity agent.";
    return new AwsExchangeException("The response from " + settings.endpoint() + " " + problem + ". " + advice,
        Reason.MALFORMED_RESPONSE, null, status, null, null, advice, null);
  }

  private Expiring<AwsSessionCredentials> parse(Response r) {
    try {
      Instant now = settings.clock().instant();
      PodIdentityResponses.Parsed p = PodIdentityResponses.parse(r.body, now, r.date, PROVIDER_NAME);
      return ResponseChecks.capped(p.credentials(), p.expiresAt(), now, settings.refreshPolicy());
    } catch (PodIdentityResponses.Malformed e) {
      throw malformed(r.status, e.getMessage());
    }
  }

  private static Reason reason(int status, String code) {
    if (status == 429 || status >= 500) {
      return status == 429 ? Reason.THROTTLED : Reason.SERVICE_ERROR;
    }
    if ("ExpiredTokenException".equals(code)) {
      return Reason.TOKEN_EXPIRED;
    }
    if ("ResourceNotFoundException".equals(code) || status == 404) {
      return Reason.NO_ASSOCIATION;
    }
    if ("InvalidTokenException".equals(code) || status == 400 || status == 401) {
      return Reason.TOKEN_INVALID;
    }
    return status == 403 ? Reason.ACCESS_DENIED : Reason.OTHER;
  }

  private AwsExchangeException refused(Response r, ProjectedToken token) {
    // An error body is the agent's text; scrub the token in case a proxy or fake echoes it.
    String excerpt = excerpt(r.body.replace(token.value(), "<token>"));
    String code = AgentErrors.code(excerpt);
    Reason reason = reason(r.status, code);
    // Publishes a kubelet rotation, which ends the cache's backoff at once.
    String rereadNote = reason.tokenRejected() ? " " + Tokens.rereadAfterRejection(tokens, token) : "";
    String claims = "sub=" + Redaction.escape(token.subject()) + ", aud="
        + Redaction.escape(String.valueOf(token.audiences())) + " (claims as read, not verified)";
    String subject = Redaction.escape(token.kubernetes().map(k -> k.namespace().orElse("?") + "/"
        + k.serviceAccountName().orElse("?")).orElse(token.subject()));
    String advice;
    switch (reason) {
      case THROTTLED:
      case SERVICE_ERROR:
        advice = "The Pod Identity agent or EKS Auth is throttling or failing; retrying with backoff.";
        break;
      case TOKEN_EXPIRED:
        advice = "The agent says the token (expires " + token.expiresAt() + " by its claims) has expired." + rereadNote
            + " If this persists, check the kubelet and the node's clock.";
        break;
      case NO_ASSOCIATION:
        advice = "There is no EKS Pod Identity association for service account " + subject + ": create one (aws eks"
            + " create-pod-identity-association --namespace <ns> --service-account <sa> --role-arn <role>) and"
            + " restart the pod.";
        break;
      case TOKEN_INVALID:
        advice = "The agent rejected the token (" + claims + "): its audience must be "
            + AwsSettings.POD_IDENTITY_AUDIENCE + "; check that " + tokens.description()
            + " is the eks-pod-identity-token volume." + rereadNote;
        break;
      case ACCESS_DENIED:
        advice = "EKS Auth denied the request: the associated role's trust policy must allow the principal"
            + " pods.eks.amazonaws.com to sts:AssumeRole and sts:TagSession.";
        break;
      default:
        advice = "Unexpected answer from the Pod Identity agent.";
        break;
    }
    return new AwsExchangeException("EKS Pod Identity agent " + settings.endpoint() + " answered HTTP " + r.status
        + (code == null ? "" : " " + code) + ": " + Redaction.message(excerpt) + ". Token: " + claims + ". "
        + advice, reason, code, r.status, null, AgentErrors.requestId(r.body), advice, null);
  }

  /** The start of an error body, stripped. */
  private static String excerpt(String body) {
    String t = body.length() > 4 * EXCERPT ? body.substring(0, 4 * EXCERPT).strip() : body.strip();
    return t.length() > EXCERPT ? t.substring(0, EXCERPT) + "..." : t;
  }

  /** Cancels the calls in flight, so that closing the session does not wait for a stalled agent. */
  @Override
  public void close() {
    inFlight.forEach(Call::cancel);
  }

  @Override
  public String toString() {
    return "PodIdentityExchange{" + settings.endpoint() + "}";
  }
}
