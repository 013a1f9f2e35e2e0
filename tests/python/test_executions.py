"""Executions through boto3: start (by machine, version, alias; by name, idempotently), start
synchronously, stop, describe, list, history, redrive; and the semantics a server adds to the
language: Wait states in real time, callbacks, timeouts, the input limit."""

import json
import time

import pytest

from support import (ARN_PREFIX, ROLE_ARN, api_error, create_activity, create_machine,
                     definition, event_types, history, unique, wait_for_end, wait_until)

ECHO = {"Echo": {"Type": "Pass", "Parameters": {"got.$": "$"}, "End": True}}
WAIT_LONG = {"Hold": {"Type": "Wait", "Seconds": 600, "End": True}}
FAILING = {"Boom": {"Type": "Fail", "Error": "Custom.Broken", "Cause": "on purpose"}}


def answer(result):
    return {"Answer": {"Type": "Pass", "Result": result, "End": True}}


def seconds_between(later, earlier):
    return (later - earlier).total_seconds()


@pytest.fixture
def stop_afterwards(sfn):
    """Executions a test leaves running are stopped when it ends."""
    running = []
    yield running.append
    for arn in running:
        if sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
            sfn.stop_execution(executionArn=arn)


def test_start_by_machine_arn_runs_to_success_and_describe_shows_input_and_output(sfn):
    name = unique("echo")
    machine = create_machine(sfn, ECHO, name=name)
    started = sfn.start_execution(stateMachineArn=machine, name="first-run",
                                  input='{"n": 1}')
    assert started["executionArn"] == f"{ARN_PREFIX}:execution:{name}:first-run"

    described = wait_for_end(sfn, started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert described["executionArn"] == started["executionArn"]
    assert described["stateMachineArn"] == machine
    assert described["name"] == "first-run"
    assert described["startDate"] == started["startDate"]
    assert described["stopDate"] >= described["startDate"]
    assert json.loads(described["input"]) == {"n": 1}
    assert json.loads(described["output"]) == {"got": {"n": 1}}
    assert described["inputDetails"] == {"included": True}
    assert described["outputDetails"] == {"included": True}
    assert "stateMachineVersionArn" not in described
    assert "stateMachineAliasArn" not in described


def test_start_without_name_or_input_generates_a_name_and_uses_an_empty_object(sfn):
    machine = create_machine(sfn, ECHO)
    started = sfn.start_execution(stateMachineArn=machine)
    described = wait_for_end(sfn, started["executionArn"])
    assert described["name"] and started["executionArn"].endswith(":" + described["name"])
    assert json.loads(described["input"]) == {}
    assert json.loads(described["output"]) == {"got": {}}


def test_start_by_version_arn_runs_that_versions_definition(sfn):
    machine = create_machine(sfn, answer("v1"))
    version = sfn.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"]
    sfn.update_state_machine(stateMachineArn=machine, definition=definition(answer("v2")))

    by_version = sfn.start_execution(stateMachineArn=version)["executionArn"]
    by_machine = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    machine_name = machine.rsplit(":", 1)[1]
    assert by_version.startswith(f"{ARN_PREFIX}:execution:{machine_name}:")

    described = wait_for_end(sfn, by_version)
    assert json.loads(described["output"]) == "v1"
    assert described["stateMachineVersionArn"] == version
    assert described["stateMachineArn"] == machine
    assert "stateMachineAliasArn" not in described
    assert json.loads(wait_for_end(sfn, by_machine)["output"]) == "v2"


def test_start_by_alias_arn_runs_the_routed_version_and_records_the_alias(sfn):
    machine = create_machine(sfn, answer("v1"))
    v1 = sfn.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"]
    sfn.update_state_machine(stateMachineArn=machine, definition=definition(answer("v2")))
    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}],
    )["stateMachineAliasArn"]

    described = wait_for_end(sfn, sfn.start_execution(stateMachineArn=alias)["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == "v1"
    assert described["stateMachineAliasArn"] == alias
    assert described["stateMachineVersionArn"] == v1
    assert described["stateMachineArn"] == machine


def test_same_name_and_input_while_running_returns_the_same_execution(sfn, stop_afterwards):
    machine = create_machine(sfn, WAIT_LONG)
    first = sfn.start_execution(stateMachineArn=machine, name="once", input='{"a": 1}')
    stop_afterwards(first["executionArn"])
    again = sfn.start_execution(stateMachineArn=machine, name="once", input='{"a": 1}')
    assert again["executionArn"] == first["executionArn"]
    assert again["startDate"] == first["startDate"]

    with api_error("ExecutionAlreadyExists"):
        sfn.start_execution(stateMachineArn=machine, name="once", input='{"a": 2}')
    runs = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert [r["executionArn"] for r in runs] == [first["executionArn"]]


def test_same_name_after_the_execution_ended_is_execution_already_exists(sfn):
    machine = create_machine(sfn, ECHO)
    arn = sfn.start_execution(stateMachineArn=machine, name="done", input="{}")["executionArn"]
    wait_for_end(sfn, arn)
    with api_error("ExecutionAlreadyExists"):
        sfn.start_execution(stateMachineArn=machine, name="done", input="{}")


def test_start_sync_execution_returns_the_result_of_an_express_machine(sfn):
    name = unique("express")
    machine = create_machine(sfn, ECHO, name=name, machine_type="EXPRESS")
    result = sfn.start_sync_execution(stateMachineArn=machine, name="quick", input='{"x": [1]}')
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"got": {"x": [1]}}
    assert json.loads(result["input"]) == {"x": [1]}
    assert result["executionArn"].startswith(f"{ARN_PREFIX}:express:{name}:quick:")
    assert result["stateMachineArn"] == machine
    assert result["name"] == "quick"
    assert result["stopDate"] >= result["startDate"]
    assert result["outputDetails"] == {"included": True}
    assert "error" not in result


def test_start_sync_execution_reports_a_failure_with_its_error_and_cause(sfn):
    machine = create_machine(sfn, FAILING, machine_type="EXPRESS")
    result = sfn.start_sync_execution(stateMachineArn=machine, input="{}")
    assert result["status"] == "FAILED"
    assert result["error"] == "Custom.Broken"
    assert result["cause"] == "on purpose"
    assert "output" not in result


def test_start_sync_execution_of_a_standard_machine_is_not_supported(sfn):
    machine = create_machine(sfn, ECHO)
    with api_error("StateMachineTypeNotSupported"):
        sfn.start_sync_execution(stateMachineArn=machine, input="{}")


def test_stop_execution_aborts_with_the_error_and_cause_given(sfn):
    machine = create_machine(sfn, WAIT_LONG)
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    wait_until(lambda: "WaitStateEntered" in event_types(history(sfn, arn)),
               what="the Wait state to be entered")
    stopped = sfn.stop_execution(executionArn=arn, error="Operator.Cancelled",
                                 cause="changed my mind")

    described = sfn.describe_execution(executionArn=arn)
    assert described["status"] == "ABORTED"
    assert described["stopDate"] == stopped["stopDate"]
    assert described["error"] == "Operator.Cancelled"
    assert described["cause"] == "changed my mind"
    assert "output" not in described
    last = history(sfn, arn)[-1]
    assert last["type"] == "ExecutionAborted"
    assert last["executionAbortedEventDetails"] == {"error": "Operator.Cancelled",
                                                   "cause": "changed my mind"}


def test_describe_state_machine_for_execution_returns_the_definition_the_execution_ran(sfn):
    name = unique("for-execution")
    original = definition(answer("before"))
    machine = create_machine(sfn, original, name=name)
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    wait_for_end(sfn, arn)
    sfn.update_state_machine(stateMachineArn=machine, definition=definition(answer("after")))

    described = sfn.describe_state_machine_for_execution(executionArn=arn)
    assert described["stateMachineArn"] == machine
    assert described["name"] == name
    assert described["definition"] == original
    assert described["roleArn"] == ROLE_ARN
    assert "updateDate" in described


def test_list_executions_filters_by_status_and_pages_newest_first(sfn, stop_afterwards):
    machine = create_machine(sfn, {
        "Route": {"Type": "Choice",
                  "Choices": [{"Variable": "$.hold", "BooleanEquals": True, "Next": "Hold"}],
                  "Default": "Done"},
        "Hold": {"Type": "Wait", "Seconds": 600, "End": True},
        "Done": {"Type": "Succeed"},
    })
    started = []
    for hold in (False, True, False):
        arn = sfn.start_execution(stateMachineArn=machine,
                                  input=json.dumps({"hold": hold}))["executionArn"]
        started.append(arn)
        if hold:
            stop_afterwards(arn)
        else:
            wait_for_end(sfn, arn)
        time.sleep(0.01)  # distinct start times, so the order is defined
    finished = {started[0], started[2]}

    running = sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]
    assert [e["executionArn"] for e in running] == [started[1]]
    assert running[0]["status"] == "RUNNING"
    assert "stopDate" not in running[0]
    succeeded = sfn.list_executions(stateMachineArn=machine,
                                    statusFilter="SUCCEEDED")["executions"]
    assert {e["executionArn"] for e in succeeded} == finished
    assert sfn.list_executions(stateMachineArn=machine, statusFilter="FAILED")["executions"] == []

    pages, token = [], None
    while True:
        page = sfn.list_executions(stateMachineArn=machine, maxResults=1,
                                   **({"nextToken": token} if token else {}))
        assert len(page["executions"]) == 1
        pages.append(page["executions"][0])
        token = page.get("nextToken")
        if not token:
            break
    assert [e["executionArn"] for e in pages] == list(reversed(started))
    for item in pages:
        assert item["stateMachineArn"] == machine
        assert set(item) >= {"executionArn", "name", "status", "startDate"}


