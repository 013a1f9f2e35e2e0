"""Execution logs: a state machine's `loggingConfiguration` sends its executions' history
events to a log group, read back through CloudWatch Logs' API on Baton's port with boto3's
`logs` client and `aws logs tail` (AWS CLI v2).

The expected shapes are AWS's: each log event is a JSON object with `id`, `type`, `details`,
`previous_event_id`, `event_timestamp`, `execution_arn` and `redrive_count`; without
`includeExecutionData` the details carry no input or output (and no `*Details` markers)."""

import json
import os
import shutil
import subprocess
import threading
import time

import boto3
import pytest
from botocore.config import Config

from support import ACCOUNT, REGION, ROLE_ARN, create_machine, definition, unique, wait_for_end

PASS = definition({"Greet": {"Type": "Pass", "Result": {"hello": "world"}, "End": True}})
FAIL = definition({"Boom": {"Type": "Fail", "Error": "Custom.Error", "Cause": "it broke"}})


@pytest.fixture(scope="module")
def logs(endpoint):
    session = boto3.session.Session(aws_access_key_id=ACCOUNT,
                                    aws_secret_access_key="baton-test-secret",
                                    region_name=REGION)
    return session.client("logs", endpoint_url=endpoint,
                          config=Config(retries={"max_attempts": 1}))


def log_group(logs):
    name = f"/aws/vendedlogs/states/{unique('test')}"
    logs.create_log_group(logGroupName=name)
    arn = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["arn"]
    return name, arn


def logging(arn, level, data):
    return {"level": level, "includeExecutionData": data,
            "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": arn}}]}


def logged(logs, group, execution_arn, count, timeout=10.0):
    """The execution's log events in the group (parsed), once there are `count` of them."""
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for stream in logs.describe_log_streams(logGroupName=group)["logStreams"]:
            events = logs.get_log_events(logGroupName=group,
                                         logStreamName=stream["logStreamName"],
                                         startFromHead=True)["events"]
            found += [json.loads(e["message"]) for e in events]
        mine = [e for e in found if e["execution_arn"] == execution_arn]
        if len(mine) >= count or time.monotonic() > deadline:
            return sorted(mine, key=lambda e: int(e["id"]))
        time.sleep(0.1)


def run(sfn, machine_arn, payload="{}"):
    execution_arn = sfn.start_execution(stateMachineArn=machine_arn, input=payload)["executionArn"]
    wait_for_end(sfn, execution_arn)
    return execution_arn


def test_all_without_data_logs_every_event_without_input_or_output(sfn, logs):
    group, arn = log_group(logs)
    machine = create_machine(sfn, PASS, loggingConfiguration=logging(arn, "ALL", False))
    execution = run(sfn, machine)
    events = logged(logs, group, execution, 4)
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    assert events[0]["details"] == {"roleArn": ROLE_ARN}
    assert events[1]["details"] == {"name": "Greet"}
    assert events[2]["details"] == {"name": "Greet"}
    assert events[3]["details"] == {}
    assert [e["id"] for e in events] == ["1", "2", "3", "4"]
    assert [e["previous_event_id"] for e in events] == ["0", "0", "2", "3"]
    history = sfn.get_execution_history(executionArn=execution)["events"]
    for log_event, history_event in zip(events, history):
        assert log_event["redrive_count"] == "0"
        assert log_event["event_timestamp"] == str(
            int(history_event["timestamp"].timestamp() * 1000))


def test_all_with_data_logs_inputs_and_outputs(sfn, logs):
    group, arn = log_group(logs)
    machine = create_machine(sfn, PASS, loggingConfiguration=logging(arn, "ALL", True))
    execution = run(sfn, machine, '{"who": "you"}')
    events = logged(logs, group, execution, 4)
    # The input as the history gives it.
    started = sfn.get_execution_history(executionArn=execution)["events"][0]
    assert events[0]["details"] == {
        "input": started["executionStartedEventDetails"]["input"],
        "inputDetails": {"truncated": False}, "roleArn": ROLE_ARN}
    assert json.loads(events[0]["details"]["input"]) == {"who": "you"}
    assert json.loads(events[2]["details"]["output"]) == {"hello": "world"}
    assert events[3]["details"]["outputDetails"] == {"truncated": False}


