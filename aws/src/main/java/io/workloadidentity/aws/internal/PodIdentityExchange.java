package io.workloadidentity.aws.internal;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.workloadidentity.aws.AwsCredentialKey;
import io.workloadidentity.aws.AwsExchangeException;
import io.workloadidentity.aws.AwsExchangeException.Reason;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Expiring;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.internal.HttpDefaults;
import io.workloadidentity.core.internal.Redaction;
import io.workloadidentity.core.internal.Tokens;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * One EKS Pod Identity attempt: {@code GET <AWS_CONTAINER_CREDENTIALS_FULL_URI>} with the raw
 * projected token in {@code Authorization} (no "Bearer"), JSON credentials back; exactly one HTTP
 * request. The agent answers errors as plain text {@code [request-id]: (Code): message, fault: ...}
 * with the EKS Auth status.
 *
 * <p><b>Deadline.</b> {@link HttpURLConnection} ignores interrupts, so the cache's interrupt at the
 * deadline would not end a stalled call; instead a task on the session's timer thread disconnects
 * the connection at the exchange deadline, and {@link #close()} disconnects every call in flight.
 * The connection never goes through a proxy and never follows redirects; the body is bounded.
 *
 * <p>As for STS, the token is read just before the request is sent, and an expired or invalid token
 * makes the exchange re-read the file and fail token-rejected: the cache retries with the new token.
 */
final class PodIdentityExchange implements CredentialCache.Exchange<AwsCredentialKey, AwsSessionCredentials>,
    AutoCloseable {
  static final String PROVIDER_NAME = "EksPodIdentityCredentialsProvider";
  private static final Pattern CODE = Pattern.compile("\\((\\w{1,100})\\)");
  private static final Pattern REQUEST_ID = Pattern.compile("^\\[([^\\]]{1,100})\\]");

  private final AwsSettings settings;
  private final TokenSource tokens;
  private final ScheduledExecutorService timer;
  private final Set<HttpURLConnection> inFlight = ConcurrentHashMap.newKeySet();

  PodIdentityExchange(AwsSettings settings, TokenSource tokens, ScheduledExecutorService timer) {
    this.settings = settings;
    this.tokens = tokens;
    this.timer = timer;
  }

  /** Performs one attempt. Throws {@link AwsExchangeException} or a core token exception. */
  @Override
  public Expiring<AwsSessionCredentials> exchange(AwsCredentialKey key) {
    HttpURLConnection c = connection();
    AtomicBoolean timedOut = new AtomicBoolean();
    inFlight.add(c);
    Future<?> watchdog = timer.schedule(() -> {
      timedOut.set(true);
      c.disconnect(); // unblocks a read or connect stalled in the socket
    }, settings.exchangeTimeout().toMillis(), TimeUnit.MILLISECONDS);
    try {
      ProjectedToken token = tokens.token(); // read last: only the request itself follows
      authorize(c, token);
      Response r = send(c, token, timedOut);
      if (r.status == 200) {
        return parse(r);
      }
      throw refused(r, token);
    } finally {
      watchdog.cancel(false);
      inFlight.remove(c);
      c.disconnect();
    }
  }

  private HttpURLConnection connection() {
    try {
      // Never through a proxy: the agent is on the node's link-local address.
      HttpURLConnection c = (HttpURLConnection) settings.endpoint().toURL().openConnection(Proxy.NO_PROXY);
      c.setConnectTimeout(millis(settings.connectTimeout().toMillis()));
      c.setReadTimeout(millis(settings.readTimeout().toMillis()));
      c.setInstanceFollowRedirects(false);
      c.setUseCaches(false);
      c.setRequestProperty("Accept", "application/json");
      c.setRequestProperty("User-Agent", "workload-identity-java");
      return c;
    } catch (IOException e) {
      throw unreachable(e, false);
    }
  }

  private static int millis(long ms) {
    return (int) Math.min(Integer.MAX_VALUE, Math.max(1, ms));
  }

  private void authorize(HttpURLConnection c, ProjectedToken token) {
    try {
      c.setRequestProperty("Authorization", token.value());
    } catch (IllegalArgumentException e) {
      // The JDK refuses header values with control characters, quoting the value: never pass that on.
      throw new AwsExchangeException("The token from " + tokens.description() + " contains characters that cannot be"
          + " sent in an HTTP header. Check that the file holds exactly one projected service-account token.",
          Reason.TOKEN_INVALID, null, -1, null, null, "Check the token file's content.", null);
    }
  }

  private Response send(HttpURLConnection c, ProjectedToken token, AtomicBoolean timedOut) {
    try {
      int status = c.getResponseCode();
      InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
      byte[] body = in == null ? new byte[0] : readBounded(in);
      // An error body is the agent's text; scrub the token in case a proxy or fake echoes it.
      String text = new String(body, StandardCharsets.UTF_8).replace(token.value(), "<token>");
      return new Response(status, text);
    } catch (IOException e) {
      throw unreachable(e, timedOut.get());
    }
  }

  private AwsExchangeException unreachable(IOException e, boolean timedOut) {
    String advice = "Cannot reach the EKS Pod Identity agent at " + settings.endpoint() + "; retrying with backoff. If"
        + " it persists, check that the eks-pod-identity-agent add-on runs on this node.";
    String what = timedOut
        ? "The EKS Pod Identity agent at " + settings.endpoint() + " did not answer within the exchange timeout ("
            + settings.exchangeTimeout().toMillis() + " ms)."
        : "Fetching credentials from " + settings.endpoint() + " failed: " + Redaction.describe(e) + ".";
    return new AwsExchangeException(what + " " + advice, Reason.UNREACHABLE, null, -1, null, null, advice, e);
  }

  private static byte[] readBounded(InputStream in) throws IOException {
    try (in) {
      return in.readNBytes(HttpDefaults.MAX_RESPONSE_BYTES);
    }
  }

  private Expiring<AwsSessionCredentials> parse(Response r) {
    try {
      Map<String, Object> json = JSONObjectUtils.parse(r.body);
      String accessKeyId = JSONObjectUtils.getString(json, "AccessKeyId");
      String secret = JSONObjectUtils.getString(json, "SecretAccessKey");
      String sessionToken = JSONObjectUtils.getString(json, "Token");
      String expiration = JSONObjectUtils.getString(json, "Expiration");
      if (accessKeyId == null || secret == null || sessionToken == null || expiration == null) {
        throw new ParseException("missing AccessKeyId, SecretAccessKey, Token or Expiration", 0);
      }
      Instant expiresAt = OffsetDateTime.parse(expiration.replace("+0000", "Z")).toInstant();
      AwsSessionCredentials credentials = AwsSessionCredentials.builder()
          .accessKeyId(accessKeyId)
          .secretAccessKey(secret)
          .sessionToken(sessionToken)
          .expirationTime(expiresAt)
          .accountId(JSONObjectUtils.getString(json, "AccountId"))
          .providerName(PROVIDER_NAME)
          .build();
      return Expiring.of(credentials, expiresAt);
    } catch (ParseException | DateTimeParseException e) {
      // Never quote the body: it holds the secret key.
      String advice = "The answer is not the Pod Identity credentials JSON; retrying. If it persists, check that "
          + settings.endpoint() + " is the Pod Identity agent.";
      throw new AwsExchangeException("The response from " + settings.endpoint() + " could not be parsed ("
          + e.getClass().getSimpleName() + "). " + advice, Reason.MALFORMED_RESPONSE, null, r.status, null, null,
          advice, null);
    }
  }

  private static Reason reason(Response r) {
    String code = r.code();
    if (r.status == 429 || r.status >= 500) {
      return r.status == 429 ? Reason.THROTTLED : Reason.SERVICE_ERROR;
    }
    if ("ExpiredTokenException".equals(code)) {
      return Reason.TOKEN_EXPIRED;
    }
    if ("ResourceNotFoundException".equals(code) || r.status == 404) {
      return Reason.NO_ASSOCIATION;
    }
    if ("InvalidTokenException".equals(code) || r.status == 400 || r.status == 401) {
      return Reason.TOKEN_INVALID;
    }
    return r.status == 403 ? Reason.ACCESS_DENIED : Reason.OTHER;
  }

  private AwsExchangeException refused(Response r, ProjectedToken token) {
    Reason reason = reason(r);
    // Publishes a kubelet rotation, which ends the cache's backoff at once.
    String rereadNote = reason.tokenRejected() ? " " + Tokens.rereadAfterRejection(tokens, token) : "";
    String code = r.code();
    String claims = "sub=" + Redaction.escape(token.subject()) + ", aud="
        + Redaction.escape(String.valueOf(token.audiences()));
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
        + (code == null ? "" : " " + code) + ": " + Redaction.message(r.excerpt()) + ". Token: " + claims + ". "
        + advice, reason, code, r.status, null, r.requestId(), advice, null);
  }

  /** Disconnects the calls in flight, so that closing the session does not wait for a stalled agent. */
  @Override
  public void close() {
    inFlight.forEach(HttpURLConnection::disconnect);
  }

  private record Response(int status, String body) {
    String code() {
      Matcher m = CODE.matcher(excerpt());
      return m.find() ? m.group(1) : null;
    }

    String requestId() {
      Matcher m = REQUEST_ID.matcher(body);
      return m.find() ? m.group(1) : null;
    }

    /** The first 300 characters: the agent's message fits, a misdirected page does not flood the log. */
    String excerpt() {
      String t = body.strip();
      return t.length() > 300 ? t.substring(0, 300) + "..." : t;
    }
  }

  @Override
  public String toString() {
    return "PodIdentityExchange{" + settings.endpoint() + "}";
  }
}
