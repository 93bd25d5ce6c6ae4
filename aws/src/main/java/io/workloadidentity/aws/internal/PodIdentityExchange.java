package io.workloadidentity.aws.internal;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.workloadidentity.aws.AwsExchangeException;
import io.workloadidentity.core.Expiring;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenSource;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * One EKS Pod Identity exchange: {@code GET <AWS_CONTAINER_CREDENTIALS_FULL_URI>} with the raw
 * projected token in {@code Authorization} (no "Bearer"), JSON credentials back. The agent answers
 * errors as plain text {@code [request-id]: (Code): message, fault: ...} with the EKS Auth status.
 * As for STS, an expired or invalid token is re-read from the file and sent once more.
 */
public final class PodIdentityExchange {
  private static final System.Logger LOG = System.getLogger(PodIdentityExchange.class.getName());
  static final String PROVIDER_NAME = "EksPodIdentityCredentialsProvider";
  private static final int CONNECT_TIMEOUT_MS = 2_000;
  private static final int READ_TIMEOUT_MS = 5_000;
  private static final int MAX_BODY = 64 * 1024;
  private static final Pattern CODE = Pattern.compile("\\((\\w+)\\)");

  private final URI endpoint;
  private final TokenSource tokens;

  public PodIdentityExchange(URI endpoint, TokenSource tokens) {
    this.endpoint = endpoint;
    this.tokens = tokens;
  }

  /** Performs the exchange. Throws {@link AwsExchangeException} or a core token exception. */
  public Expiring<AwsSessionCredentials> exchange() {
    ProjectedToken token = tokens.token();
    Response r = fetch(token);
    if (r.status == 200) {
      return parse(r);
    }
    if (rereadMayHelp(r)) {
      ProjectedToken fresh = tokens.refresh();
      LOG.log(Level.INFO, () -> "The Pod Identity agent answered " + r.status + " " + r.code() + " for the token sha256 "
          + token.fingerprint() + "; re-read " + tokens.description() + " and retrying once");
      Response again = fetch(fresh);
      if (again.status == 200) {
        return parse(again);
      }
      throw toException(again, fresh);
    }
    throw toException(r, token);
  }

  private Response fetch(ProjectedToken token) {
    HttpURLConnection c = null;
    try {
      // Never through a proxy: the agent is on the node's link-local address.
      c = (HttpURLConnection) endpoint.toURL().openConnection(Proxy.NO_PROXY);
      c.setConnectTimeout(CONNECT_TIMEOUT_MS);
      c.setReadTimeout(READ_TIMEOUT_MS);
      c.setInstanceFollowRedirects(false);
      c.setRequestProperty("Authorization", token.value());
      c.setRequestProperty("Accept", "application/json");
      c.setRequestProperty("User-Agent", "workload-identity-java");
      int status = c.getResponseCode();
      InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
      byte[] body = in == null ? new byte[0] : readBounded(in);
      // An error body is the agent's text; scrub the token in case a proxy or fake echoes it.
      String text = new String(body, StandardCharsets.UTF_8).replace(token.value(), "<token>");
      return new Response(status, text);
    } catch (IOException e) {
      String advice = "Cannot reach the EKS Pod Identity agent at " + endpoint + "; retrying with backoff. If it"
          + " persists, check that the eks-pod-identity-agent add-on runs on this node.";
      throw new AwsExchangeException("Fetching credentials from " + endpoint + " failed: " + e.getClass().getSimpleName()
          + ": " + e.getMessage() + ". " + advice, null, -1, true, null, null, advice, e);
    } finally {
      if (c != null) {
        c.disconnect();
      }
    }
  }

  private static byte[] readBounded(InputStream in) throws IOException {
    try (in) {
      return in.readNBytes(MAX_BODY);
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
          + endpoint + " is the Pod Identity agent.";
      throw new AwsExchangeException("The response from " + endpoint + " could not be parsed (" + e.getClass().getSimpleName()
          + "). " + advice, null, r.status, true, null, null, advice, null);
    }
  }

  private static boolean rereadMayHelp(Response r) {
    String code = r.code();
    return r.status == 401 || "ExpiredTokenException".equals(code) || "InvalidTokenException".equals(code);
  }

  private AwsExchangeException toException(Response r, ProjectedToken token) {
    String code = r.code();
    String claims = "sub=" + token.subject() + ", aud=" + token.audiences();
    String subject = token.kubernetes().map(k -> k.namespace().orElse("?") + "/"
        + k.serviceAccountName().orElse("?")).orElse(token.subject());
    boolean retryable;
    String advice;
    if (r.status == 429 || r.status >= 500) {
      retryable = true;
      advice = "The Pod Identity agent or EKS Auth is throttling or failing; retrying with backoff.";
    } else if ("ExpiredTokenException".equals(code)) {
      retryable = true;
      advice = "The token expired at " + token.expiresAt() + " even after re-reading the token file: check the kubelet"
          + " and the node's clock.";
    } else if ("ResourceNotFoundException".equals(code) || r.status == 404) {
      retryable = false;
      advice = "There is no EKS Pod Identity association for service account " + subject + ": create one (aws eks"
          + " create-pod-identity-association --namespace <ns> --service-account <sa> --role-arn <role>) and"
          + " restart the pod.";
    } else if ("InvalidTokenException".equals(code) || r.status == 400 || r.status == 401) {
      retryable = false;
      advice = "The agent rejected the token (" + claims + "): its audience must be "
          + AwsSettings.POD_IDENTITY_AUDIENCE + "; check " + tokens.description()
          + " is the eks-pod-identity-token volume.";
    } else if (r.status == 403) {
      retryable = false;
      advice = "EKS Auth denied the request: the associated role's trust policy must allow the principal"
          + " pods.eks.amazonaws.com to sts:AssumeRole and sts:TagSession.";
    } else {
      retryable = false;
      advice = "Unexpected answer from the Pod Identity agent.";
    }
    String text = r.body.length() > 300 ? r.body.substring(0, 300) + "..." : r.body;
    return new AwsExchangeException("EKS Pod Identity agent " + endpoint + " answered HTTP " + r.status
        + (code == null ? "" : " " + code) + ": " + text.strip() + ". Token: " + claims + ". " + advice,
        code, r.status, retryable, null, requestId(r.body), advice, null);
  }

  private static String requestId(String body) {
    Matcher m = Pattern.compile("^\\[([^\\]]+)\\]").matcher(body);
    return m.find() ? m.group(1) : null;
  }

  private record Response(int status, String body) {
    String code() {
      Matcher m = CODE.matcher(body);
      return m.find() ? m.group(1) : null;
    }
  }

  @Override
  public String toString() {
    return "PodIdentityExchange{" + endpoint + "}";
  }
}
