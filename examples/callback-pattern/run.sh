#!/usr/bin/env bash
# The callback pattern end to end: baton serve with this folder's baton.toml, the state machine
# created and four executions started with the AWS CLI, the poller (boto3) reporting their jobs
# until every execution has ended, then the idempotent completion shown on a finished job.
# Needs python3 with boto3, and the AWS CLI. BATON_BIN=path/to/baton skips the cargo build.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v aws >/dev/null || { echo "run.sh: the AWS CLI (aws) is needed" >&2; exit 1; }
python3 -c 'import boto3' 2>/dev/null || { echo "run.sh: python3 with boto3 is needed" >&2; exit 1; }
if [ -z "${BATON_BIN:-}" ]; then
  cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p baton-cli --bin baton
  BATON_BIN="${CARGO_TARGET_DIR:-$root/target}/release/baton"
fi

work=$(mktemp -d)
server=""
poller=""
cleanup() {
  [ -n "$poller" ] && kill "$poller" 2>/dev/null || true
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The jobs go to a fresh folder, for CreateJob (through baton.toml's env) and for the poller.
export JOBS_DIR="$work/jobs"
BATON_FUNCTIONS__CreateJob__ENV__JOBS_DIR="$JOBS_DIR" \
  "$BATON_BIN" serve --bind 127.0.0.1:0 --data-dir "$work/data" --config "$here/baton.toml" \
  >"$work/serve.out" 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do
  grep -q 'listening on' "$work/serve.out" 2>/dev/null && break
  sleep 0.1
done
endpoint=$(sed -n 's/^baton: listening on //p' "$work/serve.out")
[ -n "$endpoint" ] || { cat "$work/serve.log" >&2; echo "run.sh: baton serve did not start" >&2; exit 1; }
echo "baton serve: $endpoint (data and jobs in $work)"

# Any AWS SDK talks to Baton with these: its address and dummy credentials (the access key id
# is the account).
export AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=123456789012 AWS_SECRET_ACCESS_KEY=baton
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN
sfn() { aws stepfunctions --endpoint-url "$endpoint" --output text "$@"; }

machine=$(sfn create-state-machine --name callback-pattern \
  --definition "file://$here/callback-pattern.asl.json" \
  --role-arn arn:aws:iam::123456789012:role/baton --query stateMachineArn)
executions=()
for input in "$here"/inputs/*.json; do
  name=$(basename "$input" .json)
  executions+=("$(sfn start-execution --state-machine-arn "$machine" --name "$name" \
    --input "file://$input" --query executionArn)")
done
echo "started ${#executions[@]} executions; the poller reports their jobs:"

python3 "$here/poller/poller.py" &
poller=$!
for arn in "${executions[@]}"; do
  for _ in $(seq 300); do
    [ "$(sfn describe-execution --execution-arn "$arn" --query status)" != RUNNING ] && break
    sleep 0.1
  done
done
kill "$poller" && wait "$poller" 2>/dev/null || true
poller=""

echo
echo "results:"
for arn in "${executions[@]}"; do
  sfn describe-execution --execution-arn "$arn" --output json \
    --query '{name: name, status: status, output: output, error: error}' |
    python3 -c 'import json, sys
d = json.load(sys.stdin)
print("  %-18s %-10s %s" % (d["name"], d["status"], d["output"] or d["error"]))'
  sfn get-execution-history --execution-arn "$arn" --output json \
    --query 'events[?type==`TaskFailed` || type==`TaskTimedOut`].[type, taskFailedEventDetails.error || taskTimedOutEventDetails.error]' |
    python3 -c 'import json, sys
for t, e in json.load(sys.stdin): print("  %18s %s %s" % ("", t, e))'
done

# Idempotent completion: as if the poller had stopped after SendTaskSuccess but before it
# recorded it, the finished job is COMPLETING again; the next scan sends SendTaskSuccess a
# second time, gets TaskTimedOut (the task has ended) and closes the job.
echo
echo "idempotent completion (report-1-1 sent again):"
python3 - "$JOBS_DIR/report-1-1.json" <<'PY'
import json, sys
record = json.load(open(sys.argv[1]))
record["status"] = "COMPLETING"
json.dump(record, open(sys.argv[1], "w"))
PY
python3 "$here/poller/poller.py" --once
python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print("  report-1-1: %s (%s)" % (r["status"], r["closedBecause"]))' \
  "$JOBS_DIR/report-1-1.json"
