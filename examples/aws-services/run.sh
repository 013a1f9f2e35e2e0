#!/usr/bin/env bash
# The order workflow against moto's server, the local stand-in for AWS: moto started on a free
# port (MOTO_PORT to choose one), the Orders table and the orders queue made with the AWS CLI,
# the workflow run twice with `baton run` (the second time the order exists, and the
# ConditionalCheckFailedException is caught by name), then the queue read back. Needs python3
# with moto[server] and the AWS CLI. BATON_BIN=path/to/baton skips the cargo build.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v aws >/dev/null || { echo "run.sh: the AWS CLI is needed" >&2; exit 1; }
python3 -c 'import moto.server' 2>/dev/null || { echo 'run.sh: pip install "moto[server]"' >&2; exit 1; }
if [ -z "${BATON_BIN:-}" ]; then
  cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p baton-cli --bin baton
  BATON_BIN="${CARGO_TARGET_DIR:-$root/target}/release/baton"
fi

port=${MOTO_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
moto=""
work=$(mktemp -d)
cleanup() {
  [ -n "$moto" ] && kill "$moto" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
python3 -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 && break
  sleep 0.1
done

# The AWS CLI and Baton both reach moto: the service-specific variables the AWS SDKs read win
# over baton.toml's endpoint_url, so the same baton.toml works on any port.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
for service in DYNAMODB SQS SNS EVENTBRIDGE; do
  export "AWS_ENDPOINT_URL_$service=http://127.0.0.1:$port"
done
url="http://127.0.0.1:$port"
aws --endpoint-url "$url" dynamodb create-table --table-name Orders \
  --attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH \
  --billing-mode PAY_PER_REQUEST >/dev/null
aws --endpoint-url "$url" sqs create-queue --queue-name orders >/dev/null

echo "== first run"
"$BATON_BIN" run --config "$here/baton.toml" --data-dir "$work/data" "$here/order.asl.json" \
  --input '{"orderId": "o-1001", "total": 42}'
echo "== the same order again"
"$BATON_BIN" run --config "$here/baton.toml" --data-dir "$work/data" "$here/order.asl.json" \
  --input '{"orderId": "o-1001", "total": 42}' || true
echo "== the orders queue"
queue=$(aws --endpoint-url "$url" sqs get-queue-url --queue-name orders --query QueueUrl --output text)
aws --endpoint-url "$url" sqs receive-message --queue-url "$queue" --query 'Messages[].Body' --output text
