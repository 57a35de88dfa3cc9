#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the test suite (installing Debian's postgresql if it is missing) and
# print the SQLAlchemy URL of a fresh database on it. Usage: export SHULU_TEST_POSTGRES_URL=$(.ci/postgres.sh)
set -euo pipefail
PORT=${SHULU_PG_PORT:-54329}
DIR=${SHULU_PG_DIR:-/tmp/shulu-pg}
bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(bindir)" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
fi
BIN=$(bindir)
RUN=""
if [ "$(id -u)" -eq 0 ]; then RUN="runuser -u postgres --"; fi   # the server refuses to run as root
if ! $RUN "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
  rm -rf "$DIR"; mkdir -p "$DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres "$DIR"
  $RUN "$BIN/initdb" -D "$DIR" -U shulu --auth=trust >/dev/null
  $RUN "$BIN/pg_ctl" -D "$DIR" -l "$DIR/log" -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1" -w start >/dev/null
fi
"$BIN/psql" -h 127.0.0.1 -p "$PORT" -U shulu -d postgres -qc "DROP DATABASE IF EXISTS shulu_test" >/dev/null
"$BIN/psql" -h 127.0.0.1 -p "$PORT" -U shulu -d postgres -qc "CREATE DATABASE shulu_test" >/dev/null
echo "postgresql+psycopg://shulu@127.0.0.1:$PORT/shulu_test"
