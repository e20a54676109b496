#!/usr/bin/env bash
# Playground end-to-end in headless Chromium (Debian's `chromium`, driven by npm's
# `playwright-core`): starts the service on a free loopback port, pastes a stack trace,
# compresses it in the page and checks what the page shows, then checks the screenshot.
# Idempotent: installs chromium (apt) and playwright-core (npm, from the lock file) only when
# missing. Usage: bash scripts/serve/playground_e2e.sh   (from anywhere; needs root for apt)
# Env: CARGO_TARGET_DIR (as for cargo), SCREENSHOT (default $TMPDIR/kompress-playground.png).
set -euo pipefail
cd "$(dirname "$0")/../.."
t0=$SECONDS
if ! command -v chromium >/dev/null; then
    echo "playground e2e: apt-get install chromium"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ ! -f tests/playground/node_modules/playwright-core/package.json ]; then
    echo "playground e2e: npm ci (playwright-core; its browser download is not used)"
    (cd tests/playground && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --silent --no-audit --no-fund)
fi
cargo build -q -p kompress-serve --example serve
BIN="${CARGO_TARGET_DIR:-target}/debug/examples/serve"
WORK=$(mktemp -d /tmp/kompress-playground.XXXXXX)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listen = "127.0.0.1:%s"\n' "$PORT" > "$WORK/serve.toml"
"$BIN" "$WORK/serve.toml" > "$WORK/serve.out" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break
    kill -0 $PID 2>/dev/null || { echo "playground e2e: the service exited:"; cat "$WORK/serve.out"; exit 1; }
    sleep 0.1
done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || { echo "playground e2e: service not ready"; cat "$WORK/serve.out"; exit 1; }
export KOMPRESS_URL="http://127.0.0.1:$PORT" REQUIRE_BROWSER=1
export SCREENSHOT="${SCREENSHOT:-${TMPDIR:-/tmp}/kompress-playground.png}"
timeout 180 node tests/playground/playground.test.mjs
echo "playground e2e: done in $((SECONDS - t0)) s"
