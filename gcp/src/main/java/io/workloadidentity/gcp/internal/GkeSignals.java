package io.workloadidentity.gcp.internal;

import io.workloadidentity.core.Environment;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Whether a Google metadata server should be there, decided from local evidence only (no network:
 * google-auth's own check pings the server three times with 500 ms timeouts, too tight when the GKE
 * metadata server is still starting with the pod, googleapis/google-auth-library-java#517).
 */
public final class GkeSignals {
  public static final String METADATA_HOST = "GCE_METADATA_HOST";
  public static final String METADATA_HOST_PROPERTY = "workloadidentity.gcp.metadataHost";
  public static final String DEFAULT_HOST = "metadata.google.internal";

  private final Path resolvConf;
  private final Path productName;

  public GkeSignals(Path resolvConf, Path productName) {
    this.resolvConf = resolvConf;
    this.productName = productName;
  }

  /** The real files: the pod's DNS configuration and the VM's DMI product name. */
  public static GkeSignals system() {
    return new GkeSignals(Path.of("/etc/resolv.conf"), Path.of("/sys/class/dmi/id/product_name"));
  }

  /** The metadata host configured explicitly ({@code GCE_METADATA_HOST}), if any. */
  public static Optional<String> configuredHost(Environment env) {
    return env.get(METADATA_HOST, METADATA_HOST_PROPERTY);
  }

  /**
   * Why a metadata server is expected here, or empty. {@code NO_GCE_CHECK=true} turns the file checks
   * off, as it does in google-auth.
   */
  public Optional<String> evidence(Environment env) {
    Optional<String> host = configuredHost(env);
    if (host.isPresent()) {
      return Optional.of(METADATA_HOST + "=" + host.get() + " names a metadata server");
    }
    if (env.variable("NO_GCE_CHECK").map("true"::equalsIgnoreCase).orElse(false)) {
      return Optional.empty();
    }
    String product = head(productName).strip();
    if (product.startsWith("Google")) {
      return Optional.of("this machine is a Google Compute Engine VM (" + productName + ": " + product + ")");
    }
    if (env.variable("KUBERNETES_SERVICE_HOST").isPresent()) {
      for (String line : head(resolvConf).split("\n")) {
        String l = line.strip().toLowerCase(Locale.ROOT);
        if ((l.startsWith("search ") || l.startsWith("domain ")) && l.contains("google.internal")) {
          return Optional.of("this pod's DNS search path (" + resolvConf + ") includes google.internal, as on GKE");
        }
      }
    }
    return Optional.empty();
  }

  private static String head(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return new String(in.readNBytes(8192), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }
}
