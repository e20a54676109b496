#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server for kompress-memory's tests and prints its URL on stdout
# (everything else goes to stderr):
#
#   export KOMPRESS_TEST_PG="$(deploy/postgres/start.sh)"
#   cargo test -p kompress-memory --features postgres
#   deploy/postgres/stop.sh            # stops the last one started
#
# Installs Debian's `postgresql` with apt when no server binaries are present, inits a cluster
# in a fresh temporary directory (KOMPRESS_PG_DIR overrides), listens on 127.0.0.1 only, on a
# free port, trust auth for the local `kompress` superuser. Idempotent: each call starts a new
# cluster; nothing outside the temp directory is touched except the apt install.
set -euo pipefail

log() { echo "[kompress-pg] $*" >&2; }

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

BIN="$(find_bin || true)"
if [[ -z "$BIN" || ! -x "$BIN/initdb" ]]; then
  log "no PostgreSQL server binaries; installing Debian's postgresql"
  SUDO=""
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null || { log "need root or sudo to apt-get install postgresql"; exit 1; }
    SUDO="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq postgresql >&2
  BIN="$(find_bin)"
fi
log "server binaries: $BIN"

DIR="${KOMPRESS_PG_DIR:-$(mktemp -d /tmp/kompress-pg.XXXXXX)}"
mkdir -p "$DIR/sock"

# initdb refuses to run as root: run the server as the `postgres` system user then.
RUN=()
if [[ "$(id -u)" == 0 ]]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
  chown -R postgres "$DIR"
  RUN=(runuser -u postgres --)
fi

PORT="$(python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
)"

"${RUN[@]}" "$BIN/initdb" -D "$DIR/data" -U kompress --auth=trust -E UTF8 --locale=C >"$DIR/initdb.log" 2>&1 \
  || { cat "$DIR/initdb.log" >&2; exit 1; }
"${RUN[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR/sock" start >&2 \
  || { cat "$DIR/server.log" >&2; exit 1; }
"$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U kompress kompress

echo "$DIR" > /tmp/kompress-pg.last
log "cluster in $DIR, port $PORT; stop with deploy/postgres/stop.sh"
echo "postgres://kompress@127.0.0.1:$PORT/kompress"
