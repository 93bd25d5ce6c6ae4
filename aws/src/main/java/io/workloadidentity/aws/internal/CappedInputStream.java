package io.workloadidentity.aws.internal;

import io.workloadidentity.core.internal.BoundedBodies;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A response body that fails with {@link BoundedBodies.TooLarge} as soon as more than {@code limit}
 * bytes would be read: the SDK's XML parser then stops, and nothing past the cap is held in memory.
 */
final class CappedInputStream extends FilterInputStream {
  private final int limit;
  private long count;

  CappedInputStream(InputStream in, int limit) {
    super(in);
    this.limit = limit;
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b >= 0) {
      count(1);
    }
    return b;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    int n = super.read(buffer, offset, length);
    if (n > 0) {
      count(n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long skipped = super.skip(n);
    if (skipped > 0) {
      count(skipped);
    }
    return skipped;
  }

  @Override
  public boolean markSupported() {
    return false; // a reset would let a reader re-read past the cap's count
  }

  @Override
  public synchronized void mark(int readLimit) {
    // not supported: see markSupported()
  }

  @Override
  public synchronized void reset() throws IOException {
    throw new IOException("mark/reset not supported");
  }

  private void count(long n) throws IOException {
    count += n;
    if (count > limit) {
      throw new BoundedBodies.TooLarge(limit);
    }
  }
}
