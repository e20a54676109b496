#!/usr/bin/env bash
# Load test of `kompress serve` (release): starts the service (examples/serve, default config:
# max_inflight 64, 2 HTTP workers) on a free loopback port, then runs examples/load RUNS times
# with CLIENTS concurrent clients and REQUESTS requests per phase, and prints the service's RSS
# after each run (VmRSS) and its peak (VmHWM). Not part of CI (it takes minutes).
# Usage: bash scripts/serve/load.sh [clients=50] [requests=20000] [runs=3]
# BIN_DIR=<dir with serve and load> skips the build (to measure binaries built earlier).
set -euo pipefail
cd "$(dirname "$0")/../.."
CLIENTS=${1:-50} REQUESTS=${2:-20000} RUNS=${3:-3}
if [ -n "${BIN_DIR:-}" ]; then
    DIR=$BIN_DIR
else
    cargo build -q --release -p kompress-serve --example serve --example load
    DIR="${CARGO_TARGET_DIR:-target}/release/examples"
fi
WORK=$(mktemp -d /tmp/kompress-load.XXXXXX)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listen = "127.0.0.1:%s"\n' "$PORT" > "$WORK/serve.toml"
"$DIR/serve" "$WORK/serve.toml" > "$WORK/serve.out" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
rss() { awk '/^VmRSS|^VmHWM/ {printf "%s %.1f MiB  ", $1, $2 / 1024}' "/proc/$PID/status"; echo; }
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); $(date -u +%FT%TZ); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "service idle: $(rss)"
for run in $(seq "$RUNS"); do
    echo "run $run (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
    # fresh texts each run (seed), so the first phase never hits the prefix cache
    "$DIR/load" "$CLIENTS" "$REQUESTS" "http://127.0.0.1:$PORT" $((run * 10000000))
    echo "service after run $run: $(rss)"
done
