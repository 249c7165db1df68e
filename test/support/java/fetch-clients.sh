#!/usr/bin/env bash
# Fetch Apache Kafka's Java client (org.apache.kafka:kafka-clients VERSION and its runtime
# dependencies) from Maven Central into a cache dir and compile the checks here (*.java) against it.
#   test/support/java/fetch-clients.sh VERSION   prints the classpath to run them with
# Cache: ${KAFKA_JAVA_CACHE:-~/.cache/minikafka-java}/kafka-clients-VERSION/{libs,classes}.
set -euo pipefail
version=$1
here=$(cd "$(dirname "$0")" && pwd)
dir=${KAFKA_JAVA_CACHE:-$HOME/.cache/minikafka-java}/kafka-clients-$version
if [ ! -f "$dir/libs/.complete" ]; then
  mkdir -p "$dir/libs"
  pom=$(mktemp -d)
  cat >"$pom/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>minikafka</groupId><artifactId>txn-check</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-clients</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
  mvn -q -f "$pom/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dir/libs" >&2
  rm -rf "$pom"
  touch "$dir/libs/.complete"
fi
for src in "$here"/*.java; do
  cls="$dir/classes/$(basename "$src" .java).class"
  if [ ! -f "$cls" ] || [ "$src" -nt "$cls" ]; then
    mkdir -p "$dir/classes"
    javac -nowarn -d "$dir/classes" -cp "$dir/libs/*" "$src" >&2
  fi
done
echo "$dir/classes:$dir/libs/*"
