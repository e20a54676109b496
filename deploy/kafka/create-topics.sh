#!/usr/bin/env bash
# Creates the topics the kompress stream processor reads and writes, with partition counts,
# replication and retention chosen per topic. Idempotent (--if-not-exists).
#
#   create-topics.sh --bootstrap HOST:PORT[,..] [--prefix kompress.] [--partitions N]
#                    [--replication R] [--command-config client.properties]
#
# Topics (names are what kompress.toml's [topics] section expects by default):
#   <prefix>transcripts   input envelopes          N partitions, 3 days retention
#   <prefix>compressed    compressed envelopes     N partitions, 7 days retention
#   <prefix>memory        one record per eviction  N partitions, compacted + 30 days
#                         (keyed tenant/session/handle: the latest record of a handle wins)
#   <prefix>dlq           dead letters             1 partition per 4 input ones, 14 days
#
# Uses the same jars as broker.sh (run `broker.sh fetch` first), so no Kafka install needed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LIBS="$HERE/libs"
BOOTSTRAP=""; PREFIX="kompress."; PARTS=12; RF=3; CMDCFG=()

while [[ $# -gt 0 ]]; do
  case "$1" in
    --bootstrap) BOOTSTRAP="$2"; shift 2 ;;
    --prefix) PREFIX="$2"; shift 2 ;;
    --partitions) PARTS="$2"; shift 2 ;;
    --replication) RF="$2"; shift 2 ;;
    --command-config) CMDCFG=(--command-config "$2"); shift 2 ;;
    *) echo "create-topics.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -n "$BOOTSTRAP" ]] || { echo "create-topics.sh: --bootstrap is required" >&2; exit 2; }
ls "$LIBS"/kafka-tools-*.jar >/dev/null 2>&1 || "$HERE/broker.sh" fetch

DAY=86400000
MIN_ISR=$(( RF > 1 ? 2 : 1 ))
DLQ_PARTS=$(( (PARTS + 3) / 4 ))

# Creates every topic with one JVM per topic; each line: name partitions config...
create() {
  local name="$1" parts="$2"; shift 2
  local cfg=() kv
  for kv in "$@"; do cfg+=(--config "$kv"); done
  java -Xmx256m -cp "$LIBS/*" -Dlog4j2.level=warn org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$BOOTSTRAP" "${CMDCFG[@]}" --create --if-not-exists \
    --topic "$PREFIX$name" --partitions "$parts" --replication-factor "$RF" "${cfg[@]}"
}

create transcripts "$PARTS" "retention.ms=$((3 * DAY))" "min.insync.replicas=$MIN_ISR" \
  "max.message.bytes=8388608" "compression.type=zstd"
create compressed "$PARTS" "retention.ms=$((7 * DAY))" "min.insync.replicas=$MIN_ISR" \
  "max.message.bytes=8388608" "compression.type=zstd"
create memory "$PARTS" "cleanup.policy=compact,delete" "retention.ms=$((30 * DAY))" \
  "min.insync.replicas=$MIN_ISR" "max.message.bytes=8388608" "compression.type=zstd"
create dlq "$DLQ_PARTS" "retention.ms=$((14 * DAY))" "min.insync.replicas=$MIN_ISR" \
  "max.message.bytes=16777216"
echo "create-topics.sh: topics ${PREFIX}{transcripts,compressed,memory,dlq} ready on $BOOTSTRAP"
