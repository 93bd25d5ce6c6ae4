package io.workloadidentity.testkit.internal.aws;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The awsQuery XML documents STS answers {@code AssumeRoleWithWebIdentity} with: the success
 * document and the {@code ErrorResponse}, in the layout of the real service (namespace
 * {@code https://sts.amazonaws.com/doc/2011-06-15/}).
 */
public final class StsXml {
  static final String NS = "https://sts.amazonaws.com/doc/2011-06-15/";

  private StsXml() {}

  /** Issued credentials and the facts STS echoes back. */
  public record Success(String subject, String audience, String assumedRoleArn, String assumedRoleId,
      String accessKeyId, String secretAccessKey, String sessionToken, Instant expiration, String provider,
      String requestId) {}

  /** The success document. */
  public static String success(Success s) {
    return "<AssumeRoleWithWebIdentityResponse xmlns=\"" + NS + "\">\n"
        + "  <AssumeRoleWithWebIdentityResult>\n"
        + "    <SubjectFromWebIdentityToken>" + escape(s.subject()) + "</SubjectFromWebIdentityToken>\n"
        + "    <Audience>" + escape(s.audience()) + "</Audience>\n"
        + "    <AssumedRoleUser>\n"
        + "      <Arn>" + escape(s.assumedRoleArn()) + "</Arn>\n"
        + "      <AssumedRoleId>" + escape(s.assumedRoleId()) + "</AssumedRoleId>\n"
        + "    </AssumedRoleUser>\n"
        + "    <Credentials>\n"
        + "      <AccessKeyId>" + s.accessKeyId() + "</AccessKeyId>\n"
        + "      <SecretAccessKey>" + s.secretAccessKey() + "</SecretAccessKey>\n"
        + "      <SessionToken>" + s.sessionToken() + "</SessionToken>\n"
        + "      <Expiration>" + s.expiration().truncatedTo(ChronoUnit.SECONDS) + "</Expiration>\n"
        + "    </Credentials>\n"
        + "    <Provider>" + escape(s.provider()) + "</Provider>\n"
        + "  </AssumeRoleWithWebIdentityResult>\n"
        + "  <ResponseMetadata>\n"
        + "    <RequestId>" + s.requestId() + "</RequestId>\n"
        + "  </ResponseMetadata>\n"
        + "</AssumeRoleWithWebIdentityResponse>\n";
  }

  /** The query-protocol error document; {@code Type} is Sender for 4xx and Receiver for 5xx. */
  public static String error(int status, String code, String message, String requestId) {
    return "<ErrorResponse xmlns=\"" + NS + "\">\n"
        + "  <Error>\n"
        + "    <Type>" + (status >= 500 ? "Receiver" : "Sender") + "</Type>\n"
        + "    <Code>" + escape(code) + "</Code>\n"
        + "    <Message>" + escape(message) + "</Message>\n"
        + "  </Error>\n"
        + "  <RequestId>" + requestId + "</RequestId>\n"
        + "</ErrorResponse>\n";
  }

  static String escape(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '&' -> sb.append("&amp;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&apos;");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }
}
