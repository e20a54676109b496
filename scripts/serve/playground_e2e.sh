#!/usr/bin/env bash
# Playground end-to-end in headless Chromium (Debian `chromium` + npm `playwright-core`).
# Idempotent: installs what is missing. Usage: scripts/serve/playground_e2e.sh (repo root).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }
[ -d tests/playground/node_modules/playwright-core ] || (cd tests/playground && npm install --silent --no-audit --no-fund)
cargo build -q -p kompress-serve --example serve
BIN="${CARGO_TARGET_DIR:-target}/debug/examples/serve"
WORK=$(mktemp -d)
PORT=${PORT:-18793}
printf 'listen = "127.0.0.1:%s"\n' "$PORT" > "$WORK/serve.toml"
"$BIN" "$WORK/serve.toml" > "$WORK/serve.out" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
KOMPRESS_URL="http://127.0.0.1:$PORT" SCREENSHOT="${SCREENSHOT:-$WORK/../playground.png}" node tests/playground/playground.test.mjs
