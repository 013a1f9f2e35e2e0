#!/bin/sh
# Runs the Map benchmark: N items (default 10,000) through the handler function, then the same
# count (default 500) through the command function, with `baton run` (a release build).
#   crates/lambda/benches/map/run.sh [HANDLER_ITEMS] [COMMAND_ITEMS]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
baton=${BATON:-$here/../../../../target/release/baton}
n=${1:-10000}
m=${2:-500}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
items() { python3 -c "import json,sys; print(json.dumps({'fn': sys.argv[1], 'items': list(range(int(sys.argv[2])))}))" "$1" "$2"; }
items double "$n" > "$tmp/handler.json"
items double-command "$m" > "$tmp/command.json"
cd "$here"
for what in "handler $n" "command $m"; do
  set -- $what
  start=$(python3 -c 'import time; print(time.time())')
  "$baton" run map.asl.json --config baton.toml --input "@$tmp/$1.json" --data-dir "$tmp/data" --output json > "$tmp/out.json"
  end=$(python3 -c 'import time; print(time.time())')
  python3 - "$1" "$2" "$start" "$end" "$tmp/out.json" <<'PY'
import json, sys
kind, n, start, end, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
result = json.load(open(out))
assert result["status"] == "SUCCEEDED", result
assert json.loads(result["output"]) == {"count": n}, result["output"]
took = end - start
print(f"{kind:8} {n:6} invocations in {took:6.2f} s: {n / took:8.0f}/s")
PY
done