@pytest.mark.parametrize("level,expected", [
    ("ERROR", ["FailStateEntered", "ExecutionFailed"]),
    ("FATAL", ["ExecutionFailed"]),
])
def test_error_and_fatal_keep_only_their_events(sfn, logs, level, expected):
    group, arn = log_group(logs)
    machine = create_machine(sfn, FAIL, loggingConfiguration=logging(arn, level, False))
    execution = run(sfn, machine)
    events = logged(logs, group, execution, len(expected))
    assert [e["type"] for e in events] == expected
    assert events[-1]["details"] == {"error": "Custom.Error", "cause": "it broke"}
    # A succeeding execution writes nothing at these levels.
    quiet = create_machine(sfn, PASS, loggingConfiguration=logging(arn, level, False))
    assert logged(logs, group, run(sfn, quiet), 1, timeout=1.0) == []


def test_off_logs_nothing(sfn, logs):
    group, arn = log_group(logs)
    machine = create_machine(sfn, PASS, loggingConfiguration=logging(arn, "OFF", True))
    run(sfn, machine)
    time.sleep(0.5)
    assert logs.describe_log_streams(logGroupName=group)["logStreams"] == []


def test_express_executions_are_logged(sfn, logs):
    group, arn = log_group(logs)
    machine = create_machine(sfn, PASS, machine_type="EXPRESS",
                             loggingConfiguration=logging(arn, "ALL", True))
    done = sfn.start_sync_execution(stateMachineArn=machine, input='{"n": 1}')
    assert done["status"] == "SUCCEEDED"
    events = logged(logs, group, done["executionArn"], 4)
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    assert json.loads(events[0]["details"]["input"]) == {"n": 1}


DMAP = definition({"Fan": {
    "Type": "Map", "ItemsPath": "$.items", "End": True,
    "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}},
}})


def test_a_distributed_maps_children_are_logged_under_their_own_arns(sfn, logs):
    group, arn = log_group(logs)
    machine = create_machine(sfn, DMAP, loggingConfiguration=logging(arn, "ALL", True))
    execution = run(sfn, machine, '{"items": [1, 2, 3]}')
    [map_run] = sfn.list_map_runs(executionArn=execution)["mapRuns"]
    children = sfn.list_executions(mapRunArn=map_run["mapRunArn"])["executions"]
    assert len(children) == 3
    inputs = []
    for child in children:
        events = logged(logs, group, child["executionArn"], 4)
        history = sfn.get_execution_history(executionArn=child["executionArn"])["events"]
        assert [e["type"] for e in events] == [h["type"] for h in history] == [
            "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
        assert [e["id"] for e in events] == [str(h["id"]) for h in history]
        assert {e["redrive_count"] for e in events} == {"0"}
        inputs.append(json.loads(events[0]["details"]["input"]))
    assert sorted(inputs) == [1, 2, 3]
    # The parent's own events are there beside them.
    parent = [e["type"] for e in logged(logs, group, execution, 6)]
    assert "MapRunStarted" in parent and parent[-1] == "ExecutionSucceeded"


def test_filter_log_events_with_a_json_pattern(sfn, logs):
    group, arn = log_group(logs)
    failing = create_machine(sfn, FAIL, loggingConfiguration=logging(arn, "ALL", False))
    passing = create_machine(sfn, PASS, loggingConfiguration=logging(arn, "ALL", False))
    failed = run(sfn, failing)
    succeeded = run(sfn, passing)
    logged(logs, group, succeeded, 4)
    found = logs.filter_log_events(logGroupName=group,
                                   filterPattern='{ $.type = "ExecutionFailed" }')["events"]
    assert [json.loads(e["message"])["execution_arn"] for e in found] == [failed]
    for_one = logs.filter_log_events(
        logGroupName=group, filterPattern=f'{{ $.execution_arn = "{succeeded}" }}')["events"]
    assert len(for_one) == 4
    assert all(e["eventId"] and e["logStreamName"].startswith("states/") for e in for_one)


def test_a_missing_log_group_is_an_invalid_logging_configuration(sfn, logs):
    for arn in [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{unique('absent')}:*",
                # Another account's group is not found either.
                f"arn:aws:logs:{REGION}:222222222222:log-group:{log_group(logs)[0]}:*"]:
        with pytest.raises(sfn.exceptions.InvalidLoggingConfiguration) as e:
            create_machine(sfn, PASS, loggingConfiguration=logging(arn, "ALL", False))
        assert e.value.response["Error"]["Message"] == \
            "Invalid Logging Configuration: Log Destination not found."
    # Deleted after the machine was made: the executions run, their events are dropped.
    group, arn = log_group(logs)
    machine = create_machine(sfn, PASS, loggingConfiguration=logging(arn, "ALL", False))
    logs.delete_log_group(logGroupName=group)
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    assert wait_for_end(sfn, execution)["status"] == "SUCCEEDED"
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.describe_log_streams(logGroupName=group)


def test_bad_log_group_names(logs):
    with pytest.raises(logs.exceptions.InvalidParameterException) as e:
        logs.create_log_group(logGroupName="has space")
    assert "regular expression pattern" in e.value.response["Error"]["Message"]
    # Dots and slashes are allowed by CloudWatch's pattern: `..` stays a name, never a path.
    name = f"../../{unique('dots')}"
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="../s")
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=name, logStreamName="../s",
                        logEvents=[{"timestamp": now, "message": "kept"}])
    events = logs.get_log_events(logGroupName=name, logStreamName="../s")["events"]
    assert [e["message"] for e in events] == ["kept"]
    with pytest.raises(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=name)


