package io.workloadidentity.testkit;

import io.workloadidentity.testkit.internal.Forms;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A request a fake server received, with the status it answered, for assertions in tests.
 *
 * <p>This is test data: the body and headers hold whatever the client sent, tokens included, so
 * don't print it outside tests. {@link #toString()} shows only the request line and the outcome.
 *
 * @param method the HTTP method
 * @param path the path, without the query string
 * @param query the raw query string, empty if none
 * @param headers the headers, names in lower case
 * @param body the body as UTF-8 text, empty if none
 * @param receivedAt when it arrived, by the server's clock
 * @param status the HTTP status answered, or 0 when the connection was reset
 * @param fault the injected fault that produced the answer, if any
 */
public record ReceivedRequest(
    String method,
    String path,
    String query,
    Map<String, List<String>> headers,
    String body,
    Instant receivedAt,
    int status,
    Optional<Fault> fault) {

  /**
   * Copies the headers, names lower-cased (values of names that differ only in case are merged), so
   * the record is immutable.
   *
   * @param method the HTTP method
   * @param path the path, without the query string
   * @param query the raw query string, empty if none
   * @param headers the headers as received, copied
   * @param body the body as UTF-8 text, empty if none
   * @param receivedAt when it arrived, by the server's clock
   * @param status the HTTP status answered, or 0 when the connection was reset
   * @param fault the injected fault that produced the answer, or empty
   */
  public ReceivedRequest {
    Map<String, List<String>> copy = new java.util.HashMap<>();
    headers.forEach((k, v) -> copy.merge(k.toLowerCase(java.util.Locale.ROOT), List.copyOf(v),
        (a, b) -> java.util.stream.Stream.concat(a.stream(), b.stream()).toList()));
    headers = Map.copyOf(copy);
  }

  /**
   * The first value of a header.
   *
   * @param name the header name, in any case
   * @return its first value, empty if the request did not have it
   */
  public Optional<String> header(String name) {
    List<String> values = headers.get(name.toLowerCase(java.util.Locale.ROOT));
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  /**
   * The body decoded as an {@code application/x-www-form-urlencoded} form (the first value of each
   * field), as AWS STS, Entra ID and Google STS receive it.
   *
   * @return field names to their first decoded value; empty for an empty body
   */
  public Map<String, String> form() {
    return Forms.decode(body);
  }

  /**
   * The query string decoded like a form.
   *
   * @return parameter names to their first decoded value; empty when there is no query
   */
  public Map<String, String> queryParameters() {
    return Forms.decode(query);
  }

  @Override
  public String toString() {
    return method + " " + path + " -> " + (status == 0 ? "connection reset" : status)
        + fault.map(f -> " (" + f + ")").orElse("");
  }
}
