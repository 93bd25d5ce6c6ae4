package io.workloadidentity.gcp.internal;

import com.google.auth.http.HttpTransportFactory;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenSource;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * What the public builder collected; {@code null} means "not set" (use the configuration file, the
 * environment or the default). Resolved by {@link Engine#create}.
 */
public record Settings(
    Environment environment,
    Path credentialsFile,
    String audience,
    String serviceAccount,
    List<String> scopes,
    Duration tokenLifetime,
    TokenSource tokenSource,
    Path tokenFile,
    String stsEndpoint,
    String iamEndpoint,
    boolean metadataServer,
    String metadataHost,
    HttpTransportFactory transportFactory,
    Duration connectTimeout,
    Duration readTimeout,
    Integer maxAttempts,
    Clock clock,
    RefreshPolicy refreshPolicy,
    String quotaProject,
    CredentialCache.Listener<Object> listener) {}
