package io.workloadidentity.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The READMEs' snippets are tested sample code. Every {@code ```java} block is preceded by a marker
 * {@code <!-- snippet: examples/.../File.java#name -->} and must equal that file's region between
 * {@code // tag::name[]} and {@code // end::name[]} (modulo common indentation), after exactly the
 * imports the region uses, as the file declares them. The file compiles and its test runs it, so the
 * block compiles as written. A Java block that cannot be a sample says why: {@code <!-- snippet:
 * none (why) -->}. Every other block names its language. Maven and Gradle coordinates in the blocks
 * are the ones this build publishes and builds against.
 */
class ReadmeSnippetsTest {
  static final List<String> READMES = List.of("README.md", "aws/README.md", "azure/README.md", "gcp/README.md",
      "testkit/README.md", "examples/kubernetes/README.md", "benchmarks/README.md");
  static final Set<String> LANGUAGES = Set.of("java", "xml", "kotlin", "bash", "yaml", "text", "properties", "json");
  static final Pattern MARKER = Pattern.compile("<!-- snippet: (.+?) -->");
  static final Pattern TAG = Pattern.compile("^\\s*// (tag|end)::([\\w-]+)\\[\\]\\s*$");
  /** Where samples live: the examples module's sources and the Spring Boot example app's. */
  static final List<String> SAMPLE_ROOTS = List.of("examples/src/main/java", "examples/src/test/java",
      "examples/spring-boot-app/src/main/java", "examples/spring-boot-app/src/test/java");

  static final Path ROOT = findRoot();

  private static Path findRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !(Files.isDirectory(p.resolve("bom")) && Files.isRegularFile(p.resolve("README.md")))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("run from inside the repository: no parent of the working directory has bom/ and README.md");
    }
    return p;
  }

  static String read(String relative) {
    try {
      return Files.readString(ROOT.resolve(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One fenced block: where it is, its info string, the marker line before it (or null), its lines. */
  record Block(String readme, int line, String language, String marker, List<String> lines) {
    String where() {
      return readme + ":" + line;
    }

    String text() {
      return String.join("\n", lines);
    }
  }

  static List<Block> blocks(String readme) {
    List<String> lines = read(readme).lines().toList();
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String fence = lines.get(i).strip();
      if (!fence.startsWith("```")) {
        continue;
      }
      int indent = lines.get(i).indexOf('`');
      String language = fence.substring(3).strip();
      String marker = null;
      for (int j = i - 1; j >= 0; j--) {
        if (!lines.get(j).isBlank()) {
          Matcher m = MARKER.matcher(lines.get(j).strip());
          marker = m.matches() ? m.group(1) : null;
          break;
        }
      }
      List<String> body = new ArrayList<>();
      int j = i + 1;
      while (j < lines.size() && !lines.get(j).strip().equals("```")) {
        String l = lines.get(j);
        body.add(l.length() >= indent && l.substring(0, indent).isBlank() ? l.substring(indent) : l.strip());
        j++;
      }
      if (j == lines.size()) {
        fail(readme + ":" + (i + 1) + ": the block is never closed");
      }
      blocks.add(new Block(readme, i + 1, language, marker, body));
      i = j;
    }
    return blocks;
  }

  static Stream<Block> allBlocks() {
    return READMES.stream().flatMap(r -> blocks(r).stream());
  }

  /** The lines between the tag's markers, other tags' marker lines left out, common indentation removed. */
  static List<String> region(String file, String source, String tag) {
    List<String> out = null;
    int found = 0;
    for (String line : source.lines().toList()) {
      Matcher m = TAG.matcher(line);
      if (m.matches()) {
        if (m.group(2).equals(tag)) {
          if (m.group(1).equals("tag")) {
            found++;
            out = new ArrayList<>();
          } else {
            if (out == null) {
              fail(file + ": end::" + tag + "[] without tag::" + tag + "[]");
            }
            assertThat(found).as(file + ": tag::" + tag + "[] appears once").isEqualTo(1);
            return dedent(out);
          }
        }
        continue;
      }
      if (out != null) {
        out.add(line);
      }
    }
    return fail(file + " has no complete region " + tag + " (// tag::" + tag + "[] ... // end::" + tag + "[])");
  }

  static List<String> dedent(List<String> lines) {
    int indent = lines.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length())
        .min().orElse(0);
    return lines.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).map(String::stripTrailing).toList();
  }

  static List<String> imports(String source) {
    return source.lines().filter(l -> l.startsWith("import ")).toList();
  }

  /** The simple name an import brings into scope: a class's, or a static member's. */
  static String simpleName(String importLine) {
    String name = importLine.substring(0, importLine.indexOf(';')).strip();
    assertThat(name).as("samples import names, not packages: " + importLine).doesNotEndWith("*");
    return name.substring(name.lastIndexOf('.') + 1);
  }

  /** The file's imports whose simple name the region uses (anywhere, comments included), in the file's order. */
  static List<String> importsUsed(String source, List<String> region) {
    String text = String.join("\n", region);
    return imports(source).stream()
        .filter(i -> Pattern.compile("(?<![\\w.])" + Pattern.quote(simpleName(i)) + "\\b").matcher(text).find())
        .toList();
  }

  @TestFactory
  Stream<DynamicTest> everyJavaBlockIsTheTaggedRegionOfATestedSample() {
    return allBlocks().filter(b -> b.language().equals("java")).map(b -> DynamicTest.dynamicTest(b.where(), () -> {
      assertThat(b.marker()).as(b.where() + ": a ```java block needs <!-- snippet: path#tag --> (or none (why)) on"
          + " the line before it").isNotNull();
      if (b.marker().startsWith("none")) {
        assertThat(b.marker()).as(b.where() + ": say why it cannot be a sample").matches("none \\(.{10,}\\)");
        return;
      }
      int hash = b.marker().indexOf('#');
      assertThat(hash).as(b.where() + ": marker " + b.marker() + " is path#tag").isPositive();
      String file = b.marker().substring(0, hash);
      String tag = b.marker().substring(hash + 1);
      assertThat(SAMPLE_ROOTS).as(b.where() + ": " + file + " is a sample").anyMatch(file::startsWith);
      assertThat(ROOT.resolve(file)).as(b.where()).isRegularFile();
      String source = read(file);
      List<String> region = region(file, source, tag);

      List<String> lines = b.lines();
      int body = 0;
      List<String> shownImports = new ArrayList<>();
      while (body < lines.size() && lines.get(body).startsWith("import ")) {
        shownImports.add(lines.get(body++));
      }
      if (!shownImports.isEmpty()) {
        assertThat(lines.get(body)).as(b.where() + ": a blank line after the imports").isEmpty();
        body++;
      }
      assertThat(shownImports).as(b.where() + ": the imports " + file + "#" + tag + " uses, as the file declares them")
          .containsExactlyElementsOf(importsUsed(source, region));
      assertThat(String.join("\n", lines.subList(body, lines.size())))
          .as(b.where() + ": the block is " + file + "#" + tag + " verbatim")
          .isEqualTo(String.join("\n", region));
      assertThat(isRun(file)).as(b.where() + ": " + file + " is run by a test").isTrue();
    }));
  }

  /**
   * A test source is run by Surefire; a main source must be named by a test of its module, or have a
   * test of its own name there ({@code FooTest} for {@code Foo}: a {@code @SpringBootTest} finds its
   * application by package, without naming it).
   */
  static boolean isRun(String file) {
    String name = Path.of(file).getFileName().toString().replace(".java", "");
    if (file.contains("/src/test/java/")) {
      return name.endsWith("Test");
    }
    Path tests = ROOT.resolve(file.substring(0, file.indexOf("/src/main/java/")) + "/src/test/java");
    try (Stream<Path> files = Files.walk(tests)) {
      Pattern use = Pattern.compile("\\b" + Pattern.quote(name) + "\\b");
      return files.filter(p -> p.toString().endsWith("Test.java")).anyMatch(p -> {
        if (p.getFileName().toString().equals(name + "Test.java")) {
          return true;
        }
        try {
          return use.matcher(Files.readString(p)).find();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void everyBlockNamesItsLanguageAndEveryMarkerPrecedesAJavaBlock() {
    List<String> problems = new ArrayList<>();
    allBlocks().forEach(b -> {
      if (!LANGUAGES.contains(b.language())) {
        problems.add(b.where() + ": language '" + b.language() + "' is not one of " + new TreeSet<>(LANGUAGES));
      }
      if (b.marker() != null && !b.language().equals("java")) {
        problems.add(b.where() + ": the snippet marker belongs before a ```java block");
      }
    });
    assertThat(problems).isEmpty();
  }

  @Test
  void everyTaggedRegionIsQuotedByAReadme() throws IOException {
    Set<String> quoted = allBlocks().map(Block::marker).filter(m -> m != null && m.contains("#"))
        .collect(Collectors.toSet());
    List<String> unquoted = new ArrayList<>();
    for (String root : SAMPLE_ROOTS) {
      try (Stream<Path> files = Files.walk(ROOT.resolve(root))) {
        for (Path p : files.filter(f -> f.toString().endsWith(".java")).toList()) {
          String file = ROOT.relativize(p).toString().replace('\\', '/');
          for (String line : Files.readAllLines(p)) {
            Matcher m = TAG.matcher(line);
            if (m.matches() && m.group(1).equals("tag") && !quoted.contains(file + "#" + m.group(2))) {
              unquoted.add(file + "#" + m.group(2));
            }
          }
        }
      }
    }
    assertThat(unquoted).as("regions no README quotes (remove the tags, or quote them)").isEmpty();
  }

  /** The artifacts the BOM manages, which are every module this build publishes. */
  static Set<String> bomArtifacts() {
    Matcher m = Pattern.compile("<artifactId>(workload-identity-[\\w-]+)</artifactId>").matcher(read("bom/pom.xml"));
    Set<String> artifacts = new LinkedHashSet<>();
    while (m.find()) {
      artifacts.add(m.group(1));
    }
    artifacts.remove("workload-identity-bom");
    return artifacts;
  }

  @Test
  void theBomListsEveryPublishedModule() {
    Matcher modules = Pattern.compile("<module>([^<]+)</module>").matcher(read("pom.xml"));
    Set<String> published = new TreeSet<>();
    while (modules.find()) {
      String pom = read(modules.group(1) + "/pom.xml");
      boolean skipped = pom.contains("<maven.deploy.skip>true</maven.deploy.skip>");
      String artifactId = pom.replaceAll("(?s)<parent>.*?</parent>", "").replaceAll("(?s)<dependencies>.*", "")
          .replaceAll("(?s).*?<artifactId>([^<]+)</artifactId>.*", "$1");
      if (!skipped && !artifactId.equals("workload-identity-bom")) {
        published.add(artifactId);
      }
    }
    assertThat(published).contains("workload-identity-core", "workload-identity-spring-boot-starter");
    assertThat(new TreeSet<>(bomArtifacts())).isEqualTo(published);
  }

  /** The properties of the parent POM. */
  static Map<String, String> properties() {
    Matcher m = Pattern.compile("<([\\w.-]+)>([^<${}]+)</\\1>").matcher(
        read("pom.xml").replaceAll("(?s).*<properties>(.*?)</properties>.*", "$1"));
    Map<String, String> props = new LinkedHashMap<>();
    while (m.find()) {
      props.put(m.group(1), m.group(2).strip());
    }
    props.put("project.version", read("pom.xml").replaceAll("(?s).*?<version>([^<]+)</version>.*", "$1"));
    return props;
  }

  @Test
  void dependencySnippetsUseWhatThisBuildPublishesAndBuildsAgainst() {
    Map<String, String> props = properties();
    // group:artifact -> the version this build has for it
    Map<String, String> versions = new LinkedHashMap<>();
    for (String a : bomArtifacts()) {
      versions.put("io.workloadidentity:" + a, props.get("project.version"));
    }
    versions.put("io.workloadidentity:workload-identity-bom", props.get("project.version"));
    versions.put("software.amazon.awssdk:bom", props.get("awssdk.version"));
    versions.put("com.azure:azure-sdk-bom", props.get("azure-sdk-bom.version"));
    versions.put("com.google.auth:google-auth-library-bom", props.get("google-auth.version"));
    versions.put("com.google.auth:google-auth-library-oauth2-http", props.get("google-auth.version"));
    versions.put("org.slf4j:slf4j-jdk14", "1.7.36"); // the SLF4J line azure-core's slf4j-api is on
    Pattern maven = Pattern.compile("<groupId>([^<]+)</groupId>\\s*<artifactId>([^<]+)</artifactId>(?:\\s*<version>([^<]+)</version>)?");
    Pattern gradle = Pattern.compile("\"([\\w.-]+):([\\w.-]+)(?::([\\w.-]+))?\"");
    List<String> problems = new ArrayList<>();
    int checked = 0;
    for (Block b : allBlocks().filter(b -> b.language().equals("xml") || b.language().equals("kotlin")).toList()) {
      Matcher m = (b.language().equals("xml") ? maven : gradle).matcher(b.text());
      while (m.find()) {
        String coordinates = m.group(1) + ":" + m.group(2);
        if (coordinates.startsWith("io.workloadidentity:") && !versions.containsKey(coordinates)) {
          problems.add(b.where() + ": " + coordinates + " is not a module this build publishes");
        }
        String expected = versions.get(coordinates);
        if (m.group(3) != null && expected != null && !m.group(3).startsWith("${") && !m.group(3).equals(expected)) {
          problems.add(b.where() + ": " + coordinates + ":" + m.group(3) + ", but this build has " + expected);
        }
        checked++;
      }
    }
    assertThat(problems).isEmpty();
    assertThat(checked).as("coordinates found in the READMEs").isGreaterThan(10);
  }

  @Test
  void theRootReadmeDocumentsEveryDoctorExitCode() {
    String readme = read("README.md");
    for (String code : List.of("`0`", "`1`", "`2`", "`3`")) {
      assertThat(readme).as("exit code " + code).contains("| " + code + " |");
    }
    String doctor = read("examples/src/main/java/io/workloadidentity/examples/doctor/Doctor.java");
    assertThat(doctor).contains("OK = 0;", "PROBLEM = 1;", "USAGE = 2;", "NOTHING_CONFIGURED = 3;");
  }
}
