#!/usr/bin/env bash
# Runs the real Apache Kafka broker (KRaft, combined broker+controller) from the jars that
# Maven Central serves. One script for CI, the tests and users:
#
#   broker.sh fetch                                   download the jars once into libs/
#   broker.sh start [--brokers 1|3] [--dir D] [--port-base P] [--timeout S]
#                                                     format + start, wait, print bootstrap
#   broker.sh stop [--dir D]                          stop every node of that cluster
#   broker.sh status [--dir D]                        which nodes run, and the bootstrap
#   broker.sh stop-node N [--dir D]                   SIGKILL one node (broker-loss tests)
#   broker.sh start-node N [--dir D]                  restart one node that was stopped
#   broker.sh coordinator GROUP [--dir D]             node id of GROUP's coordinator
#
# Listeners bind 127.0.0.1 only. Node i (1-based) listens on P+2(i-1) for clients and on
# P+2(i-1)+1 for the controller quorum. Defaults: --brokers 1, --dir run/b<N>,
# --port-base 19092 (1 broker) or 19192 (3 brokers), --timeout 90.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LIBS="$HERE/libs"
HEAP="${KOMPRESS_BROKER_HEAP:--Xmx512m -Xms128m}"

die() { echo "broker.sh: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }

cmd_fetch() {
  local stamp="$LIBS/.pom.sha256" want
  want="$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && ls "$LIBS"/kafka_2.13-*.jar >/dev/null 2>&1; then
    echo "broker.sh: jars already in $LIBS (skipped)"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (apt-get install -y maven openjdk-17-jre-headless)"
  local t0; t0=$(now_ms)
  rm -rf "$LIBS"
  (cd "$HERE" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$LIBS") || die "maven could not fetch the broker jars (see output above)"
  echo "$want" >"$stamp"
  echo "broker.sh: fetched $(ls "$LIBS" | wc -l) jars into $LIBS in $(( $(now_ms) - t0 )) ms"
}

# Parses the shared options into globals BROKERS, DIR, PORT_BASE, TIMEOUT.
parse_opts() {
  BROKERS=1; DIR=""; PORT_BASE=""; TIMEOUT=90
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --brokers) BROKERS="$2"; shift 2 ;;
      --dir) DIR="$2"; shift 2 ;;
      --port-base) PORT_BASE="$2"; shift 2 ;;
      --timeout) TIMEOUT="$2"; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  [[ "$BROKERS" == 1 || "$BROKERS" == 3 ]] || die "--brokers must be 1 or 3, got $BROKERS"
  [[ -n "$DIR" ]] || DIR="$HERE/run/b$BROKERS"
  if [[ -z "$PORT_BASE" ]]; then
    if [[ -f "$DIR/cluster.env" ]]; then PORT_BASE="$(sed -n 's/^PORT_BASE=//p' "$DIR/cluster.env")"
    elif [[ "$BROKERS" == 1 ]]; then PORT_BASE=19092; else PORT_BASE=19192; fi
  fi
  [[ -f "$DIR/cluster.env" ]] && BROKERS="$(sed -n 's/^BROKERS=//p' "$DIR/cluster.env")"
  return 0
}

client_port() { echo $(( PORT_BASE + 2 * ($1 - 1) )); }
controller_port() { echo $(( PORT_BASE + 2 * ($1 - 1) + 1 )); }

bootstrap() {
  local i out=""
  for ((i = 1; i <= BROKERS; i++)); do out+="${out:+,}127.0.0.1:$(client_port "$i")"; done
  echo "$out"
}

