#!/usr/bin/env bash
# The Python package (crates/kompress-py): builds the wheel with maturin, installs it into a
# clean venv and runs its pytest suite; then installs it beside the real headroom-ai[proxy]
# 0.42 from PyPI (offline at run time: HEADROOM_OFFLINE=1, no model downloads) and runs the
# plugin tests there (Headroom's library compress() and its real proxy in front of a fake
# upstream), then the report of savings and critical keep next to Headroom's own compressors.
set -euo pipefail
cd "$(dirname "$0")/../.."
py=target/py
export HEADROOM_OFFLINE=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HEADROOM_TELEMETRY=off
if [ ! -x "$py/build/bin/maturin" ]; then
    python3 -m venv "$py/build"
    "$py/build/bin/pip" install -q "maturin>=1.7,<2"
fi
rm -rf "$py/wheels"
"$py/build/bin/maturin" build -q -m crates/kompress-py/Cargo.toml --profile dev --out "$py/wheels"
wheel=$(ls "$py"/wheels/kompress_ultra-*.whl)
echo "python: built $wheel"

# a clean venv every time: the wheel must install with nothing else present
rm -rf "$py/venv-api"
python3 -m venv "$py/venv-api"
"$py/venv-api/bin/pip" install -q "$wheel" pytest
(cd crates/kompress-py/tests && ../../../"$py"/venv-api/bin/python -m pytest -q -p no:cacheprovider test_api.py test_headroom.py)

# headroom-ai from PyPI (cached between runs; the wheel is reinstalled every time)
if ! "$py/venv-headroom/bin/python" -c "import headroom, fastapi, pytest, bpe_openai" >/dev/null 2>&1; then
    rm -rf "$py/venv-headroom"
    python3 -m venv "$py/venv-headroom"
    "$py/venv-headroom/bin/pip" install -q "headroom-ai[proxy]==0.42.0" pytest bpe-openai
fi
"$py/venv-headroom/bin/pip" install -q --no-deps --force-reinstall "$wheel"
(cd crates/kompress-py/tests &&
    KOMPRESS_REQUIRE_HEADROOM=1 ../../../"$py"/venv-headroom/bin/python -m pytest -q -p no:cacheprovider .)
if [ -f ../shared/data/kscore.py ] || [ -n "${KSCORE:-}" ]; then
    (cd crates/kompress-py/tests && ../../../"$py"/venv-headroom/bin/python headroom_report.py --per-kind 6 2>/dev/null)
else
    echo "python: no kscore.py (../shared/data or \$KSCORE): the Headroom report is skipped"
fi
