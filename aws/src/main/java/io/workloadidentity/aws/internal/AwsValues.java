package io.workloadidentity.aws.internal;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.internal.Redaction;
import io.workloadidentity.core.internal.Values;

/**
 * Shape checks of the AWS values this module sends or prints: role and policy ARNs, region names,
 * role session names. Each is a single left-to-right scan over a value whose length is checked
 * first (no regular expression touches configured text: a nested quantifier once turned a long
 * {@code AWS_REGION} into a {@code StackOverflowError}). Messages name the setting and quote the
 * value only escaped and cut to {@value #QUOTE_LIMIT} characters.
 */
public final class AwsValues {
  /** How much of a refused value a message quotes. */
  static final int QUOTE_LIMIT = 120;
  /** STS's bounds for RoleArn and PolicyArns members. */
  static final int MAX_ARN = 2_048;
  static final int MIN_ARN = 20;
  /** Longer than any region name AWS has (the longest today is 14 characters). */
  static final int MAX_REGION = 32;

  private AwsValues() {}

  /**
   * Checks an IAM role ARN: {@code arn:<partition>:iam::<12-digit account>:role/<path/>name}, 20 to
   * 2048 characters, the path and name from letters, digits and {@code +=,.@_-/}, the name not empty.
   *
   * @param arn the value
   * @param source where it came from, named in the message
   * @return {@code arn}
   * @throws ConfigurationException if it is not one
   */
  public static String roleArn(String arn, String source) {
    String problem = iamArnProblem(arn, source, "role/", false);
    if (problem != null) {
      throw new ConfigurationException("The role ARN from " + source + " is not an IAM role ARN (" + problem + "): "
          + quote(arn) + ". Expected arn:aws:iam::<12-digit account id>:role/<name>; copy it from the IAM console or"
          + " the service account's eks.amazonaws.com/role-arn annotation.");
    }
    return arn;
  }

  /**
   * Checks a managed policy ARN: {@code arn:<partition>:iam::<12-digit account or aws>:policy/<path/>name}.
   *
   * @param arn the value
   * @param source where it came from, named in the message
   * @return {@code arn}
   * @throws ConfigurationException if it is not one
   */
  public static String policyArn(String arn, String source) {
    String problem = iamArnProblem(arn, source, "policy/", true);
    if (problem != null) {
      throw new ConfigurationException("The policy ARN from " + source + " is not an IAM managed policy ARN ("
          + problem + "): " + quote(arn) + ". Expected arn:aws:iam::<12-digit account id or aws>:policy/<name>, for"
          + " example arn:aws:iam::aws:policy/ReadOnlyAccess.");
    }
    return arn;
  }

  /** What is wrong with an IAM ARN of the given resource type, or null. */
  private static String iamArnProblem(String arn, String source, String resource, boolean awsAccount) {
    Values.requireClean(arn, source, MAX_ARN);
    if (arn.length() < MIN_ARN) {
      return arn.length() + " characters, at least " + MIN_ARN + " expected";
    }
    if (!arn.startsWith("arn:")) {
      return "it does not start with arn:";
    }
    int partitionEnd = arn.indexOf(':', 4);
    if (partitionEnd < 0 || !isPartition(arn, 4, partitionEnd)) {
      return "the partition is not aws, aws-cn, aws-us-gov or another aws-... partition";
    }
    int k = partitionEnd + 1;
    if (!arn.startsWith("iam::", k)) {
      return "the service is not iam, or a region is set";
    }
    k += 5;
    int accountEnd = arn.indexOf(':', k);
    if (accountEnd < 0) {
      return "there is no account";
    }
    boolean account = accountEnd - k == 12 && allDigits(arn, k, accountEnd)
        || awsAccount && arn.startsWith("aws:", k);
    if (!account) {
      return "the account is not 12 digits" + (awsAccount ? " or aws" : "");
    }
    k = accountEnd + 1;
    if (!arn.startsWith(resource, k)) {
      return "the resource is not " + resource + "...";
    }
    k += resource.length();
    if (k == arn.length() || arn.charAt(arn.length() - 1) == '/') {
      return "the name is empty";
    }
    for (int i = k; i < arn.length(); i++) {
      char c = arn.charAt(i);
      if (!(isWord(c) || c == '+' || c == '=' || c == ',' || c == '.' || c == '@' || c == '-' || c == '/')) {
        return "character " + describe(c) + " at position " + i + " is not allowed in a name";
      }
    }
    return null;
  }

