#!/usr/bin/env bash
# The project's own PostgreSQL + PostGIS cluster under .data/, reachable only through a unix
# socket in .data/run (so two checkouts never fight over a port).
#   scripts/db.sh start            initdb if needed, then start
#   scripts/db.sh stop
#   scripts/db.sh ensure NAME      create database NAME with PostGIS if missing
#   scripts/db.sh url NAME         print the DATABASE_URL for NAME
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
data="$root/.data/pg"
run="$root/.data/run"
log="$root/.data/postgres.log"
port="${DOORSTEP_PG_PORT:-54329}"
bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"

as_pg() {
  # initdb and pg_ctl refuse to run as root: use the postgres system user then.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  mkdir -p "$root/.data" "$run"
  if [ "$(id -u)" -eq 0 ]; then
    # The postgres user must be able to reach .data/: give traverse (x) rights on the folders
    # above it where they lack them (a mktemp -d folder is 0700).
    d="$root"
    while [ "$d" != "/" ]; do
      [ "$(stat -c %a "$d" | cut -c3)" = "0" ] && chmod o+x "$d"
      d="$(dirname "$d")"
    done
    chown postgres:postgres "$root/.data" "$run"
    touch "$log" && chown postgres:postgres "$log"
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    echo "==> creating the database cluster in .data/pg"
    mkdir -p "$data"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data"
    as_pg "$bindir/initdb" -D "$data" -U doorstep --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$run'
port = $port
fsync = on
max_connections = 200
idle_in_transaction_session_timeout = '60s'
shared_buffers = 512MB
CONF
  fi
  if as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    return 0
  fi
  echo "==> starting PostgreSQL (socket in .data/run, port $port, log in .data/postgres.log)"
  as_pg "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null
}

stop() {
  if [ -f "$data/PG_VERSION" ] && as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_pg "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null && echo "==> PostgreSQL stopped"
  fi
}

psql_() { "$bindir/psql" -h "$run" -p "$port" -U doorstep -v ON_ERROR_STOP=1 -qAt "$@"; }

ensure() {
  local name="$1"
  if [ "$(psql_ -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$name'")" != "1" ]; then
    psql_ -d postgres -c "CREATE DATABASE \"$name\"" >/dev/null
  fi
  psql_ -d "$name" -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
}

url() { echo "postgresql+asyncpg://doorstep@/$1?host=$run&port=$port"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  ensure) ensure "$2" ;;
  url) url "$2" ;;
  drop) psql_ -d postgres -c "DROP DATABASE IF EXISTS \"$2\" WITH (FORCE)" >/dev/null ;;
  *) echo "usage: scripts/db.sh start|stop|ensure NAME|url NAME|drop NAME" >&2; exit 2 ;;
esac
