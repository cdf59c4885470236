#!/usr/bin/env bash
# A local MsgMate.NET cluster without Docker: N node processes on loopback from the built binaries, and a private
# PostgreSQL when asked, in the spirit of the Go project's start.sh / status.sh / stop.sh.
#
#   scripts/cluster.sh up [N] [--postgres]   build src/MsgMate.Node once, start N nodes (default 3), wait until ready
#   scripts/cluster.sh status                each node's /healthz, /readyz and member status
#   scripts/cluster.sh down [--purge]        SIGTERM each node (graceful leave), wait; stop PostgreSQL; --purge: delete the data
#
# Node i (from 0) serves HTTP on 127.0.0.1:(8109+i) and Akka remoting on 127.0.0.1:(4053+i); the first three nodes
# are the seed nodes. Several nodes need one shared database, so N > 1 requires --postgres (on SQLite every node would
# have a database file of its own: separate journals and records, not one cluster's). Without --postgres a single node
# keeps its SQLite files in its directory.
#
# Everything lives in $MSGMATE_CLUSTER_DIR (default: data/cluster in the repository, which git ignores): per node a
# directory with node.pid, node.log, its outbox and SQLite files; pg/ with PostgreSQL's data and server.log.
# PostgreSQL listens on 127.0.0.1:$MSGMATE_CLUSTER_PG_PORT (default 55433; the test suite's is 55432).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${MSGMATE_CLUSTER_DIR:-$ROOT/data/cluster}
PG_PORT=${MSGMATE_CLUSTER_PG_PORT:-55433}
HTTP_BASE=8109
REMOTE_BASE=4053
MAX_SEEDS=3
# Above the node's MsgMate:Cluster:ShutdownTimeout (50 s): a leave that takes longer is cut short by the node itself.
LEAVE_WAIT=70
READY_WAIT=240
BIN="$ROOT/src/MsgMate.Node/bin/Release/net10.0"

log() { printf '[cluster.sh %(%H:%M:%S)T] %s\n' -1 "$*"; }
die() { printf 'cluster.sh: %s\n' "$*" >&2; exit 1; }
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# GET on 127.0.0.1 without curl: "CODE" on the first line, then the body. Empty when nothing answers.
http_get() {
  timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$1" >&3
    cat <&3' "$1" "$2" 2>/dev/null | tr -d '\r' | awk 'NR == 1 { print $2; next } body { print } /^$/ { body = 1 }' || true
}
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
node_dirs() { find "$DIR" -maxdepth 1 -type d -name 'node-*' 2>/dev/null | sort -V; }

