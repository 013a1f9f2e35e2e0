"""Task states calling AWS services through `baton serve`, with moto's server as the AWS
endpoint: the optimized integrations (DynamoDB, SNS, SQS, EventBridge), `aws-sdk:*` calls in
each protocol family, errors caught by name, `sqs:sendMessage.waitForTaskToken` answered by a
worker, the allow-list, and the results' shapes against what AWS returned for the same calls
(`../shared/conformance/aws-recorded-mocked`).

moto is installed with `pip install "moto[server]"` (tests/python/requirements.txt); without it
these tests skip, or fail under BATON_CI_STRICT=1.
"""

import http.server
import json
import os
import threading
import pathlib
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

import baton_server
from support import REGION, create_machine, history, make_client, unique, wait_for_end

ROOT = pathlib.Path(__file__).resolve().parents[2]
RECORDED = ROOT.parent / "shared" / "conformance" / "aws-recorded-mocked" / "public"

# What the definitions below may call, and one thing they may not (DeleteTable).
ALLOW = [
    "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
    "dynamodb:ListTables", "dynamodb:DescribeTable",
    "sns:*", "sqs:*", "events:PutEvents", "lambda:ListFunctions", "sts:GetCallerIdentity",
    "ec2:DescribeVpcs", "route53:ListHostedZones", "secretsmanager:ListSecrets",
    "athena:*", "glue:StartJobRun", "glue:GetJobRun", "ecs:ListClusters",
    "codebuild:StartBuild", "codebuild:BatchGetBuilds",
    "sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "states:StartExecution",
    "batch:ListJobs", "apigateway:GetRestApis", "lambda:Invoke",
]


class RemoteLambda(http.server.BaseHTTPRequestHandler):
    """Lambda's Invoke API for functions Baton does not run: `fails` answers a function error."""

    def do_POST(self):
        # A function name, or its ARN (percent-encoded in the path).
        name = urllib.parse.unquote(self.path.split("/functions/")[1].split("/")[0])
        name = name.split(":function:")[-1]
        event = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"null")
        self.send_response(200)
        if name == "fails":
            body = json.dumps({"errorType": "OrderInvalid", "errorMessage": "no items"}).encode()
            self.send_header("X-Amz-Function-Error", "Unhandled")
        else:
            # The region the request was signed for, from its credential scope.
            scope = self.headers.get("Authorization", "").split("Credential=")[1].split(",")[0]
            body = json.dumps({"echo": event, "function": name,
                               "region": scope.split("/")[2]}).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Amz-Executed-Version", "$LATEST")
        self.send_header("x-amzn-RequestId", "lambda-1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Throttler(http.server.BaseHTTPRequestHandler):
    """An endpoint that answers every request with a JSON-protocol ThrottlingException."""
    calls = 0

    def do_POST(self):
        Throttler.calls += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("x-amzn-RequestId", "throttled-1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _skip_or_fail(reason):
    if os.environ.get("BATON_CI_STRICT") == "1":
        pytest.fail(f"{reason} (BATON_CI_STRICT=1 forbids skips)")
    pytest.skip(reason)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto():
    try:
        import moto.server  # noqa: F401
    except ImportError:
        _skip_or_fail('moto is not installed (pip install "moto[server]")')
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(endpoint + "/moto-api/", timeout=1)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("moto's server did not start")
            time.sleep(0.1)
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


def aws(moto, service):
    """A boto3 client of moto's `service`."""
    return boto3.client(service, endpoint_url=moto, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(retries={"max_attempts": 1}))


@pytest.fixture(scope="module")
def services(moto, tmp_path_factory):
    """`baton serve` configured to reach moto, and its Step Functions client."""
    folder = tmp_path_factory.mktemp("aws-services")
    throttler = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Throttler)
    threading.Thread(target=throttler.serve_forever, daemon=True).start()
    remote_lambda = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RemoteLambda)
    threading.Thread(target=remote_lambda.serve_forever, daemon=True).start()
    closed = _free_port()
    config = folder / "baton.toml"
    (folder / "env.py").write_text(
        "import json, os, sys\n"
        "sys.stdin.read()\n"
        "print(json.dumps({k: v for k, v in os.environ.items() if k.startswith('AWS_ENDPOINT_URL')}))\n")
    (folder / "record.py").write_text(
        "import sys\n"
        "with open('recorded.jsonl', 'a') as f:\n"
        "    f.write(sys.stdin.read().strip() + '\\n')\n"
        "print('{}')\n")
    config.write_text(
        "[functions.endpoints]\n"
        f'command = ["{sys.executable}", "env.py"]\n'
        "\n"
        "[functions.recorder]\n"
        f'command = ["{sys.executable}", "record.py"]\n'
        "\n"
        "[aws]\n"
        f'endpoint_url = "{moto}"\n'
        f'region = "{REGION}"\n'
        'access_key_id = "testing"\n'
        'secret_access_key = "testing"\n'
        "assume_role = true\n"
        f"allow = {json.dumps(ALLOW)}\n"
        "\n"
        "[aws.endpoints]\n"
        f'ecs = "http://127.0.0.1:{throttler.server_address[1]}"\n'
        f'batch = "http://127.0.0.1:{closed}"\n'
        f'lambda = "http://127.0.0.1:{remote_lambda.server_address[1]}"\n'
        # Step Functions with an endpoint of its own: states:startExecution goes there.
        f'sfn = "{moto}"\n')
    running = baton_server.start(folder / "data", folder / "stderr.log",
                                 extra_args=("--config", str(config)))
    running.folder = folder
    yield make_client(running.endpoint), running
    running.stop(10)
    throttler.shutdown()
    remote_lambda.shutdown()


def make_table(moto, table):
    """A DynamoDB table on moto keyed by the string `id`; returns moto's DynamoDB client."""
    ddb = aws(moto, "dynamodb")
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    return ddb