def test_list_executions_of_a_version_lists_only_executions_started_with_it(sfn):
    machine = create_machine(sfn, ECHO)
    version = sfn.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"]
    via_version = sfn.start_execution(stateMachineArn=version)["executionArn"]
    via_machine = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    wait_for_end(sfn, via_version)
    wait_for_end(sfn, via_machine)
    listed = sfn.list_executions(stateMachineArn=version)["executions"]
    assert [e["executionArn"] for e in listed] == [via_version]
    assert listed[0]["stateMachineVersionArn"] == version
    everything = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert {e["executionArn"] for e in everything} == {via_version, via_machine}


def test_history_pages_reverses_and_can_leave_out_execution_data(sfn):
    machine = create_machine(sfn, {
        "First": {"Type": "Pass", "Result": 1, "ResultPath": "$.first", "Next": "Second"},
        "Second": {"Type": "Pass", "Result": 2, "ResultPath": "$.second", "End": True},
    })
    arn = sfn.start_execution(stateMachineArn=machine, input='{"secret": "s3cr3t"}')[
        "executionArn"]
    wait_for_end(sfn, arn)

    full = sfn.get_execution_history(executionArn=arn)
    assert "nextToken" not in full
    events = full["events"]
    assert event_types(events) == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "PassStateEntered",
        "PassStateExited", "ExecutionSucceeded"]
    assert [e["id"] for e in events] == list(range(1, 7))
    assert json.loads(events[0]["executionStartedEventDetails"]["input"]) == {"secret": "s3cr3t"}
    assert events[0]["executionStartedEventDetails"]["roleArn"] == ROLE_ARN
    assert [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e] == ["First", "Second"]
    assert json.loads(events[-1]["executionSucceededEventDetails"]["output"]) == {
        "secret": "s3cr3t", "first": 1, "second": 2}

    paged = history(sfn, arn, maxResults=2)
    assert paged == events
    first_page = sfn.get_execution_history(executionArn=arn, maxResults=2)
    assert len(first_page["events"]) == 2 and first_page["nextToken"]

    backwards = history(sfn, arn, reverseOrder=True, maxResults=4)
    assert [e["id"] for e in backwards] == list(range(6, 0, -1))
    assert backwards == list(reversed(events))

    bare = history(sfn, arn, includeExecutionData=False)
    assert event_types(bare) == event_types(events)
    for event in bare:
        for key, details in event.items():
            if key.endswith("EventDetails"):
                assert "input" not in details and "output" not in details, event
    assert "s3cr3t" not in json.dumps(bare, default=str)


