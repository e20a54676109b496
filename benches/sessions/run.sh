#!/usr/bin/env bash
# The session replay benchmark in one command (from the repository root):
#   bash benches/sessions/run.sh [replay.py options]      # e.g. --limit 5, --formats openai
# Builds the release `kompress`, makes sure the venv has bpe-openai (o200k) and headroom-ai
# 0.42.0 (the peer arm), then replays every session under data/sessions/ through each arm and
# writes the table to benches/sessions/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || python3 -m venv .venv
"$PY" -c "import bpe_openai" 2>/dev/null || "$PY" -m pip install -q bpe-openai
"$PY" -c "import headroom" 2>/dev/null || "$PY" -m pip install -q "headroom-ai==0.42.0"
cargo build -q --release -p kompress-cli
exec "$PY" benches/sessions/replay.py --out benches/sessions/RESULTS.md "$@"