def run(sfn, states, payload=None, timeout=30.0):
    """Runs a one-off machine to its end; returns (description, history)."""
    arn = create_machine(sfn, states)
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload or {}))
    description = wait_for_end(sfn, execution["executionArn"], timeout=timeout)
    return description, history(sfn, execution["executionArn"])


def output(description):
    assert description["status"] == "SUCCEEDED", (description.get("error"), description.get("cause"))
    return json.loads(description["output"])


def task_results(events):
    """Each task's result (TaskSucceeded or TaskSubmitted output), in order."""
    results = []
    for e in events:
        for key in ("taskSucceededEventDetails", "taskSubmittedEventDetails"):
            if key in e:
                results.append(json.loads(e[key]["output"]))
    return results


def recorded_events(case_prefix):
    """The history AWS recorded for the case whose name starts with `case_prefix`."""
    cases = sorted(RECORDED.glob(case_prefix + "*"))
    if not cases:
        _skip_or_fail(f"the recorded corpus is not at {RECORDED}")
    events = json.loads((cases[0] / "history.json").read_text())
    return events["events"] if isinstance(events, dict) else events


def recorded(case_prefix, resource_type, resource, kind="taskSucceededEventDetails"):
    """What AWS returned for `resource_type:resource` in the recorded case."""
    for event in recorded_events(case_prefix):
        details = event.get(kind)
        if details and details.get("resourceType") == resource_type and \
                details.get("resource") == resource:
            return details.get("output", details)
    raise AssertionError(f"{case_prefix} has no {kind} for {resource_type}:{resource}")


def recorded_failures(case_prefix, resource_type):
    """The TaskFailed details AWS recorded for `resource_type` in the case."""
    for event in recorded_events(case_prefix):
        details = event.get("taskFailedEventDetails")
        if details and details.get("resourceType") == resource_type:
            yield details


# The SDK metadata's headers depend on the server answering; only their structure is compared.
HEADERS = {"AllHttpHeaders", "HttpHeaders"}
# Maps whose keys are data (DynamoDB's attribute names), not members: their values are compared.
DATA_MAPS = {"Item", "Attributes", "Key"}


