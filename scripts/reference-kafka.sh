#!/usr/bin/env bash
# A reference Apache Kafka broker (KRaft, one combined broker+controller node) to compare minikafka's
# behaviour with. Dev tool only; CI does not run it.
#   scripts/reference-kafka.sh [start] [PORT]   fetch (once), format, start in the background, print
#                                               "ready bootstrap=127.0.0.1:PORT" when it answers
#   scripts/reference-kafka.sh stop [PORT]      stop it and remove its data dir
#   scripts/reference-kafka.sh restart [PORT]   stop it cleanly (SIGTERM) and start it again on its data
#   scripts/reference-kafka.sh crash [PORT]     kill -9 it and start it again on its data (log recovery)
# Then e.g.: MINIKAFKA_TEST_BOOTSTRAP=127.0.0.1:39092 npx vitest run test/transactions-kafkajs.test.ts
# Env: KAFKA_REF_VERSION (default 4.4.0), KAFKA_REF_CACHE (default ~/.cache/minikafka-ref),
#      KAFKA_REF_OPTS (extra server.properties lines, ";"-separated, e.g. "transaction.max.timeout.ms=60000").
set -euo pipefail
cmd=start
case "${1:-}" in start | stop | restart | crash) cmd=$1; shift ;; esac
port=${1:-39092}
ctrl_port=$((port + 1))
version=${KAFKA_REF_VERSION:-4.4.0}
cache=${KAFKA_REF_CACHE:-$HOME/.cache/minikafka-ref}
libs=$cache/kafka-$version/libs
run=${TMPDIR:-/tmp}/minikafka-ref-$port
pidfile=$run/kafka.pid

# Stop the broker process (signal TERM: controlled shutdown; KILL: a crash), keeping its data.
halt() {
  if [ -f "$pidfile" ]; then
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill "-$1" "$pid"
      for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
    fi
  fi
}

stop() {
  halt TERM
  rm -rf "$run"
}

jvm=(-Xmx512m -XX:+UseSerialGC -Dlog4j2.configurationFile="$run/log4j2.properties" -cp "$libs/*")

# Start the broker on $run's config and data in the background; wait until it answers.
launch() {
  : >"$run/server.log"
  nohup java "${jvm[@]}" kafka.Kafka "$run/server.properties" >"$run/stdout.log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 240); do
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "Kafka exited; see $run/stdout.log and $run/server.log" >&2
      tail -20 "$run/stdout.log" >&2
      exit 1
    fi
    if grep -q "Kafka Server started" "$run/server.log" 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "ready bootstrap=127.0.0.1:$port"
      exit 0
    fi
    sleep 0.5
  done
  echo "Kafka did not become ready in 120 s; see $run" >&2
  exit 1
}

case $cmd in
  stop)
    stop
    echo "stopped bootstrap=127.0.0.1:$port"
    exit 0
    ;;
  restart | crash)
    [ -f "$run/server.properties" ] || { echo "no reference broker on port $port to $cmd" >&2; exit 1; }
    if [ "$cmd" = crash ]; then halt KILL; else halt TERM; fi
    # A restarted single KRaft node answers first and then, a few seconds later, briefly takes its
    # partitions offline while its new incarnation replaces the old registration; Kafka's
    # transaction marker channel skips markers for leaderless partitions meanwhile (leaving a
    # hanging transaction). So wait for that to pass: KAFKA_REF_SETTLE seconds (default 10).
    (launch)
    sleep "${KAFKA_REF_SETTLE:-10}"
    echo "settled bootstrap=127.0.0.1:$port"
    exit 0
    ;;
esac

command -v java >/dev/null || { echo "java is required (17+)" >&2; exit 1; }

# 1. The broker and its runtime dependencies from Maven Central, once per version.
if [ ! -f "$libs/.complete" ]; then
  command -v mvn >/dev/null || { echo "mvn is required to fetch Kafka $version" >&2; exit 1; }
  mkdir -p "$libs"
  pom=$(mktemp -d)
  cat >"$pom/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>minikafka</groupId><artifactId>reference-kafka</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.16</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>2.24.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>
EOF
  echo "fetching Apache Kafka $version from Maven Central into $libs …" >&2
  mvn -q -f "$pom/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" >&2
  rm -rf "$pom"
  touch "$libs/.complete"
fi

# 2. A fresh single-node KRaft cluster in a temp dir.
stop
mkdir -p "$run/data"
cat >"$run/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$ctrl_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$ctrl_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$run/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=5
group.initial.rebalance.delay.ms=0
transaction.abort.timed.out.transaction.cleanup.interval.ms=1000
auto.create.topics.enable=true
EOF
if [ -n "${KAFKA_REF_OPTS:-}" ]; then tr ';' '\n' <<<"$KAFKA_REF_OPTS" >>"$run/server.properties"; fi
cat >"$run/log4j2.properties" <<EOF
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=FILE
appender.file.type=File
appender.file.name=FILE
appender.file.fileName=$run/server.log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
EOF
cluster_id=$(java "${jvm[@]}" kafka.tools.StorageTool random-uuid | tail -1)
# transaction.version=1: Kafka 3.x's KIP-98 protocol (AddPartitionsToTxn from clients, no per-transaction
# epoch bump), the one minikafka serves; KAFKA_REF_TV=2 for Kafka 4's default.
java "${jvm[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$run/server.properties" \
  --feature transaction.version="${KAFKA_REF_TV:-1}" >"$run/format.log" 2>&1 ||
  { cat "$run/format.log" >&2; exit 1; }

# 3. Start in the background and wait until the broker answers on its port.
launch
