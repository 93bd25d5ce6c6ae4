package io.workloadidentity.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The class-load log parsing behind the cold-start attribution. */
class ColdStartTest {
  @Test
  void groupsAClassByItsFirstThreePackageSegments() {
    assertThat(ColdStart.group("[0.101s][info][class,load] io.workloadidentity.core.internal.Entry source: file:/x/core.jar"))
        .isEqualTo("io.workloadidentity.core");
    assertThat(ColdStart.group("[0.010s][info][class,load] java.lang.Object source: shared objects file"))
        .isEqualTo("java.lang");
    assertThat(ColdStart.group("[0.2s][info][class,load] Foo source: file:/x/"))
        .isEqualTo("Foo");
  }

  @Test
  void theDifferenceListsOnlyGroupsWithMoreClassesLargestFirst() {
    Map<String, Integer> ours = Map.of("a.b.c", 10, "d.e.f", 3, "g.h.i", 1);
    Map<String, Integer> peer = Map.of("a.b.c", 4, "g.h.i", 5);
    assertThat(ColdStart.difference(ours, peer)).isEqualTo("a.b.c: 6, d.e.f: 3");
    assertThat(ColdStart.difference(peer, ours)).isEqualTo("g.h.i: 4");
  }
}