def same_shape(actual, expected, path="$"):
    """Whether `actual` has `expected`'s keys and value types, recursively (first items of
    arrays; header maps by kind only). Returns the differences."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: {type(actual).__name__}, AWS has an object"]
        if path.split(".")[-1] in DATA_MAPS:
            sample = next(iter(expected.values()), None)
            return [d for v in actual.values() if sample is not None
                    for d in same_shape(v, sample, f"{path}.*")]
        diffs = []
        if set(actual) != set(expected) and path.split(".")[-1] not in HEADERS:
            diffs.append(f"{path}: keys {sorted(actual)}, AWS has {sorted(expected)}")
        if path.split(".")[-1] in HEADERS:
            return diffs
        for key in expected.keys() & actual.keys():
            diffs += same_shape(actual[key], expected[key], f"{path}.{key}")
        return diffs
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: {type(actual).__name__}, AWS has an array"]
        if expected and actual:
            return same_shape(actual[0], expected[0], f"{path}[0]")
        return []
    kinds = (bool, (int, float), str, type(None))
    for kind in kinds:
        if isinstance(expected, kind):
            ok = isinstance(actual, kind) and not (kind != bool and isinstance(actual, bool))
            return [] if ok else [f"{path}: {actual!r}, AWS has {expected!r}"]
    return []


def test_dynamodb_optimized_integration_round_trip_with_aws_shapes(services, moto):
    sfn, _ = services
    table = unique("table")
    make_table(moto, table)
    description, events = run(sfn, {
        "Put": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": table,
                               "Item": {"id": {"S": "id1"}, "data": {"S": "HelloWorld"}}},
                "ResultPath": "$.put", "Next": "Get"},
        "Get": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": table, "Key": {"id": {"S": "id1"}}},
                "ResultPath": "$.get", "Next": "Update"},
        "Update": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:updateItem",
                   "Parameters": {"TableName": table, "Key": {"id": {"S": "id1"}},
                                  "UpdateExpression": "SET #d = :d",
                                  "ExpressionAttributeNames": {"#d": "data"},
                                  "ExpressionAttributeValues": {":d": {"S": "Updated"}},
                                  "ReturnValues": "UPDATED_NEW"},
                   "ResultPath": "$.update", "Next": "Delete"},
        "Delete": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:deleteItem",
                   "Parameters": {"TableName": table, "Key": {"id": {"S": "id1"}}},
                   "ResultPath": "$.delete", "End": True},
    })
    out = output(description)
    assert out["get"]["Item"] == {"id": {"S": "id1"}, "data": {"S": "HelloWorld"}}
    assert out["update"]["Attributes"] == {"data": {"S": "Updated"}}
    # The item is gone from moto.
    assert "Item" not in aws(moto, "dynamodb").get_item(TableName=table, Key={"id": {"S": "id1"}})
    case = "services-base-integrations-dynamodb-put-get-item"
    for got, resource in ((out["put"], "putItem"), (out["get"], "getItem")):
        assert same_shape(got, recorded(case, "dynamodb", resource)) == []
    assert same_shape(out["delete"], recorded(
        "services-base-integrations-dynamodb-put-delete-item", "dynamodb", "deleteItem")) == []
    # The 1.x SDK's alphabetical order, metadata last but for members after it.
    assert list(out["get"]) == ["Item", "SdkHttpMetadata", "SdkResponseMetadata"]
    assert out["get"]["SdkHttpMetadata"]["HttpStatusCode"] == 200
    scheduled = [e for e in events if e["type"] == "TaskScheduled"]
    assert [json.loads(e["taskScheduledEventDetails"]["parameters"])["TableName"]
            for e in scheduled] == [table] * 4


def test_aws_sdk_dynamodb_results_and_errors_caught_by_name(services, moto):
    sfn, _ = services
    table = unique("table")
    make_table(moto, table)
    item = {"id": {"S": "id1"}, "data": {"S": "HelloWorld"}}
    description, _ = run(sfn, {
        "Put": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:putItem",
                "Parameters": {"TableName": table, "Item": item},
                "ResultPath": "$.put", "Next": "Get"},
        "Get": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
                "Parameters": {"TableName": table, "Key": {"id": {"S": "id1"}}},
                "ResultPath": "$.get", "Next": "Describe"},
        "Describe": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:describeTable",
                     "Parameters": {"TableName": table},
                     "ResultSelector": {"Status.$": "$.Table.TableStatus",
                                        "Created.$": "$.Table.CreationDateTime"},
                     "ResultPath": "$.describe", "Next": "Missing"},
        "Missing": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:putItem",
                    "Parameters": {"TableName": "no-such-table", "Item": item},
                    "Catch": [{"ErrorEquals": ["DynamoDb.ResourceNotFoundException"],
                               "ResultPath": "$.caught", "Next": "MissingOptimized"}],
                    "End": True},
        "MissingOptimized": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
                             "Parameters": {"TableName": "no-such-table",
                                            "Key": {"id": {"S": "id1"}}},
                             "Catch": [{"ErrorEquals": ["DynamoDB.ResourceNotFoundException"],
                                        "ResultPath": "$.caught_optimized", "Next": "Done"}],
                             "End": True},
        "Done": {"Type": "Succeed"},
    })
    out = output(description)
    case = "services-dynamodb-put-update-get-item"
    assert out["put"] == recorded(case, "aws-sdk:dynamodb", "putItem") == {}
    assert same_shape(out["get"], recorded(case, "aws-sdk:dynamodb", "getItem")) == []
    assert out["describe"]["Status"] == "ACTIVE"
    # The AWS SDK for Java 2.x's Instant: ISO 8601 in UTC.
    assert out["describe"]["Created"].endswith("Z") and "T" in out["describe"]["Created"]
    cause = out["caught"]["Cause"]
    assert out["caught"]["Error"] == "DynamoDb.ResourceNotFoundException"
    assert "(Service: DynamoDb, Status Code: 400, Request ID: " in cause, cause
    assert out["caught_optimized"]["Error"] == "DynamoDB.ResourceNotFoundException"
    assert "(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ResourceNotFoundException;" \
        in out["caught_optimized"]["Cause"]


def test_sns_publish_and_sqs_send_message_reach_the_queue(services, moto):
    sfn, _ = services
    sqs, sns = aws(moto, "sqs"), aws(moto, "sns")
    queue_url = sqs.create_queue(QueueName=unique("queue"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic_arn = sns.create_topic(Name=unique("topic"))["TopicArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
                  Attributes={"RawMessageDelivery": "true"})
    description, _ = run(sfn, {
        "Publish": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                    "Parameters": {"TopicArn": topic_arn, "Message": {"from": "sns"},
                                   "MessageAttributes": {"kind": {"DataType": "String",
                                                                  "StringValue": "a"}}},
                    "ResultPath": "$.published", "Next": "Send"},
        "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                 "Parameters": {"QueueUrl": queue_url, "MessageBody": {"from": "sqs"}},
                 "ResultPath": "$.sent", "End": True},
    })
    out = output(description)
    assert same_shape(out["published"], recorded("services-publish-base-1", "sns", "publish")) == []
    assert same_shape(out["sent"], recorded(
        "callback-sqs-wait-for-task-token-call-chain", "sqs", "sendMessage.waitForTaskToken",
        kind="taskSubmittedEventDetails")) == []
    bodies = set()
    deadline = time.monotonic() + 10
    while len(bodies) < 2 and time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                     WaitTimeSeconds=1).get("Messages", []):
            bodies.add(m["Body"])
    # JSON given for a text member is sent as its JSON text.
    assert {json.loads(b)["from"] for b in bodies} == {"sns", "sqs"}


def test_events_put_events_answers_entries_only(services, moto):
    sfn, _ = services
    description, _ = run(sfn, {
        "Put": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
                "Parameters": {"Entries": [
                    {"Detail": {"Message": "HelloWorld"}, "DetailType": "greeting",
                     "Source": "some.source"},
                    {"Detail": "{\"Message\": \"again\"}", "DetailType": "greeting",
                     "Source": "some.source"}]},
                "End": True},
    })
    out = output(description)
    assert same_shape(out, recorded("services-put-events-base", "events", "putEvents")) == []
    assert out["FailedEntryCount"] == 0 and len(out["Entries"]) == 2


def test_sqs_wait_for_task_token_answered_by_a_worker(services, moto):
    sfn, _ = services
    sqs = aws(moto, "sqs")
    queue_url = sqs.create_queue(QueueName=unique("callbacks"))["QueueUrl"]
    arn = create_machine(sfn, {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": queue_url,
                               "MessageBody": {"Message.$": "$.question",
                                               "TaskToken.$": "$$.Task.Token"}},
                "End": True},
    })
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"question": "2+2"}))
    message = None
    deadline = time.monotonic() + 15
    while message is None and time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", [])
        message = got[0] if got else None
    assert message, "the task's message never reached the queue"
    body = json.loads(message["Body"])
    assert body["Message"] == "2+2"
    sfn.send_task_success(taskToken=body["TaskToken"], output=json.dumps({"answer": 4}))
    description = wait_for_end(sfn, execution["executionArn"], timeout=15)
    assert output(description) == {"answer": 4}
    types = [e["type"] for e in history(sfn, execution["executionArn"])]
    # The call's answer is recorded (TaskSubmitted) before the callback's end, unless the
    # worker answered within the moment between SQS's answer and its recording.
    assert "TaskSucceeded" in types
    if "TaskSubmitted" in types:
        assert types.index("TaskSubmitted") < types.index("TaskSucceeded")


def test_aws_sdk_calls_in_every_protocol_family(services, moto):
    sfn, _ = services
    aws(moto, "secretsmanager").create_secret(Name=unique("secret"), SecretString="s")
    description, _ = run(sfn, {
        # awsJson 1.0
        "Json": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:listTables",
                 "Parameters": {}, "ResultSelector": {"n.$": "States.ArrayLength($.TableNames)"},
                 "ResultPath": "$.json", "Next": "Query"},
        # awsQuery
        "Query": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sts:getCallerIdentity",
                  "Parameters": {},
                  "ResultPath": "$.query", "Next": "RestJson"},
        # restJson1
        "RestJson": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:apigateway:getRestApis",
                     "Parameters": {},
                     "ResultPath": "$.restjson", "Next": "Ec2"},
        # ec2Query (a model from the installed botocore)
        "Ec2": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ec2:describeVpcs",
                "Parameters": {},
                "ResultPath": "$.ec2", "Next": "RestXml"},
        # restXml (likewise)
        "RestXml": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:route53:listHostedZones",
                    "Parameters": {},
                    "ResultPath": "$.restxml", "Next": "Secrets"},
        "Secrets": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:secretsmanager:listSecrets",
                    "Parameters": {},
                    "ResultPath": "$.secrets", "End": True},
    })
    out = output(description)
    assert out["json"]["n"] >= 0
    assert out["query"]["Account"].isdigit()
    # API Gateway's model names its members in camelCase (`items`): Step Functions' are
    # PascalCase.
    assert isinstance(out["restjson"]["Items"], list)
    assert isinstance(out["ec2"]["Vpcs"], list) and out["ec2"]["Vpcs"][0]["VpcId"].startswith("vpc-")
    assert isinstance(out["restxml"]["HostedZones"], list)
    assert same_shape(out["secrets"], recorded(
        "services-list-secrets", "aws-sdk:secretsmanager", "listSecrets")) == []
    assert all({"ARN", "Name"} <= set(s) for s in out["secrets"]["SecretList"])
    assert out["secrets"]["SecretList"], "the secret made above is listed"


def test_what_is_not_allowed_or_not_in_the_model_fails_before_any_request(services, moto):
    sfn, _ = services
    table = unique("kept")
    ddb = make_table(moto, table)
    description, _ = run(sfn, {
        "Drop": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:deleteTable",
                 "Parameters": {"TableName": table}, "End": True},
    })
    assert description["status"] == "FAILED"
    assert description["error"] == "States.Runtime"
    assert "dynamodb:DeleteTable" in description["cause"] and "allow" in description["cause"]
    assert ddb.describe_table(TableName=table)["Table"]["TableName"] == table
    # An optimized integration outside `allow` likewise names the entry it needs.
    description, _ = run(sfn, {
        "Model": {"Type": "Task", "Resource": "arn:aws:states:::bedrock:invokeModel",
                  "Parameters": {"ModelId": "m", "Body": {}}, "End": True},
    })
    assert description["error"] == "States.Runtime"
    assert "bedrock:InvokeModel is not allowed" in description["cause"], description["cause"]
    # A field the operation does not have is refused when the definition is created, as AWS
    # refuses it ("SCHEMA_VALIDATION_FAILED: The field … is not supported by Step Functions").
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        create_machine(sfn, {
            "Odd": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
                    "Parameters": {"TableName": table, "Key": {"id": {"S": "x"}},
                                   "Bogus.$": "$.x"},
                    "End": True},
        })
    assert refused.value.response["Error"]["Code"] == "InvalidDefinition"
    assert refused.value.response["Error"]["Message"] == (
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The field \"Bogus\" is "
        "not supported by Step Functions at /States/Odd/Parameters'")
    # One that only a path's value brings is refused when the task would start: the state
    # fails with States.Runtime before any request (the queue stays empty).
    queue_url = aws(moto, "sqs").create_queue(QueueName=unique("odd"))["QueueUrl"]
    description, events = run(sfn, {
        "Odd": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:sendMessage",
                "Parameters": {"QueueUrl": queue_url, "MessageBody": "m",
                               "MessageAttributes.$": "$.attributes"},
                "End": True},
    }, {"attributes": {"a": {"DataType": "String", "StringValue": "v", "Bogus": 1}}})
    assert description["status"] == "FAILED"
    assert description["error"] == "States.Runtime"
    assert "could not be used to start the Task: [The field \"Bogus\" is not supported by " \
        "Step Functions]" in description["cause"], description["cause"]
    assert "Messages" not in aws(moto, "sqs").receive_message(QueueUrl=queue_url)
    # As AWS records such a refusal: nothing scheduled, the execution failed after the state
    # was entered (`services-invoke-with-headers-singlestringheader`).
    types = [e["type"] for e in events]
    assert "TaskScheduled" not in types, types
    assert types[-2:] == ["TaskStateEntered", "ExecutionFailed"], types


def test_programs_baton_starts_reach_the_configured_endpoints(services, moto):
    sfn, running = services
    description, _ = run(sfn, {
        "Env": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "endpoints"}, "OutputPath": "$.Payload",
                "End": True},
    })
    env = output(description)
    # Step Functions (and Lambda) stay Baton's; the services [aws] sends to moto go there.
    assert env["AWS_ENDPOINT_URL"] == running.endpoint
    assert env["AWS_ENDPOINT_URL_DYNAMODB"] == moto
    assert env["AWS_ENDPOINT_URL_SQS"] == moto
    assert "AWS_ENDPOINT_URL_SFN" not in env
    assert "AWS_ENDPOINT_URL_LAMBDA" not in env


def test_aws_sdk_sfn_calls_baton_itself_in_process(services, moto):
    sfn, _ = services
    child = create_machine(sfn, {"Done": {"Type": "Pass", "Result": {"Arg1": "argument1"},
                                          "End": True}})
    description, _ = run(sfn, {
        "Start": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:startExecution",
                  "Parameters": {"StateMachineArn": child, "Input": "{}"},
                  "ResultPath": "$.started", "Next": "Token"},
        "Token": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
                  "Parameters": {"TaskToken": "no-such-token", "Output": "{}"},
                  "Catch": [{"ErrorEquals": ["Sfn.InvalidTokenException"],
                             "ResultPath": "$.caught", "Next": "Done"}],
                  "End": True},
        "Done": {"Type": "Succeed"},
    })
    out = output(description)
    assert same_shape(out["started"], recorded(
        "services-sfn-start-execution-1", "aws-sdk:sfn", "startExecution")) == []
    assert out["started"]["ExecutionArn"].startswith(child.replace(":stateMachine:", ":execution:"))
    assert out["started"]["StartDate"].endswith("Z")
    assert sfn.describe_execution(executionArn=out["started"]["ExecutionArn"])["status"] in \
        ("RUNNING", "SUCCEEDED")
    assert "(Service: Sfn, Status Code: 400, Request ID: " in out["caught"]["Cause"]
    assert out["caught"]["Cause"].endswith("(SDK Attempt Count: 1)")


def test_unknown_services_and_actions_are_named_in_the_cause(services, moto):
    sfn, _ = services
    for resource, words in (
            ("arn:aws:states:::aws-sdk:nosuchservice:doThing", "nosuchservice"),
            ("arn:aws:states:::aws-sdk:dynamodb:noSuchAction", "noSuchAction")):
        description, _ = run(sfn, {"Call": {"Type": "Task", "Resource": resource,
                                            "Parameters": {}, "End": True}})
        assert description["status"] == "FAILED"
        assert description["error"] == "States.Runtime", description
        assert words in description["cause"]


def test_an_unreachable_endpoint_and_throttling_fail_as_the_sdk_reports_them(services, moto):
    sfn, _ = services
    Throttler.calls = 0
    description, _ = run(sfn, {
        "Throttled": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ecs:listClusters",
                      "Parameters": {},
                      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.throttled",
                                 "Next": "Unreachable"}],
                      "End": True},
        "Unreachable": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:batch:listJobs",
                        "Parameters": {"JobQueue": "q"},
                        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.unreachable",
                                   "Next": "Done"}],
                        "End": True},
        "Done": {"Type": "Succeed"},
    }, timeout=60)
    out = output(description)
    # ThrottlingException is not among ECS's modeled errors: the client's base exception,
    # after the Java SDK's standard retries (3 attempts).
    assert out["throttled"]["Error"] == "Ecs.EcsException"
    assert out["throttled"]["Cause"].startswith("Rate exceeded (Service: Ecs, Status Code: 400")
    assert out["throttled"]["Cause"].endswith("(SDK Attempt Count: 3)")
    assert Throttler.calls == 3
    assert out["unreachable"]["Error"] == "Batch.SdkClientException"
    assert "Unable to execute HTTP request" in out["unreachable"]["Cause"]
    assert "testing" not in out["unreachable"]["Cause"]


def test_a_task_role_is_assumed_through_sts(services, moto):
    sfn, _ = services
    role = "arn:aws:iam::123456789012:role/task-role"
    description, _ = run(sfn, {
        "Who": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sts:getCallerIdentity",
                "Parameters": {}, "Credentials": {"RoleArn": role}, "End": True},
    })
    out = output(description)
    assert ":assumed-role/task-role/" in out["Arn"], out


def test_sync_integrations_wait_for_the_end_on_aws(services, moto):
    sfn, _ = services
    glue = aws(moto, "glue")
    job = unique("job")
    glue.create_job(Name=job, Role="arn:aws:iam::123456789012:role/glue",
                    Command={"Name": "glueetl", "ScriptLocation": "s3://bucket/script.py"})
    project = unique("project")
    aws(moto, "codebuild").create_project(
        name=project, source={"type": "S3", "location": "bucket/src.zip"},
        artifacts={"type": "NO_ARTIFACTS"}, serviceRole="arn:aws:iam::123456789012:role/cb",
        environment={"type": "LINUX_CONTAINER", "image": "build-image",
                     "computeType": "BUILD_GENERAL1_SMALL"})
    training = unique("training")
    description, _ = run(sfn, {
        "Query": {"Type": "Task", "Resource": "arn:aws:states:::athena:startQueryExecution.sync",
                  "Parameters": {"QueryString": "SELECT 1",
                                 "ResultConfiguration": {"OutputLocation": "s3://bucket/out/"}},
                  "ResultPath": "$.query", "Next": "Glue"},
        "Glue": {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
                 "Parameters": {"JobName": job}, "ResultPath": "$.glue", "Next": "Build"},
        "Build": {"Type": "Task", "Resource": "arn:aws:states:::codebuild:startBuild.sync",
                  "Parameters": {"ProjectName": project}, "ResultPath": "$.build",
                  "Next": "Train"},
        "Train": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
                  "Parameters": {
                      "TrainingJobName": training,
                      "AlgorithmSpecification": {"TrainingImage": "image",
                                                 "TrainingInputMode": "File"},
                      "RoleArn": "arn:aws:iam::123456789012:role/sm",
                      "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
                      "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                                         "VolumeSizeInGB": 1},
                      "StoppingCondition": {"MaxRuntimeInSeconds": 60}},
                  "ResultPath": "$.train", "End": True},
    }, timeout=60)
    out = output(description)
    assert out["query"]["QueryExecution"]["Status"]["State"] == "SUCCEEDED"
    assert out["glue"]["JobRunState"] == "SUCCEEDED"
    assert out["glue"]["JobName"] == job
    # The 1.x SDK's dates: milliseconds since the epoch.
    assert isinstance(out["glue"]["StartedOn"], int)
    assert out["build"]["Build"]["BuildStatus"] == "SUCCEEDED"
    assert out["build"]["Build"]["ProjectName"] == project
    assert out["train"]["TrainingJobStatus"] == "Completed"
    assert out["train"]["TrainingJobName"] == training


def test_errors_have_the_names_and_causes_aws_recorded(services, moto):
    sfn, _ = services
    sqs = aws(moto, "sqs")
    queue_url = sqs.create_queue(QueueName=unique("queue"))["QueueUrl"]
    table = unique("table")
    make_table(moto, table)
    catch = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Next"}]
    cases = [
        ("error-handling-send-message-empty-body", "arn:aws:states:::sqs:sendMessage",
         {"QueueUrl": queue_url, "MessageBody": None}),
        # AWS's recordings answer a null Item with ValidationException; moto answers it with
        # a 500, so a key that does not match the table's schema gives the same code here.
        ("error-handling-dynamodb-invalid-param", "arn:aws:states:::aws-sdk:dynamodb:getItem",
         {"TableName": table, "Key": {"other": {"S": "x"}}}),
        ("error-handling-invalid-param", "arn:aws:states:::dynamodb:getItem",
         {"TableName": table, "Key": {"other": {"S": "x"}}}),
    ]
    for case, resource, params in cases:
        description, _ = run(sfn, {
            "Call": {"Type": "Task", "Resource": resource, "Parameters": params,
                     "Catch": catch, "End": True},
            "Next": {"Type": "Succeed"},
        })
        got = output(description)["error"]
        resource_type = resource.split(":::")[1].rsplit(":", 1)[0]
        expected = next(recorded_failures(case, resource_type))
        assert got["Error"] == expected["error"], (case, got)
        # The cause ends as the SDK words it; the message, status and code are moto's own
        # (moto answers the missing MessageBody with a 500, AWS with MissingParameter).
        tail = expected["cause"][expected["cause"].index(" (Service: "):]
        tail = tail[:tail.index("Status Code: ") + len("Status Code: ")]
        assert tail in got["Cause"], (case, got["Cause"], tail)
    # A modeled error whose code is not its shape's name: SNS's `NotFound` is
    # `NotFoundException`, named as AWS names SNS's InvalidParameter
    # (`services-fifo-message-attribute`: `SNS.InvalidParameterException`).
    description, _ = run(sfn, {
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                 "Parameters": {"TopicArn": f"arn:aws:sns:{REGION}:123456789012:no-such-topic",
                                "Message": "HelloWorld"},
                 "Catch": catch, "End": True},
        "Next": {"Type": "Succeed"},
    })
    got = output(description)["error"]
    assert got["Error"] == "SNS.NotFoundException", got
    assert "(Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: " in got["Cause"]


class SlowGlue(http.server.BaseHTTPRequestHandler):
    """Glue's StartJobRun and GetJobRun (JSON 1.1): the run stays RUNNING until `finish`."""
    starts = 0
    finished = False

    def do_POST(self):
        target = self.headers.get("X-Amz-Target", "")
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if target.endswith(".StartJobRun"):
            SlowGlue.starts += 1
            answer = {"JobRunId": f"jr_{SlowGlue.starts}"}
        else:
            state = "SUCCEEDED" if SlowGlue.finished else "RUNNING"
            answer = {"JobRun": {"Id": body["RunId"], "JobName": body["JobName"],
                                 "JobRunState": state, "StartedOn": 1700000000.5}}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("x-amzn-RequestId", "glue-1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_a_sync_job_started_before_a_crash_is_awaited_not_started_again(tmp_path):
    stub = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowGlue)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    SlowGlue.starts, SlowGlue.finished = 0, False
    config = tmp_path / "baton.toml"
    config.write_text(
        "[aws]\n"
        f'endpoints = {{ glue = "http://127.0.0.1:{stub.server_address[1]}" }}\n'
        'access_key_id = "testing"\nsecret_access_key = "testing"\n'
        'allow = ["glue:StartJobRun", "glue:GetJobRun"]\n')
    data = tmp_path / "data"
    args = ("--config", str(config))
    first = baton_server.start(data, tmp_path / "first.log", extra_args=args)
    try:
        sfn = make_client(first.endpoint)
        arn = create_machine(sfn, {
            "Run": {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
                    "Parameters": {"JobName": "nightly"}, "End": True}})
        execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
        deadline = time.monotonic() + 15
        while "TaskSubmitted" not in [e["type"] for e in history(sfn, execution)]:
            assert time.monotonic() < deadline, "the start call's answer was never recorded"
            time.sleep(0.05)
    finally:
        first.kill()
    second = baton_server.start(data, tmp_path / "second.log", extra_args=args)
    try:
        sfn = make_client(second.endpoint)
        SlowGlue.finished = True
        description = wait_for_end(sfn, execution, timeout=30)
        assert description["status"] == "SUCCEEDED", description
        assert json.loads(description["output"])["JobRunState"] == "SUCCEEDED"
        events = history(sfn, execution)
        types = [e["type"] for e in events]
        assert types.count("TaskSubmitted") == 1
        submitted = next(e for e in events if e["type"] == "TaskSubmitted")
        assert json.loads(submitted["taskSubmittedEventDetails"]["output"])["JobRunId"] == "jr_1"
        # The job was started once: the restart waited for it.
        assert SlowGlue.starts == 1
    finally:
        second.stop(10)
        stub.shutdown()


