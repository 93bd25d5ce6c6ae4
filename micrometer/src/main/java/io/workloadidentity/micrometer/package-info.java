/**
 * Micrometer meters for workload identity credentials: {@link io.workloadidentity.micrometer.WorkloadIdentityMetrics},
 * a {@code MeterBinder} whose per-cloud listeners the cloud builders accept.
 */
package io.workloadidentity.micrometer;
