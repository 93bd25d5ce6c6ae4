package io.workloadidentity.spring.boot;

import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.ResolvableType;

/** The context runner every starter test starts from: all of the starter's auto-configurations. */
final class Contexts {
  private Contexts() {}

  static ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(WorkloadIdentityAutoConfiguration.class,
            AwsWorkloadIdentityAutoConfiguration.class, AzureWorkloadIdentityAutoConfiguration.class,
            GcpWorkloadIdentityAutoConfiguration.class, WorkloadIdentityMetricsAutoConfiguration.class,
            WorkloadIdentityHealthAutoConfiguration.class))
        // An upper-case property is a variable to the cloud modules: this one keeps Google detection
        // from looking at this machine's DMI and DNS files, so results do not depend on the host.
        .withPropertyValues("NO_GCE_CHECK=true");
  }

  /**
   * Adds a customizer bean for {@code builderType}, with its generic type declared as a {@code @Bean}
   * method's return type would declare it (the auto-configuration asks for customizers by builder type).
   */
  static <B> ApplicationContextRunner customizer(ApplicationContextRunner runner, String name, Class<B> builderType,
      WorkloadIdentityCustomizer<B> customizer) {
    RootBeanDefinition definition = new RootBeanDefinition();
    definition.setTargetType(ResolvableType.forClassWithGenerics(WorkloadIdentityCustomizer.class, builderType));
    definition.setInstanceSupplier(() -> customizer);
    return runner.withInitializer(context -> ((GenericApplicationContext) context).registerBeanDefinition(name, definition));
  }
}