def test_functions_not_configured_here_are_invoked_on_lambda(services, moto):
    sfn, _ = services
    description, _ = run(sfn, {
        "Service": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "remote-fn", "Payload": {"n": 1}},
                    "ResultPath": "$.service", "Next": "Arn"},
        # A region the ARN names is the one called, whatever [aws] region says.
        "Arn": {"Type": "Task",
                "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:remote-fn",
                "Parameters": {"n": 2}, "ResultPath": "$.arn", "Next": "Fails"},
        "Fails": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Parameters": {"FunctionName": "fails", "Payload": {}},
                  "Catch": [{"ErrorEquals": ["OrderInvalid"], "ResultPath": "$.caught",
                             "Next": "Done"}],
                  "End": True},
        "Done": {"Type": "Succeed"},
    })
    out = output(description)
    assert out["service"]["Payload"] == {"echo": {"n": 1}, "function": "remote-fn",
                                         "region": REGION}
    # The members AWS answers (its recorded payload is a string, this one an object).
    assert list(out["service"]) == list(recorded(
        "credentials-cross-account-service-lambda-invoke", "lambda", "invoke"))
    assert out["service"]["StatusCode"] == 200
    assert out["service"]["ExecutedVersion"] == "$LATEST"
    assert out["arn"] == {"echo": {"n": 2}, "function": "remote-fn", "region": "eu-west-1"}
    assert out["caught"]["Error"] == "OrderInvalid"
    assert json.loads(out["caught"]["Cause"])["errorMessage"] == "no items"


