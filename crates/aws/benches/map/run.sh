#!/bin/sh
# Runs the DynamoDB Map benchmark: a distributed Map of N `dynamodb:putItem` tasks (default
# 10,000) through `baton run` (a release build) against the stub endpoint
# (`examples/stub_endpoint.rs`), RUNS times (default 3), a fresh stub each time. Prints the
# calls per second and the TCP connections the stub accepted.
#   crates/aws/benches/map/run.sh [ITEMS] [RUNS]
# Set BATON to a built binary to skip building it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
n=${1:-10000}
runs=${2:-3}
if [ -z "${BATON:-}" ]; then
  (cd "$root" && cargo build --release -p baton-cli)
  BATON=$root/target/release/baton
fi
(cd "$root" && cargo build --release -p baton-aws --example stub_endpoint)
stub_bin=$root/target/release/examples/stub_endpoint
tmp=$(mktemp -d)
stub_pid=
cleanup() {
  if [ -n "$stub_pid" ]; then kill "$stub_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
python3 -c "import json,sys; print(json.dumps({'items': list(range(int(sys.argv[1])))}))" "$n" > "$tmp/input.json"
i=1
while [ "$i" -le "$runs" ]; do
  stub_out=$tmp/stub-$i.out
  "$stub_bin" > "$stub_out" &
  stub_pid=$!
  while [ ! -s "$stub_out" ]; do sleep 0.05; done
  url=$(head -n 1 "$stub_out")
  cat > "$tmp/baton.toml" <<TOML
[aws]
endpoint_url = "$url"
region = "us-east-1"
access_key_id = "AKIDEXAMPLE"
secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
allow = ["dynamodb:PutItem"]
TOML
  start=$(python3 -c 'import time; print(time.time())')
  "$BATON" run "$here/map.asl.json" --config "$tmp/baton.toml" --input "@$tmp/input.json" \
    --data-dir "$tmp/data" --output json > "$tmp/out.json"
  end=$(python3 -c 'import time; print(time.time())')
  kill -TERM "$stub_pid"
  wait "$stub_pid" || true
  stub_pid=
  python3 - "$n" "$start" "$end" "$tmp/out.json" "$stub_out" <<'PY'
import json, sys
n, start, end, out, stub = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
result = json.load(open(out))
assert result["status"] == "SUCCEEDED", result
assert json.loads(result["output"]) == {"count": n, "ok": True}, result["output"]
counts = open(stub).read().split("\n")[1].split()
requests, connections = int(counts[1]), int(counts[3])
assert requests == n, f"the stub answered {requests} requests, not {n}"
took = end - start
print(f"{n} putItem calls in {took:5.2f} s: {n / took:6.0f}/s; {connections} connections")
PY
  i=$((i + 1))
done
