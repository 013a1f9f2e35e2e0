"""`baton serve` with keys (`[[auth.keys]]` in baton.toml): every API on its ports verifies
SigV4 signatures, through boto3's `stepfunctions`, `lambda` and `s3` clients and the AWS CLI.
A right signature is served, in the key's account; each wrong one is refused with AWS's error
(Step Functions and Lambda: `MissingAuthenticationTokenException`,
`UnrecognizedClientException`, `InvalidSignatureException`, `AccessDeniedException`; S3:
`AccessDenied`, `InvalidAccessKeyId`, `SignatureDoesNotMatch`); presigned S3 URLs work until
they expire; one account's resources are invisible to another's key; a key limited to
`actions` can do only those."""

import datetime
import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from unittest import mock

import boto3
import botocore
import botocore.auth
import botocore.exceptions
import pytest
from botocore.config import Config

import baton_server
from conftest import AwsCli
from support import REGION, definition, unique, wait_for_end

ADMIN = ("AKIAADMINKEY00000001", "admin-secret/with+signs", "111111111111")
OTHER = ("AKIAOTHERKEY00000002", "other-secret", "222222222222")
READER = ("AKIAREADERKEY0000003", "reader-secret", "111111111111")

ECHO = textwrap.dedent("""\
    import json, sys
    print(json.dumps({"echo": json.load(sys.stdin)}))
""")

# A function that calls back: puts an object through the S3 endpoint and sends its task token
# back, with the credentials and endpoints Baton gave its process.
CALLBACK = textwrap.dedent("""\
    import json, os, sys
    import boto3
    from botocore.config import Config
    event = json.load(sys.stdin)
    s3 = boto3.client("s3")
    s3.put_object(Bucket=event["bucket"], Key="from-process", Body=os.environ["AWS_ACCESS_KEY_ID"])
    sfn = boto3.client("stepfunctions", config=Config(inject_host_prefix=False))
    sfn.send_task_success(taskToken=event["token"], output=json.dumps({"called": "back"}))
    print("{}")
""")


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("auth")
    (folder / "echo.py").write_text(ECHO)
    (folder / "callback.py").write_text(CALLBACK)
    config = textwrap.dedent(f"""\
        [functions.echo]
        command = ["{sys.executable}", "echo.py"]

        [functions.callback]
        command = ["{sys.executable}", "callback.py"]
        timeout_seconds = 30

        [[auth.keys]]
        access_key_id = "{ADMIN[0]}"
        secret_access_key = "{ADMIN[1]}"
        account = "{ADMIN[2]}"

        [[auth.keys]]
        access_key_id = "{OTHER[0]}"
        secret_access_key_env = "BATON_TEST_OTHER_SECRET"
        account = "{OTHER[2]}"

        [[auth.keys]]
        access_key_id = "{READER[0]}"
        secret_access_key = "{READER[1]}"
        account = "{READER[2]}"
        actions = ["states:Describe*", "states:List*", "lambda:Get*"]
    """)
    (folder / "baton.toml").write_text(config)
    data = tmp_path_factory.mktemp("auth-data")
    log = tmp_path_factory.mktemp("auth-log") / "stderr.log"
    os.environ["BATON_TEST_OTHER_SECRET"] = OTHER[1]
    try:
        running = baton_server.start(data, log,
                                     extra_args=("--config", str(folder / "baton.toml")))
    except baton_server.StartFailed as e:
        pytest.fail(str(e))
    finally:
        del os.environ["BATON_TEST_OTHER_SECRET"]
    yield running
    running.stop(10.0)


def client(server, service, key, **config):
    """A boto3 client for `service` signed with `key` (id, secret, account)."""
    session = boto3.session.Session(aws_access_key_id=key[0], aws_secret_access_key=key[1],
                                    region_name=REGION)
    endpoint = server.s3_endpoint if service == "s3" else server.endpoint
    return session.client(service, endpoint_url=endpoint, config=Config(
        inject_host_prefix=False, retries={"max_attempts": 1}, **config))


def refused(call):
    """The error code, message and HTTP status a refused call got."""
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call()
    response = raised.value.response
    return (response["Error"]["Code"], response["Error"].get("Message", ""),
            response["ResponseMetadata"]["HTTPStatusCode"])


