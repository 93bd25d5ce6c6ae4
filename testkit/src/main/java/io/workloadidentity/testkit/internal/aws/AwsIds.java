package io.workloadidentity.testkit.internal.aws;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.UUID;

/** Identifiers shaped like AWS's: access key IDs, secrets, session tokens, request IDs. */
public final class AwsIds {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final char[] UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();

  private AwsIds() {}

  /** A temporary access key ID: {@code ASIA} and 16 characters. */
  public static String accessKeyId() {
    return "ASIA" + random(UPPER_ALNUM, 16);
  }

  /** A 40-character secret access key. */
  public static String secretAccessKey() {
    byte[] b = new byte[30];
    RANDOM.nextBytes(b);
    return Base64.getEncoder().encodeToString(b);
  }

  /** A session token of realistic length (several hundred characters, not fixed). */
  public static String sessionToken() {
    byte[] b = new byte[300 + RANDOM.nextInt(200)];
    RANDOM.nextBytes(b);
    return "IQoJb3JpZ2luX2Vj" + Base64.getEncoder().encodeToString(b);
  }

  /** A role ID: {@code AROA} and 17 characters, stable for a role ARN. */
  public static String roleId(String roleArn) {
    UUID u = UUID.nameUUIDFromBytes(roleArn.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    String hex = Long.toUnsignedString(u.getMostSignificantBits(), 32).toUpperCase(java.util.Locale.ROOT);
    return "AROA" + (hex + "QQQQQQQQQQQQQQQQQ").substring(0, 17);
  }

  /** A request ID (a UUID, as STS sends). */
  public static String requestId() {
    return UUID.randomUUID().toString();
  }

  /** The first 12 hex digits of the SHA-256 of the trimmed token, as {@code ProjectedToken.fingerprint()}. */
  public static String fingerprint(String token) {
    try {
      byte[] d = java.security.MessageDigest.getInstance("SHA-256")
          .digest(token.strip().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d, 0, 6);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String random(char[] alphabet, int n) {
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      sb.append(alphabet[RANDOM.nextInt(alphabet.length)]);
    }
    return sb.toString();
  }
}
