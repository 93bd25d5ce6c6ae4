package io.workloadidentity.aws.internal;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.MalformedTokenException;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.internal.Endpoints;
import io.workloadidentity.core.internal.FixedTokenSource;
import io.workloadidentity.core.internal.HttpDefaults;
import io.workloadidentity.core.internal.Redaction;
import io.workloadidentity.core.internal.Values;
import java.net.URI;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.profiles.Profile;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.profiles.ProfileFileLocation;
import software.amazon.awssdk.profiles.ProfileFileSystemSetting;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.endpoints.StsEndpointProvider;

/**
 * The complete, validated configuration of one AWS credentials session: the builder's values, with
 * every value left unset resolved from the environment (system property first, then the variable,
 * with the SDK's names) and then the default. Immutable.
 *
 * <p><b>Validation.</b> Every value is checked here, locally, before anything is sent: role and
 * policy ARNs, the session name, the region (linear scans, bounded lengths, no control characters),
 * durations, and every endpoint against the transport policy (https only, except loopback; the EKS
 * Pod Identity agent keeps the AWS SDK's rule). A refused value is a {@link ConfigurationException}
 * naming the setting, so no request is ever made with it.
 *
 * <p><b>The sharing key.</b> Identically configured providers share one {@link AwsSession}: {@link
 * #equals} compares values by value, the caller-supplied {@link StsClient} by identity and the
 * {@link TokenSource} with its own {@code equals} (identity, except for the inline {@code
 * AWS_CONTAINER_AUTHORIZATION_TOKEN}, which compares by token). Clocks compare with their own {@code
 * equals} (the system clocks are equal to each other). The listener is not part of the key: sharers
 * each register their own. Where a value came from (for messages) is not part of it either.
 *
 * @param protocol STS web identity or EKS Pod Identity
 * @param roleArn the role to assume (STS), else null
 * @param sessionName the configured role session name (STS), or null to derive it from the token
 * @param region the configured region (STS), or null (global endpoint)
 * @param globalEndpoint whether {@code AWS_STS_REGIONAL_ENDPOINTS=legacy} selected the global endpoint
 * @param endpoint the STS endpoint override (or null), or the Pod Identity agent URL
 * @param endpointSource the setting {@code endpoint} came from, for messages and reports, or null
 * @param durationSeconds the requested session duration (STS), or null for STS's default (1 h)
 * @param policy an inline session policy (STS), or null
 * @param policyArns managed session policy ARNs (STS), possibly empty
 * @param stsClient a caller-supplied STS client, or null for one of our own
 * @param tokenFile the absolute token file, or null when {@code tokenSource} is set
 * @param tokenVariable the variable that named {@code tokenFile}, for messages, or null
 * @param tokenSource a caller-supplied token source (or the inline token's), or null when {@code
 *     tokenFile} is set
 * @param clock the wall clock
 * @param refreshPolicy when to refresh and how to back off
 * @param exchangeTimeout the deadline of one exchange (the cache's, and the HTTP call's)
 * @param connectTimeout the time to establish a connection
 * @param readTimeout the longest wait for the next bytes of a response
 * @param allowHttp whether plain http to a host other than loopback (or the Pod Identity agent) was allowed
 * @param maxResponseBytes the largest response body read
 */