def test_redrive_of_a_succeeded_execution_is_not_redrivable(sfn):
    machine = create_machine(sfn, ECHO)
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    wait_for_end(sfn, arn)
    with api_error("ExecutionNotRedrivable"):
        sfn.redrive_execution(executionArn=arn)


def scheduled_tokens(sfn, arn):
    """The task tokens of an execution's `.waitForTaskToken` tasks, in scheduling order."""
    return [json.loads(e["taskScheduledEventDetails"]["parameters"])["MessageBody"]["token"]
            for e in history(sfn, arn) if e["type"] == "TaskScheduled"]


def test_redrive_of_a_failed_execution_reruns_it_from_the_failed_state(sfn):
    machine = create_machine(sfn, {
        "Before": {"Type": "Pass", "Result": "ran", "ResultPath": "$.before", "Next": "Ask"},
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/111111111111/q",
                           "MessageBody": {"token.$": "$$.Task.Token"}},
            "ResultPath": "$.answer",
            "End": True,
        },
    })
    arn = sfn.start_execution(stateMachineArn=machine, input='{"order": 1}')["executionArn"]
    first = wait_until(lambda: scheduled_tokens(sfn, arn), what="TaskScheduled")[0]
    sfn.send_task_failure(taskToken=first, error="Queue.Flaky", cause="first attempt")
    failed = wait_for_end(sfn, arn)
    assert failed["status"] == "FAILED"
    assert failed["error"] == "Queue.Flaky"
    assert failed["redriveStatus"] == "REDRIVABLE"
    assert failed.get("redriveCount", 0) == 0
    assert sfn.list_executions(stateMachineArn=machine, redriveFilter="REDRIVEN")[
        "executions"] == []

    redriven = sfn.redrive_execution(executionArn=arn)
    second = wait_until(lambda: scheduled_tokens(sfn, arn)[1:],
                        what="the task to be scheduled again")[0]
    assert second != first
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    with api_error("TaskTimedOut"):
        sfn.send_task_success(taskToken=first, output="{}")
    sfn.send_task_success(taskToken=second, output='{"ok": true}')

    described = wait_for_end(sfn, arn)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"order": 1, "before": "ran", "answer": {"ok": True}}
    assert described["redriveCount"] == 1
    assert described["redriveDate"] == redriven["redriveDate"]
    assert "error" not in described

    events = history(sfn, arn)
    types = event_types(events)
    assert types.count("PassStateEntered") == 1, "a state that succeeded ran again"
    assert types.count("TaskScheduled") == 2
    assert types.index("ExecutionFailed") < types.index("ExecutionRedriven")
    redrive_event = events[types.index("ExecutionRedriven")]
    assert redrive_event["executionRedrivenEventDetails"] == {"redriveCount": 1}
    assert types[-1] == "ExecutionSucceeded"

    listed = sfn.list_executions(stateMachineArn=machine, redriveFilter="REDRIVEN")["executions"]
    assert [e["executionArn"] for e in listed] == [arn]
    assert listed[0]["redriveCount"] == 1
    assert sfn.list_executions(stateMachineArn=machine, redriveFilter="NOT_REDRIVEN")[
        "executions"] == []


