package io.workloadidentity.benchmarks;

/**
 * A log-linear histogram of call durations in nanoseconds: 16 linear sub-buckets per power of two,
 * so a percentile is reported at most 1/16 (6%) low; the maximum is exact. Recording is a few
 * nanoseconds and allocates nothing, so eight back-to-back callers can record every call. Not
 * thread-safe: one per caller thread, {@link #add merged} at the end.
 */
public final class LatencyHistogram {
  private static final int SUB = 16;
  private final long[] counts = new long[64 * SUB];
  private long total;
  private long max;

  /**
   * Records one duration.
   *
   * @param nanos the duration, not negative
   */
  public void record(long nanos) {
    long v = Math.max(0, nanos);
    counts[index(v)]++;
    total++;
    if (v > max) {
      max = v;
    }
  }

  static int index(long v) {
    if (v < SUB) {
      return (int) v;
    }
    int msb = 63 - Long.numberOfLeadingZeros(v);
    int shift = msb - 4;
    return (shift + 1) * SUB + (int) ((v >>> shift) & (SUB - 1));
  }

  /** The smallest value of bucket {@code i}: the inverse of {@link #index}. */
  static long lowest(int i) {
    if (i < 2 * SUB) {
      return i;
    }
    int shift = i / SUB - 1;
    return ((long) (SUB + i % SUB)) << shift;
  }

  /**
   * Adds another histogram's counts to this one.
   *
   * @param other the histogram to merge in
   */
  public void add(LatencyHistogram other) {
    for (int i = 0; i < counts.length; i++) {
      counts[i] += other.counts[i];
    }
    total += other.total;
    max = Math.max(max, other.max);
  }

  /**
   * How many durations were recorded.
   *
   * @return the count
   */
  public long count() {
    return total;
  }

  /**
   * The longest duration recorded.
   *
   * @return nanoseconds, 0 if none
   */
  public long max() {
    return max;
  }

  /**
   * How many durations were at least {@code nanos} (to within the bucket resolution).
   *
   * @param nanos the threshold
   * @return the count of recorded durations in buckets from the one holding {@code nanos}
   */
  public long countAtLeast(long nanos) {
    long n = 0;
    for (int i = index(nanos); i < counts.length; i++) {
      n += counts[i];
    }
    return n;
  }

  /**
   * A percentile.
   *
   * @param q in (0, 1], for example 0.99
   * @return the lower bound of the bucket holding it, in nanoseconds (0 if nothing was recorded)
   */
  public long percentile(double q) {
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank && seen > 0) {
        return Math.min(lowest(i), max);
      }
    }
    return max;
  }
}
