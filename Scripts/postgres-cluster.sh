#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback for tests (issue 13). Source this file, then call
#   pg_cluster_start    # sets PG_PORT, PG_URL (postgresql://movierec@127.0.0.1:PORT/site), PG_BIN, PG_DATA
#   pg_cluster_stop     # stops it and removes its folder (call it from an EXIT trap)
#   pg_cluster_restart  # stop + start on the same port and data (a server restart)
# Installs Debian's postgresql when its binaries are missing (as root). The server runs as the unprivileged
# user `nobody` (root may not run postgres), listens on 127.0.0.1 only, on a free port, with trust
# authentication for the local test user and no fsync (the cluster is thrown away).

pg_cluster_find() {
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
    if [ "$(id -u)" -ne 0 ]; then echo "PostgreSQL is missing and this is not root: cannot install it" >&2; return 1; fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
}

pg_as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }

pg_cluster_start() {
  pg_cluster_find || return 1
  if [ -z "${PG_DATA:-}" ]; then
    PG_ROOT=$(mktemp -d /tmp/movierec-pg.XXXXXX)
    chmod 755 "$PG_ROOT"
    PG_DATA="$PG_ROOT/data"
    mkdir -p "$PG_DATA"
    [ "$(id -u)" -eq 0 ] && chown -R nobody: "$PG_ROOT"
    pg_as_owner "$PG_BIN/initdb" -D "$PG_DATA" -U movierec -A trust --no-sync -E UTF8 >"$PG_ROOT/initdb.log" 2>&1 \
      || { cat "$PG_ROOT/initdb.log" >&2; return 1; }
    PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  fi
  pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_ROOT/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_ROOT -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100" start >/dev/null \
    || { cat "$PG_ROOT/server.log" >&2; return 1; }
  PG_URL="postgresql://movierec@127.0.0.1:$PG_PORT/site"
  if ! "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U movierec -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'site'" | grep -q 1; then
    "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U movierec -d postgres -qc "CREATE DATABASE site" || return 1
  fi
  export PG_BIN PG_DATA PG_PORT PG_URL PG_ROOT
}

pg_cluster_stop() {
  if [ -n "${PG_DATA:-}" ] && [ -d "$PG_DATA" ]; then
    pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
  [ -n "${PG_ROOT:-}" ] && rm -rf "$PG_ROOT"
  PG_DATA="" PG_ROOT=""
}

pg_cluster_restart() {
  pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
  sleep "${1:-0}"
  pg_cluster_start
}

pg_psql() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U movierec -d site -v ON_ERROR_STOP=1 -qtA "$@"; }

# SIGTERM, then SIGKILL after 10 s: a process (a serve replica) that ignores SIGTERM must not hang the
# calling script's cleanup; it is reported.
stop_pid() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null || true; return 0; }
    sleep 0.2
  done
  echo "note: process $1 did not stop within 10 s of SIGTERM: killed" >&2
  kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null || true
}
