#!/usr/bin/env bash
# Stops a cluster started by start.sh and removes its directory: the one given as $1, or the
# last one started.
set -euo pipefail
DIR="${1:-$(cat /tmp/kompress-pg.last 2>/dev/null || true)}"
if [[ -z "$DIR" || ! -d "$DIR/data" ]]; then
  echo "[kompress-pg] no cluster to stop" >&2
  exit 0
fi
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
RUN=()
[[ "$(id -u)" == 0 ]] && RUN=(runuser -u postgres --)
"${RUN[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >&2 || true
rm -rf "$DIR"
[[ "$(cat /tmp/kompress-pg.last 2>/dev/null || true)" == "$DIR" ]] && rm -f /tmp/kompress-pg.last
echo "[kompress-pg] stopped and removed $DIR" >&2
