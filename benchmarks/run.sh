#!/usr/bin/env bash
# Runs the whole side-by-side suite (issue 14) and writes the tables and plots to benchmarks/results/.
# From the repository root:  benchmarks/run.sh          (about 15 minutes on 2 cores)
# Knobs (environment): RUNS (cold-start runs per variant, 5), JMH_ARGS (extra JMH options),
# and the system properties SideBySide documents, through SIDE_BY_SIDE_OPTS.
# CI does not run this: `mvn verify` runs only the module's unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."
RESULTS=benchmarks/results
CLOSURES=benchmarks/target/closures
mkdir -p "$RESULTS" "$CLOSURES"
start=$(date +%s)

echo "== build, and each module's runtime class path (dependency:build-classpath -DincludeScope=runtime)"
mvn -B -q -pl aws,azure,gcp,benchmarks -am package dependency:build-classpath -DskipTests \
  -DincludeScope=runtime '-Dmdep.outputFile=${project.build.directory}/runtime-classpath.txt'
for c in aws azure gcp; do
  printf '%s:%s\n' "$(cat $c/target/runtime-classpath.txt)" "$(ls $c/target/workload-identity-$c-*.jar | grep -v -e sources -e javadoc | head -1)" \
    > "$CLOSURES/ours-$c.txt"
  for p in peer-$c peer-$c-trimmed; do
    mvn -B -q -f benchmarks/footprint/$p/pom.xml dependency:build-classpath -DincludeScope=runtime \
      "-Dmdep.outputFile=$PWD/$CLOSURES/$p.txt"
  done
done
JAR=benchmarks/target/benchmarks.jar

echo "== footprint"
java -cp $JAR io.workloadidentity.benchmarks.Footprint "$CLOSURES" "$RESULTS/footprint.md"

echo "== fleet simulation (virtual clock)"
java -cp $JAR io.workloadidentity.benchmarks.FleetSimulation "$RESULTS"

echo "== cold start (separate JVMs, interleaved)"
java -Dcold.runs="${RUNS:-5}" -cp $JAR io.workloadidentity.benchmarks.ColdStart "$CLOSURES" benchmarks/target/classes \
  "$RESULTS/cold-start.md"

echo "== JMH: cached reads side by side"
java -jar $JAR SideBySideReadBenchmark -prof gc -rf csv -rff benchmarks/target/jmh-side-by-side.csv ${JMH_ARGS:-} \
  | tee benchmarks/target/jmh-side-by-side.txt | grep -E '^(Benchmark|SideBySide)' || true
java -cp $JAR io.workloadidentity.benchmarks.JmhTable benchmarks/target/jmh-side-by-side.csv "$RESULTS/jmh-side-by-side.md"

echo "== scenarios: refresh under contention, N providers, outage"
java ${SIDE_BY_SIDE_OPTS:-} -cp $JAR io.workloadidentity.benchmarks.SideBySide "$RESULTS/side-by-side.md"

{
  echo "<!-- benchmarks/run.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ), nproc $(nproc), $(java -version 2>&1 | head -1), $(( $(date +%s) - start )) s -->"
  echo
  cat "$RESULTS/jmh-side-by-side.md" "$RESULTS/side-by-side.md" "$RESULTS/cold-start.md" "$RESULTS/footprint.md" "$RESULTS/fleet.md"
} > "$RESULTS/summary.md"
echo "== done in $(( $(date +%s) - start )) s: $RESULTS/summary.md"
