"""Lambda's API on Baton's port, through boto3's `lambda` client and `aws lambda invoke`:
the functions of a `baton.toml` (a command function and a Node.js handler) invoked
synchronously, asynchronously and as a dry run, their errors, log tails, and GetFunction /
ListFunctions; and a state machine whose Task calls a function that invokes another one
through the AWS SDK for JavaScript."""

import base64
import json
import os
import shutil
import subprocess
import sys
import textwrap

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

import baton_server
from conftest import AwsCli
from support import ACCOUNT, REGION, make_client, unique, wait_for_end

ECHO = textwrap.dedent("""\
    import json, sys
    event = json.load(sys.stdin)
    print("echoing", json.dumps(event), file=sys.stderr)
    if event.get("fail"):
        print(json.dumps({"errorType": "OrderError", "errorMessage": event["fail"]}))
        sys.exit(1)
    print(json.dumps({"echo": event}))
""")

HELLO = textwrap.dedent("""\
    let calls = 0;
    exports.handler = async (event, context) => {
      calls += 1;
      console.log("hello", context.functionName);
      if (event.fail) {
        const e = new Error(event.fail);
        e.name = "HelloError";
        throw e;
      }
      return { hello: event.who, calls, requestId: context.awsRequestId };
    };
""")


@pytest.fixture(scope="module")
def functions_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("functions")
    (folder / "echo.py").write_text(ECHO)
    (folder / "hello").mkdir()
    (folder / "hello" / "index.js").write_text(HELLO)
    node = shutil.which("node")
    config = textwrap.dedent(f"""\
        [functions.echo]
        command = ["{sys.executable}", "echo.py"]
        timeout_seconds = 20
    """)
    if node:
        config += textwrap.dedent("""\
            [functions.hello]
            runtime = "nodejs20.x"
            handler = "index.handler"
            code = "hello"
            timeout_seconds = 20
            environment = { GREETING = "hi" }
        """)
    elif os.environ.get("BATON_CI_STRICT") == "1":
        pytest.fail("node is not installed (BATON_CI_STRICT=1 forbids skips)")
    (folder / "baton.toml").write_text(config)
    data = tmp_path_factory.mktemp("lambda-data")
    log = tmp_path_factory.mktemp("lambda-log") / "stderr.log"
    try:
        running = baton_server.start(data, log, extra_args=("--config", str(folder / "baton.toml"),
                                                           "--account", ACCOUNT))
    except baton_server.StartFailed as e:
        pytest.fail(str(e))
    running.has_node = bool(node)
    yield running
    running.stop(10.0)


@pytest.fixture(scope="module")
def lam(functions_server):
    session = boto3.session.Session(aws_access_key_id=ACCOUNT,
                                    aws_secret_access_key="baton-test-secret",
                                    region_name=REGION)
    return session.client("lambda", endpoint_url=functions_server.endpoint,
                          config=Config(retries={"max_attempts": 1}, read_timeout=60))


def needs_node(server):
    if not server.has_node:
        if os.environ.get("BATON_CI_STRICT") == "1":
            pytest.fail("node is not installed (BATON_CI_STRICT=1 forbids skips)")
        pytest.skip("node is not installed")