def test_start_execution_on_another_step_functions_endpoint(services, moto):
    sfn, _ = services
    remote = aws(moto, "stepfunctions")
    machine = remote.create_state_machine(
        name=unique("remote"), roleArn="arn:aws:iam::123456789012:role/sfn",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
    )["stateMachineArn"]
    description, _ = run(sfn, {
        "Start": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
                  "Parameters": {"StateMachineArn": machine, "Input": {"from": "baton"}},
                  "End": True},
    })
    out = output(description)
    expected = dict(recorded("services-start-execution-input-json", "states", "startExecution"))
    # The recording's StartDate is masked ("start-date"); its keys are compared, not its type.
    assert set(out) == set(expected)
    del expected["StartDate"]
    assert same_shape({k: v for k, v in out.items() if k != "StartDate"}, expected) == []
    assert out["ExecutionArn"].startswith(machine.replace(":stateMachine:", ":execution:"))
    # The 1.x SDK's date: milliseconds since the epoch.
    assert isinstance(out["StartDate"], int)
    started = remote.describe_execution(executionArn=out["ExecutionArn"])
    assert json.loads(started["input"]) == {"from": "baton"}


class JobServices(http.server.BaseHTTPRequestHandler):
    """AWS Batch (REST-JSON) and ECS (JSON 1.1) for jobs and tasks Baton does not run itself:
    a job named `bad` fails; every other job and task ends successfully."""

    def answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("x-amzn-RequestId", "jobs-1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        target = self.headers.get("X-Amz-Target", "")
        if self.path == "/v1/submitjob":
            name = body["jobName"]
            self.answer({"jobArn": f"arn:aws:batch:us-east-1:123456789012:job/{name}",
                         "jobName": name, "jobId": name})
        elif self.path == "/v1/describejobs":
            name = body["jobs"][0]
            status, code = ("FAILED", 1) if name == "bad" else ("SUCCEEDED", 0)
            self.answer({"jobs": [{"jobId": name, "jobName": name, "status": status,
                                   "jobQueue": "q", "jobDefinition": "def:1",
                                   "createdAt": 1700000000000,
                                   "container": {"exitCode": code}}]})
        elif target.endswith(".RunTask"):
            self.answer({"tasks": [{"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/c/t1",
                                    "lastStatus": "PROVISIONING"}], "failures": []})
        elif target.endswith(".DescribeTasks"):
            self.answer({"tasks": [{"taskArn": body["tasks"][0], "lastStatus": "STOPPED",
                                    "containers": [{"name": "app", "exitCode": 0}],
                                    "stoppedAt": 1700000001.25}]})
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args):
        pass