def test_a_signed_client_acts_in_its_keys_account(keyed_server):
    sfn = client(keyed_server, "stepfunctions", ADMIN)
    name = unique("signed")
    arn = sfn.create_state_machine(
        name=name, roleArn="arn:aws:iam::111111111111:role/r",
        definition=definition({"P": {"Type": "Pass", "End": True}}))["stateMachineArn"]
    assert arn == f"arn:aws:states:{REGION}:{ADMIN[2]}:stateMachine:{name}"
    execution = sfn.start_execution(stateMachineArn=arn, input='{"a": 1}')["executionArn"]
    assert wait_for_end(sfn, execution)["status"] == "SUCCEEDED"
    # A region is the signature's scope.
    west = boto3.client("stepfunctions", endpoint_url=keyed_server.endpoint,
                        region_name="eu-west-1", aws_access_key_id=ADMIN[0],
                        aws_secret_access_key=ADMIN[1])
    listed = west.list_state_machines()["stateMachines"]
    assert listed == []


def test_each_wrong_signature_is_refused_as_aws_refuses_it(keyed_server):
    unsigned = boto3.client("stepfunctions", endpoint_url=keyed_server.endpoint,
                            region_name=REGION,
                            config=Config(signature_version=botocore.UNSIGNED,
                                          retries={"max_attempts": 1}))
    assert refused(unsigned.list_state_machines) == (
        "MissingAuthenticationTokenException", "Request is missing Authentication Token", 400)

    unknown = client(keyed_server, "stepfunctions", ("AKIAUNKNOWNKEY000009", "x", ""))
    assert refused(unknown.list_state_machines) == (
        "UnrecognizedClientException", "The security token included in the request is invalid.",
        400)

    wrong = client(keyed_server, "stepfunctions", (ADMIN[0], "not-the-secret", ""))
    code, message, status = refused(wrong.list_state_machines)
    assert (code, status) == ("InvalidSignatureException", 400)
    assert message.startswith("The request signature we calculated does not match")

    # Signed 20 minutes ago: past AWS's 15 minutes of skew.
    past = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) \
        - datetime.timedelta(minutes=20)
    late = client(keyed_server, "stepfunctions", ADMIN)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=past):
        code, message, status = refused(late.list_state_machines)
    assert (code, status) == ("InvalidSignatureException", 400)
    assert message.startswith(f"Signature expired: {past.strftime('%Y%m%dT%H%M%SZ')} is now "
                              "earlier than"), message
    # Within the skew, it is served.
    recent = past + datetime.timedelta(minutes=10)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=recent):
        late.list_state_machines()

    # Signed for another service.
    lambda_signed = boto3.client("lambda", endpoint_url=keyed_server.endpoint,
                                 region_name=REGION, aws_access_key_id=ADMIN[0],
                                 aws_secret_access_key=ADMIN[1])
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=keyed_server.endpoint + "/",
        data=b"{}", headers={"X-Amz-Target": "AWSStepFunctions.ListStateMachines",
                             "Content-Type": "application/x-amz-json-1.0"})
    botocore.auth.SigV4Auth(lambda_signed._request_signer._credentials, "lambda",
                            REGION).add_auth(request)
    prepared = request.prepare()
    http = urllib.request.Request(prepared.url, data=prepared.body, method="POST",
                                  headers=dict(prepared.headers))
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(http, timeout=10)
    body = json.loads(raised.value.read())
    assert raised.value.code == 400
    assert body["__type"] == "com.amazon.coral.service#InvalidSignatureException"
    assert "'states'" in body["message"]


def test_another_accounts_resources_are_invisible(keyed_server):
    admin = client(keyed_server, "stepfunctions", ADMIN)
    other = client(keyed_server, "stepfunctions", OTHER)
    name = unique("mine")
    arn = admin.create_state_machine(
        name=name, roleArn="arn:aws:iam::111111111111:role/r",
        definition=definition({"P": {"Type": "Pass", "End": True}}))["stateMachineArn"]
    assert name not in [m["name"] for m in other.list_state_machines()["stateMachines"]]
    code, _, _ = refused(lambda: other.describe_state_machine(stateMachineArn=arn))
    assert code == "StateMachineDoesNotExist"
    code, _, _ = refused(lambda: other.start_execution(stateMachineArn=arn))
    assert code == "StateMachineDoesNotExist"
    # The same name in the other account is another machine.
    theirs = other.create_state_machine(
        name=name, roleArn="arn:aws:iam::222222222222:role/r",
        definition=definition({"P": {"Type": "Pass", "End": True}}))["stateMachineArn"]
    assert theirs == f"arn:aws:states:{REGION}:{OTHER[2]}:stateMachine:{name}"