def test_invoke_answers_the_payload_and_the_version(lam):
    r = lam.invoke(FunctionName="echo", Payload=json.dumps({"a": 1}))
    assert r["StatusCode"] == 200
    assert r["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in r
    assert json.loads(r["Payload"].read()) == {"echo": {"a": 1}}
    # By ARN, and with no payload at all (the event `{}`).
    r = lam.invoke(FunctionName=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:echo")
    assert json.loads(r["Payload"].read()) == {"echo": {}}


def test_a_function_error_is_unhandled_with_the_error_as_payload(lam):
    r = lam.invoke(FunctionName="echo", Payload=json.dumps({"fail": "no stock"}))
    assert r["StatusCode"] == 200
    assert r["FunctionError"] == "Unhandled"
    error = json.loads(r["Payload"].read())
    assert error["errorType"] == "OrderError"
    assert error["errorMessage"] == "no stock"


def test_the_log_tail_holds_the_invocations_lines(lam):
    r = lam.invoke(FunctionName="echo", Payload=json.dumps({"tail": "me"}), LogType="Tail")
    log = base64.b64decode(r["LogResult"]).decode()
    assert 'echoing {"tail": "me"}' in log


def test_event_and_dry_run_invocations(lam):
    r = lam.invoke(FunctionName="echo", InvocationType="Event", Payload=b'{"later": true}')
    assert r["StatusCode"] == 202
    assert r["Payload"].read() == b""
    r = lam.invoke(FunctionName="echo", InvocationType="DryRun")
    assert r["StatusCode"] == 204


def test_refusals_in_lambdas_words(lam):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName="nobody")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert e.value.response["Error"]["Message"] == \
        f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT}:function:nobody"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName="echo", Payload=b"{not json")
    assert e.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName="echo", Qualifier="7")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName="echo", Payload=b" " * (6 * 1024 * 1024 + 1))
    assert e.value.response["Error"]["Code"] == "RequestTooLargeException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_get_and_list_functions(lam, functions_server):
    f = lam.get_function(FunctionName="echo")["Configuration"]
    assert f["FunctionName"] == "echo"
    assert f["FunctionArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:echo"
    assert f["Timeout"] == 20
    assert f["Version"] == "$LATEST"
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    expected = ["echo", "hello"] if functions_server.has_node else ["echo"]
    assert names == expected
    page = lam.list_functions(MaxItems=1)
    assert [f["FunctionName"] for f in page["Functions"]] == ["echo"]
    if functions_server.has_node:
        assert page["NextMarker"] == "echo"
        rest = lam.list_functions(Marker=page["NextMarker"])
        assert [f["FunctionName"] for f in rest["Functions"]] == ["hello"]
        hello = lam.get_function_configuration(FunctionName="hello")
        assert hello["Runtime"] == "nodejs20.x"
        assert hello["Handler"] == "index.handler"
        assert hello["Environment"]["Variables"] == {"GREETING": "hi"}


def test_a_node_handler_through_invoke_stays_warm(lam, functions_server):
    needs_node(functions_server)
    first = json.loads(lam.invoke(FunctionName="hello", Payload=b'{"who": "a"}')["Payload"].read())
    second = json.loads(lam.invoke(FunctionName="hello", Payload=b'{"who": "b"}')["Payload"].read())
    assert first["hello"] == "a" and second["hello"] == "b"
    # The same process answered both: its module-level counter went on.
    assert second["calls"] == first["calls"] + 1
    assert first["requestId"] != second["requestId"]
    r = lam.invoke(FunctionName="hello", Payload=b'{"fail": "nope"}', LogType="Tail")
    assert r["FunctionError"] == "Unhandled"
    error = json.loads(r["Payload"].read())
    assert (error["errorType"], error["errorMessage"]) == ("HelloError", "nope")
    assert "hello hello" in base64.b64decode(r["LogResult"]).decode()


def test_the_aws_cli_invokes(functions_server, tmp_path):
    aws = AwsCli(functions_server.endpoint, tmp_path)
    out = tmp_path / "out.json"
    # AWS CLI v1 sends a --payload as it is written (v2 would need
    # --cli-binary-format raw-in-base64-out).
    command = [sys.executable, "-m", "awscli", "lambda", "invoke", "--function-name", "echo",
               "--payload", '{"from": "cli"}',
               str(out), "--endpoint-url", functions_server.endpoint, "--output", "json"]
    done = subprocess.run(command, env=aws.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["StatusCode"] == 200
    assert json.loads(out.read_text()) == {"echo": {"from": "cli"}}


def test_a_state_machine_and_the_api_call_the_same_function(functions_server):
    sfn = make_client(functions_server.endpoint)
    name = unique("calls-echo")
    machine = sfn.create_state_machine(
        name=name, roleArn=f"arn:aws:iam::{ACCOUNT}:role/baton-test",
        definition=json.dumps({"StartAt": "Call", "States": {"Call": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "echo", "Payload": {"n.$": "$.n"}},
            "OutputPath": "$.Payload", "End": True}}}))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input='{"n": 3}')["executionArn"]
    described = wait_for_end(sfn, execution)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"echo": {"n": 3}}


def test_another_baton_reaches_these_functions_through_lambda_endpoint(functions_server,
                                                                      tmp_path):
    """A server with `[lambda] endpoint` (Step Functions Local's LAMBDA_ENDPOINT) sends the
    Lambda tasks of functions it does not have to that Lambda API: here, the first server's."""
    (tmp_path / "baton.toml").write_text(
        f'[lambda]\nendpoint = "{functions_server.endpoint}"\n')
    data = tmp_path / "data"
    data.mkdir()
    caller = baton_server.start(data, tmp_path / "stderr.log",
                                extra_args=("--config", str(tmp_path / "baton.toml"),
                                            "--s3-bind", "127.0.0.1:0"))
    try:
        sfn = make_client(caller.endpoint)
        machine = sfn.create_state_machine(
            name=unique("remote"), roleArn=f"arn:aws:iam::{ACCOUNT}:role/baton-test",
            definition=json.dumps({"StartAt": "Call", "States": {
                "Call": {"Type": "Task",
                         "Resource": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:echo",
                         "Catch": [{"ErrorEquals": ["OrderError"], "Next": "Caught"}],
                         "End": True},
                "Caught": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
        ok = sfn.start_execution(stateMachineArn=machine, input='{"n": 1}')["executionArn"]
        described = wait_for_end(sfn, ok)
        assert described["status"] == "SUCCEEDED", described
        assert json.loads(described["output"]) == {"echo": {"n": 1}}
        # The function's error travels back by its name, for Catch to match.
        bad = sfn.start_execution(stateMachineArn=machine,
                                  input='{"fail": "sold out"}')["executionArn"]
        described = wait_for_end(sfn, bad)
        assert described["status"] == "SUCCEEDED", described
        caught = json.loads(described["output"])
        assert caught["Error"] == "OrderError"
        assert json.loads(caught["Cause"])["errorMessage"] == "sold out"
        # A function neither server has is Lambda's ResourceNotFoundException.
        machine2 = sfn.create_state_machine(
            name=unique("remote-missing"), roleArn=f"arn:aws:iam::{ACCOUNT}:role/baton-test",
            definition=json.dumps({"StartAt": "Call", "States": {"Call": {
                "Type": "Task", "Resource": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:nobody",
                "End": True}}}))["stateMachineArn"]
        missing = sfn.start_execution(stateMachineArn=machine2)["executionArn"]
        described = wait_for_end(sfn, missing)
        assert described["status"] == "FAILED"
        assert described["error"] == "Lambda.ResourceNotFoundException", described
    finally:
        caller.stop(10.0)
