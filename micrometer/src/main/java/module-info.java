/**
 * Micrometer metrics for workload-identity-java: {@link
 * io.workloadidentity.micrometer.WorkloadIdentityMetrics}, a {@code MeterBinder} fed by the cloud
 * credentials' cache events.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // micrometer-core names itself in its manifest
module io.workloadidentity.micrometer {
  requires transitive io.workloadidentity.core;
  requires transitive micrometer.core;

  exports io.workloadidentity.micrometer;
}