def test_a_key_limited_to_actions_can_do_only_those(keyed_server):
    admin = client(keyed_server, "stepfunctions", ADMIN)
    reader = client(keyed_server, "stepfunctions", READER)
    name = unique("readable")
    arn = admin.create_state_machine(
        name=name, roleArn="arn:aws:iam::111111111111:role/r",
        definition=definition({"P": {"Type": "Pass", "End": True}}))["stateMachineArn"]
    assert reader.describe_state_machine(stateMachineArn=arn)["name"] == name
    assert name in [m["name"] for m in reader.list_state_machines()["stateMachines"]]
    code, message, status = refused(lambda: reader.start_execution(stateMachineArn=arn))
    assert (code, status) == ("AccessDeniedException", 400)
    assert message == (f"User: arn:aws:iam::{READER[2]}:user/{READER[0]} is not authorized to "
                       "perform: states:StartExecution because no identity-based policy allows "
                       "the states:StartExecution action")
    assert admin.list_executions(stateMachineArn=arn)["executions"] == []


def test_lambda_verifies_signatures(keyed_server):
    lam = client(keyed_server, "lambda", ADMIN)
    r = lam.invoke(FunctionName="echo", Payload=json.dumps({"a": 1}))
    assert json.loads(r["Payload"].read()) == {"echo": {"a": 1}}
    configuration = lam.get_function_configuration(FunctionName="echo")
    assert configuration["FunctionArn"] == f"arn:aws:lambda:{REGION}:{ADMIN[2]}:function:echo"

    wrong = client(keyed_server, "lambda", (ADMIN[0], "nope", ""))
    code, message, status = refused(lambda: wrong.invoke(FunctionName="echo"))
    assert (code, status) == ("InvalidSignatureException", 403)
    assert message.startswith("The request signature we calculated does not match")
    unknown = client(keyed_server, "lambda", ("AKIAUNKNOWNKEY000009", "x", ""))
    assert refused(unknown.list_functions)[0::2] == ("UnrecognizedClientException", 403)

    reader = client(keyed_server, "lambda", READER)
    assert reader.get_function(FunctionName="echo")["Configuration"]["FunctionName"] == "echo"
    code, message, status = refused(lambda: reader.invoke(FunctionName="echo"))
    assert (code, status) == ("AccessDeniedException", 403)
    assert "lambda:InvokeFunction" in message


def test_cloudwatch_logs_verifies_signatures_and_keeps_accounts_apart(keyed_server):
    admin = client(keyed_server, "logs", ADMIN)
    group = unique("/signed/group")
    admin.create_log_group(logGroupName=group)
    assert [g["logGroupName"] for g in
            admin.describe_log_groups(logGroupNamePrefix=group)["logGroups"]] == [group]
    assert admin.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["arn"] == \
        f"arn:aws:logs:{REGION}:{ADMIN[2]}:log-group:{group}:*"
    # Another account's key sees none of it.
    other = client(keyed_server, "logs", OTHER)
    assert other.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []
    wrong = client(keyed_server, "logs", (ADMIN[0], "nope", ""))
    code, message, status = refused(lambda: wrong.describe_log_groups())
    assert (code, status) == ("InvalidSignatureException", 400)
    # A key limited to states:Describe*/List* may not make log groups.
    reader = client(keyed_server, "logs", READER)
    code, message, status = refused(lambda: reader.create_log_group(logGroupName=unique("/no")))
    assert (code, status) == ("AccessDeniedException", 400)
    assert "logs:CreateLogGroup" in message


def test_the_s3_endpoint_verifies_signatures_and_presigned_urls(keyed_server):
    s3 = client(keyed_server, "s3", ADMIN)
    bucket = unique("signed")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a/b c.txt", Body=b"hello")
    assert s3.get_object(Bucket=bucket, Key="a/b c.txt")["Body"].read() == b"hello"

    wrong = client(keyed_server, "s3", (ADMIN[0], "nope", ""))
    assert refused(lambda: wrong.get_object(Bucket=bucket, Key="a/b c.txt"))[0::2] == (
        "SignatureDoesNotMatch", 403)
    unknown = client(keyed_server, "s3", ("AKIAUNKNOWNKEY000009", "x", ""))
    assert refused(lambda: unknown.get_object(Bucket=bucket, Key="a/b c.txt"))[0::2] == (
        "InvalidAccessKeyId", 403)
    unsigned = boto3.client("s3", endpoint_url=keyed_server.s3_endpoint, region_name=REGION,
                            config=Config(signature_version=botocore.UNSIGNED))
    assert refused(lambda: unsigned.get_object(Bucket=bucket, Key="a/b c.txt"))[0::2] == (
        "AccessDenied", 403)

    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a/b c.txt"},
                                    ExpiresIn=60)
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"hello"
    tampered = url.replace("b%20c.txt", "b%20d.txt")
    assert tampered != url
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(tampered, timeout=10)
    assert raised.value.code == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in raised.value.read()
    short = s3.generate_presigned_url("get_object",
                                      Params={"Bucket": bucket, "Key": "a/b c.txt"},
                                      ExpiresIn=1)
    time.sleep(2.1)
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(short, timeout=10)
    assert raised.value.code == 403
    assert b"<Code>AccessDenied</Code>" in raised.value.read()


