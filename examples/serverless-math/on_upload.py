"""The seed's next steps, end to end on one machine: the workflow starts when a file lands in
the input bucket, and a failure is sent to a webhook.

    python3 examples/serverless-math/on_upload.py

Starts `baton serve --config baton.toml` (as run.py does, with Wait and retry intervals a
hundred times shorter), and a webhook (an HTTP server on a free port) standing for the team's
chat or paging endpoint. Then, with boto3 against Baton's endpoints only:

1. the input bucket sends its events to EventBridge (`PutBucketNotificationConfiguration`);
2. a rule on "Object Created" under `input/` starts the state machine, its input shaped from
   the event (`InputTransformer`);
3. a connection and an API destination name the webhook; a rule on the machine's
   "Step Functions Execution Status Change" events with status FAILED sends them to it;
4. `input/data-for-5.json` is uploaded: an execution starts and writes f(5) = 30;
5. `input/not-a-number.json` is uploaded: the calculator refuses it three times, the execution
   fails, and the webhook receives the failure.

Prints a JSON summary (stdout); progress goes to stderr.
"""
import json
import os
import signal
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3

from run import CREDENTIALS, HERE, REGION, log, start_server, strict_json

ACCOUNT = "123456789012"


class Webhook(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Webhook.received.append({"path": self.path, "key": self.headers.get("x-api-key"),
                                 "body": json.loads(body or b"null")})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def wait(what, check, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.2)
    sys.exit(f"on_upload.py: timed out waiting for {what}")


def main():
    hook = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{hook.server_address[1]}/alerts"
    data_dir = os.environ.get("BATON_DATA_DIR") or tempfile.mkdtemp(prefix="serverless-math-")
    process, urls = start_server(data_dir, extra=("--wait-time-scale", "0.01"))
    try:
        s3 = boto3.client("s3", endpoint_url=urls["s3"], region_name=REGION, **CREDENTIALS)
        sfn = boto3.client("stepfunctions", endpoint_url=urls["sfn"], region_name=REGION,
                           **CREDENTIALS)
        events = boto3.client("events", endpoint_url=urls["sfn"], region_name=REGION,
                              **CREDENTIALS)
        for bucket in ("math-input", "math-output"):
            s3.create_bucket(Bucket=bucket)
        s3.put_bucket_notification_configuration(
            Bucket="math-input", NotificationConfiguration={"EventBridgeConfiguration": {}})
        machine = sfn.create_state_machine(
            name="FargateMathWorkflow",
            definition=strict_json((HERE / "math-workflow.asl.json").read_text()),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/StepFunctionsFargateMathRole",
        )["stateMachineArn"]
        role = f"arn:aws:iam::{ACCOUNT}:role/EventBridgeInvoke"

        # 2. An upload under input/ starts the workflow, on the uploaded object.
        events.put_rule(Name="math-input-uploaded", EventPattern=json.dumps({
            "source": ["aws.s3"], "detail-type": ["Object Created"],
            "detail": {"bucket": {"name": ["math-input"]},
                       "object": {"key": [{"prefix": "input/"}]}}}))
        events.put_targets(Rule="math-input-uploaded", Targets=[{
            "Id": "workflow", "Arn": machine, "RoleArn": role,
            "InputTransformer": {
                "InputPathsMap": {"bucket": "$.detail.bucket.name", "key": "$.detail.object.key"},
                "InputTemplate": '{"inputDetails": {"bucket": <bucket>, "key": <key>},'
                                 ' "outputDetails": {"bucket": "math-output",'
                                 ' "key": "output/result.json"}}'}}])

        # 3. Its failures go to the webhook.
        connection = events.create_connection(
            Name="alerts", AuthorizationType="API_KEY",
            AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key",
                                                     "ApiKeyValue": "alerts-secret"}},
        )["ConnectionArn"]
        destination = events.create_api_destination(
            Name="alerts", ConnectionArn=connection, InvocationEndpoint=hook_url,
            HttpMethod="POST")["ApiDestinationArn"]
        events.put_rule(Name="math-failed", EventPattern=json.dumps({
            "source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
            "detail": {"status": ["FAILED"], "stateMachineArn": [machine]}}))
        events.put_targets(Rule="math-failed", Targets=[
            {"Id": "webhook", "Arn": destination, "RoleArn": role}])
        time.sleep(1.2)  # rules take effect within a second

        # 4. A good file: the workflow runs and writes its result.
        s3.put_object(Bucket="math-input", Key="input/data-for-5.json",
                      Body=(HERE / "data-for-5.json").read_bytes())

        def finished(status):
            listed = sfn.list_executions(stateMachineArn=machine, statusFilter=status)
            return listed["executions"]

        succeeded = wait("the upload's execution", lambda: finished("SUCCEEDED"))
        log(f"upload started {succeeded[0]['executionArn']}: SUCCEEDED")
        result = json.loads(s3.get_object(Bucket="math-output",
                                          Key="output/result.json")["Body"].read())

        # 5. A bad file: the execution fails, and the webhook hears of it.
        s3.put_object(Bucket="math-input", Key="input/not-a-number.json",
                      Body=json.dumps({"x": "five"}).encode())
        failed = wait("the failed execution", lambda: finished("FAILED"))
        log(f"upload started {failed[0]['executionArn']}: FAILED")
        alert = wait("the webhook's alert", lambda: Webhook.received)[0]
        detail = alert["body"]["detail"]
        log(f"webhook got {alert['body']['detail-type']}: {detail['status']}")
        print(json.dumps({
            "result": result,
            "failed_execution": failed[0]["executionArn"],
            "failed_input": json.loads(sfn.describe_execution(
                executionArn=failed[0]["executionArn"])["input"]),
            "webhook": {"path": alert["path"], "api_key": alert["key"],
                        "status": detail["status"], "executionArn": detail["executionArn"]},
        }, indent=2))
        return 0
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
        hook.shutdown()


if __name__ == "__main__":
    sys.exit(main())
