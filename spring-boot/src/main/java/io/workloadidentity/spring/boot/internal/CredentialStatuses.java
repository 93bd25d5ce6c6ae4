package io.workloadidentity.spring.boot.internal;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The statuses of the clouds whose credentials the auto-configuration built, for the health
 * contributor. Filled as the credential beans are created, read at each health request. Thread-safe.
 */
public final class CredentialStatuses {
  private final Map<String, CredentialStatus> statuses = new ConcurrentHashMap<>();

  /**
   * Adds the status of a cloud whose credentials were just built.
   *
   * @param status the status
   * @return {@code status}
   */
  public CredentialStatus add(CredentialStatus status) {
    statuses.put(status.cloud(), status);
    return status;
  }

  /**
   * One cloud's status.
   *
   * @param cloud the cloud
   * @return its status, if its credentials were built
   */
  public Optional<CredentialStatus> get(String cloud) {
    return Optional.ofNullable(statuses.get(cloud));
  }

  /**
   * Every status, by cloud name.
   *
   * @return a sorted copy
   */
  public Map<String, CredentialStatus> all() {
    return new TreeMap<>(statuses);
  }

  @Override
  public String toString() {
    return "CredentialStatuses" + all().keySet();
  }
}