write_node_config() {
  local n="$1" nd="$DIR/node$1" voters="" i rf isr
  for ((i = 1; i <= BROKERS; i++)); do voters+="${voters:+,}$i@127.0.0.1:$(controller_port "$i")"; done
  rf="$BROKERS"; isr=$(( BROKERS > 1 ? 2 : 1 ))
  mkdir -p "$nd/data"
  cat >"$nd/server.properties" <<EOF
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(client_port "$n"),CONTROLLER://127.0.0.1:$(controller_port "$n")
advertised.listeners=PLAINTEXT://127.0.0.1:$(client_port "$n")
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$nd/data
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$isr
auto.create.topics.enable=false
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=8
group.initial.rebalance.delay.ms=0
log.retention.hours=24
log.segment.bytes=67108864
EOF
  cat >"$nd/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $nd/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.kafka.name = org.apache.kafka
logger.kafka.level = warn
logger.state.name = state.change.logger
logger.state.level = warn
EOF
}

# Runs java for node N. Always called in the background (`java_node ... &`): the `exec`
# makes `$!` the JVM's own pid, so stop/kill reach the broker and not a wrapper shell.
java_node() {
  local n="$1"; shift
  local nd="$DIR/node$n"
  # shellcheck disable=SC2086
  exec java $HEAP -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$nd/log4j2.properties" -cp "$LIBS/*" "$@"
}

node_pid() { [[ -f "$DIR/node$1/pid" ]] && cat "$DIR/node$1/pid"; }
node_alive() { local p; p="$(node_pid "$1")" && kill -0 "$p" 2>/dev/null; }

launch_node() {
  local n="$1" nd="$DIR/node$1"
  : >"$nd/server.log"
  java_node "$n" kafka.Kafka "$nd/server.properties" >"$nd/stdout.log" 2>&1 &
  echo $! >"$nd/pid"
}

wait_ready() {
  local deadline=$(( $(date +%s) + TIMEOUT )) i ok
  while :; do
    ok=1
    for i in "$@"; do
      node_alive "$i" || die "node $i exited during start-up; see $DIR/node$i/stdout.log and server.log"
      grep -q "Kafka Server started" "$DIR/node$i/server.log" 2>/dev/null || { ok=0; break; }
      (exec 3<>/dev/tcp/127.0.0.1/"$(client_port "$i")") 2>/dev/null || { ok=0; break; }
    done
    [[ $ok == 1 ]] && return 0
    [[ $(date +%s) -ge $deadline ]] && die "nodes $* not ready after ${TIMEOUT}s; see $DIR/node*/server.log"
    sleep 0.25
  done
}

cmd_start() {
  parse_opts "$@"
  ls "$LIBS"/kafka_2.13-*.jar >/dev/null 2>&1 || cmd_fetch
  local i t0 cid all=()
  for ((i = 1; i <= BROKERS; i++)); do
    if node_alive "$i"; then
      echo "broker.sh: cluster in $DIR already running" >&2; bootstrap; return 0
    fi
  done
  t0=$(now_ms)
  rm -rf "$DIR"; mkdir -p "$DIR"
  printf 'BROKERS=%s\nPORT_BASE=%s\n' "$BROKERS" "$PORT_BASE" >"$DIR/cluster.env"
  # A cluster id is 16 random bytes in URL-safe base64 without padding (what
  # `StorageTool random-uuid` prints), made here to save a JVM start.
  # The id must not start with `-`: the tool's argument parser would read it as an option
  # (seen once in 64 starts).
  cid="-"
  while [[ "$cid" == -* ]]; do
    cid="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  done
  local fpids=()
  for ((i = 1; i <= BROKERS; i++)); do
    write_node_config "$i"
    java_node "$i" kafka.tools.StorageTool format --cluster-id "$cid" \
      --config "$DIR/node$i/server.properties" --ignore-formatted >"$DIR/node$i/format.log" 2>&1 &
    fpids+=($!)
  done
  for ((i = 1; i <= BROKERS; i++)); do
    wait "${fpids[$((i - 1))]}" || die "format of node $i failed: $(cat "$DIR/node$i/format.log")"
  done
  echo "broker.sh: formatted $BROKERS node(s) in $(( $(now_ms) - t0 )) ms" >&2
  t0=$(now_ms)
  for ((i = 1; i <= BROKERS; i++)); do launch_node "$i"; all+=("$i"); done
  wait_ready "${all[@]}"
  bootstrap >"$DIR/bootstrap"
  echo "broker.sh: $BROKERS node(s) ready in $(( $(now_ms) - t0 )) ms (dir $DIR)" >&2
  bootstrap
}

