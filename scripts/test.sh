#!/usr/bin/env bash
# The test command (README.md): installs what the tests need, starts the real Kafka broker on
# 127.0.0.1, runs the whole Rust test suite, then stops the broker.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
bash scripts/setup.sh
bootstrap=$(bash deploy/kafka/broker.sh start)
trap 'bash deploy/kafka/broker.sh stop >/dev/null 2>&1 || true' EXIT
export KOMPRESS_TEST_BOOTSTRAP="$bootstrap"
echo "test: Kafka broker at $KOMPRESS_TEST_BOOTSTRAP"
cargo test --workspace