def test_batch_and_ecs_sync_on_aws_for_what_is_not_configured_here(tmp_path):
    stub = http.server.ThreadingHTTPServer(("127.0.0.1", 0), JobServices)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{stub.server_address[1]}"
    config = tmp_path / "baton.toml"
    config.write_text(
        "[aws]\n"
        f'endpoints = {{ batch = "{url}", ecs = "{url}" }}\n'
        'access_key_id = "testing"\nsecret_access_key = "testing"\n'
        'allow = ["batch:SubmitJob", "batch:DescribeJobs", "ecs:RunTask", "ecs:DescribeTasks"]\n')
    running = baton_server.start(tmp_path / "data", tmp_path / "serve.log",
                                 extra_args=("--config", str(config)))
    try:
        sfn = make_client(running.endpoint)
        description, _ = run(sfn, {
            "Job": {"Type": "Task", "Resource": "arn:aws:states:::batch:submitJob.sync",
                    "Parameters": {"JobName": "nightly", "JobQueue": "q",
                                   "JobDefinition": "def"},
                    "ResultPath": "$.job", "Next": "Task"},
            "Task": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync",
                     "Parameters": {"Cluster": "c", "TaskDefinition": "remote-family"},
                     "ResultPath": "$.task", "Next": "Bad"},
            "Bad": {"Type": "Task", "Resource": "arn:aws:states:::batch:submitJob.sync",
                    "Parameters": {"JobName": "bad", "JobQueue": "q", "JobDefinition": "def"},
                    "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.failed",
                               "Next": "Done"}],
                    "End": True},
            "Done": {"Type": "Succeed"},
        })
        out = output(description)
        assert out["job"]["Status"] == "SUCCEEDED" and out["job"]["JobId"] == "nightly"
        assert out["job"]["Container"] == {"ExitCode": 0}
        assert out["task"]["LastStatus"] == "STOPPED"
        assert out["task"]["Containers"] == [{"ExitCode": 0, "Name": "app"}]
        # The 1.x SDK's date: milliseconds since the epoch.
        assert out["task"]["StoppedAt"] == 1700000001250
        cause = json.loads(out["failed"]["Cause"])
        assert cause["Status"] == "FAILED" and cause["Container"]["ExitCode"] == 1
    finally:
        running.stop(10)
        stub.shutdown()


