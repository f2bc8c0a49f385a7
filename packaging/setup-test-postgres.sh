#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Starts the local PostgreSQL 15 cluster and creates the role and database the PostgreSQL test
# suites use (postgresql://trackwatch:trackwatch@127.0.0.1:5432/trackwatch). Idempotent.
# Runs as root (CI, containers) or through sudo.
# Also the support staff's read-only role (packaging/support-role.sql) and a login in it for the
# tests: postgresql://trackwatch_support:trackwatch_support@127.0.0.1:5432/trackwatch.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { as_root runuser -u postgres -- "$@"; }

if ! as_root pg_lsclusters -h 2>/dev/null | grep -q '^15 *main'; then
    as_root pg_createcluster 15 main
fi
# pg_cron schedules refresh_analytics_views() in the trackwatch database (the engine's own
# scheduler takes over where the extension is absent).
conf=/etc/postgresql/15/main/conf.d/trackwatch.conf
wanted="shared_preload_libraries = 'pg_cron'
cron.database_name = 'trackwatch'"
if [ "$(as_root cat "$conf" 2>/dev/null)" != "$wanted" ]; then
    echo "$wanted" | as_root tee "$conf" >/dev/null
    as_root pg_ctlcluster 15 main restart 2>/dev/null || true
fi
as_root pg_ctlcluster 15 main start 2>/dev/null || true # exits 2 when already running
for _ in $(seq 1 60); do
    pg_isready -h 127.0.0.1 -p 5432 -q && break
    sleep 1
done
pg_isready -h 127.0.0.1 -p 5432

if [ "$(as_postgres psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'trackwatch'")" != "1" ]; then
    as_postgres psql -qc "CREATE ROLE trackwatch LOGIN CREATEDB PASSWORD 'trackwatch'"
fi
if [ "$(as_postgres psql -tAc "SELECT 1 FROM pg_database WHERE datname = 'trackwatch'")" != "1" ]; then
    as_postgres createdb -O trackwatch trackwatch
fi
as_postgres psql -q -d trackwatch -c "CREATE EXTENSION IF NOT EXISTS pg_cron" \
    -c "GRANT USAGE ON SCHEMA cron TO trackwatch"
# Read-only for support staff: trackwatch_readonly reads every table (and, through default
# privileges, every table later migrations create), writes none. The script is read by this
# shell, not by the postgres user, who may not see the checkout.
as_postgres psql -q -v ON_ERROR_STOP=1 -d trackwatch <"$here/support-role.sql"
if [ "$(as_postgres psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'trackwatch_support'")" != "1" ]; then
    as_postgres psql -qc "CREATE ROLE trackwatch_support LOGIN PASSWORD 'trackwatch_support' IN ROLE trackwatch_readonly"
fi
echo "setup-test-postgres: ready at postgresql://trackwatch@127.0.0.1:5432/trackwatch"