def test_redrive_of_a_running_execution_is_not_redrivable(sfn, stop_afterwards):
    machine = create_machine(sfn, WAIT_LONG)
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    stop_afterwards(arn)
    with api_error("ExecutionNotRedrivable"):
        sfn.redrive_execution(executionArn=arn)


def test_failed_execution_reports_the_fail_states_error_and_cause(sfn):
    machine = create_machine(sfn, FAILING)
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    described = wait_for_end(sfn, arn)
    assert described["status"] == "FAILED"
    assert described["error"] == "Custom.Broken"
    assert described["cause"] == "on purpose"
    last = history(sfn, arn)[-1]
    assert last["type"] == "ExecutionFailed"
    assert last["executionFailedEventDetails"] == {"error": "Custom.Broken",
                                                  "cause": "on purpose"}


def test_a_wait_state_of_one_second_finishes_by_itself(sfn):
    machine = create_machine(sfn, {"Pause": {"Type": "Wait", "Seconds": 1, "End": True}})
    arn = sfn.start_execution(stateMachineArn=machine, input='{"k": "v"}')["executionArn"]
    time.sleep(0.3)
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    described = wait_for_end(sfn, arn, timeout=5)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"k": "v"}
    assert seconds_between(described["stopDate"], described["startDate"]) >= 0.95
    events = history(sfn, arn)
    assert event_types(events) == ["ExecutionStarted", "WaitStateEntered", "WaitStateExited",
                                   "ExecutionSucceeded"]
    assert seconds_between(events[2]["timestamp"], events[1]["timestamp"]) >= 0.95


