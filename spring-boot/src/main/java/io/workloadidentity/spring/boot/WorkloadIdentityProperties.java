package io.workloadidentity.spring.boot;

import io.workloadidentity.core.RefreshPolicy;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code workload-identity.*} properties. Every cloud setting is optional: unset, the cloud
 * module reads the variable the Kubernetes webhook injects (named in each property's description).
 * A property wins over its variable. Mutable JavaBean for Spring's binder; not thread-safe.
 */
@ConfigurationProperties("workload-identity")
public class WorkloadIdentityProperties {
  /** Whether the workload identity auto-configuration runs at all. */
  private boolean enabled = true;

  private final Aws aws = new Aws();
  private final Azure azure = new Azure();
  private final Gcp gcp = new Gcp();
  private final Refresh refresh = new Refresh();

  /**
   * Whether the auto-configuration runs.
   *
   * @return true unless switched off
   */
  public boolean isEnabled() {
    return enabled;
  }

  /**
   * Switches the whole auto-configuration on or off.
   *
   * @param enabled false to register nothing
   */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /**
   * The AWS settings.
   *
   * @return the AWS settings
   */
  public Aws getAws() {
    return aws;
  }

  /**
   * The Azure settings.
   *
   * @return the Azure settings
   */
  public Azure getAzure() {
    return azure;
  }

  /**
   * The Google Cloud settings.
   *
   * @return the Google Cloud settings
   */
  public Gcp getGcp() {
    return gcp;
  }

  /**
   * The refresh timing shared by every cloud.
   *
   * @return the refresh settings
   */
  public Refresh getRefresh() {
    return refresh;
  }

  /** Settings common to the three clouds. */
  public abstract static class Cloud {
    /**
     * Whether to register this cloud's credentials: true to require them (startup fails with the
     * detection report if they cannot be configured), false never, unset when detected.
     */
    private Boolean enabled;

    /**
     * Whether this cloud is switched on, off, or left to detection.
     *
     * @return true, false, or null for "when detected"
     */
    public Boolean getEnabled() {
      return enabled;
    }

    /**
     * Switches this cloud on, off, or back to detection.
     *
     * @param enabled true, false, or null for "when detected"
     */
    public void setEnabled(Boolean enabled) {
      this.enabled = enabled;
    }
  }

  /** AWS: IRSA ({@code AssumeRoleWithWebIdentity}) or, when its agent is configured, EKS Pod Identity. */
  public static class Aws extends Cloud {
    /** The IAM role to assume. Default: AWS_ROLE_ARN. */
    private String roleArn;
    /** The projected service-account token file. Default: AWS_WEB_IDENTITY_TOKEN_FILE. */
    private Path tokenFile;
    /** The role session name shown in CloudTrail. Default: AWS_ROLE_SESSION_NAME, else the pod name. */
    private String roleSessionName;
    /** The STS region (regional endpoint). Default: AWS_REGION, then AWS_DEFAULT_REGION. */
    private String region;
    /** An explicit STS endpoint, such as a VPC interface endpoint. Default: AWS_ENDPOINT_URL_STS, then AWS_ENDPOINT_URL. */
    private URI stsEndpoint;

    /**
     * The role ARN.
     *
     * @return the role ARN, or null for the environment's
     */
    public String getRoleArn() {
      return roleArn;
    }

    /**
     * Sets the role ARN.
     *
     * @param roleArn {@code arn:aws:iam::ACCOUNT:role/NAME}
     */
    public void setRoleArn(String roleArn) {
      this.roleArn = roleArn;
    }

    /**
     * The token file.
     *
     * @return the token file, or null for the environment's
     */
    public Path getTokenFile() {
      return tokenFile;
    }

    /**
     * Sets the token file.
     *
     * @param tokenFile the projected token's path
     */
    public void setTokenFile(Path tokenFile) {
      this.tokenFile = tokenFile;
    }

    /**
     * The role session name.
     *
     * @return the session name, or null for the default
     */
    public String getRoleSessionName() {
      return roleSessionName;
    }

    /**
     * Sets the role session name.
     *
     * @param roleSessionName 2 to 64 characters of {@code [\w+=,.@-]}
     */
    public void setRoleSessionName(String roleSessionName) {
      this.roleSessionName = roleSessionName;
    }

    /**
     * The STS region.
     *
     * @return the region, or null for the environment's
     */
    public String getRegion() {
      return region;
    }

    /**
     * Sets the STS region.
     *
     * @param region for example {@code eu-west-1}
     */
    public void setRegion(String region) {
      this.region = region;
    }

    /**
     * The STS endpoint.
     *
     * @return the endpoint, or null for the regional default
     */
    public URI getStsEndpoint() {
      return stsEndpoint;
    }

    /**
     * Sets the STS endpoint.
     *
     * @param stsEndpoint an {@code https} URL
     */
    public void setStsEndpoint(URI stsEndpoint) {
      this.stsEndpoint = stsEndpoint;
    }
  }

  /** Azure: Microsoft Entra workload identity federation. */
  public static class Azure extends Cloud {
    /** The application (client) ID of the app registration or managed identity. Default: AZURE_CLIENT_ID. */
    private String clientId;
    /** The directory (tenant) ID. Default: AZURE_TENANT_ID. */
    private String tenantId;
    /** The projected service-account token file. Default: AZURE_FEDERATED_TOKEN_FILE. */
    private Path tokenFile;
    /** The Entra authority host. Default: AZURE_AUTHORITY_HOST, else https://login.microsoftonline.com/. */
    private String authorityHost;

    /**
     * The client ID.
     *
     * @return the client ID, or null for the environment's
     */
    public String getClientId() {
      return clientId;
    }

    /**
     * Sets the client ID.
     *
     * @param clientId a GUID
     */
    public void setClientId(String clientId) {
      this.clientId = clientId;
    }

    /**
     * The tenant ID.
     *
     * @return the tenant ID, or null for the environment's
     */
    public String getTenantId() {
      return tenantId;
    }

    /**
     * Sets the tenant ID.
     *
     * @param tenantId a GUID or verified domain
     */
    public void setTenantId(String tenantId) {
      this.tenantId = tenantId;
    }

    /**
     * The token file.
     *
     * @return the token file, or null for the environment's
     */
    public Path getTokenFile() {
      return tokenFile;
    }

    /**
     * Sets the token file.
     *
     * @param tokenFile the projected token's path
     */
    public void setTokenFile(Path tokenFile) {
      this.tokenFile = tokenFile;
    }

    /**
     * The authority host.
     *
     * @return the authority host, or null for the environment's
     */
    public String getAuthorityHost() {
      return authorityHost;
    }

    /**
     * Sets the authority host.
     *
     * @param authorityHost an {@code https} URL, such as {@code https://login.microsoftonline.us/}
     */
    public void setAuthorityHost(String authorityHost) {
      this.authorityHost = authorityHost;
    }
  }

  /** Google Cloud: workload identity federation (optionally impersonating a service account), or the GKE metadata server. */
  public static class Gcp extends Cloud {
    /** The external_account credential configuration file. Default: GOOGLE_APPLICATION_CREDENTIALS. */
    private Path credentialsFile;
    /** The workload identity provider (//iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/X), instead of a credentials file. */
    private String audience;
    /** The service account (email) to impersonate. Default: the credentials file's, else none. */
    private String serviceAccount;
    /** The projected service-account token file. Default: the credentials file's credential_source.file. */
    private Path tokenFile;

    /**
     * The credentials file.
     *
     * @return the file, or null for the environment's
     */
    public Path getCredentialsFile() {
      return credentialsFile;
    }

    /**
     * Sets the credentials file.
     *
     * @param credentialsFile an {@code external_account} JSON file
     */
    public void setCredentialsFile(Path credentialsFile) {
      this.credentialsFile = credentialsFile;
    }

    /**
     * The workload identity provider.
     *
     * @return the provider's resource name, or null
     */
    public String getAudience() {
      return audience;
    }

    /**
     * Sets the workload identity provider.
     *
     * @param audience {@code //iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER}
     */
    public void setAudience(String audience) {
      this.audience = audience;
    }

    /**
     * The service account to impersonate.
     *
     * @return its email, or null
     */
    public String getServiceAccount() {
      return serviceAccount;
    }

    /**
     * Sets the service account to impersonate.
     *
     * @param serviceAccount its email
     */
    public void setServiceAccount(String serviceAccount) {
      this.serviceAccount = serviceAccount;
    }

    /**
     * The token file.
     *
     * @return the token file, or null for the credentials file's
     */
    public Path getTokenFile() {
      return tokenFile;
    }

    /**
     * Sets the token file.
     *
     * @param tokenFile the projected token's path
     */
    public void setTokenFile(Path tokenFile) {
      this.tokenFile = tokenFile;
    }
  }

  /**
   * When credentials are refreshed and how failed refreshes back off (the {@link RefreshPolicy}); the
   * defaults are the library's. Ignored when the application defines its own {@code RefreshPolicy} bean.
   */
  public static class Refresh {
    // The defaults repeat RefreshPolicy's on purpose: Spring's configuration processor reads them from
    // these initializers into the metadata IDEs show. PropertiesTest keeps them equal to RefreshPolicy.defaults().
    /** Fraction of a credential's lifetime after which it is refreshed in the background, in (0, 1). */
    private double fraction = 0.8;
    /** Random jitter of the refresh point, as a fraction of the lifetime, in [0, 0.2]. */
    private double jitterFraction = 0.05;
    /** Largest jitter of the refresh point. */
    private Duration maxJitter = Duration.ofSeconds(90);
    /** Least time before expiry at which to refresh, as a fraction of the lifetime, in [0, 1). */
    private double leadFraction = 0.1;
    /** Cap of that lead time. */
    private Duration maxLead = Duration.ofMinutes(5);
    /** Margin before expiry after which a credential is no longer handed out (at most a twentieth of its lifetime). */
    private Duration expirySkew = Duration.ofSeconds(10);
    /** Backoff ceiling after the first failed refresh; it doubles per failure. */
    private Duration initialBackoff = Duration.ofSeconds(1);
    /** Largest backoff between failed refreshes. */
    private Duration maxBackoff = Duration.ofSeconds(60);
    /** Longest lifetime a credential is trusted to have, so that revocation and rotation are picked up. */
    private Duration maximumLifetime = Duration.ofHours(12);

    /**
     * The refresh fraction.
     *
     * @return the fraction
     */
    public double getFraction() {
      return fraction;
    }

    /**
     * Sets the refresh fraction.
     *
     * @param fraction in (0, 1)
     */
    public void setFraction(double fraction) {
      this.fraction = fraction;
    }

    /**
     * The jitter fraction.
     *
     * @return the fraction
     */
    public double getJitterFraction() {
      return jitterFraction;
    }

    /**
     * Sets the jitter fraction.
     *
     * @param jitterFraction in [0, 0.2]
     */
    public void setJitterFraction(double jitterFraction) {
      this.jitterFraction = jitterFraction;
    }

    /**
     * The largest jitter.
     *
     * @return the duration
     */
    public Duration getMaxJitter() {
      return maxJitter;
    }

    /**
     * Sets the largest jitter.
     *
     * @param maxJitter not negative
     */
    public void setMaxJitter(Duration maxJitter) {
      this.maxJitter = maxJitter;
    }

    /**
     * The lead fraction.
     *
     * @return the fraction
     */
    public double getLeadFraction() {
      return leadFraction;
    }

    /**
     * Sets the lead fraction.
     *
     * @param leadFraction in [0, 1)
     */
    public void setLeadFraction(double leadFraction) {
      this.leadFraction = leadFraction;
    }

    /**
     * The largest lead.
     *
     * @return the duration
     */
    public Duration getMaxLead() {
      return maxLead;
    }

    /**
     * Sets the largest lead.
     *
     * @param maxLead not negative
     */
    public void setMaxLead(Duration maxLead) {
      this.maxLead = maxLead;
    }

    /**
     * The expiry skew.
     *
     * @return the duration
     */
    public Duration getExpirySkew() {
      return expirySkew;
    }

    /**
     * Sets the expiry skew.
     *
     * @param expirySkew not negative
     */
    public void setExpirySkew(Duration expirySkew) {
      this.expirySkew = expirySkew;
    }

    /**
     * The first backoff ceiling.
     *
     * @return the duration
     */
    public Duration getInitialBackoff() {
      return initialBackoff;
    }

    /**
     * Sets the first backoff ceiling.
     *
     * @param initialBackoff not negative
     */
    public void setInitialBackoff(Duration initialBackoff) {
      this.initialBackoff = initialBackoff;
    }

    /**
     * The largest backoff.
     *
     * @return the duration
     */
    public Duration getMaxBackoff() {
      return maxBackoff;
    }

    /**
     * Sets the largest backoff.
     *
     * @param maxBackoff at least the initial backoff
     */
    public void setMaxBackoff(Duration maxBackoff) {
      this.maxBackoff = maxBackoff;
    }

    /**
     * The maximum lifetime.
     *
     * @return the duration
     */
    public Duration getMaximumLifetime() {
      return maximumLifetime;
    }

    /**
     * Sets the maximum lifetime.
     *
     * @param maximumLifetime positive
     */
    public void setMaximumLifetime(Duration maximumLifetime) {
      this.maximumLifetime = maximumLifetime;
    }

    /**
     * The policy these values describe.
     *
     * @return the policy
     * @throws IllegalArgumentException if a value is out of range (the message names it)
     */
    public RefreshPolicy toPolicy() {
      return RefreshPolicy.builder()
          .refreshFraction(fraction)
          .jitter(jitterFraction, maxJitter)
          .lead(leadFraction, maxLead)
          .expirySkew(expirySkew)
          .backoff(initialBackoff, maxBackoff)
          .maximumLifetime(maximumLifetime)
          .build();
    }
  }
}
