#!/usr/bin/env bash
# Installs (if needed) and starts a local PostgreSQL cluster for the remote-state
# tests, then prints the connection URL on stdout. Idempotent.
set -euo pipefail
log() { echo "setup-postgres: $*" >&2; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing postgresql"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
fi
ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h 2>/dev/null | grep -q "^$ver main"; then
  $SUDO pg_createcluster "$ver" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main"{print $4}' | grep -q online; then
  log "starting cluster $ver/main"
  $SUDO pg_ctlcluster "$ver" main start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main"{print $3}')
# A password login for the tests over loopback TCP.
as_postgres psql -q -p "$port" -c "DO \$\$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='orun') THEN CREATE ROLE orun LOGIN SUPERUSER PASSWORD 'orun'; END IF; END\$\$;" >&2
as_postgres psql -q -p "$port" -tc "SELECT 1 FROM pg_database WHERE datname='orun_test'" | grep -q 1 || as_postgres createdb -p "$port" -O orun orun_test >&2
echo "postgres://orun:orun@127.0.0.1:${port}/orun_test"
