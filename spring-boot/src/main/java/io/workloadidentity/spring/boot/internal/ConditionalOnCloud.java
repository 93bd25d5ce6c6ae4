package io.workloadidentity.spring.boot.internal;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.context.annotation.Conditional;

/**
 * Matches when a cloud's credentials are to be registered: {@code workload-identity.<cloud>.enabled}
 * is true; or it is unset and detection found the cloud configured (or half configured: the bean then
 * fails with the report), or the {@code workload-identity.<cloud>.*} properties configure it. Never
 * when the property or {@code workload-identity.enabled} is false.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Documented
@Conditional(OnCloudCondition.class)
public @interface ConditionalOnCloud {
  /**
   * The cloud.
   *
   * @return {@code aws}, {@code azure} or {@code gcp}
   */
  String value();
}