def _receive(sqs, url, count, timeout=20.0):
    """The bodies of `count` messages of the queue at `url` (or fewer, when time is up)."""
    bodies, deadline = [], time.monotonic() + timeout
    while len(bodies) < count and time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in got.get("Messages", []):
            bodies.append(m["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return bodies


def test_rules_and_schedules_reach_sqs_and_sns_through_the_aws_integrations(services, moto):
    """EventBridge targets and EventBridge Scheduler's universal targets that are AWS services
    are called as Task states call them, through `[aws]` (here moto)."""
    _, running = services
    # moto's own account, so that its queue and topic ARNs are the rules' account's.
    account = "123456789012"
    session = boto3.session.Session(aws_access_key_id=account, aws_secret_access_key="x",
                                    region_name=REGION)
    events = session.client("events", endpoint_url=running.endpoint)
    scheduler = session.client("scheduler", endpoint_url=running.endpoint)
    sqs, sns = aws(moto, "sqs"), aws(moto, "sns")
    queue = unique("targets")
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    topic_arn = sns.create_topic(Name=unique("topic"))["TopicArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    rule = unique("to-aws")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["shop"]}))
    assert events.put_targets(Rule=rule, Targets=[
        {"Id": "queue", "Arn": queue_arn},
        {"Id": "topic", "Arn": topic_arn, "Input": json.dumps({"via": "sns"})},
    ])["FailedEntryCount"] == 0
    time.sleep(1.2)  # rules take effect within a second
    events.put_events(Entries=[{"Source": "shop", "DetailType": "Order",
                                "Detail": json.dumps({"order": 7})}])
    bodies = _receive(sqs, url, 2)
    direct = [json.loads(b) for b in bodies if "detail" in b and "Message" not in json.loads(b)]
    published = [json.loads(json.loads(b)["Message"]) for b in bodies
                 if "Message" in json.loads(b)]
    assert [e["detail"] for e in direct] == [{"order": 7}], bodies
    assert published == [{"via": "sns"}], bodies
    # A one-time schedule whose time passed a minute ago fires at once (a tick younger than
    # its target's maximum event age), its universal target calling SQS's SendMessage with
    # its input as the parameters.
    when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 60))
    scheduler.create_schedule(
        Name=unique("once"), ScheduleExpression=f"at({when})",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage",
                "RoleArn": f"arn:aws:iam::{account}:role/scheduler",
                "Input": json.dumps({"QueueUrl": url,
                                     "MessageBody": "tick <aws.scheduler.scheduled-time>"})})
    assert _receive(sqs, url, 1) == [f"tick {when}Z"]