# --- PostgreSQL (installed and started as scripts/test.sh does, on a port of its own) -----------------------------
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
# initdb and the server refuse to run as root: as root they run as the postgres user, otherwise as the caller.
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_start() {
  if [ -z "$(pg_bin)" ]; then
    log "installing postgresql"
    as_root apt-get update -qq
    # policy-rc.d keeps the package's own service from starting: a private instance runs below.
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null && as_root chmod +x /usr/sbin/policy-rc.d
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  local bin; bin=$(pg_bin)
  mkdir -p "$DIR/pg"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$DIR/pg"
    runuser -u postgres -- test -x "$DIR/pg" ||
      die "the postgres user cannot reach $DIR; set MSGMATE_CLUSTER_DIR to a directory it can (e.g. under /tmp)"
  fi
  if [ ! -f "$DIR/pg/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$DIR/pg" --auth=trust -U postgres >/dev/null
  fi
  if as_pg "$bin/pg_ctl" -D "$DIR/pg" status >/dev/null 2>&1; then
    log "PostgreSQL already running on 127.0.0.1:$PG_PORT"
  else
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    port_in_use "$PG_PORT" && die "port $PG_PORT is taken (set MSGMATE_CLUSTER_PG_PORT)"
    as_pg "$bin/pg_ctl" -D "$DIR/pg" -l "$DIR/pg/server.log" -w \
      -o "-p $PG_PORT -k $DIR/pg -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
  fi
  if [ -z "$("$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'msgmate'")" ]; then
    "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE msgmate" >/dev/null
  fi
}

pg_stop() {
  local bin; bin=$(pg_bin)
  if [ -n "$bin" ] && [ -f "$DIR/pg/postmaster.pid" ]; then
    log "stopping PostgreSQL"
    as_pg "$bin/pg_ctl" -D "$DIR/pg" -m fast -w stop >/dev/null || true
  fi
}

# --- nodes ---------------------------------------------------------------------------------------------------------
start_node() { # i n postgres
  local i=$1 n=$2 postgres=$3 dir="$DIR/node-$1"
  local http=$((HTTP_BASE + i)) remote=$((REMOTE_BASE + i))
  port_in_use "$http" && die "port $http (HTTP of node $i) is taken"
  port_in_use "$remote" && die "port $remote (remoting of node $i) is taken"
  mkdir -p "$dir"
  local settings=(
    "urls=http://127.0.0.1:$http"
    "MsgMate__Port=$http"
    "MsgMate__Cluster__Hostname=127.0.0.1"
    "MsgMate__Cluster__Port=$remote"
    "MsgMate__Email__OutboxFolder=$dir/outbox"
  )
  local seeds=$(( n < MAX_SEEDS ? n : MAX_SEEDS )) s
  for ((s = 0; s < seeds; s++)); do
    settings+=("MsgMate__Cluster__SeedNodes__$s=akka.tcp://msgmate@127.0.0.1:$((REMOTE_BASE + s))")
  done
  if [ "$postgres" = 1 ]; then
    settings+=(
      "MsgMate__Storage__Provider=postgresql"
      "MsgMate__Storage__ConnectionString=Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=msgmate;Maximum Pool Size=50"
    )
  else
    settings+=(
      "MsgMate__Storage__Provider=sqlite"
      "MsgMate__Storage__ConnectionString=Data Source=$dir/msgmate.db"
    )
  fi
  # The working directory is the node's own; --contentRoot finds appsettings.json beside the binaries.
  (cd "$dir" && exec env "${settings[@]}" nohup dotnet "$BIN/MsgMate.Node.dll" --contentRoot "$BIN" >>"$dir/node.log" 2>&1) &
  echo $! >"$dir/node.pid"
  log "node $i: pid $(cat "$dir/node.pid"), http://127.0.0.1:$http, akka.tcp://msgmate@127.0.0.1:$remote, log $dir/node.log"
}

wait_ready() { # i
  local dir="$DIR/node-$1" port=$((HTTP_BASE + $1)) deadline=$((SECONDS + READY_WAIT))
  while [ $SECONDS -lt $deadline ]; do
    alive "$dir/node.pid" || { tail -n 40 "$dir/node.log" >&2; die "node $1 exited (log above: $dir/node.log)"; }
    [ "$(http_get "$port" /readyz | head -n 1)" = 200 ] && return 0
    sleep 1
  done
  tail -n 40 "$dir/node.log" >&2
  die "node $1 was not ready within $READY_WAIT s (log above: $dir/node.log)"
}

cmd_up() {
  local n=3 postgres=0
  for arg in "$@"; do
    case "$arg" in
      --postgres) postgres=1 ;;
      ''|*[!0-9]*) die "up: unknown argument '$arg' (usage: up [N] [--postgres])" ;;
      *) n=$arg ;;
    esac
  done
  [ "$n" -ge 1 ] || die "up: N must be at least 1"
  [ "$n" -eq 1 ] || [ "$postgres" = 1 ] ||
    die "up: $n nodes need one shared database: add --postgres (on SQLite each node would have its own files)"
  for dir in $(node_dirs); do
    alive "$dir/node.pid" && die "a cluster is already running in $DIR (scripts/cluster.sh status; down first)"
  done
  command -v dotnet >/dev/null || die "dotnet is not on the PATH"
  mkdir -p "$DIR"
  # Old node directories beyond N would show up in status: a new `up` starts from this N.
  for dir in $(node_dirs); do rm -f "$dir/node.pid"; done
  printf 'NODES=%s\nPOSTGRES=%s\n' "$n" "$postgres" >"$DIR/cluster.env"

  log "building src/MsgMate.Node (Release)"
  dotnet build "$ROOT/src/MsgMate.Node/MsgMate.Node.csproj" -c Release -nologo -v q
  if [ "$postgres" = 1 ]; then pg_start; fi
  # The first node alone, then the others together: nodes starting at once on an empty database race to create
  # the schema (PostgreSQL: "duplicate key value violates unique constraint pg_class_relname_nsp_index"), and the
  # first seed forms the cluster the others join.
  local i
  start_node 0 "$n" "$postgres"
  log "waiting until node 0 is ready (schema made, member Up)"
  wait_ready 0
  if [ "$n" -gt 1 ]; then
    for ((i = 1; i < n; i++)); do start_node "$i" "$n" "$postgres"; done
    log "waiting until every node is ready (member Up, store and queue answer)"
    for ((i = 1; i < n; i++)); do wait_ready "$i"; done
  fi
  cmd_status
}