def aws_cli_v2():
    """An AWS CLI v2 (`logs tail` is v2's), if one is installed."""
    for candidate in [shutil.which("aws"), "/usr/bin/aws", "/usr/local/bin/aws"]:
        if candidate and os.path.exists(candidate):
            done = subprocess.run([candidate, "--version"], capture_output=True, text=True)
            if (done.stdout + done.stderr).startswith("aws-cli/2"):
                return candidate
    return None


def test_aws_logs_tail_follows_new_executions(sfn, logs, endpoint, tmp_path):
    cli = aws_cli_v2()
    if cli is None:
        reason = "AWS CLI v2 is not installed (apt-get install awscli): `aws logs tail` is v2's"
        if os.environ.get("BATON_CI_STRICT") == "1":
            pytest.fail(f"{reason} (BATON_CI_STRICT=1 forbids skips)")
        pytest.skip(reason)
    group, arn = log_group(logs)
    machine = create_machine(sfn, FAIL, loggingConfiguration=logging(arn, "ALL", False))
    first = run(sfn, machine)
    logged(logs, group, first, 3)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": ACCOUNT, "AWS_SECRET_ACCESS_KEY": "x",
                "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": str(tmp_path / "c"),
                "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "k"), "AWS_PAGER": ""})
    base = [cli, "logs", "tail", group, "--endpoint-url", endpoint, "--since", "1h",
            "--format", "short"]
    done = subprocess.run(base, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(first) == 3, done.stdout
    follower = subprocess.Popen([*base, "--follow"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(follower.stdout), daemon=True)
    reader.start()
    try:
        time.sleep(1.0)
        second = run(sfn, machine)
        # `tail --follow` asks again every 5 seconds.
        deadline = time.monotonic() + 30
        while (sum(second in line for line in list(lines)) < 3
               and time.monotonic() < deadline):
            time.sleep(0.2)
        mine = [line for line in list(lines) if second in line]
        assert len(mine) == 3, f"followed output: {lines!r}"
        assert '"type":"ExecutionFailed"' in mine[-1]
    finally:
        follower.kill()
        follower.wait()
