package io.workloadidentity.gcp.internal;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.internal.Endpoints;
import io.workloadidentity.core.internal.Redaction;
import io.workloadidentity.core.internal.Values;
import java.net.URI;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Where a Google token may be sent. The projected token goes to STS and the STS token to IAM
 * Credentials; both hosts must be Google's own endpoints of the trusted universe domain, or loopback
 * (the testkit, local emulators), or a host allowed explicitly. google-auth dropped its host check in
 * 1.16 (#1150) and sends the token wherever an {@code external_account} file says; a file from
 * outside the application (a ConfigMap, a mounted secret, a developer's download) must not be able
 * to send the pod's identity to another host.
 *
 * <p>The trusted universe is {@code googleapis.com}, or the universe domain set in code ({@code
 * setUniverseDomain}). A file's {@code universe_domain} is used for the default endpoints and as the
 * credentials' universe, but it does not extend the trust: another universe's hosts need the
 * opt-in or {@code setUniverseDomain} (otherwise the file would name both the universe and the host).
 *
 * <p>Google's endpoint forms, for service {@code S} ({@code sts}, {@code iamcredentials}) in universe
 * {@code U}: {@code S.U} (global), {@code S.L.U} (for example {@code S.mtls.U}), {@code S.REGION.rep.U}
 * (regional endpoints), {@code L.S.U} and {@code L-S.U} (locational), {@code S-ENDPOINT.p.U}
 * (Private Service Connect); {@code L}, {@code REGION} and {@code ENDPOINT} are single DNS labels.
 * These are the patterns google-auth checked before 1.16, plus the regional form. Every check is a
 * linear scan of a bounded string; no regular expression touches configured text.
 *
 * <p>Immutable.
 */
public final class EndpointPolicy {
  /** The universe of Google Cloud outside Trusted Partner Cloud. */
  public static final String DEFAULT_UNIVERSE = "googleapis.com";
  /** System property allowing more endpoint hosts: a comma-separated list of host names. */
  public static final String ALLOW_PROPERTY = "workloadidentity.gcp.allowedEndpoints";
  /** Environment variable allowing more endpoint hosts: a comma-separated list of host names. */
  public static final String ALLOW_VARIABLE = "WORKLOAD_IDENTITY_GCP_ALLOWED_ENDPOINTS";
  /** The STS service name, as in its host names. */
  public static final String STS = "sts";
  /** The IAM Credentials service name, as in its host names. */
  public static final String IAM = "iamcredentials";
  private static final int MAX_HOSTS = 64;

  private final String trustedUniverse;
  private final Set<String> allowed;
  private final boolean allowHttp;

  private EndpointPolicy(String trustedUniverse, Set<String> allowed, boolean allowHttp) {
    this.trustedUniverse = trustedUniverse;
    this.allowed = Set.copyOf(allowed);
    this.allowHttp = allowHttp;
  }

  /**
   * The policy for one configuration.
   *
   * @param env where {@value #ALLOW_VARIABLE} / {@value #ALLOW_PROPERTY} and core's plain-http opt-in are read
   * @param codeUniverse the universe domain set in code, or {@code null}
   * @param codeAllowed hosts allowed in code ({@code allowEndpoint})
   * @param codeAllowHttp whether plain http to non-loopback hosts was allowed in code ({@code allowHttp(true)})
   * @return the policy
   * @throws ConfigurationException if an allowed host or the universe is not a DNS name
   */
  public static EndpointPolicy of(Environment env, String codeUniverse, Set<String> codeAllowed, boolean codeAllowHttp) {
    Set<String> hosts = new LinkedHashSet<>();
    for (String h : codeAllowed) {
      hosts.add(allowedHost(h, "allowEndpoint"));
    }
    env.get(ALLOW_VARIABLE, ALLOW_PROPERTY).ifPresent(list -> {
      String[] parts = list.split(",", MAX_HOSTS + 1);
      if (parts.length > MAX_HOSTS) {
        throw new ConfigurationException(ALLOW_VARIABLE + " / " + ALLOW_PROPERTY + " lists more than " + MAX_HOSTS
            + " hosts: list only the endpoints this application uses.");
      }
      for (String p : parts) {
        if (!p.isBlank()) {
          hosts.add(allowedHost(p.strip(), ALLOW_VARIABLE + " / " + ALLOW_PROPERTY));
        }
      }
    });
    String universe = codeUniverse == null ? DEFAULT_UNIVERSE : universe(codeUniverse, "setUniverseDomain");
    return new EndpointPolicy(universe, hosts, codeAllowHttp || Endpoints.httpAllowed(env));
  }

  /** The GKE metadata server's documented names and addresses (link-local). */
  private static final Set<String> METADATA_HOSTS =
      Set.of("metadata.google.internal", "metadata.google.internal.", "169.254.169.254", "[fd20:ce::254]");

  /**
   * Checks a metadata server's {@code host[:port]} (already of that shape): the metadata server is
   * plain http by design, so its access tokens cross the network in clear, and whoever answers
   * decides the workload's identity. Accepted: the metadata server's documented names and
   * link-local addresses, loopback (local emulators, the testkit), or any host with the plain-http
   * opt-in.
   *
   * @param hostPort the value
   * @param what where it came from, for the message
   * @return the value
   * @throws ConfigurationException for another host without the opt-in
   */
  String requireMetadataHost(String hostPort, String what) {
    String host = hostPort.startsWith("[") ? hostPort.substring(0, hostPort.indexOf(']') + 1)
        : hostPort.indexOf(':') >= 0 ? hostPort.substring(0, hostPort.indexOf(':')) : hostPort;
    String h = host.toLowerCase(java.util.Locale.ROOT);
    if (allowHttp || METADATA_HOSTS.contains(h) || Endpoints.isLoopback(h)) {
      return hostPort;
    }
    throw new ConfigurationException(what + " is " + quote(hostPort) + ": the metadata server speaks plain http, so"
        + " its access tokens would cross the network in clear from a host that is neither the GKE metadata server"
        + " (metadata.google.internal, 169.254.169.254) nor loopback. Use one of those; if this host is intended"
        + " (a test environment), allow plain http explicitly: allowHttp(true) on the builder, or "
        + Endpoints.ALLOW_HTTP_PROPERTY + "=true / " + Endpoints.ALLOW_HTTP_VARIABLE + "=true.");
  }

  /**
   * Checks a universe domain: a plain DNS name ({@code googleapis.com}), nothing that could hide
   * another host ({@code googleapis.com@evil.example}, a port, a path).
   *
   * @param value the configured value
   * @param what where it came from, for the message
   * @return the domain in lower case
   * @throws ConfigurationException if it is not a DNS name
   */
  public static String universe(String value, String what) {
    if (!Values.isDnsName(value) || value.indexOf('.') < 0) {
      throw new ConfigurationException(what + " is " + quote(value) + ", which is not a universe domain: it must be a"
          + " plain DNS name such as googleapis.com (no scheme, port, path or '@'); the STS and IAM Credentials hosts"
          + " are derived from it.");
    }
    return value.toLowerCase(Locale.ROOT);
  }

  /**
   * Checks an endpoint a token is sent to, and returns it as configured.
   *
   * @param url the endpoint
   * @param service {@link #STS} or {@link #IAM}
   * @param what what it is and where it came from, for the message ("token_url in FILE")
   * @return the parsed endpoint
   * @throws ConfigurationException if it is malformed, hides its host, is plain http without the
   *     opt-in, or names a host that is neither Google's for the service, loopback nor allowed; the
   *     message names the host and the opt-ins
   */
  public URI require(String url, String service, String what) {
    URI uri = Endpoints.requireSecure(url, what, allowHttp, "GcpWorkloadIdentityCredentials.builder().allowHttp(true)");
    String host = hostOf(uri);
    if (Endpoints.isLoopback(host) || allowed.contains(host) || isGoogleHost(host, service, trustedUniverse)) {
      return uri;
    }
    String name = service.equals(STS) ? "Google STS" : "IAM Credentials";
    String token = service.equals(STS) ? "the pod's projected service-account token" : "the STS access token";
    throw new ConfigurationException(what + " names host " + Redaction.escape(host) + ", which is not a " + name
        + " endpoint of universe " + trustedUniverse + " (" + service + "." + trustedUniverse + " and its regional,"
        + " locational and Private Service Connect forms) nor loopback; " + token + " would be sent there, so nothing"
        + " is sent. If the configuration comes from a source you do not control, do not use it. If this host is"
        + " intended (a proxy, a private endpoint, another universe), allow it explicitly:"
        + " GcpWorkloadIdentityCredentials.builder().allowEndpoint(\"" + Redaction.escape(host) + "\"), or "
        + ALLOW_PROPERTY + "=" + Redaction.escape(host) + " / " + ALLOW_VARIABLE + "=" + Redaction.escape(host)
        + "; for a Trusted Partner Cloud universe, setUniverseDomain(...) in code.");
  }

  /**
   * Whether {@code host} is one of Google's endpoint forms for {@code service} in {@code universe}
   * (see the class comment). Linear in the length of {@code host}; never throws.
   *
   * @param host a host name, any case
   * @param service {@link #STS} or {@link #IAM}
   * @param universe a universe domain, lower case
   * @return true for Google's endpoint of the service
   */
  public static boolean isGoogleHost(String host, String service, String universe) {
    if (host == null || host.length() > 253 || !Values.isDnsName(host)) {
      return false;
    }
    String h = host.toLowerCase(Locale.ROOT);
    String suffix = "." + universe;
    if (!h.endsWith(suffix)) {
      return false;
    }
    String[] labels = h.substring(0, h.length() - suffix.length()).split("\\.", -1);
    switch (labels.length) {
      case 1:
        // S.U, L-S.U
        return labels[0].equals(service) || hasLabelPrefix(labels[0], service);
      case 2:
        // S.L.U (mtls, ...), L.S.U, S-ENDPOINT.p.U
        return labels[0].equals(service) && isLabel(labels[1])
            || labels[1].equals(service) && isLabel(labels[0])
            || labels[1].equals("p") && hasLabelSuffix(labels[0], service);
      case 3:
        // S.REGION.rep.U
        return labels[0].equals(service) && isLabel(labels[1]) && labels[2].equals("rep");
      default:
        return false;
    }
  }

  /** {@code L-S}: a label, a hyphen, the service. */
  private static boolean hasLabelPrefix(String label, String service) {
    int cut = label.length() - service.length() - 1;
    return cut > 0 && label.endsWith("-" + service) && isLabel(label.substring(0, cut));
  }

  /** {@code S-ENDPOINT}: the service, a hyphen, a label. */
  private static boolean hasLabelSuffix(String label, String service) {
    int from = service.length() + 1;
    return label.length() > from && label.startsWith(service + "-") && isLabel(label.substring(from));
  }

  private static boolean isLabel(String s) {
    return s.length() <= 63 && Values.isDnsName(s);
  }

  /** The host of a URI checked by {@link Endpoints#requireSecure}: lower case, IPv6 brackets kept. */
  static String hostOf(URI uri) {
    return uri.getHost().toLowerCase(Locale.ROOT);
  }

  private static String allowedHost(String value, String what) {
    String h = value.toLowerCase(Locale.ROOT);
    if (!Values.isDnsName(h) && !Endpoints.isLoopback(h)) {
      throw new ConfigurationException(what + " has " + quote(value) + ", which is not a host name: list host names"
          + " only (for example sts.example.internal), without scheme, port or path.");
    }
    return h;
  }

  private static String quote(String s) {
    return s == null ? "(missing)" : "\"" + Redaction.escape(s.length() > 300 ? s.substring(0, 300) + "..." : s) + "\"";
  }

  /**
   * The trusted universe, for messages.
   *
   * @return the universe whose Google endpoints need no opt-in
   */
  public String trustedUniverse() {
    return trustedUniverse;
  }

  /**
   * The hosts allowed explicitly, for the serialized form and messages.
   *
   * @return lower-case host names
   */
  public Set<String> allowed() {
    return allowed;
  }

  /**
   * Whether plain http to non-loopback hosts is allowed.
   *
   * @return true with an opt-in
   */
  public boolean allowHttp() {
    return allowHttp;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EndpointPolicy p && trustedUniverse.equals(p.trustedUniverse) && allowed.equals(p.allowed)
        && allowHttp == p.allowHttp;
  }

  @Override
  public int hashCode() {
    return trustedUniverse.hashCode() * 31 + allowed.hashCode() + (allowHttp ? 1 : 0);
  }

  @Override
  public String toString() {
    return "EndpointPolicy{universe=" + trustedUniverse + ", allowed=" + allowed + ", allowHttp=" + allowHttp + "}";
  }
}
