package io.workloadidentity.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The manifests in {@code examples/kubernetes} parse, and say what each cloud's webhook or the pod
 * spec needs: the service-account annotation or label, the projected token's audience, {@code
 * fsGroup} so a non-root container can read the token, a Deployment of the application and a pod to
 * run the doctor in. No YAML library is on this module's class path, so {@link Yaml} reads the
 * subset of YAML the manifests use and refuses anything else (tabs, anchors, flow mappings, ...).
 */
class KubernetesManifestsTest {
  static final Path DIR = ReadmeSnippetsTest.ROOT.resolve("examples/kubernetes");

  static List<Map<String, Object>> documents(String file) {
    try {
      return Yaml.parse(Files.readString(DIR.resolve(file)), file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  static Object at(Object node, String path) {
    Object n = node;
    for (String key : path.split("/")) {
      if (!(n instanceof Map)) {
        return null;
      }
      n = ((Map<String, Object>) n).get(key);
    }
    return n;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object node, String path) {
    Object n = at(node, path);
    assertThat(n).as(path).isInstanceOf(Map.class);
    return (Map<String, Object>) n;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object node, String path) {
    Object n = at(node, path);
    assertThat(n).as(path).isInstanceOf(List.class);
    return (List<Object>) n;
  }

  static List<Map<String, Object>> ofKind(List<Map<String, Object>> docs, String kind) {
    return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
  }

  /** Every pod spec in a file, with where it is: the Deployments' templates and the bare Pods. */
  record PodSpec(String where, Map<String, Object> metadata, Map<String, Object> spec) {}

  static List<PodSpec> podSpecs(List<Map<String, Object>> docs) {
    List<PodSpec> specs = new ArrayList<>();
    for (Map<String, Object> d : ofKind(docs, "Deployment")) {
      specs.add(new PodSpec("Deployment " + at(d, "metadata/name"), map(d, "spec/template/metadata"), map(d, "spec/template/spec")));
    }
    for (Map<String, Object> d : ofKind(docs, "Pod")) {
      specs.add(new PodSpec("Pod " + at(d, "metadata/name"), map(d, "metadata"), map(d, "spec")));
    }
    return specs;
  }

  /** What every manifest has, whatever the cloud. */
  static List<Map<String, Object>> checkCommon(String file) {
    List<Map<String, Object>> docs = documents(file);
    for (Map<String, Object> d : docs) {
      assertThat(d).as(file + ": every document has apiVersion, kind, metadata").containsKeys("apiVersion", "kind", "metadata");
      assertThat(at(d, "metadata/name")).as(file + ": metadata.name").isInstanceOf(String.class);
      assertThat(at(d, "metadata/namespace")).as(file + ": metadata.namespace").isEqualTo("my-namespace");
      assertThat(d.get("kind")).as(file).isIn("ServiceAccount", "Pod", "Deployment", "ConfigMap");
      assertThat(d.get("apiVersion")).as(file + " " + d.get("kind"))
          .isEqualTo(d.get("kind").equals("Deployment") ? "apps/v1" : "v1");
    }
    assertThat(ofKind(docs, "ServiceAccount")).as(file + ": one ServiceAccount").hasSize(1);
    String serviceAccount = (String) at(ofKind(docs, "ServiceAccount").get(0), "metadata/name");
    assertThat(ofKind(docs, "Deployment")).as(file + ": the application as a Deployment").hasSize(1);
    Map<String, Object> deployment = ofKind(docs, "Deployment").get(0);
    assertThat(at(deployment, "spec/replicas")).as(file + ": replicas").isInstanceOf(Long.class);
    Map<String, Object> selector = map(deployment, "spec/selector/matchLabels");
    assertThat(map(deployment, "spec/template/metadata/labels")).as(file + ": the template's labels match the selector")
        .containsAllEntriesOf(selector);
    assertThat(ofKind(docs, "Pod")).as(file + ": a pod to run the doctor in")
        .anySatisfy(p -> assertThat(at(p, "metadata/name")).isEqualTo("workload-identity-doctor"));
    for (PodSpec p : podSpecs(docs)) {
      String where = file + " " + p.where();
      assertThat(p.spec().get("serviceAccountName")).as(where + ": serviceAccountName").isEqualTo(serviceAccount);
      assertThat(at(p.spec(), "securityContext/fsGroup")).as(where + ": fsGroup, so a non-root user reads the token")
          .isInstanceOf(Long.class);
      assertThat(at(p.spec(), "securityContext/runAsNonRoot")).as(where + ": runs as non-root, as the doctor must too")
          .isEqualTo(Boolean.TRUE);
      assertThat(list(p.spec(), "containers")).as(where + ": containers").isNotEmpty().allSatisfy(c -> {
        assertThat(at(c, "name")).as(where + ": container name").isInstanceOf(String.class);
        assertThat(at(c, "image")).as(where + ": container image").isInstanceOf(String.class);
      });
    }
    return docs;
  }

  @Test
  void eksIrsa() {
    List<Map<String, Object>> docs = checkCommon("eks-irsa.yaml");
    // Annotation keys contain '/': read them from the map, not through at().
    Map<String, Object> annotations = map(ofKind(docs, "ServiceAccount").get(0), "metadata/annotations");
    assertThat((String) annotations.get("eks.amazonaws.com/role-arn")).matches("arn:aws:iam::<ACCOUNT_ID>:role/[\\w+=,.@-]+");
  }

  @Test
  void aksWorkloadIdentity() {
    List<Map<String, Object>> docs = checkCommon("aks-workload-identity.yaml");
    Map<String, Object> annotations = map(ofKind(docs, "ServiceAccount").get(0), "metadata/annotations");
    assertThat(annotations.get("azure.workload.identity/client-id")).isEqualTo("<APPLICATION_CLIENT_ID>");
    for (PodSpec p : podSpecs(docs)) {
      // The webhook mutates only pods labelled so, and a label value must be the string "true", not a boolean.
      assertThat(map(p.metadata(), "labels").get("azure.workload.identity/use")).as(p.where()).isEqualTo("true");
    }
  }

  @Test
  void gcpWorkloadIdentityFederation() {
    List<Map<String, Object>> docs = checkCommon("gcp-workload-identity-federation.yaml");
    Map<String, Object> configMap = ofKind(docs, "ConfigMap").get(0);
    String json = (String) map(configMap, "data").get("credential-configuration.json");
    String audience = jsonString(json, "audience");
    assertThat(audience).startsWith("//iam.googleapis.com/projects/<PROJECT_NUMBER>/locations/global/workloadIdentityPools/");
    String tokenFile = jsonString(json, "file");
    for (PodSpec p : podSpecs(docs)) {
      String where = p.where();
      @SuppressWarnings("unchecked")
      Map<String, Object> container = (Map<String, Object>) list(p.spec(), "containers").get(0);
      String credentials = env(container, "GOOGLE_APPLICATION_CREDENTIALS").orElseThrow(() -> new AssertionError(where + ": env"));
      Map<String, String> mounts = new LinkedHashMap<>();
      for (Object m : list(container, "volumeMounts")) {
        mounts.put((String) at(m, "name"), (String) at(m, "mountPath"));
        assertThat(at(m, "readOnly")).as(where).isEqualTo(Boolean.TRUE);
      }
      Map<String, Object> volumes = new LinkedHashMap<>();
      for (Object v : list(p.spec(), "volumes")) {
        volumes.put((String) at(v, "name"), v);
      }
      assertThat(volumes.keySet()).as(where + ": every mount has its volume").containsExactlyInAnyOrderElementsOf(mounts.keySet());
      String configVolume = name(volumes, v -> at(v, "configMap/name") != null);
      assertThat(at(volumes.get(configVolume), "configMap/name")).isEqualTo(at(configMap, "metadata/name"));
      assertThat(credentials).as(where + ": the credentials file is in the ConfigMap's mount")
          .isEqualTo(mounts.get(configVolume) + "/credential-configuration.json");
      String tokenVolume = name(volumes, v -> at(v, "projected") != null);
      Object source = list(volumes.get(tokenVolume), "projected/sources").get(0);
      assertThat(at(source, "serviceAccountToken/audience")).as(where + ": the projected token's audience")
          .isEqualTo("https:" + audience);
      assertThat(at(source, "serviceAccountToken/expirationSeconds")).as(where).isInstanceOf(Long.class);
      assertThat(mounts.get(tokenVolume) + "/" + at(source, "serviceAccountToken/path"))
          .as(where + ": credential_source.file is the projected token").isEqualTo(tokenFile);
    }
  }

  @Test
  void gkeWorkloadIdentity() {
    List<Map<String, Object>> docs = checkCommon("gke-workload-identity.yaml");
    Map<String, Object> annotations = map(ofKind(docs, "ServiceAccount").get(0), "metadata/annotations");
    assertThat((String) annotations.get("iam.gke.io/gcp-service-account")).matches("[a-z][\\w-]*@<PROJECT_ID>\\.iam\\.gserviceaccount\\.com");
    for (PodSpec p : podSpecs(docs)) {
      // Pods land on nodes that run the GKE metadata server; no token volume and no credentials file.
      assertThat(map(p.spec(), "nodeSelector").get("iam.gke.io/gke-metadata-server-enabled")).as(p.where()).isEqualTo("true");
      assertThat(p.spec()).as(p.where()).doesNotContainKey("volumes");
    }
  }

  @Test
  void everyManifestIsCheckedAndListedInTheReadme() throws IOException {
    String readme = Files.readString(DIR.resolve("README.md"));
    try (Stream<Path> files = Files.list(DIR)) {
      List<String> manifests = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted().toList();
      assertThat(manifests).containsExactly("aks-workload-identity.yaml", "eks-irsa.yaml",
          "gcp-workload-identity-federation.yaml", "gke-workload-identity.yaml");
      assertThat(manifests).allSatisfy(m -> assertThat(readme).contains("(" + m + ")"));
    }
  }

  private static String name(Map<String, Object> volumes, java.util.function.Predicate<Object> kind) {
    return volumes.entrySet().stream().filter(e -> kind.test(e.getValue())).map(Map.Entry::getKey).findFirst()
        .orElseThrow(() -> new AssertionError("no such volume in " + volumes.keySet()));
  }

  private static Optional<String> env(Map<String, Object> container, String name) {
    return list(container, "env").stream().filter(e -> name.equals(at(e, "name"))).map(e -> (String) at(e, "value")).findFirst();
  }

  private static String jsonString(String json, String key) {
    Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":\\s*\"([^\"]*)\"").matcher(json);
    assertThat(m.find()).as("\"" + key + "\" in " + json).isTrue();
    return m.group(1);
  }

  @Test
  void theParserRefusesWhatItDoesNotUnderstand() {
    assertThat(Yaml.parse("a:\n  b: 1\n  c: \"true\"\n  d: [x, \"y z\"]\n  e: |\n    line 1\n      line 2\n", "t"))
        .containsExactly(Map.of("a", Map.of("b", 1L, "c", "true", "d", List.of("x", "y z"), "e", "line 1\n  line 2\n")));
    assertThat(Yaml.parse("- name: x\n  value: y\n- z\n", "t").get(0)).isNull(); // a sequence is not a document map
    for (String bad : List.of("a:\n\tb: 1\n", "a: &x 1\n", "a: {b: 1}\n", "a: 1\na: 2\n", "a:\n  b: 1\n c: 2\n")) {
      try {
        Yaml.parse(bad, "t");
        fail("accepted: " + bad);
      } catch (IllegalArgumentException expected) {
        assertThat(expected.getMessage()).startsWith("t:");
      }
    }
  }

  /** Block mappings, block sequences, plain and quoted scalars, flow sequences of scalars, literal blocks. */
  static final class Yaml {
    private final List<String> lines;
    private final String file;
    private int at;

    private Yaml(List<String> lines, String file) {
      this.lines = lines;
      this.file = file;
    }

    /** Each document's root; a document whose root is not a mapping is null. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> parse(String text, String file) {
      List<Map<String, Object>> docs = new ArrayList<>();
      List<String> current = new ArrayList<>();
      List<String> all = new ArrayList<>(text.lines().toList());
      all.add("---");
      for (String line : all) {
        if (line.equals("---")) {
          if (current.stream().anyMatch(l -> !isSkippable(l))) {
            Yaml y = new Yaml(current, file);
            Object root = y.node(0);
            y.skip();
            if (y.at < current.size()) {
              throw y.error("unexpected indentation");
            }
            docs.add(root instanceof Map ? (Map<String, Object>) root : null);
          }
          current = new ArrayList<>();
        } else {
          current.add(line);
        }
      }
      return docs;
    }

    private static boolean isSkippable(String line) {
      return line.isBlank() || line.stripLeading().startsWith("#");
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException(file + ":" + (at + 1) + ": " + what + " (outside the YAML subset the manifests use): "
          + (at < lines.size() ? lines.get(at) : "<end>"));
    }

    private void skip() {
      while (at < lines.size() && isSkippable(lines.get(at))) {
        at++;
      }
    }

    private static int indent(String line) {
      return line.length() - line.stripLeading().length();
    }

    private Object node(int minIndent) {
      skip();
      if (at >= lines.size()) {
        return null;
      }
      String line = lines.get(at);
      if (line.contains("\t")) {
        throw error("a tab");
      }
      int indent = indent(line);
      if (indent < minIndent) {
        return null;
      }
      return line.stripLeading().startsWith("- ") || line.strip().equals("-") ? sequence(indent) : mapping(indent);
    }

    private List<Object> sequence(int indent) {
      List<Object> items = new ArrayList<>();
      while (true) {
        skip();
        if (at >= lines.size() || indent(lines.get(at)) != indent || !lines.get(at).stripLeading().startsWith("-")) {
          return items;
        }
        String rest = lines.get(at).substring(indent + 1);
        if (rest.isBlank()) {
          at++;
          items.add(node(indent + 1));
        } else if (keyValue(rest.strip()) != null) {
          // "- key: value" starts a mapping whose keys are indented like "key".
          lines.set(at, " ".repeat(indent + 2) + rest.strip());
          items.add(mapping(indent + 2));
        } else {
          items.add(scalar(rest.strip()));
          at++;
        }
      }
    }

    private static String[] keyValue(String text) {
      Matcher m = Pattern.compile("^(\"[^\"]*\"|[^\\s\"'#\\[\\]{}][^:#]*?):(?:\\s+(.*))?$").matcher(stripComment(text));
      return m.matches() ? new String[] {m.group(1), m.group(2) == null ? "" : m.group(2)} : null;
    }

    private Map<String, Object> mapping(int indent) {
      Map<String, Object> map = new LinkedHashMap<>();
      while (true) {
        skip();
        if (at >= lines.size()) {
          return map;
        }
        String line = lines.get(at);
        int i = indent(line);
        if (i < indent) {
          return map;
        }
        if (i > indent || line.stripLeading().startsWith("-")) {
          throw error("unexpected indentation");
        }
        String[] kv = keyValue(line.strip());
        if (kv == null) {
          throw error("not a 'key: value' line");
        }
        String key = kv[0].startsWith("\"") ? kv[0].substring(1, kv[0].length() - 1) : kv[0].strip();
        if (map.containsKey(key)) {
          throw error("duplicate key " + key);
        }
        String value = kv[1].strip();
        at++;
        Object v;
        if (value.isEmpty()) {
          skip();
          boolean sequenceHere = at < lines.size() && indent(lines.get(at)) == indent && lines.get(at).stripLeading().startsWith("- ");
          v = sequenceHere ? sequence(indent) : node(indent + 1);
        } else if (value.equals("|")) {
          v = literal(indent);
        } else {
          at--;
          v = scalar(value);
          at++;
        }
        map.put(key, v);
      }
    }

    private String literal(int parentIndent) {
      StringBuilder text = new StringBuilder();
      int blockIndent = -1;
      while (at < lines.size() && (lines.get(at).isBlank() || indent(lines.get(at)) > parentIndent)) {
        String line = lines.get(at);
        if (blockIndent < 0 && !line.isBlank()) {
          blockIndent = indent(line);
        }
        text.append(line.isBlank() ? "" : line.substring(blockIndent)).append('\n');
        at++;
      }
      return text.toString();
    }

    private static String stripComment(String text) {
      boolean quoted = false;
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c == '"') {
          quoted = !quoted;
        } else if (c == '#' && !quoted && (i == 0 || Character.isWhitespace(text.charAt(i - 1)))) {
          return text.substring(0, i).strip();
        }
      }
      return text;
    }

    private Object scalar(String raw) {
      String text = stripComment(raw);
      if (text.startsWith("&") || text.startsWith("*") || text.startsWith("{") || text.startsWith("!")
          || text.startsWith("'") || text.startsWith(">")) {
        throw error("an anchor, alias, flow mapping, tag, single-quoted or folded scalar");
      }
      if (text.startsWith("[")) {
        if (!text.endsWith("]")) {
          throw error("an unclosed flow sequence");
        }
        List<Object> items = new ArrayList<>();
        String inner = text.substring(1, text.length() - 1).strip();
        if (!inner.isEmpty()) {
          for (String item : inner.split(",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)")) {
            items.add(scalar(item.strip()));
          }
        }
        return items;
      }
      if (text.startsWith("\"")) {
        if (!text.endsWith("\"") || text.length() < 2 || text.substring(1, text.length() - 1).contains("\"")) {
          throw error("a malformed double-quoted scalar");
        }
        return text.substring(1, text.length() - 1);
      }
      if (text.equals("true") || text.equals("false")) {
        return Boolean.valueOf(text);
      }
      if (text.matches("-?\\d+")) {
        return Long.valueOf(text);
      }
      if (text.contains(": ") || text.endsWith(":")) {
        throw error("a plain scalar with ': ' in it");
      }
      return Objects.requireNonNull(text);
    }
  }
}
