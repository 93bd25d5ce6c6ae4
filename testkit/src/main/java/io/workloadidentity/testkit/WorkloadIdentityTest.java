package io.workloadidentity.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a JUnit 5 test class that gets testkit objects as parameters: {@link KubernetesCluster},
 * {@link ProjectedVolume} and {@link TestClock} (one shared clock). See {@link
 * WorkloadIdentityExtension} for the lifecycle; use {@code @RegisterExtension} with {@link
 * WorkloadIdentityExtension#builder()} for settings this annotation does not offer.
 *
 * <pre>{@code
 * @WorkloadIdentityTest(audiences = "sts.amazonaws.com")
 * class MyTest {
 *   @Test
 *   void readsTheToken(ProjectedVolume volume, TestClock clock) { ... }
 * }
 * }</pre>
 */
@Target({ElementType.TYPE, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(WorkloadIdentityExtension.class)
public @interface WorkloadIdentityTest {
  /**
   * The audiences of the token in the injected {@link ProjectedVolume}.
   *
   * @return the {@code aud} values, in order; by default {@value WorkloadIdentityExtension#DEFAULT_AUDIENCE}
   */
  String[] audiences() default {WorkloadIdentityExtension.DEFAULT_AUDIENCE};

  /**
   * The service account's namespace in that token.
   *
   * @return the namespace; {@code default} unless set
   */
  String namespace() default "default";

  /**
   * The service account's name in that token.
   *
   * @return the name; {@code default} unless set
   */
  String serviceAccount() default "default";

  /**
   * Whether the cluster serves its discovery document and keys over HTTPS, with a certificate from
   * the testkit CA (trusted by {@link KubernetesCluster#sslContext()}), instead of plain HTTP.
   *
   * @return true for HTTPS; false unless set
   */
  boolean https() default false;
}