public record AwsSettings(Protocol protocol, String roleArn, String sessionName, String region,
    boolean globalEndpoint, URI endpoint, String endpointSource, Integer durationSeconds, String policy,
    List<String> policyArns, StsClient stsClient, Path tokenFile, String tokenVariable, TokenSource tokenSource,
    Clock clock, RefreshPolicy refreshPolicy, Duration exchangeTimeout, Duration connectTimeout, Duration readTimeout,
    boolean allowHttp, int maxResponseBytes) {

  /** The deadline of one exchange unless configured: the cache's default. */
  public static final Duration DEFAULT_EXCHANGE_TIMEOUT = Duration.ofSeconds(30);
  /** The longest timeout accepted: anything longer is a mistake (and would overflow some clocks' arithmetic). */
  public static final Duration MAX_TIMEOUT = Duration.ofHours(1);
  /** The smallest response cap accepted; the agent's and STS's answers are 1 to 4 KiB. */
  public static final int MIN_RESPONSE_BYTES = 1024;
  /** The largest response cap accepted. */
  public static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
  /** How the builders' opt-in for plain http is named in messages. */
  static final String HTTP_OPT_IN = "allowHttp(true) on the builder";

  /** The two ways this module obtains credentials. */
  public enum Protocol {
    /** STS {@code AssumeRoleWithWebIdentity}. */
    STS,
    /** The EKS Pod Identity agent. */
    POD_IDENTITY
  }

  /**
   * Checks the invariants the builders establish; the components are described on the record.
   *
   * @param protocol see the record
   * @param roleArn see the record
   * @param sessionName see the record
   * @param region see the record
   * @param globalEndpoint see the record
   * @param endpoint see the record
   * @param endpointSource see the record
   * @param durationSeconds see the record
   * @param policy see the record
   * @param policyArns see the record
   * @param stsClient see the record
   * @param tokenFile see the record
   * @param tokenVariable see the record
   * @param tokenSource see the record
   * @param clock see the record
   * @param refreshPolicy see the record
   * @param exchangeTimeout see the record
   * @param connectTimeout see the record
   * @param readTimeout see the record
   * @param allowHttp see the record
   * @param maxResponseBytes see the record
   */
  public AwsSettings {
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(refreshPolicy, "refreshPolicy");
    Objects.requireNonNull(exchangeTimeout, "exchangeTimeout");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(readTimeout, "readTimeout");
    policyArns = List.copyOf(policyArns);
    if ((tokenFile == null) == (tokenSource == null)) {
      throw new IllegalArgumentException("exactly one of tokenFile and tokenSource");
    }
    if (protocol == Protocol.STS ? roleArn == null : endpoint == null) {
      throw new IllegalArgumentException(protocol == Protocol.STS ? "roleArn" : "endpoint");
    }
    if (maxResponseBytes < MIN_RESPONSE_BYTES || maxResponseBytes > MAX_RESPONSE_BYTES) {
      throw new IllegalArgumentException("maxResponseBytes");
    }
  }

  /**
   * Where the token comes from, for messages.
   *
   * @return the token file's path, or the source's description (never the token)
   */
  public String tokenDescription() {
    return tokenFile != null ? tokenFile.toString() : tokenSource.description();
  }

  /**
   * Values by value; the caller's STS client by identity; the token source by its {@code equals}.
   * The variable that named the token file and the setting the endpoint came from only word
   * messages, so they are left out: {@code create()} and a builder given the same values share.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof AwsSettings s && protocol == s.protocol && Objects.equals(roleArn, s.roleArn)
        && Objects.equals(sessionName, s.sessionName) && Objects.equals(region, s.region)
        && globalEndpoint == s.globalEndpoint && Objects.equals(endpoint, s.endpoint)
        && Objects.equals(durationSeconds, s.durationSeconds) && Objects.equals(policy, s.policy)
        && policyArns.equals(s.policyArns) && stsClient == s.stsClient && Objects.equals(tokenFile, s.tokenFile)
        && Objects.equals(tokenSource, s.tokenSource) && clock.equals(s.clock)
        && refreshPolicy.equals(s.refreshPolicy) && exchangeTimeout.equals(s.exchangeTimeout)
        && connectTimeout.equals(s.connectTimeout) && readTimeout.equals(s.readTimeout)
        && allowHttp == s.allowHttp && maxResponseBytes == s.maxResponseBytes;
  }

  @Override
  public int hashCode() {
    return Objects.hash(protocol, roleArn, sessionName, region, globalEndpoint, endpoint, durationSeconds, policy,
        policyArns, System.identityHashCode(stsClient), tokenFile, tokenSource, clock, refreshPolicy,
        exchangeTimeout, connectTimeout, readTimeout, allowHttp, maxResponseBytes);
  }

  /** The configuration without the policy's text (which may be long and is nobody's business in a log). */
  @Override
  public String toString() {
    String where = endpointSource == null ? "" : " (from " + endpointSource + ")";
    return protocol == Protocol.STS
        ? "sts{role=" + roleArn + ", session=" + (sessionName == null ? "<pod name>" : sessionName) + ", token="
            + tokenDescription() + ", region=" + (region == null ? "none (global endpoint)" : region)
            + (endpoint == null ? "" : ", endpoint=" + endpoint + where)
            + (stsClient == null ? "" : ", client=caller's StsClient") + "}"
        : "pod-identity{endpoint=" + endpoint + where + ", token=" + tokenDescription() + "}";
  }

  // ---- the builders' values -------------------------------------------------------------------

  /**
   * The values a public builder collects, before resolution: {@code null} means "not set, use the
   * environment, then the default". Each setter checks its argument (a null is a {@link
   * NullPointerException} naming the setting; what can be checked without the rest is checked at
   * once); {@link #sts()} and {@link #podIdentity()} resolve and check the whole. Not thread-safe,
   * like the builders that hold one.
   */
  public static final class Draft {
    private Environment environment = Environment.system();
    private String roleArn;
    private String sessionName;
    private String region;
    private URI endpoint;
    private Integer durationSeconds;
    private String policy;
    private List<String> policyArns;
    private StsClient stsClient;
    private Path tokenFile;
    private String tokenVariable;
    private TokenSource tokenSource;
    private Clock clock;
    private RefreshPolicy refreshPolicy;
    private Duration exchangeTimeout;
    private Duration connectTimeout;
    private Duration readTimeout;
    private Boolean allowHttp;
    private Integer maxResponseBytes;

    /** An empty draft: everything from the system environment and the defaults. */
    public Draft() {}

    /**
     * A draft holding every value of {@code settings}, so that {@link #sts()} or {@link
     * #podIdentity()} gives equal settings again while nothing is changed.
     *
     * @param settings the resolved settings
     * @param environment the environment they were resolved from (for the values that were unset)
     * @return the draft
     */
    public static Draft of(AwsSettings settings, Environment environment) {
      Draft d = new Draft();
      d.environment = environment;
      d.roleArn = settings.roleArn;
      d.sessionName = settings.sessionName;
      d.region = settings.region;
      d.endpoint = settings.endpoint;
      d.durationSeconds = settings.durationSeconds;
      d.policy = settings.policy;
      d.policyArns = settings.policyArns;
      d.stsClient = settings.stsClient;
      d.tokenFile = settings.tokenFile;
      d.tokenVariable = settings.tokenVariable;
      d.tokenSource = settings.tokenSource;
      d.clock = settings.clock;
      d.refreshPolicy = settings.refreshPolicy;
      d.exchangeTimeout = settings.exchangeTimeout;
      d.connectTimeout = settings.connectTimeout;
      d.readTimeout = settings.readTimeout;
      d.allowHttp = settings.allowHttp;
      d.maxResponseBytes = settings.maxResponseBytes;
      return d;
    }

    /**
     * An independent copy.
     *
     * @return a draft with the same values
     */
    public Draft copy() {
      Draft d = new Draft();
      d.environment = environment;
      d.roleArn = roleArn;
      d.sessionName = sessionName;
      d.region = region;
      d.endpoint = endpoint;
      d.durationSeconds = durationSeconds;
      d.policy = policy;
      d.policyArns = policyArns;
      d.stsClient = stsClient;
      d.tokenFile = tokenFile;
      d.tokenVariable = tokenVariable;
      d.tokenSource = tokenSource;
      d.clock = clock;
      d.refreshPolicy = refreshPolicy;
      d.exchangeTimeout = exchangeTimeout;
      d.connectTimeout = connectTimeout;
      d.readTimeout = readTimeout;
      d.allowHttp = allowHttp;
      d.maxResponseBytes = maxResponseBytes;
      return d;
    }

    /**
     * The environment unset values are read from.
     *
     * @return the environment
     */
    public Environment environment() {
      return environment;
    }

    /**
     * Sets the environment unset values are read from.
     *
     * @param environment the environment
     */
    public void environment(Environment environment) {
      this.environment = Objects.requireNonNull(environment, "environment");
    }

    /**
     * Sets the role ARN (checked when resolved, so that the message can say where it came from).
     *
     * @param roleArn the role ARN; surrounding whitespace is dropped
     */
    public void roleArn(String roleArn) {
      this.roleArn = Objects.requireNonNull(roleArn, "roleArn").strip();
    }

    /**
     * Sets the role session name (checked when resolved).
     *
     * @param name the session name; surrounding whitespace is dropped
     */
    public void roleSessionName(String name) {
      this.sessionName = Objects.requireNonNull(name, "roleSessionName").strip();
    }

    /**
     * Sets the STS region (checked when resolved).
     *
     * @param region the region; surrounding whitespace is dropped
     */
    public void region(String region) {
      this.region = Objects.requireNonNull(region, "region").strip();
    }

    /**
     * Sets the STS endpoint override. Its form is checked at once; whether plain http is allowed to
     * its host is decided when the settings are resolved (after {@link #allowHttp} may have been set).
     *
     * @param endpoint an absolute https URL (or http to loopback, or with {@link #allowHttp})
     * @throws ConfigurationException if it is not an absolute http(s) URL or hides its host
     */
    public void stsEndpoint(URI endpoint) {
      this.endpoint = Endpoints.requireSecure(Objects.requireNonNull(endpoint, "stsEndpoint").toString(),
          "The STS endpoint from stsEndpoint()", true, HTTP_OPT_IN);
    }

    /**
     * Sets the Pod Identity agent URL. Its form is checked at once, the transport rule when the
     * settings are resolved (see {@link AwsSettings#containerEndpoint}).
     *
     * @param endpoint the agent's credentials URL
     * @throws ConfigurationException if it is not an absolute http(s) URL or hides its host
     */
    public void agentEndpoint(URI endpoint) {
      this.endpoint = Endpoints.requireSecure(Objects.requireNonNull(endpoint, "endpoint").toString(),
          "The Pod Identity agent URL from endpoint()", true, HTTP_OPT_IN);
    }

    /**
     * Allows, or refuses, plain http to hosts other than loopback (and, for Pod Identity, the agent's
     * link-local addresses). Unset, the process-wide opt-in decides ({@value Endpoints#ALLOW_HTTP_PROPERTY}
     * / {@value Endpoints#ALLOW_HTTP_VARIABLE}).
     *
     * @param allow whether to allow it
     */
    public void allowHttp(boolean allow) {
      this.allowHttp = allow;
    }

    /**
     * Sets the largest response body read.
     *
     * @param bytes from {@value AwsSettings#MIN_RESPONSE_BYTES} to {@value AwsSettings#MAX_RESPONSE_BYTES}
     * @throws ConfigurationException if it is out of range
     */
    public void maxResponseBytes(int bytes) {
      if (bytes < MIN_RESPONSE_BYTES || bytes > MAX_RESPONSE_BYTES) {
        throw new ConfigurationException("maxResponseBytes must be between " + MIN_RESPONSE_BYTES + " and "
            + MAX_RESPONSE_BYTES + " bytes, not " + bytes + "; the default, " + HttpDefaults.MAX_RESPONSE_BYTES
            + ", is 16 times what STS and the Pod Identity agent answer.");
      }
      this.maxResponseBytes = bytes;
    }

    /**
     * Sets the session duration.
     *
     * @param duration whole seconds from 15 minutes to 12 hours
     * @throws ConfigurationException if it is out of range or not whole seconds
     */
    public void sessionDuration(Duration duration) {
      long s = Objects.requireNonNull(duration, "sessionDuration").getSeconds();
      if (s < 900 || s > 43_200 || duration.getNano() != 0) {
        throw new ConfigurationException("sessionDuration must be whole seconds between 15 minutes and 12 hours: "
            + duration);
      }
      this.durationSeconds = (int) s;
    }

    /**
     * Sets the inline session policy.
     *
     * @param policyJson the policy, 1 to 2048 characters from tab, line breaks and U+0020 to U+00FF (STS's rule)
     * @throws ConfigurationException if it is empty, too long or holds another character
     */
    public void sessionPolicy(String policyJson) {
      String p = Objects.requireNonNull(policyJson, "sessionPolicy");
      if (p.isEmpty() || p.length() > 2048) {
        throw new ConfigurationException("sessionPolicy must be 1 to 2048 characters, not " + p.length());
      }
      for (int i = 0; i < p.length(); i++) {
        char c = p.charAt(i);
        if (!(c == '\t' || c == '\n' || c == '\r' || c >= 0x20 && c <= 0xff && c != 0x7f && (c < 0x80 || c > 0x9f))) {
          // The policy's text is not quoted: it is the caller's, and may be long.
          throw new ConfigurationException("sessionPolicy contains a character STS does not accept (U+"
              + String.format("%04X", (int) c) + ") at position " + i + "; a session policy may hold tab, line"
              + " breaks and the characters U+0020 to U+00FF only.");
        }
      }
      this.policy = p;
    }

    /**
     * Sets the managed session policy ARNs.
     *
     * @param arns at most 10 IAM managed policy ARNs, none null
     * @throws ConfigurationException if there are more than 10, or one is not a policy ARN
     */
    public void policyArns(Collection<String> arns) {
      Objects.requireNonNull(arns, "policyArns");
      List<String> copy = new ArrayList<>(arns.size());
      for (String a : arns) {
        copy.add(Objects.requireNonNull(a, "policyArns").strip());
      }
      if (copy.size() > 10) {
        throw new ConfigurationException("At most 10 policy ARNs can be passed to STS, not " + copy.size());
      }
      for (int i = 0; i < copy.size(); i++) {
        AwsValues.policyArn(copy.get(i), "policyArns() (element " + (i + 1) + ")");
      }
      this.policyArns = List.copyOf(copy);
    }

    /**
     * Sets the caller's STS client (used, never closed).
     *
     * @param client the client
     */
    public void stsClient(StsClient client) {
      this.stsClient = Objects.requireNonNull(client, "stsClient");
    }

    /**
     * Sets the token file (and forgets a token source).
     *
     * @param file the projected token file
     */
    public void tokenFile(Path file) {
      this.tokenFile = Objects.requireNonNull(file, "tokenFile");
      this.tokenVariable = null;
      this.tokenSource = null;
    }

    /**
     * Sets the caller's token source (and forgets a token file).
     *
     * @param source the source (used, never closed)
     */
    public void tokenSource(TokenSource source) {
      this.tokenSource = Objects.requireNonNull(source, "tokenSource");
      this.tokenFile = null;
      this.tokenVariable = null;
    }

    /**
     * Sets the wall clock.
     *
     * @param clock the clock
     */
    public void clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Sets the refresh policy.
     *
     * @param policy the policy
     */
    public void refreshPolicy(RefreshPolicy policy) {
      this.refreshPolicy = Objects.requireNonNull(policy, "refreshPolicy");
    }

    /**
     * Sets the deadline of one exchange.
     *
     * @param timeout positive, at most an hour
     * @throws ConfigurationException if it is not
     */
    public void exchangeTimeout(Duration timeout) {
      this.exchangeTimeout = bounded(timeout, "exchangeTimeout");
    }

    /**
     * Sets the connect timeout.
     *
     * @param timeout positive, at most an hour
     * @throws ConfigurationException if it is not
     */
    public void connectTimeout(Duration timeout) {
      this.connectTimeout = bounded(timeout, "connectTimeout");
    }

    /**
     * Sets the read timeout.
     *
     * @param timeout positive, at most an hour
     * @throws ConfigurationException if it is not
     */
    public void readTimeout(Duration timeout) {
      this.readTimeout = bounded(timeout, "readTimeout");
    }

    private static Duration bounded(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero() || d.compareTo(MAX_TIMEOUT) > 0) {
        throw new ConfigurationException(name + " must be positive and at most " + MAX_TIMEOUT.toMinutes()
            + " minutes, not " + d + ".");
      }
      return d;
    }

    private boolean httpAllowed() {
      return allowHttp != null ? allowHttp : Endpoints.httpAllowed(environment);
    }

    /**
     * The STS settings: explicit values, else the environment, else the defaults.
     *
     * @return the settings
     * @throws ConfigurationException if the role ARN or token file is missing, or a value is invalid
     */
    public AwsSettings sts() {
      boolean http = httpAllowed();
      String role = roleArn != null ? AwsValues.roleArn(roleArn, "roleArn()")
          : ROLE_ARN.in(environment).map(v -> AwsValues.roleArn(v, ROLE_ARN.names()))
              .orElseThrow(() -> new ConfigurationException("No IAM role to assume: set " + ROLE_ARN.names()
                  + " (the EKS webhook sets it from the service account's eks.amazonaws.com/role-arn annotation;"
                  + " restart the pod after annotating) or call roleArn()."));
      String session = sessionName != null ? SessionNames.validate(sessionName, "roleSessionName()")
          : SESSION_NAME.in(environment).map(v -> SessionNames.validate(v, SESSION_NAME.names())).orElse(null);
      String reg = region != null ? AwsValues.region(region, "region()")
          : AwsSettings.region(environment).map(Sourced::value).orElse(null);
      Sourced<URI> override = null;
      if (stsClient == null) { // a caller's client has its own endpoint: ours would not be used
        override = endpoint != null
            ? new Sourced<>(AwsSettings.stsEndpoint(endpoint.toString(), "stsEndpoint()", http), "stsEndpoint()")
            : endpointOverride(environment, http).orElse(null);
      }
      boolean global = useGlobalEndpoint(environment, reg);
      Path file = tokenFile;
      String variable = tokenVariable;
      if (tokenSource == null && file == null) {
        file = TOKEN_FILE.in(environment).map(v -> path(v, TOKEN_FILE)).orElseThrow(() -> new ConfigurationException(
            "No web identity token file: set " + TOKEN_FILE.names() + " (the EKS webhook sets it to"
                + " /var/run/secrets/eks.amazonaws.com/serviceaccount/token) or call tokenFile()."));
        variable = TOKEN_FILE.variable();
      }
      return new AwsSettings(Protocol.STS, role, session, reg, global, override == null ? null : override.value(),
          override == null ? null : override.source(), durationSeconds, policy,
          policyArns == null ? List.of() : policyArns, stsClient, absolute(file), variable, tokenSource,
          clockOrDefault(), policyOrDefault(), exchangeTimeoutOrDefault(), connectTimeoutOrDefault(),
          readTimeoutOrDefault(), http, maxResponseBytesOrDefault());
    }

    /**
     * The EKS Pod Identity settings: explicit values, else the environment (with the AWS SDK's
     * precedence: {@code AWS_CONTAINER_CREDENTIALS_RELATIVE_URI} before {@code
     * AWS_CONTAINER_CREDENTIALS_FULL_URI}, the inline {@code AWS_CONTAINER_AUTHORIZATION_TOKEN}
     * before {@code AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE}), else the defaults.
     *
     * @return the settings
     * @throws ConfigurationException if the agent URL or token is missing, or a value is invalid
     */
    public AwsSettings podIdentity() {
      boolean http = httpAllowed();
      Sourced<URI> agent = endpoint != null
          ? new Sourced<>(AwsSettings.containerEndpoint(endpoint.toString(), "endpoint()", http), "endpoint()")
          : containerEndpoint(environment, http).orElseThrow(() -> new ConfigurationException(
              "No Pod Identity agent URL: set " + CONTAINER_FULL_URI.names() + " (the EKS Pod Identity webhook sets"
                  + " it when the service account has a Pod Identity association; restart the pod after creating"
                  + " one) or call endpoint()."));
      Path file = tokenFile;
      String variable = tokenVariable;
      TokenSource source = tokenSource;
      if (source == null && file == null) {
        Optional<String> inline = CONTAINER_TOKEN.in(environment);
        if (inline.isPresent()) {
          source = new FixedTokenSource(inlineToken(inline.get()), CONTAINER_TOKEN.variable() + " (inline token)",
              clockOrDefault());
        } else {
          file = CONTAINER_TOKEN_FILE.in(environment).map(v -> path(v, CONTAINER_TOKEN_FILE)).orElseThrow(() ->
              new ConfigurationException("No Pod Identity token: set " + CONTAINER_TOKEN_FILE.names()
                  + " (on EKS /var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token), or "
                  + CONTAINER_TOKEN.names() + " to the token itself, or call tokenFile()."));
          variable = CONTAINER_TOKEN_FILE.variable();
        }
      }
      return new AwsSettings(Protocol.POD_IDENTITY, null, null, null, false, agent.value(), agent.source(), null,
          null, List.of(), null, absolute(file), variable, source, clockOrDefault(), policyOrDefault(),
          exchangeTimeoutOrDefault(), connectTimeoutOrDefault(), readTimeoutOrDefault(), http,
          maxResponseBytesOrDefault());
    }

    private static Path absolute(Path file) {
      return file == null ? null : file.toAbsolutePath().normalize();
    }

    private Clock clockOrDefault() {
      return clock != null ? clock : Clock.systemUTC();
    }

    private RefreshPolicy policyOrDefault() {
      return refreshPolicy != null ? refreshPolicy : RefreshPolicy.defaults();
    }

    private Duration exchangeTimeoutOrDefault() {
      return exchangeTimeout != null ? exchangeTimeout : DEFAULT_EXCHANGE_TIMEOUT;
    }

    private Duration connectTimeoutOrDefault() {
      return connectTimeout != null ? connectTimeout : HttpDefaults.CONNECT_TIMEOUT;
    }

    private Duration readTimeoutOrDefault() {
      return readTimeout != null ? readTimeout : HttpDefaults.READ_TIMEOUT;
    }

    private int maxResponseBytesOrDefault() {
      return maxResponseBytes != null ? maxResponseBytes : HttpDefaults.MAX_RESPONSE_BYTES;
    }

    /** The explicitly set values, for the builders' {@code toString()}; a policy only by its length. */
    @Override
    public String toString() {
      return software.amazon.awssdk.utils.ToString.builder("")
          .add("roleArn", roleArn == null ? null : Redaction.escape(roleArn))
          .add("roleSessionName", sessionName == null ? null : Redaction.escape(sessionName))
          .add("tokenFile", tokenFile != null ? tokenFile : tokenSource != null ? tokenSource.description() : null)
          .add("region", region == null ? null : Redaction.escape(region))
          .add("endpoint", endpoint)
          .add("sessionDuration", durationSeconds == null ? null : Duration.ofSeconds(durationSeconds))
          .add("sessionPolicy", policy == null ? null : "*** (" + policy.length() + " characters)")
          .add("policyArns", policyArns)
          .add("stsClient", stsClient == null ? null : "caller's")
          .add("exchangeTimeout", exchangeTimeout)
          .add("connectTimeout", connectTimeout)
          .add("readTimeout", readTimeout)
          .add("allowHttp", allowHttp)
          .add("maxResponseBytes", maxResponseBytes)
          .build();
    }
  }

  // ---- the environment: names, parsing and validation (shared with detection) ------------------

  /**
   * One setting: an environment variable and, where the SDK has one, a system property.
   *
   * @param variable the environment variable
   * @param property the system property, or null
   */
  public record Setting(String variable, String property) {
    /**
     * The setting's value.
     *
     * @param env where to look
     * @return the system property if set, else the variable; trimmed; empty when unset or blank
     */
    public Optional<String> in(Environment env) {
      return env.get(variable, property);
    }

    /**
     * Both names, for messages.
     *
     * @return for example {@code AWS_ROLE_ARN (-Daws.roleArn)}
     */
    public String names() {
      return property == null ? variable : variable + " (-D" + property + ")";
    }
  }

  // The SDK's names (SdkSystemSetting), so a pod configured for the SDK works unchanged.
  /** The role to assume (IRSA). */
  public static final Setting ROLE_ARN = new Setting("AWS_ROLE_ARN", "aws.roleArn");
  /** The projected token file (IRSA). */
  public static final Setting TOKEN_FILE = new Setting("AWS_WEB_IDENTITY_TOKEN_FILE", "aws.webIdentityTokenFile");
  /** The role session name. */
  public static final Setting SESSION_NAME = new Setting("AWS_ROLE_SESSION_NAME", "aws.roleSessionName");
  /** The STS region. */
  public static final Setting REGION = new Setting("AWS_REGION", "aws.region");
  /** Not read by the Java SDK v2, but injected by the EKS webhook and honoured by every other SDK. */
  public static final Setting DEFAULT_REGION = new Setting("AWS_DEFAULT_REGION", null);
  /** {@code regional} (the default) or {@code legacy} (the global endpoint for the original regions). */
  public static final Setting STS_REGIONAL_ENDPOINTS = new Setting("AWS_STS_REGIONAL_ENDPOINTS", null);
  /** An explicit STS endpoint. */
  public static final Setting ENDPOINT_URL_STS = new Setting("AWS_ENDPOINT_URL_STS", "aws.endpointUrlSts");
  /** An explicit endpoint for every service, used for STS when {@link #ENDPOINT_URL_STS} is unset. */
  public static final Setting ENDPOINT_URL = new Setting("AWS_ENDPOINT_URL", "aws.endpointUrl");
  /** {@code AWS_IGNORE_CONFIGURED_ENDPOINT_URLS}: the shared config file's endpoints are ignored. */
  public static final Setting IGNORE_CONFIGURED_ENDPOINT_URLS =
      new Setting("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "aws.ignoreConfiguredEndpointUrls");
  /** The Pod Identity agent's credentials URL. */
  public static final Setting CONTAINER_FULL_URI =
      new Setting("AWS_CONTAINER_CREDENTIALS_FULL_URI", "aws.containerCredentialsFullUri");
  /** A path on {@link #CONTAINER_SERVICE_ENDPOINT}; the SDK uses it before {@link #CONTAINER_FULL_URI} (ECS). */
  public static final Setting CONTAINER_RELATIVE_URI =
      new Setting("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "aws.containerCredentialsPath");
  /** The base URL for {@link #CONTAINER_RELATIVE_URI}; default {@value #DEFAULT_CONTAINER_SERVICE_ENDPOINT}. */
  public static final Setting CONTAINER_SERVICE_ENDPOINT =
      new Setting("AWS_CONTAINER_SERVICE_ENDPOINT", "aws.containerServiceEndpoint");
  /** The SDK's default for {@link #CONTAINER_SERVICE_ENDPOINT}: the ECS agent. */
  public static final String DEFAULT_CONTAINER_SERVICE_ENDPOINT = "http://169.254.170.2";
  /** The token itself; the SDK uses it before {@link #CONTAINER_TOKEN_FILE}. */
  public static final Setting CONTAINER_TOKEN =
      new Setting("AWS_CONTAINER_AUTHORIZATION_TOKEN", "aws.containerAuthorizationToken");
  /** The projected token file (Pod Identity). */
  public static final Setting CONTAINER_TOKEN_FILE =
      new Setting("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "aws.containerAuthorizationTokenFile");

  /** The audience of IRSA tokens (the IAM OIDC provider's client ID on EKS). */
  public static final String IRSA_AUDIENCE = "sts.amazonaws.com";
  /** The audience of EKS Pod Identity tokens. */
  public static final String POD_IDENTITY_AUDIENCE = "pods.eks.amazonaws.com";

  /** Regions that {@code AWS_STS_REGIONAL_ENDPOINTS=legacy} sends to the global endpoint (other SDKs' list). */
  private static final Set<String> LEGACY_GLOBAL_REGIONS = Set.of(
      "ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "aws-global", "ca-central-1",
      "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1", "us-east-1",
      "us-east-2", "us-west-1", "us-west-2");
  /**
   * The hosts the AWS SDK's {@code ContainerCredentialsProvider} accepts over plain http besides
   * loopback, compared as text exactly as it does: the ECS agent, the EKS Pod Identity agent's IPv4
   * and IPv6 link-local addresses.
   */
  private static final Set<String> AGENT_HOSTS = Set.of("169.254.170.2", "169.254.170.23", "[fd00:ec2::23]");
  /** Longest path accepted in a token-file setting. */
  private static final int MAX_PATH = 4_096;

  /**
   * Validates a role ARN (see {@link AwsValues#roleArn}).
   *
   * @param arn the value
   * @param source where it came from, named in the message
   * @return {@code arn}
   * @throws ConfigurationException if it is not an IAM role ARN
   */
  public static String roleArn(String arn, String source) {
    return AwsValues.roleArn(arn, source);
  }

  /**
   * The account of an ARN.
   *
   * @param arn a role or assumed-role ARN, or null
   * @return the 12-digit account ID, or null
   */
  public static String accountOf(String arn) {
    return AwsValues.accountOf(arn);
  }

  /**
   * The partition of an ARN.
   *
   * @param arn an ARN, or null
   * @return {@code aws}, {@code aws-cn}, ...; {@code aws} when there is none
   */
  public static String partitionOf(String arn) {
    if (arn == null || !arn.startsWith("arn:")) {
      return "aws";
    }
    int end = arn.indexOf(':', 4);
    return end > 4 ? arn.substring(4, end) : "aws";
  }

  /**
   * Validates a region name (see {@link AwsValues#region}).
   *
   * @param region the value
   * @param source where it came from, named in the message
   * @return {@code region}
   * @throws ConfigurationException if it is not a region name
   */
  public static String region(String region, String source) {
    return AwsValues.region(region, source);
  }

  /**
   * The configured region ({@code AWS_REGION}, then {@code AWS_DEFAULT_REGION}). Never probes
   * instance metadata.
   *
   * @param env where to look
   * @return the region and the setting it came from, or empty
   * @throws ConfigurationException if the value is not a region name
   */
  public static Optional<Sourced<String>> region(Environment env) {
    for (Setting s : new Setting[] {REGION, DEFAULT_REGION}) {
      Optional<String> v = s.in(env);
      if (v.isPresent()) {
        return Optional.of(new Sourced<>(AwsValues.region(v.get(), s.names()), s.names()));
      }
    }
    return Optional.empty();
  }

  /**
   * The configured STS endpoint override ({@code AWS_ENDPOINT_URL_STS}, then {@code AWS_ENDPOINT_URL}),
   * with the process-wide plain-http opt-in.
   *
   * @param env where to look
   * @return the URL and the setting it came from, or empty
   * @throws ConfigurationException if the value is not a usable https URL (see {@link #stsEndpoint})
   */
  public static Optional<Sourced<URI>> endpointOverride(Environment env) {
    return endpointOverride(env, Endpoints.httpAllowed(env));
  }

  /**
   * The configured STS endpoint override ({@code AWS_ENDPOINT_URL_STS}, then {@code AWS_ENDPOINT_URL}).
   *
   * @param env where to look
   * @param allowHttp whether plain http to a non-loopback host was allowed
   * @return the URL and the setting it came from, or empty
   * @throws ConfigurationException if the value is not a usable https URL (see {@link #stsEndpoint})
   */
  public static Optional<Sourced<URI>> endpointOverride(Environment env, boolean allowHttp) {
    for (Setting s : new Setting[] {ENDPOINT_URL_STS, ENDPOINT_URL}) {
      Optional<String> v = s.in(env);
      if (v.isPresent()) {
        return Optional.of(new Sourced<>(stsEndpoint(v.get(), s.names(), allowHttp), s.names()));
      }
    }
    if (IGNORE_CONFIGURED_ENDPOINT_URLS.in(env).filter("true"::equalsIgnoreCase).isPresent()) {
      return Optional.empty();
    }
    return profileEndpoint().map(p -> new Sourced<>(stsEndpoint(p.value(), p.source(), allowHttp), p.source()));
  }

  /**
   * The STS endpoint the AWS SDK would take from the shared config file ({@code AWS_CONFIG_FILE},
   * {@code AWS_PROFILE}): the profile's {@code services} section's {@code sts.endpoint_url}, then the
   * profile's {@code endpoint_url}, as the SDK orders them. Read here so that it passes the same
   * transport policy as the variables: the STS client is always given its endpoint explicitly, so the
   * SDK never resolves one on its own (which would send the token wherever the file says).
   */
  private static Optional<Sourced<String>> profileEndpoint() {
    Optional<Path> file = ProfileFileLocation.configurationFileLocation();
    if (file.isEmpty()) {
      return Optional.empty();
    }
    ProfileFile config;
    try {
      config = ProfileFile.builder().content(file.get()).type(ProfileFile.Type.CONFIGURATION).build();
    } catch (RuntimeException e) {
      throw new ConfigurationException("The AWS config file " + Redaction.escape(file.get().toString())
          + " cannot be read (" + Redaction.describe(e) + "): fix it, or point AWS_CONFIG_FILE elsewhere.");
    }
    String name = ProfileFileSystemSetting.AWS_PROFILE.getStringValue().orElse("default");
    Optional<Profile> profile = config.profile(name);
    if (profile.isEmpty()
        || profile.get().booleanProperty("ignore_configured_endpoint_urls").orElse(false)) {
      return Optional.empty();
    }
    String where = "the AWS config file " + file.get() + ", profile " + name;
    Optional<String> services = profile.get().property("services");
    if (services.isPresent()) {
      Optional<String> sts = config.getSection("services", services.get())
          .flatMap(section -> section.property("sts.endpoint_url"));
      if (sts.isPresent()) {
        return Optional.of(new Sourced<>(sts.get(), where + " (services " + services.get() + ", sts.endpoint_url)"));
      }
    }
    return profile.get().property("endpoint_url").map(url -> new Sourced<>(url, where + " (endpoint_url)"));
  }

  /**
   * Checks an STS endpoint against the transport policy ({@link Endpoints#requireSecure}): an
   * absolute https URL, or plain http to loopback, or plain http anywhere when explicitly allowed; no
   * user information, no control characters.
   *
   * @param value the text
   * @param source where it came from, named in the message
   * @param allowHttp whether plain http to a non-loopback host was allowed
   * @return the URL
   * @throws ConfigurationException if it is refused; the message names the host and the opt-in
   */
  public static URI stsEndpoint(String value, String source, boolean allowHttp) {
    return Endpoints.requireSecure(value, "The STS endpoint from " + source, allowHttp, HTTP_OPT_IN);
  }

  /**
   * Whether {@code AWS_STS_REGIONAL_ENDPOINTS} asks for the global endpoint for this region.
   * {@code regional} (and unset) mean regional, {@code legacy} means global for the original regions.
   *
   * @param env where to look
   * @param region the configured region, or null
   * @return true for the global endpoint
   * @throws ConfigurationException if the value is neither {@code regional} nor {@code legacy}
   */
  public static boolean useGlobalEndpoint(Environment env, String region) {
    Optional<String> mode = STS_REGIONAL_ENDPOINTS.in(env);
    if (mode.isEmpty() || mode.get().equalsIgnoreCase("regional")) {
      return false;
    }
    if (mode.get().equalsIgnoreCase("legacy")) {
      return region == null || LEGACY_GLOBAL_REGIONS.contains(region);
    }
    throw new ConfigurationException(STS_REGIONAL_ENDPOINTS.names() + " must be 'regional' or 'legacy', not "
        + AwsValues.quote(mode.get()) + ".");
  }

  /**
   * The SDK region to give the STS client.
   *
   * @param region the configured region, or null
   * @param global whether the global endpoint was asked for
   * @return the configured region, or {@code aws-global} when there is none or the global endpoint is wanted
   */
  public static Region stsRegion(String region, boolean global) {
    return region == null || global ? Region.AWS_GLOBAL : Region.of(region);
  }

  /**
   * The endpoint the SDK will call, for reports and messages (no network).
   *
   * @param region the STS client's region
   * @param override the endpoint override, or null
   * @return the URL as text
   */
  public static String describeEndpoint(Region region, URI override) {
    if (override != null) {
      return override.toString();
    }
    try {
      return defaultEndpoint(region).toString();
    } catch (RuntimeException e) {
      return "the STS endpoint for " + region.id();
    }
  }

  /**
   * The endpoint AWS documents for STS in {@code region}, from the SDK's endpoint rules (no
   * network). The STS client is always given its endpoint explicitly, this one when nothing
   * overrides it, so that the SDK never resolves one from sources this library has not checked.
   *
   * @param region the STS client's region
   * @return the URL
   * @throws RuntimeException if the SDK's rules know no endpoint for the region
   */
  public static URI defaultEndpoint(Region region) {
    return StsEndpointProvider.defaultProvider()
        .resolveEndpoint(p -> p.region(region).useGlobalEndpoint(false))
        .join().url();
  }

  /**
   * The container credentials URL configured in the environment, resolved as the AWS SDK's {@code
   * ContainerCredentialsProvider} does: {@code AWS_CONTAINER_SERVICE_ENDPOINT} (default {@value
   * #DEFAULT_CONTAINER_SERVICE_ENDPOINT}) followed by {@code AWS_CONTAINER_CREDENTIALS_RELATIVE_URI}
   * when that is set, else {@code AWS_CONTAINER_CREDENTIALS_FULL_URI}; checked by {@link
   * #containerEndpoint(String, String, boolean)} with the process-wide opt-in.
   *
   * @param env where to look
   * @return the URL and the setting it came from, or empty when neither variable is set
   * @throws ConfigurationException if the URL is refused
   */
  public static Optional<Sourced<URI>> containerEndpoint(Environment env) {
    return containerEndpoint(env, Endpoints.httpAllowed(env));
  }

  /**
   * As {@link #containerEndpoint(Environment)}, with the given plain-http opt-in.
   *
   * @param env where to look
   * @param allowHttp whether plain http to other hosts was explicitly allowed
   * @return the URL and the setting it came from, or empty when neither variable is set
   * @throws ConfigurationException if the URL is refused
   */
  public static Optional<Sourced<URI>> containerEndpoint(Environment env, boolean allowHttp) {
    Optional<String> relative = CONTAINER_RELATIVE_URI.in(env);
    if (relative.isPresent()) {
      String path = Values.requireClean(relative.get(), CONTAINER_RELATIVE_URI.names(), 2_048);
      if (!path.startsWith("/") || path.startsWith("//")) {
        // The SDK concatenates: "@host/x" or "//host/x" would move the request to another host.
        throw new ConfigurationException(CONTAINER_RELATIVE_URI.names() + " must be a path starting with a single"
            + " '/', such as /v2/credentials/<id>: " + AwsValues.quote(path) + ".");
      }
      Optional<String> base = CONTAINER_SERVICE_ENDPOINT.in(env);
      String source = CONTAINER_RELATIVE_URI.names() + " on " + (base.isPresent() ? CONTAINER_SERVICE_ENDPOINT.names()
          : DEFAULT_CONTAINER_SERVICE_ENDPOINT);
      String url = stripTrailingSlash(base.orElse(DEFAULT_CONTAINER_SERVICE_ENDPOINT)) + path;
      return Optional.of(new Sourced<>(containerEndpoint(url, source, allowHttp), source));
    }
    return CONTAINER_FULL_URI.in(env).map(v -> new Sourced<>(containerEndpoint(v, CONTAINER_FULL_URI.names(),
        allowHttp), CONTAINER_FULL_URI.names()));
  }

  private static String stripTrailingSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  /**
   * Checks a container credentials URL with the AWS SDK's rule: https to any host; plain http only to
   * loopback or to the agents' link-local addresses ({@code 169.254.170.23} and {@code [fd00:ec2::23]}
   * for EKS, {@code 169.254.170.2} for ECS), or anywhere when explicitly allowed. Loopback is judged
   * from the text ({@code localhost}, {@code 127.0.0.0/8}, {@code [::1]}): unlike the SDK, no name is
   * resolved, since a name that resolves to loopback today may not tomorrow. Like every endpoint, the
   * URL must be absolute and may not carry user information or control characters.
   *
   * @param value the text
   * @param source where it came from, named in the message
   * @param allowHttp whether plain http to other hosts was explicitly allowed
   * @return the URL
   * @throws ConfigurationException if it is refused; the message names the host and the opt-in
   */
  public static URI containerEndpoint(String value, String source, boolean allowHttp) {
    String what = "The container credentials URL from " + source;
    URI uri = Endpoints.requireSecure(value, what, true, HTTP_OPT_IN); // the form; the transport below
    boolean plain = !uri.getScheme().equalsIgnoreCase("https");
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    if (plain && !allowHttp && !AGENT_HOSTS.contains(host) && !Endpoints.isLoopback(host)) {
      throw new ConfigurationException(what + " is plain http to " + uri.getHost() + ": the token would travel in"
          + " clear. Over plain http credentials are only fetched from the EKS Pod Identity agent (169.254.170.23,"
          + " [fd00:ec2::23]), the ECS agent (169.254.170.2) or a loopback address, as in the AWS SDK. Use https, or"
          + " allow plain http explicitly (" + HTTP_OPT_IN + ", or " + Endpoints.ALLOW_HTTP_PROPERTY + "=true / "
          + Endpoints.ALLOW_HTTP_VARIABLE + "=true) where that is intended.");
    }
    return uri;
  }

  /**
   * Whether {@code uri} is an EKS Pod Identity agent address (not ECS, not loopback).
   *
   * @param uri a container credentials URL
   * @return true for {@code 169.254.170.23} and {@code [fd00:ec2::23]}
   */
  public static boolean isEksAgent(URI uri) {
    String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
    return host.equals("169.254.170.23") || host.equals("[fd00:ec2::23]");
  }

  /**
   * Parses the inline {@code AWS_CONTAINER_AUTHORIZATION_TOKEN}: it must be the pod's service-account
   * token (a JWT), so that it can be checked like a token file's (compact form, no line breaks or
   * spaces, not expired) before it is ever put into a header.
   *
   * @param value the variable's value (trimmed)
   * @return the token
   * @throws ConfigurationException if it is not a usable token; the message never holds any of it
   */
  public static ProjectedToken inlineToken(String value) {
    try {
      return ProjectedToken.parse(value);
    } catch (MalformedTokenException e) {
      // The core's message says what is wrong and where, never the token itself.
      throw new ConfigurationException(CONTAINER_TOKEN.names() + " is not a usable service-account token: "
          + e.getMessage() + " Set it to the pod's projected token (audience " + POD_IDENTITY_AUDIENCE + "), or"
          + " unset it and point " + CONTAINER_TOKEN_FILE.variable() + " at the token file.", e);
    }
  }

  /**
   * A token file setting's value as a path.
   *
   * @param value the value
   * @param setting the setting it came from
   * @return the path
   * @throws ConfigurationException if it has control characters, is absurdly long, or is no valid path
   */
  public static Path path(String value, Setting setting) {
    Values.requireClean(value, setting.names(), MAX_PATH);
    try {
      return Path.of(value);
    } catch (InvalidPathException e) {
      throw new ConfigurationException(setting.names() + " is not a valid path: " + AwsValues.quote(value) + " ("
          + Redaction.message(e.getReason()) + ").");
    }
  }

  /**
   * A value and the setting it came from.
   *
   * @param value the value
   * @param source the setting's names
   * @param <T> the value's type
   */
  public record Sourced<T>(T value, String source) {}
}
