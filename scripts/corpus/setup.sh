#!/usr/bin/env bash
# One-time setup for scripts/corpus/make_corpus.py: its own venv (drain3) and the Debian tools
# some kinds need. Safe to re-run. Everything else (git, gcc, javac, mvn, npm, cargo, postgres,
# java) is expected from the machine image; a missing tool only skips its kinds.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ ! -x "$HERE/.venv/bin/python" ]]; then
  python3 -m venv "$HERE/.venv"
fi
"$HERE/.venv/bin/pip" install -q --disable-pip-version-check 'drain3==0.9.11'
if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
  missing=()
  for t in tree:tree rg:ripgrep nginx:nginx redis-server:redis-server sshd:openssh-server; do
    command -v "${t%%:*}" >/dev/null || [[ -x "/usr/sbin/${t%%:*}" ]] || missing+=("${t##*:}")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}"
  fi
fi
echo "corpus setup done: $HERE/.venv"