def test_wait_for_task_token_completes_with_the_output_sent_back(sfn):
    queue_url = "https://sqs.us-east-1.amazonaws.com/111111111111/approvals"
    machine = create_machine(sfn, {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": queue_url,
                           "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.order"}},
            "ResultPath": "$.approval",
            "End": True,
        },
    })
    arn = sfn.start_execution(stateMachineArn=machine, input='{"order": 7}')["executionArn"]

    def scheduled():
        return [e for e in history(sfn, arn) if e["type"] == "TaskScheduled"]

    event = wait_until(scheduled, what="TaskScheduled")[0]["taskScheduledEventDetails"]
    assert event["resourceType"] == "sqs"
    assert event["resource"] == "sendMessage.waitForTaskToken"
    parameters = json.loads(event["parameters"])
    assert parameters["QueueUrl"] == queue_url
    assert parameters["MessageBody"]["order"] == 7
    token = parameters["MessageBody"]["token"]
    assert isinstance(token, str) and token

    time.sleep(0.2)
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    sfn.send_task_success(taskToken=token, output='{"approved": true}')
    described = wait_for_end(sfn, arn)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"order": 7, "approval": {"approved": True}}
    succeeded = [e for e in history(sfn, arn) if e["type"] == "TaskSucceeded"]
    assert len(succeeded) == 1
    assert json.loads(succeeded[0]["taskSucceededEventDetails"]["output"]) == {"approved": True}

    with api_error("TaskTimedOut"):
        sfn.send_task_success(taskToken=token, output="{}")


def test_wait_for_task_token_failure_is_caught_by_a_catcher(sfn):
    machine = create_machine(sfn, {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/111111111111/q",
                           "MessageBody": {"token.$": "$$.Task.Token"}},
            "Catch": [{"ErrorEquals": ["Approval.Denied"], "ResultPath": "$.denied",
                       "Next": "Denied"}],
            "End": True,
        },
        "Denied": {"Type": "Pass", "End": True},
    })
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    event = wait_until(lambda: [e for e in history(sfn, arn) if e["type"] == "TaskScheduled"],
                       what="TaskScheduled")[0]
    token = json.loads(event["taskScheduledEventDetails"]["parameters"])["MessageBody"]["token"]
    sfn.send_task_failure(taskToken=token, error="Approval.Denied", cause="not today")
    described = wait_for_end(sfn, arn)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {
        "denied": {"Error": "Approval.Denied", "Cause": "not today"}}


def test_a_task_with_timeout_seconds_times_out_with_states_timeout(sfn):
    activity = create_activity(sfn, "nobody-polls")
    machine = create_machine(sfn, {
        "Work": {"Type": "Task", "Resource": activity, "TimeoutSeconds": 2, "End": True},
    })
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    described = wait_for_end(sfn, arn, timeout=8)
    assert described["status"] == "FAILED"
    assert described["error"] == "States.Timeout"
    assert seconds_between(described["stopDate"], described["startDate"]) >= 1.9
    events = history(sfn, arn)
    timed_out = [e for e in events if e["type"] == "ActivityTimedOut"]
    assert len(timed_out) == 1
    assert timed_out[0]["activityTimedOutEventDetails"]["error"] == "States.Timeout"
    assert events[-1]["type"] == "ExecutionFailed"


def test_an_input_over_256_kib_is_refused(sfn):
    machine = create_machine(sfn, ECHO)
    oversized = json.dumps({"blob": "x" * (300 * 1024)})
    with pytest.raises(sfn.exceptions.ClientError) as caught:
        sfn.start_execution(stateMachineArn=machine, input=oversized)
    error = caught.value.response["Error"]
    # The model bounds `input` at 262144 bytes; AWS's request validator answers
    # ValidationException for a constraint violation ("Member must have length less than or
    # equal to 262144"). Either that or InvalidExecutionInput is acceptable, with a message
    # that says which member and what limit.
    assert error["Code"] in {"ValidationException", "InvalidExecutionInput"}, error
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "input" in error["Message"].lower(), error["Message"]
    assert "262144" in error["Message"] or "256" in error["Message"], error["Message"]
    assert sfn.list_executions(stateMachineArn=machine)["executions"] == []


def test_an_input_of_exactly_256_kib_is_accepted(sfn):
    machine = create_machine(sfn, {"Keep": {"Type": "Pass", "End": True}})
    filler = 262144 - len(json.dumps({"blob": ""}))
    text = json.dumps({"blob": "y" * filler})
    assert len(text.encode()) == 262144
    described = wait_for_end(sfn, sfn.start_execution(stateMachineArn=machine,
                                                      input=text)["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == json.loads(text)

