#!/usr/bin/env bash
# The test command (README.md): installs what the tests need, starts the real Kafka broker on
# 127.0.0.1, runs the whole Rust test suite, then stops the broker.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# a one-shot build gains nothing from incremental state (it was ~2.7 GB of target/ on its own)
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
bash scripts/setup.sh
# a free pair of loopback ports (client, controller), so a broker already running elsewhere on
# this machine never collides with the test broker
port=$(python3 - <<'PY'
import random, socket
for _ in range(200):
    p = random.randrange(20000, 40000, 2)
    try:
        socks = [socket.socket() for _ in range(2)]
        for i, s in enumerate(socks):
            s.bind(("127.0.0.1", p + i))
        for s in socks:
            s.close()
        print(p)
        break
    except OSError:
        pass
PY
)
run_dir=$(mktemp -d /tmp/kompress-kafka.XXXXXX)
bootstrap=$(bash deploy/kafka/broker.sh start --port-base "$port" --dir "$run_dir")
trap 'bash deploy/kafka/broker.sh stop --dir "$run_dir" >/dev/null 2>&1 || true; rm -rf "$run_dir"' EXIT
export KOMPRESS_TEST_BOOTSTRAP="$bootstrap"
echo "test: Kafka broker at $KOMPRESS_TEST_BOOTSTRAP"
cargo test --workspace
# the proxy under the real openai/anthropic Python SDKs (default build, HTTPS fake upstream
# on loopback; the HTTPS upstream tests, tests/tls.rs, ran in the workspace above)
bash scripts/serve/sdk_e2e.sh
# the session replay benchmark's own tests, two real sessions replayed through the proxy
# (the debug binary the workspace tests built)
KOMPRESS_BIN="${CARGO_TARGET_DIR:-target}/debug/kompress" .venv/bin/python -m pytest -q -p no:cacheprovider benches/sessions/test_sessions.py
# the playground in headless Chromium (Playwright), screenshot checked
bash scripts/serve/playground_e2e.sh
# the Python package (wheel, pytest) and the Headroom plugin against real headroom-ai 0.42
bash scripts/python/test.sh
# without the learned pruner: no libtorch (LIBTORCH points nowhere, so a crate that needed it
# would fail to build); [pruner] alone, then the lean binary (last: it replaces target/debug/kompress)
LIBTORCH=/nonexistent/libtorch cargo test -p kompress-pruners
LIBTORCH=/nonexistent/libtorch cargo test -p kompress-cli --no-default-features --test lean