stop_pid() {
  local p="$1" deadline=$(( $(date +%s) + 30 ))
  kill -TERM "$p" 2>/dev/null || return 0
  while kill -0 "$p" 2>/dev/null; do
    if [[ $(date +%s) -ge $deadline ]]; then kill -KILL "$p" 2>/dev/null || true; break; fi
    sleep 0.2
  done
}

cmd_stop() {
  parse_opts "$@"
  [[ -f "$DIR/cluster.env" ]] || { echo "broker.sh: no cluster in $DIR"; return 0; }
  local i p pids=()
  for ((i = 1; i <= BROKERS; i++)); do
    if node_alive "$i"; then p="$(node_pid "$i")"; kill -TERM "$p" 2>/dev/null || true; pids+=("$p"); fi
  done
  for p in "${pids[@]}"; do stop_pid "$p"; done
  echo "broker.sh: stopped ${#pids[@]} node(s) in $DIR"
}

cmd_status() {
  parse_opts "$@"
  [[ -f "$DIR/cluster.env" ]] || { echo "no cluster in $DIR"; return 3; }
  local i up=0
  for ((i = 1; i <= BROKERS; i++)); do
    if node_alive "$i"; then echo "node $i: running (pid $(node_pid "$i"), port $(client_port "$i"))"; up=$((up + 1))
    else echo "node $i: stopped"; fi
  done
  echo "bootstrap: $(bootstrap)"
  [[ $up -gt 0 ]] || return 3
}

cmd_stop_node() {
  local n="$1"; shift; parse_opts "$@"
  node_alive "$n" || die "node $n is not running"
  local p deadline=$(( $(date +%s) + 15 ))
  p="$(node_pid "$n")"
  kill -KILL "$p"
  while kill -0 "$p" 2>/dev/null && [[ $(date +%s) -lt $deadline ]]; do sleep 0.1; done
  echo "broker.sh: killed node $n"
}

cmd_start_node() {
  local n="$1"; shift; parse_opts "$@"
  node_alive "$n" && { echo "broker.sh: node $n already running"; return 0; }
  launch_node "$n"
  wait_ready "$n"
  echo "broker.sh: node $n back"
}

# The node coordinating GROUP (Kafka's own consumer-group tool), so a test can kill exactly the
# broker the group's offsets and the transactions' offset commits go through.
cmd_coordinator() {
  local g="$1" out id; shift; parse_opts "$@"
  [[ -f "$DIR/cluster.env" ]] || die "no cluster in $DIR"
  out="$(java -XX:TieredStopAtLevel=1 -cp "$LIBS/*" \
    org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
    --bootstrap-server "$(bootstrap)" --describe --group "$g" --state 2>&1)" \
    || die "describe group $g failed: $out"
  id="$(printf '%s\n' "$out" | sed -n 's/.*([[:space:]]*\([0-9][0-9]*\)[[:space:]]*).*/\1/p' | head -n1)"
  [[ -n "$id" ]] || die "no coordinator in: $out"
  echo "$id"
}

case "${1:-}" in
  fetch) shift; cmd_fetch "$@" ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  status) shift; cmd_status "$@" ;;
  stop-node) shift; [[ $# -ge 1 ]] || die "stop-node needs N"; cmd_stop_node "$@" ;;
  start-node) shift; [[ $# -ge 1 ]] || die "start-node needs N"; cmd_start_node "$@" ;;
  coordinator) shift; [[ $# -ge 1 ]] || die "coordinator needs GROUP"; cmd_coordinator "$@" ;;
  *) sed -n '2,16p' "$0"; exit 2 ;;
esac
