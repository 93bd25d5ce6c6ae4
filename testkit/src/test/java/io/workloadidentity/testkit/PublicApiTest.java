package io.workloadidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** No public type of the testkit extends, implements or exposes a type of its internal packages. */
class PublicApiTest {
  @Test
  void noPublicTypeExposesAnInternalOne() throws Exception {
    List<String> exposed = new ArrayList<>();
    List<Class<?>> types = publicTypes();
    assertThat(types).contains(FakeEndpoint.class, FakeAwsSts.class, SecretLeakGuard.class);
    for (Class<?> c : types) {
      check(exposed, c + " extends", c.getGenericSuperclass());
      for (Type i : c.getGenericInterfaces()) {
        check(exposed, c + " implements", i);
      }
      for (Method m : c.getDeclaredMethods()) {
        if (visible(m.getModifiers()) && !m.isSynthetic()) {
          check(exposed, m.toString(), m.getGenericReturnType());
          checkParameters(exposed, m);
        }
      }
      for (Constructor<?> k : c.getDeclaredConstructors()) {
        if (visible(k.getModifiers())) {
          checkParameters(exposed, k);
        }
      }
      for (Field f : c.getDeclaredFields()) {
        if (visible(f.getModifiers())) {
          check(exposed, f.toString(), f.getGenericType());
        }
      }
    }
    assertThat(exposed).isEmpty();
  }

  private static boolean visible(int modifiers) {
    return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
  }

  private static void checkParameters(List<String> exposed, Executable e) {
    for (Type t : e.getGenericParameterTypes()) {
      check(exposed, e.toString(), t);
    }
    for (Type t : e.getGenericExceptionTypes()) {
      check(exposed, e.toString(), t);
    }
  }

  private static void check(List<String> exposed, String where, Type t) {
    if (t instanceof ParameterizedType p) {
      check(exposed, where, p.getRawType());
      for (Type a : p.getActualTypeArguments()) {
        check(exposed, where, a);
      }
    } else if (t instanceof Class<?> c) {
      while (c.isArray()) {
        c = c.getComponentType();
      }
      if (c.getName().startsWith("io.workloadidentity.testkit.internal.")) {
        exposed.add(where + " -> " + c.getName());
      }
    }
  }

  /** The public (and nested public) types of io.workloadidentity.testkit, from the compiled classes. */
  private static List<Class<?>> publicTypes() throws URISyntaxException, Exception {
    Path dir = Path.of(FakeEndpoint.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .resolve("io/workloadidentity/testkit");
    List<Class<?>> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
        String name = f.getFileName().toString();
        Class<?> c = Class.forName("io.workloadidentity.testkit." + name.substring(0, name.length() - ".class".length()));
        boolean isPublic = true;
        for (Class<?> x = c; x != null; x = x.getEnclosingClass()) {
          isPublic &= Modifier.isPublic(x.getModifiers());
        }
        if (isPublic && !c.isAnonymousClass()) {
          out.add(c);
        }
      }
    }
    return out;
  }
}
