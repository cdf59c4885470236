#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine with the .NET SDK: installs what the tests need from
# Debian packages (PostgreSQL, MariaDB, Redis, Node.js) and npm (the OpenAPI validator), starts the databases on
# 127.0.0.1 under a throw-away directory, runs every test project, and stops the servers again. `.ci/run` calls exactly this.
#
#   scripts/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~UserApi]
set -euo pipefail
cd "$(dirname "$0")/.."

PG_PORT=${MSGMATE_TEST_PG_PORT:-55432}
MY_PORT=${MSGMATE_TEST_MY_PORT:-53306}
WORK=$(mktemp -d /tmp/msgmate-test-services.XXXXXX)
chmod 755 "$WORK"

log() { printf '[test.sh %(%H:%M:%S)T] %s\n' -1 "$*"; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# --- packages ---------------------------------------------------------------------------------------------
need=()
command -v /usr/lib/postgresql/15/bin/initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
# Redis: the quota tests start private redis-server processes on loopback (and stop them mid-run).
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# Node.js and npm run the independent OpenAPI validator (tests/openapi-validate).
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  as_root apt-get update -qq
  # policy-rc.d keeps the packages' own services from starting: we run private instances below.
  printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null && as_root chmod +x /usr/sbin/policy-rc.d
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
MARIADBD=$(command -v mariadbd || echo /usr/sbin/mariadbd)

cleanup() {
  log "stopping test servers"
  [ -f "$WORK/pg/postmaster.pid" ] && as_root runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true
  [ -f "$WORK/my/mysqld.pid" ] && kill "$(cat "$WORK/my/mysqld.pid")" 2>/dev/null || true
  [ -n "${MSGMATE_KEEP_SERVICES:-}" ] || rm -rf "$WORK" || true
}
trap cleanup EXIT

# --- PostgreSQL --------------------------------------------------------------------------------------------
log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
mkdir -p "$WORK/pg" && as_root chown postgres:postgres "$WORK/pg"
as_root runuser -u postgres -- "$PG_BIN/initdb" -D "$WORK/pg" --auth=trust -U postgres >/dev/null
as_root runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w \
  -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null

# --- MariaDB -----------------------------------------------------------------------------------------------
log "starting MariaDB on 127.0.0.1:$MY_PORT"
mkdir -p "$WORK/my" && as_root chown mysql:mysql "$WORK/my"
as_root mariadb-install-db --user=mysql --datadir="$WORK/my" --auth-root-authentication-method=normal \
  --skip-test-db >/dev/null 2>&1
as_root "$MARIADBD" --user=mysql --datadir="$WORK/my" --port="$MY_PORT" --bind-address=127.0.0.1 \
  --socket="$WORK/my/mysqld.sock" --pid-file="$WORK/my/mysqld.pid" --skip-name-resolve --max-connections=500 \
  --innodb-flush-log-at-trx-commit=0 --log-error="$WORK/my/mysqld.err" &
for _ in $(seq 1 60); do
  mariadb-admin --protocol=tcp -h127.0.0.1 -P"$MY_PORT" -uroot ping >/dev/null 2>&1 && break
  sleep 0.5
done
mariadb-admin --protocol=tcp -h127.0.0.1 -P"$MY_PORT" -uroot ping >/dev/null || { cat "$WORK/my/mysqld.err"; exit 1; }
# Root over TCP from 127.0.0.1, no password: a private, loopback-only test server.
mariadb --protocol=tcp -h127.0.0.1 -P"$MY_PORT" -uroot -e \
  "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;" 2>/dev/null || true

export MSGMATE_TEST_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres;Maximum Pool Size=50"
export MSGMATE_TEST_MARIADB="Server=127.0.0.1;Port=$MY_PORT;User ID=root;Maximum Pool Size=50;Allow User Variables=true"

# --- OpenAPI validator -------------------------------------------------------------------------------------
# The versions package-lock.json pins, from the npm registry; OpenApiTests runs validate.mjs on the served document.
log "installing the OpenAPI validator (npm ci in tests/openapi-validate)"
(cd tests/openapi-validate && npm ci --no-audit --no-fund --loglevel=error)

# --- tests -------------------------------------------------------------------------------------------------
log "building"
dotnet build MsgMate.sln -c Release -nologo -v q
status=0
for project in tests/*/*.csproj; do
  log "testing $project"
  dotnet test "$project" -c Release --no-build -nologo --logger "console;verbosity=normal" "$@" || status=1
done
exit $status
