#!/usr/bin/env bash
# Installs NVRTC (CUDA 13.0) from PyPI into the repository's .venv, idempotently, and prints
# the folder holding libnvrtc.so.13. kompress-gpu finds that folder by itself (it searches
# .venv next to the working directory and the executable); KOMPRESS_NVRTC_DIR overrides.
# Enough to compile kernels/gate_fusion.cu to PTX on a machine without a GPU.
# Usage: kernels/setup_nvrtc.sh            (prints the lib folder on stdout, progress on stderr)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${KOMPRESS_VENV:-.venv}
PY=${PYTHON:-python3}
NVRTC_VERSION=13.0.88 # the CUDA 13.0 release, matching nvidia-cuda-runtime==13.0.96 (torch 2.13)

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV" >&2
if ! "$VENV/bin/pip" show nvidia-cuda-nvrtc 2>/dev/null | grep -q "^Version: $NVRTC_VERSION\$"; then
    "$VENV/bin/pip" install -q --no-deps "nvidia-cuda-nvrtc==$NVRTC_VERSION" >&2
fi
LIB=$("$VENV/bin/python" -c 'import sysconfig, os; print(os.path.join(sysconfig.get_paths()["purelib"], "nvidia", "cu13", "lib"))')
test -f "$LIB/libnvrtc.so.13" || { echo "setup_nvrtc: libnvrtc.so.13 missing in $LIB" >&2; exit 1; }
echo "setup_nvrtc: ok" >&2
echo "$LIB"
