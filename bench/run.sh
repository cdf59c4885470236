#!/usr/bin/env bash
# The MsgMate.NET benchmark: builds the node and the harness in Release, then runs the harness, which hosts the
# Kafka mock broker and an HTTP sink in its own process and drives one MsgMate node (a separate process) through
# four phases: raw Kafka, intake, end-to-end, priority. See bench/README.md.
#
#   bench/run.sh                                  # every phase, SQLite, the node's default parallelism
#   bench/run.sh --parallelism 24,24,8            # tuned lanes
#   bench/run.sh --db postgresql                  # a private PostgreSQL on 127.0.0.1 (installed if missing)
#   bench/run.sh --phases e2e --messages 50000    # one phase; --help lists every option
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

db=sqlite
prev=""
for arg in "$@"; do
  [ "$prev" = "--db" ] && db="$arg"
  case "$arg" in -h|--help) db=help ;; esac
  prev="$arg"
done

log "building MsgMate.Node and MsgMate.Bench (Release)"
dotnet build src/MsgMate.Node/MsgMate.Node.csproj -c Release -nologo -v q >/dev/null
dotnet build bench/MsgMate.Bench/MsgMate.Bench.csproj -c Release -nologo -v q >/dev/null
NODE_DLL="$PWD/src/MsgMate.Node/bin/Release/net10.0/MsgMate.Node.dll"
BENCH_DLL="$PWD/bench/MsgMate.Bench/bin/Release/net10.0/MsgMate.Bench.dll"

if [ "$db" = "postgresql" ] || [ "$db" = "postgres" ] || [ "$db" = "pg" ]; then
  # A private PostgreSQL like scripts/test.sh starts, but durable (fsync on): a benchmark measures real commits.
  PG_PORT=${MSGMATE_BENCH_PG_PORT:-55442}
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    log "installing postgresql"
    as_root apt-get update -qq
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null && as_root chmod +x /usr/sbin/policy-rc.d
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  WORK=$(mktemp -d /tmp/msgmate-bench-pg.XXXXXX)
  chmod 755 "$WORK"
  cleanup() {
    log "stopping PostgreSQL"
    as_root runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$WORK" || true
  }
  trap cleanup EXIT
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  mkdir -p "$WORK/pg" && as_root chown postgres:postgres "$WORK/pg"
  as_root runuser -u postgres -- "$PG_BIN/initdb" -D "$WORK/pg" --auth=trust -U postgres >/dev/null
  as_root runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w \
    -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB ${MSGMATE_BENCH_PG_OPTS:-}" start >/dev/null
  export MSGMATE_BENCH_PG="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres;Maximum Pool Size=100"
fi

# Which code was measured: the commit, and "-dirty" when the working tree differs from it.
MSGMATE_BENCH_REVISION=$(git describe --always --dirty 2>/dev/null || echo unknown)
export MSGMATE_BENCH_REVISION
log "running the harness"
dotnet "$BENCH_DLL" --node-dll "$NODE_DLL" "$@"
