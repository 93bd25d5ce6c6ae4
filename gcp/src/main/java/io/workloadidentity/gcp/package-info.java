/**
 * Google Cloud credentials for Kubernetes workloads: {@link
 * io.workloadidentity.gcp.GcpWorkloadIdentityCredentials} (a {@code GoogleCredentials} for every
 * Google Cloud client library) and its typed failure {@link
 * io.workloadidentity.gcp.GcpCredentialsException}. Everything else is in {@code internal} and may
 * change.
 */
package io.workloadidentity.gcp;
