#!/usr/bin/env bash
# Calibrates the PostgreSQL design's throughput estimate: pgbench runs the write transaction
# of one group commit (100 three-Pass Standard executions: epoch check, execution rows,
# journal rows, history as chunks or as one row per event) and, for comparison, one execution
# per transaction. Prints transactions/s and executions/s per script.
#
#   scripts/pgbench/run.sh [SECONDS] [CLIENTS]
#
# PGHOST/PGPORT/PGUSER/PGDATABASE choose the server (default: the local one, database
# baton_pgbench, created if missing and dropped at the end).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-15}
clients=${2:-2}
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres}
db=${PGDATABASE:-baton_pgbench}
psql -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
trap 'psql -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null' EXIT
for script in single group_chunks group_rows; do
  psql -q -d "$db" -f "$here/schema.sql" >/dev/null 2>&1
  per=100
  [ "$script" = single ] && per=1
  tps=$(pgbench -n -d "$db" -c "$clients" -j "$clients" -T "$seconds" -f "$here/$script.sql" 2>/dev/null \
    | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
  awk -v s="$script" -v t="$tps" -v n="$per" \
    'BEGIN { printf "%-13s %9.1f transactions/s  %9.0f executions/s\n", s, t, t * n }'
done