def test_the_console_endpoints_need_a_signature_and_the_page_does_not(keyed_server):
    def get(path, method="GET", data=None):
        request = urllib.request.Request(keyed_server.endpoint + path, data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    assert get("/health")[0] == 200
    status, page = get("/")
    assert status == 200 and b"<html" in page.lower()
    for path, method, data in [("/console/api/graph", "POST", b'{"definition": {}}'),
                               ("/console/api/logs/functions/echo", "GET", None)]:
        status, body = get(path, method, data)
        assert status == 400, (path, status, body)
        assert json.loads(body)["__type"] == \
            "com.amazon.coral.service#MissingAuthenticationTokenException"


def test_the_aws_cli_signs_with_its_configured_key(keyed_server, tmp_path):
    cli = AwsCli(keyed_server.endpoint, tmp_path)
    cli.env.update({"AWS_ACCESS_KEY_ID": ADMIN[0], "AWS_SECRET_ACCESS_KEY": ADMIN[1]})
    listed = cli("stepfunctions", "list-state-machines")
    assert all(m["stateMachineArn"].split(":")[4] == ADMIN[2] for m in listed["stateMachines"])
    cli.env["AWS_SECRET_ACCESS_KEY"] = "wrong"
    code, message = cli.error("stepfunctions", "list-state-machines")
    assert code == "InvalidSignatureException"
    assert message.startswith("The request signature we calculated does not match")


def test_processes_call_back_with_a_key_of_their_executions_account(keyed_server):
    sfn = client(keyed_server, "stepfunctions", ADMIN)
    s3 = client(keyed_server, "s3", ADMIN)
    bucket = unique("process")
    s3.create_bucket(Bucket=bucket)
    arn = sfn.create_state_machine(
        name=unique("callback"), roleArn="arn:aws:iam::111111111111:role/r",
        definition=definition({"Call": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "callback",
                           "Payload": {"token.$": "$$.Task.Token", "bucket": bucket}},
            "TimeoutSeconds": 60, "End": True}}))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    done = wait_for_end(sfn, execution, timeout=60)
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == {"called": "back"}
    # The process signed its S3 call with a key of the execution's account, not a configured one.
    key_id = s3.get_object(Bucket=bucket, Key="from-process")["Body"].read().decode()
    assert key_id == f"BATONPROCESS{ADMIN[2]}"
    # And that key works nowhere else: guessing its secret is refused.
    guessed = client(keyed_server, "stepfunctions", (key_id, "baton", ADMIN[2]))
    assert refused(guessed.list_state_machines)[0] == "InvalidSignatureException"


def test_the_javascript_sdk_signs_for_the_s3_endpoint(keyed_server):
    """`tests/js/s3_signed.mjs`: the AWS SDK for JavaScript v3's S3 client and presigner."""
    js = pathlib.Path(__file__).resolve().parent.parent / "js"
    node = shutil.which("node")
    missing = ("node is not installed" if not node else
               None if (js / "node_modules" / "@aws-sdk" / "client-s3").is_dir()
               else f"{js}/node_modules is missing (cd tests/js && npm ci)")
    if missing:
        if os.environ.get("BATON_CI_STRICT") == "1":
            pytest.fail(f"{missing} (BATON_CI_STRICT=1 forbids skips)")
        pytest.skip(missing)
    s3 = client(keyed_server, "s3", ADMIN)
    bucket = unique("js")
    s3.create_bucket(Bucket=bucket)
    done = subprocess.run([node, str(js / "s3_signed.mjs"), keyed_server.s3_endpoint, ADMIN[0],
                           ADMIN[1], bucket], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert s3.get_object(Bucket=bucket, Key="js/hello.txt")["Body"].read() == b"hello from js"
