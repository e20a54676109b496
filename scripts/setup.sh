#!/usr/bin/env bash
# Installs everything kompress builds and tests against, idempotently (each step skips itself
# when its result is already there). Used by scripts/test.sh, .ci/run and users.
#   - system packages: Java 17 + Maven (Kafka broker), build tools (apt, only when missing)
#   - .venv: lean CPU libtorch for `tch`, the MiniLM base model, NVRTC (CUDA 13) for the
#     gate kernel's PTX compile, bpe-openai for kscore.py
#   - the Apache Kafka broker's jars from Maven Central (deploy/kafka/libs)
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
need_apt=()
command -v java >/dev/null || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need_apt+=(maven)
command -v cc >/dev/null || need_apt+=(build-essential)
command -v cmake >/dev/null || need_apt+=(cmake)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
# the TLS tests make throwaway certificates; the SDK e2e polls the proxy with curl
command -v openssl >/dev/null || need_apt+=(openssl)
command -v curl >/dev/null || need_apt+=(curl)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup: apt-get install ${need_apt[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
bash scripts/setup_torch.sh
bash kernels/setup_nvrtc.sh >/dev/null
if ! .venv/bin/pip show bpe-openai >/dev/null 2>&1; then
    .venv/bin/pip install -q bpe-openai
fi
bash deploy/kafka/broker.sh fetch
echo "setup: done in $((SECONDS - t0)) s"
