package io.workloadidentity.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Reads response bodies with a cap: an identity endpoint's answer is a few KiB, never megabytes. */
public final class BoundedBodies {
  private BoundedBodies() {}

  /**
   * Reads at most {@code limit} bytes of {@code in} as UTF-8.
   *
   * @param in the body
   * @param limit the most bytes accepted (see {@link HttpDefaults#MAX_RESPONSE_BYTES})
   * @return the body text
   * @throws TooLarge if the body has more than {@code limit} bytes (nothing beyond the limit is read)
   * @throws IOException if reading fails
   */
  public static String read(InputStream in, int limit) throws IOException {
    byte[] bytes = in.readNBytes(limit + 1);
    if (bytes.length > limit) {
      throw new TooLarge(limit);
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** A response body beyond the cap. */
  public static final class TooLarge extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * The body exceeded {@code limit} bytes.
     *
     * @param limit the cap
     */
    public TooLarge(int limit) {
      super("the response body is larger than " + limit + " bytes");
    }
  }
}
