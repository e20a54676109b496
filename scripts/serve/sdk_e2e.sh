#!/usr/bin/env bash
# End-to-end: the real `openai` and `anthropic` Python SDKs against `kompress serve` in proxy
# mode, with a fake upstream on loopback. Idempotent: installs the SDKs into .venv if missing.
# Usage: scripts/serve/sdk_e2e.sh   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || python3 -m venv .venv
"$PY" -c "import openai, anthropic, pytest" 2>/dev/null || "$PY" -m pip install -q openai anthropic pytest
cargo build -q -p kompress-serve --example serve
BIN="${CARGO_TARGET_DIR:-target}/debug/examples/serve"
WORK=$(mktemp -d)
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
UP_PORT=${UP_PORT:-$(free_port)}
KP_PORT=${KP_PORT:-$(free_port)}
while [ "$KP_PORT" = "$UP_PORT" ]; do KP_PORT=$(free_port); done
export FAKE_LOG="$WORK/upstream.jsonl"
cat > "$WORK/serve.toml" <<TOML
listen = "127.0.0.1:$KP_PORT"
[proxy]
upstreams = { fake = "http://127.0.0.1:$UP_PORT" }
openai = "fake"
anthropic = "fake"
TOML
"$PY" tests/proxy_sdk/fake_upstream.py "$UP_PORT" > "$WORK/upstream.out" 2>&1 &
UP_PID=$!
"$BIN" "$WORK/serve.toml" > "$WORK/serve.out" 2>&1 &
KP_PID=$!
trap 'kill $UP_PID $KP_PID 2>/dev/null; rm -rf "$WORK"' EXIT
ready() { curl -sf "http://127.0.0.1:$KP_PORT/readyz" >/dev/null && grep -q ready "$WORK/upstream.out"; }
for _ in $(seq 600); do
  ready && break
  for pid in $UP_PID $KP_PID; do
    kill -0 "$pid" 2>/dev/null || { echo "sdk e2e: a server exited:"; cat "$WORK/upstream.out" "$WORK/serve.out"; exit 1; }
  done
  sleep 0.1
done
ready || { echo "sdk e2e: servers not ready after 60 s"; cat "$WORK/upstream.out" "$WORK/serve.out"; exit 1; }
KOMPRESS_URL="http://127.0.0.1:$KP_PORT" "$PY" -m pytest -q tests/proxy_sdk
