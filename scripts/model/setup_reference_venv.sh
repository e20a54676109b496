#!/usr/bin/env bash
# Python environment for scripts/model/make_fixtures.py (only needed to regenerate the committed
# fixtures): Python torch needs its CUDA libraries to import, so this is a separate venv with the
# full torch install plus transformers, kept out of the lean .venv that builds `tch`.
# Idempotent. Usage: scripts/model/setup_reference_venv.sh && .cache/pyref/bin/python scripts/model/make_fixtures.py
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.cache/pyref
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
if ! "$VENV/bin/python" -c "import torch, transformers, safetensors, tokenizers" 2>/dev/null; then
    "$VENV/bin/pip" install -q torch==2.13.0 transformers safetensors
fi
echo "reference venv ok: $VENV"
