package io.workloadidentity.benchmarks;

/**
 * One credentials provider under test, reduced to the call an SDK client makes for every request:
 * {@code resolveCredentials()} (AWS), {@code getTokenSync(context)} (Azure), {@code
 * getRequestMetadata(uri)} (Google).
 */
public interface Subject extends AutoCloseable {
  /**
   * Makes the SDK-facing call once.
   *
   * @return what the call returned (credentials, token or request metadata)
   * @throws Exception whatever the provider throws
   */
  Object read() throws Exception;

  /** Closes the provider (and anything it was given that only it uses). */
  @Override
  void close();
}
