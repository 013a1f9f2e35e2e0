#!/usr/bin/env bash
# The callback pattern end to end: the three Node.js handlers installed and built (npm ci, tsc);
# baton serve with this folder's baton.toml; the state machine created and four executions
# started with the AWS CLI; the Poller function invoked every second with `aws lambda invoke`
# (the seed's schedule) until every execution has ended; each result; last, idempotent
# completion shown on a finished job. Needs node, npm and the AWS CLI. BATON_BIN=path/to/baton
# skips the cargo build. Writes only node_modules/ and dist/ here; Baton's data and the jobs go
# to a temporary folder.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
for tool in node npm aws; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is needed" >&2; exit 1; }
done

(cd "$here" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build) >&2
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

# The functions' tables go to a fresh folder.
export JOBS_DIR="$work/jobs"
for function in SimulatedApi CreateJob Poller; do
  export "BATON_FUNCTIONS__${function}__ENVIRONMENT__JOBS_DIR=$JOBS_DIR"
done
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

# The AWS CLI talks to Baton with its address and dummy credentials (the access key id is the
# account).
export AWS_ACCESS_KEY_ID=123456789012 AWS_SECRET_ACCESS_KEY=baton
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN
sfn() { aws stepfunctions --endpoint-url "$endpoint" --output text "$@"; }

# One scan by the Poller, and what it did. A function error stops the script.
poll() {
  local error
  error=$(aws lambda invoke --endpoint-url "$endpoint" --function-name Poller \
    --query FunctionError --output text "$work/poll.json")
  if [ "$error" != None ]; then
    echo "run.sh: the Poller failed ($error): $(cat "$work/poll.json")" >&2
    exit 1
  fi
  node -e 'for (const line of require(process.argv[1]).actions) console.log("  poller: " + line)' \
    "$work/poll.json"
}

machine=$(sfn create-state-machine --name callback-pattern \
  --definition "file://$here/callback-pattern.asl.json" \
  --role-arn arn:aws:iam::123456789012:role/baton --query stateMachineArn)

# The schedule: a scan a second, in the background, until every execution has ended.
echo "the Poller reports the jobs:"
(while [ ! -e "$work/stop" ]; do poll; sleep 1; done) &
poller=$!

executions=()
for input in "$here"/inputs/*.json; do
  name=$(basename "$input" .json)
  executions+=("$(sfn start-execution --state-machine-arn "$machine" --name "$name" \
    --input "file://$input" --query executionArn)")
done
echo "started ${#executions[@]} executions"

for _ in $(seq 60); do
  sleep 1
  kill -0 "$poller" 2>/dev/null || { poller=""; echo "run.sh: the schedule stopped" >&2; exit 1; }
  running=$(sfn list-executions --state-machine-arn "$machine" --status-filter RUNNING \
    --query 'length(executions)')
  [ "$running" = 0 ] && break
done
touch "$work/stop"
wait "$poller"
poller=""

echo
echo "results:"
for arn in "${executions[@]}"; do
  sfn describe-execution --execution-arn "$arn" --query '[name, status, output || error]' |
    while IFS=$'\t' read -r name status detail; do
      printf '  %-18s %-10s %s\n' "$name" "$status" "$detail"
    done
  sfn get-execution-history --execution-arn "$arn" \
    --query 'events[?type==`TaskFailed` || type==`TaskTimedOut`].[type, taskFailedEventDetails.error || taskTimedOutEventDetails.error]' |
    while IFS=$'\t' read -r type error; do
      printf '  %-18s %s %s\n' "" "$type" "$error"
    done
done

# Idempotent completion: as if the Poller had stopped after SendTaskSuccess but before it
# recorded it, the finished job is COMPLETING again; the next scan sends SendTaskSuccess a
# second time, gets TaskTimedOut (the task has ended) and closes the job.
echo
echo "idempotent completion (report-1-1 sent again):"
record="$JOBS_DIR/task-tokens/report-1-1.json"
node -e 'const fs = require("fs"); const item = JSON.parse(fs.readFileSync(process.argv[1]));
item.status = "COMPLETING"; fs.writeFileSync(process.argv[1], JSON.stringify(item))' "$record"
poll
node -e 'const item = require(process.argv[1]);
console.log(`  report-1-1: ${item.status} (${item.closedBecause})`)' "$record"
