#!/usr/bin/env bash
# Assembles the pruner's training data from real command outputs on this machine plus the dev
# set's training split (never its evaluation split). Deterministic for a given machine state.
# Usage: scripts/model/make_training_data.sh [OUT.jsonl] [SCALE]
#   OUT   default out/training/train.jsonl      SCALE  1 (default, ~1 min) .. 4 (more outputs)
# Needs: rustc, cargo, gcc, python3 with pytest, git; the dev set at ../shared/data/dev.jsonl
# (or KOMPRESS_DEV=path).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-out/training/train.jsonl}
SCALE=${2:-1}
DEV=${KOMPRESS_DEV:-../shared/data/dev.jsonl}
args=("$OUT" --scale "$SCALE")
if [ -f "$DEV" ]; then
    args+=(--dev "$DEV")
else
    echo "make_training_data: no dev set at $DEV; tool outputs only" >&2
fi
python3 scripts/model/collect_outputs.py "${args[@]}"