def test_a_rule_invokes_a_local_lambda_function_with_the_event(services):
    _, running = services
    account = "123456789012"
    events = boto3.session.Session(aws_access_key_id=account, aws_secret_access_key="x",
                                   region_name=REGION).client("events",
                                                              endpoint_url=running.endpoint)
    rule = unique("to-lambda")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["lambda.test"]}))
    events.put_targets(Rule=rule, Targets=[
        {"Id": "f", "Arn": f"arn:aws:lambda:{REGION}:{account}:function:recorder"}])
    time.sleep(1.2)
    events.put_events(Entries=[{"Source": "lambda.test", "DetailType": "Ping",
                                "Detail": json.dumps({"n": 1})}])
    recorded = running.folder / "recorded.jsonl"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not recorded.exists():
        time.sleep(0.1)
    lines = [json.loads(line) for line in recorded.read_text().splitlines() if line]
    assert [(e["source"], e["detail"]) for e in lines] == [("lambda.test", {"n": 1})]


def test_an_event_that_cannot_be_delivered_goes_to_the_targets_dead_letter_queue(services, moto):
    _, running = services
    account = "123456789012"
    events = boto3.session.Session(aws_access_key_id=account, aws_secret_access_key="x",
                                   region_name=REGION).client("events",
                                                              endpoint_url=running.endpoint)
    sqs = aws(moto, "sqs")
    url = sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
    dlq = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    rule = unique("undeliverable")
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["dlq.test"]}))[
        "RuleArn"]
    missing = f"arn:aws:states:{REGION}:{account}:stateMachine:{unique('gone')}"
    events.put_targets(Rule=rule, Targets=[{
        "Id": "m", "Arn": missing, "RoleArn": f"arn:aws:iam::{account}:role/r",
        "DeadLetterConfig": {"Arn": dlq}}])
    time.sleep(1.2)
    events.put_events(Entries=[{"Source": "dlq.test", "DetailType": "Lost",
                                "Detail": json.dumps({"n": 3})}])
    deadline, got = time.monotonic() + 20, []
    while not got and time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"],
                                  WaitTimeSeconds=1).get("Messages", [])
    assert got, "nothing reached the dead-letter queue"
    event = json.loads(got[0]["Body"])
    attributes = {k: v["StringValue"] for k, v in got[0]["MessageAttributes"].items()}
    assert event["detail"] == {"n": 3} and event["source"] == "dlq.test"
    assert attributes["RULE_ARN"] == rule_arn and attributes["TARGET_ARN"] == missing
    assert attributes["ERROR_CODE"] == "StateMachineDoesNotExist", attributes
    assert attributes["RETRY_ATTEMPTS"] == "0"
