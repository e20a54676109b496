#!/usr/bin/env bash
# End-to-end: the real `openai` and `anthropic` Python SDKs against `kompress serve` in proxy
# mode, built with its default features, forwarding over HTTPS to a fake upstream on loopback
# whose certificate a throwaway CA made here signed (`proxy.ca_file` names that CA). Idempotent:
# installs the SDKs into .venv if missing.
# Usage: scripts/serve/sdk_e2e.sh   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || python3 -m venv .venv
"$PY" -c "import openai, anthropic, pytest" 2>/dev/null || "$PY" -m pip install -q openai anthropic pytest
command -v openssl >/dev/null || { echo "sdk e2e: needs openssl (scripts/setup.sh installs it)"; exit 1; }
cargo build -q -p kompress-serve --example serve
BIN="${CARGO_TARGET_DIR:-target}/debug/examples/serve"
WORK=$(mktemp -d)
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
UP_PORT=${UP_PORT:-$(free_port)}
KP_PORT=${KP_PORT:-$(free_port)}
while [ "$KP_PORT" = "$UP_PORT" ]; do KP_PORT=$(free_port); done
export FAKE_LOG="$WORK/upstream.jsonl"

# a CA, and a `localhost` leaf it signed (webpki refuses a CA certificate as a server's own)
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
( cd "$WORK"
  openssl req -x509 -days 1 -subj "/CN=kompress sdk test CA" "${ec[@]}" -keyout ca.key -out ca.pem
  openssl req -new -subj "/CN=localhost" "${ec[@]}" -keyout key.pem -out leaf.csr
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > leaf.ext
  openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile leaf.ext -out cert.pem
) 2> "$WORK/openssl.err" || { echo "sdk e2e: openssl failed:"; cat "$WORK/openssl.err"; exit 1; }

cat > "$WORK/serve.toml" <<TOML
listen = "127.0.0.1:$KP_PORT"
[proxy]
upstreams = { fake = "https://localhost:$UP_PORT" }
openai = "fake"
anthropic = "fake"
skip_tools = ["read_secret_file"]
ca_file = "$WORK/ca.pem"
[memory.backend]
kind = "sqlite"
path = "$WORK/memory.db"
TOML
"$PY" tests/proxy_sdk/fake_upstream.py "$UP_PORT" "$WORK/cert.pem" "$WORK/key.pem" > "$WORK/upstream.out" 2>&1 &
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
KOMPRESS_URL="http://127.0.0.1:$KP_PORT" FAKE_UPSTREAM_SCHEME=https "$PY" -m pytest -q tests/proxy_sdk \
  || { echo "sdk e2e: serve log:"; tail -50 "$WORK/serve.out"; exit 1; }
