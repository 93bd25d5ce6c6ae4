package io.workloadidentity.examples.demo;

import io.workloadidentity.core.WorkloadIdentity;
import java.util.Map;

/** Placeholder until the Azure act is written. */
final class AzureAct implements CloudAct {
  AzureAct(Stage stage) {}

  @Override public String name() { return "Azure".toLowerCase(); }
  @Override public void describeEndpoints() {}
  @Override public void describeVolume() {}
  @Override public Map<String, String> webhookEnvironment() { return Map.of(); }
  @Override public void credentials(WorkloadIdentity identity) {}
  @Override public void rotation() {}
  @Override public void refreshAhead() {}
  @Override public void outage() {}
  @Override public void misconfiguration() {}
  @Override public void close() {}
}
