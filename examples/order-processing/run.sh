#!/usr/bin/env bash
# The order workflow end to end: the TypeScript handlers installed and built (npm ci, tsc), then
# one execution of the template's state machine with baton run. The input is order.json, or
# the file given as the first argument. Needs node and npm. BATON_BIN=path/to/baton skips the
# cargo build. npm's messages go to stderr, the execution's output to stdout. Writes only
# node_modules/ and dist/ here; Baton's data goes to a temporary folder.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
input=$(realpath "${1:-$here/order.json}")
command -v npm >/dev/null || { echo "run.sh: node and npm are needed" >&2; exit 1; }

(cd "$here" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build) >&2

if [ -n "${BATON_BIN:-}" ]; then
  baton=("$BATON_BIN")
else
  baton=(cargo run --release --quiet --manifest-path "$root/Cargo.toml" -p baton-cli --bin baton --)
fi

data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
"${baton[@]}" run --template "$here/template.yaml" --state-machine OrderProcessingStateMachine \
  --input "@$input" --time virtual --data-dir "$data"
