/**
 * Google Cloud credentials for Kubernetes workloads: {@link
 * io.workloadidentity.gcp.GcpWorkloadIdentityCredentials} (a {@code GoogleCredentials} for every
 * Google Cloud client library), its typed failure {@link
 * io.workloadidentity.gcp.GcpCredentialsException} and the key of its listener's events, {@link
 * io.workloadidentity.gcp.GcpTokenKey}. Everything else is in {@code internal} and may change.
 */
package io.workloadidentity.gcp;