cmd_status() {
  [ -f "$DIR/cluster.env" ] || { echo "no cluster in $DIR"; return 0; }
  # shellcheck disable=SC1091
  . "$DIR/cluster.env"
  printf '%-5s %-8s %-23s %-8s %-7s %s\n' node pid http healthz readyz member
  local i
  for ((i = 0; i < NODES; i++)); do
    local dir="$DIR/node-$i" port=$((HTTP_BASE + i)) pid=- healthz=- readyz=- member=-
    if alive "$dir/node.pid"; then
      pid=$(cat "$dir/node.pid")
      healthz=$(http_get "$port" /healthz | head -n 1)
      local answer; answer=$(http_get "$port" /readyz)
      readyz=$(head -n 1 <<<"$answer")
      # /readyz names the member and its status: "member akka.tcp://msgmate@127.0.0.1:4053 is Up"; and a leave.
      member=$(sed -n 's/.*"cluster":{[^}]*"detail":"member \([^"]*\) is \([A-Za-z]*\)".*/\1 \2/p' <<<"$answer")
      if grep -q '"leaving":{"status":"unhealthy"' <<<"$answer"; then member="$member (leaving)"; fi
    else
      member="not running"
    fi
    printf '%-5s %-8s %-23s %-8s %-7s %s\n' "$i" "$pid" "http://127.0.0.1:$port" "${healthz:--}" "${readyz:--}" "${member:--}"
  done
  if [ "${POSTGRES:-0}" = 1 ]; then
    local bin; bin=$(pg_bin)
    if [ -n "$bin" ] && as_pg "$bin/pg_ctl" -D "$DIR/pg" status >/dev/null 2>&1; then
      echo "postgresql: running on 127.0.0.1:$PG_PORT (database msgmate)"
    else
      echo "postgresql: not running"
    fi
  fi
}

cmd_down() {
  local purge=0
  for arg in "$@"; do
    case "$arg" in
      --purge) purge=1 ;;
      *) die "down: unknown argument '$arg' (usage: down [--purge])" ;;
    esac
  done
  # Last node first, one at a time: each hands its shards and singletons to members that stay.
  local dirs; dirs=$(node_dirs | sort -rV)
  for dir in $dirs; do
    alive "$dir/node.pid" || { rm -f "$dir/node.pid"; continue; }
    local pid name started=$SECONDS
    pid=$(cat "$dir/node.pid"); name=$(basename "$dir")
    log "$name: SIGTERM to $pid (graceful leave)"
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - started)) -lt $LEAVE_WAIT ]; do sleep 1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name: still running after $LEAVE_WAIT s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    elif grep -q "Left the cluster" "$dir/node.log"; then
      log "$name: left the cluster and exited after $((SECONDS - started)) s"
    else
      log "$name: exited after $((SECONDS - started)) s (no 'Left the cluster' in its log)"
    fi
    rm -f "$dir/node.pid"
  done
  pg_stop
  if [ "$purge" = 1 ] && [ -f "$DIR/cluster.env" ]; then
    log "deleting $DIR"
    rm -rf "$DIR"
  fi
}

verb=${1:-}
[ $# -gt 0 ] && shift
case "$verb" in
  up) cmd_up "$@" ;;
  status) cmd_status ;;
  down) cmd_down "$@" ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