  /** {@code aws}, or {@code aws-} followed by lower-case letters and hyphens (aws-cn, aws-us-gov, aws-iso-b...). */
  private static boolean isPartition(String s, int from, int to) {
    if (to - from < 3 || to - from > 20 || !s.startsWith("aws", from)) {
      return false;
    }
    if (to - from == 3) {
      return true;
    }
    if (s.charAt(from + 3) != '-' || s.charAt(to - 1) == '-') {
      return false;
    }
    for (int i = from + 4; i < to; i++) {
      char c = s.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  /**
   * Checks a region name: lower-case letters and digits in hyphen-separated parts, as AWS names them:
   * an area of 2 to 4 letters ({@code us}, {@code eusc}), one or more words ({@code gov}, {@code
   * east}) and a number ({@code us-gov-west-1}, {@code ap-southeast-3}); or a partition's global
   * pseudo-region ({@code aws-global}, {@code aws-cn-global}). At most {@value #MAX_REGION} characters,
   * checked first.
   *
   * @param region the value
   * @param source where it came from, named in the message
   * @return {@code region}
   * @throws ConfigurationException if it is not a region name
   */
  public static String region(String region, String source) {
    Values.requireClean(region, source, MAX_REGION);
    if (!isRegion(region)) {
      throw new ConfigurationException("The region from " + source + " is not an AWS region name: " + quote(region)
          + ". Expected lower-case words and a number separated by hyphens, such as us-west-2 or us-gov-east-1.");
    }
    return region;
  }

  /** The linear scan behind {@link #region}: parts between hyphens, classified as they end. */
  static boolean isRegion(String r) {
    if (r.isEmpty() || r.length() > MAX_REGION) {
      return false;
    }
    if (r.endsWith("-global")) {
      String partition = r.substring(0, r.length() - "-global".length());
      return isPartition(partition, 0, partition.length());
    }
    int parts = 0;
    int start = 0;
    for (int i = 0; i <= r.length(); i++) {
      if (i < r.length() && r.charAt(i) != '-') {
        continue;
      }
      int len = i - start;
      boolean last = i == r.length();
      if (len == 0) {
        return false;
      }
      if (parts == 0 ? len < 2 || len > 4 || !allLetters(r, start, i)
          : last ? len > 3 || !allDigits(r, start, i) : len > 12 || !allLetters(r, start, i)) {
        return false;
      }
      parts++;
      start = i + 1;
    }
    return parts >= 3;
  }

  /**
   * Checks a role session name the way STS does: 2 to 64 characters from letters, digits and
   * {@code +=,.@_-}.
   *
   * @param name the value
   * @param source where it came from, named in the message
   * @return {@code name}
   * @throws ConfigurationException if it is not one
   */
  public static String sessionName(String name, String source) {
    Values.requireClean(name, source, 64);
    String problem = null;
    if (name.length() < 2) {
      problem = name.length() + " characters, 2 to 64 expected";
    } else {
      for (int i = 0; i < name.length(); i++) {
        if (!isSessionNameChar(name.charAt(i))) {
          problem = "character " + describe(name.charAt(i)) + " at position " + i;
          break;
        }
      }
    }
    if (problem != null) {
      throw new ConfigurationException("The role session name from " + source + " is not valid (" + problem + "): "
          + quote(name) + ". STS accepts 2 to 64 characters from letters, digits and +=,.@_-.");
    }
    return name;
  }

  /**
   * Whether STS accepts {@code c} in a role session name ({@code [\w+=,.@-]}).
   *
   * @param c a character
   * @return true for an ASCII letter or digit or one of {@code _+=,.@-}
   */
  static boolean isSessionNameChar(char c) {
    return isWord(c) || c == '+' || c == '=' || c == ',' || c == '.' || c == '@' || c == '-';
  }

  /**
   * The 12-digit account of an ARN.
   *
   * @param arn a role or assumed-role ARN, or null
   * @return the account ID, or null when there is none
   */
  static String accountOf(String arn) {
    if (arn == null) {
      return null;
    }
    int from = 0;
    for (int field = 0; field < 4; field++) {
      from = arn.indexOf(':', from) + 1;
      if (from == 0) {
        return null;
      }
    }
    int to = arn.indexOf(':', from);
    return to - from == 12 && allDigits(arn, from, to) ? arn.substring(from, to) : null;
  }

  /** A value for a message: escaped, and cut when long. */
  static String quote(String value) {
    String v = value.length() > QUOTE_LIMIT ? value.substring(0, QUOTE_LIMIT) + "... (" + value.length()
        + " characters)" : value;
    return "'" + Redaction.escape(v) + "'";
  }

  private static String describe(char c) {
    return c > 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
  }

  private static boolean isWord(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_';
  }

  private static boolean allLetters(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < 'a' || c > 'z') {
        return false;
      }
    }
    return true;
  }

  static boolean allDigits(String s, int from, int to) {
    if (from >= to) {
      return false;
    }
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }
}
