#!/bin/bash
# What verifying signatures costs a server: alternating `baton bench --workloads describe`
# runs against two `baton serve` processes of the same binary, pinned to CPU 0 (the bench
# client to CPU 1), one without keys and one with `[[auth.keys]]`, every request signed the
# same way for both (the server without keys reads the scope and checks nothing).
#
#   crates/auth/benches/serve.sh [ROUNDS]      (BATON=path/to/baton; default: the release build)
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
BATON=${BATON:-$root/target/release/baton}
ROUNDS=${1:-4}
KEY_ID=AKIABENCHKEY00000001
SECRET=bench/secret
work=$(mktemp -d)
trap 'kill $plain $keyed 2>/dev/null; rm -rf "$work"' EXIT
cat > "$work/keys.toml" <<TOML
[[auth.keys]]
access_key_id = "$KEY_ID"
secret_access_key = "$SECRET"
account = "123456789012"
TOML
taskset -c 0 "$BATON" serve --bind 127.0.0.1:18101 --s3-bind 127.0.0.1:0 --data-dir "$work/plain" >"$work/plain.log" 2>&1 &
plain=$!
taskset -c 0 "$BATON" serve --bind 127.0.0.1:18201 --s3-bind 127.0.0.1:0 --data-dir "$work/keyed" --config "$work/keys.toml" >"$work/keyed.log" 2>&1 &
keyed=$!
sleep 2
show='import json,sys; r=json.load(sys.stdin); print(sys.argv[1], round(r["requests_per_s"]), "/s,", r.get("server_cpu_us_per_request"), "µs CPU per request, p50", r["latency"]["p50_ms"], "ms, errors", r["errors"]["count"])'
for _ in $(seq "$ROUNDS"); do
  "$BATON" bench --endpoint http://127.0.0.1:18101 --server-pid $plain --client-cpus 1 --workloads describe \
    --duration 8 --json --key "$KEY_ID:$SECRET" 2>/dev/null | python3 -c "$show" "without keys"
  "$BATON" bench --endpoint http://127.0.0.1:18201 --server-pid $keyed --client-cpus 1 --workloads describe \
    --duration 8 --json --key "$KEY_ID:$SECRET" 2>/dev/null | python3 -c "$show" "with keys"
done
