#!/usr/bin/env bash
# Calibrates the PostgreSQL design's throughput estimate: pgbench runs the write transaction
# of one group commit (group.sql: 100 three-Pass Standard executions: epoch check, execution
# rows, journal rows, history as chunks) and two variants: a row per history event, and one
# execution per transaction. Prints transactions/s and executions/s per script.
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
# The two variants are group.sql with one change each: one execution per transaction, or
# eight history rows per execution instead of one chunk.
work=$(mktemp -d)
trap 'rm -rf "$work"; psql -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null' EXIT
cp "$here/group.sql" "$work/group_chunks.sql"
sed 's/generate_series(1, 100)/generate_series(1, 1)/' "$here/group.sql" >"$work/single.sql"
sed -e 's/INSERT INTO history_chunks (execution_seq, first_id, events)/INSERT INTO history (execution_seq, id, event)/' \
    -e 's/SELECT execution_seq, 1, repeat(/SELECT execution_seq, e, repeat(/' \
    -e 's/, 8)$/, 1)/' \
    -e 's/^FROM journal_rows;/FROM journal_rows, generate_series(1, 8) AS e;/' \
    "$here/group.sql" >"$work/group_rows.sql"
for script in single group_chunks group_rows; do
  psql -q -d "$db" -f "$here/schema.sql" >/dev/null 2>&1
  per=100
  [ "$script" = single ] && per=1
  tps=$(pgbench -n -d "$db" -c "$clients" -j "$clients" -T "$seconds" -f "$work/$script.sql" 2>/dev/null \
    | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
  awk -v s="$script" -v t="$tps" -v n="$per" \
    'BEGIN { printf "%-13s %9.1f transactions/s  %9.0f executions/s\n", s, t, t * n }'
done
