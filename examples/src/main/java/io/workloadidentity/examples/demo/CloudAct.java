package io.workloadidentity.examples.demo;

import io.workloadidentity.core.WorkloadIdentity;
import java.util.List;
import java.util.Map;

/** One cloud's part in the demo. Each step prints what happened and checks it. */
public interface CloudAct extends AutoCloseable {
  List<String> ALL = List.of("aws", "azure", "gcp");

  static CloudAct create(String cloud, Stage stage) {
    return switch (cloud) {
      case "aws" -> new AwsAct(stage);
      case "azure" -> new AzureAct(stage);
      case "gcp" -> new GcpAct(stage);
      default -> throw new IllegalArgumentException(cloud);
    };
  }

  String name();

  void describeEndpoints();

  void describeVolume();

  /** The variables the cloud's webhook (or the user's pod spec) would set. */
  Map<String, String> webhookEnvironment();

  /** What the first use of the detected credentials does, for the progress line printed before it. */
  String firstUse();

  /** Obtains credentials through the SDK-native object auto-detection built. */
  void credentials(WorkloadIdentity identity);

  void rotation();

  void refreshAhead();

  void outage();

  void misconfiguration();

  @Override
  void close();

  /** A secret or token, for printing: its length only, never any of its characters. */
  static String redact(String secret) {
    return secret == null ? "<none>" : "<redacted, " + secret.length() + " chars>";
  }
}
