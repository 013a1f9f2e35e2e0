"""Every error code a client can provoke without an AWS account's limits: the code botocore
reads, HTTP 400, and a message."""

import json
import uuid

import pytest

from support import (ARN_PREFIX, MISSING_TARGET_DEFINITION, PASS_DEFINITION, ROLE_ARN,
                     api_error, create_activity, create_machine, definition, error_message,
                     unique, wait_for_end)


@pytest.fixture(scope="module")
def machine(sfn):
    return create_machine(sfn, PASS_DEFINITION, name=unique("errors"))


@pytest.fixture(scope="module")
def finished_execution(sfn, machine):
    arn = sfn.start_execution(stateMachineArn=machine, input='{"who": "x"}')["executionArn"]
    wait_for_end(sfn, arn)
    return arn


def missing_machine():
    return f"{ARN_PREFIX}:stateMachine:{unique('missing')}"


@pytest.mark.parametrize("call", [
    lambda sfn: sfn.describe_state_machine(stateMachineArn="not-an-arn"),
    lambda sfn: sfn.describe_execution(executionArn="arn:aws:states:us-east-1:111111111111"),
    lambda sfn: sfn.describe_activity(activityArn=f"{ARN_PREFIX}:stateMachine:not-an-activity"),
    lambda sfn: sfn.start_execution(stateMachineArn=f"{ARN_PREFIX}:activity:not-a-machine"),
], ids=["garbage", "truncated-arn", "machine-arn-as-activity", "activity-arn-as-machine"])
def test_invalid_arn(sfn, call):
    with api_error("InvalidArn"):
        call(sfn)


def test_state_machine_does_not_exist(sfn):
    arn = missing_machine()
    with api_error("StateMachineDoesNotExist") as e:
        sfn.describe_state_machine(stateMachineArn=arn)
    assert arn in error_message(e)
    with api_error("StateMachineDoesNotExist"):
        sfn.start_execution(stateMachineArn=arn)
    with api_error("StateMachineDoesNotExist"):
        sfn.update_state_machine(stateMachineArn=arn, definition=PASS_DEFINITION)


def test_execution_does_not_exist(sfn, machine):
    arn = f"{ARN_PREFIX}:execution:{machine.rsplit(':', 1)[1]}:{uuid.uuid4()}"
    with api_error("ExecutionDoesNotExist") as e:
        sfn.describe_execution(executionArn=arn)
    assert arn in error_message(e)
    for call in (sfn.get_execution_history, sfn.describe_state_machine_for_execution,
                 sfn.stop_execution, sfn.redrive_execution):
        with api_error("ExecutionDoesNotExist"):
            call(executionArn=arn)


def test_execution_already_exists(sfn, machine, finished_execution):
    name = finished_execution.rsplit(":", 1)[1]
    with api_error("ExecutionAlreadyExists") as e:
        sfn.start_execution(stateMachineArn=machine, name=name, input='{"who": "x"}')
    assert name in error_message(e)


def test_invalid_definition(sfn):
    with api_error("InvalidDefinition") as e:
        sfn.create_state_machine(name=unique("bad"), roleArn=ROLE_ARN,
                                 definition=MISSING_TARGET_DEFINITION)
    assert error_message(e).startswith("Invalid State Machine Definition")
    assert "MISSING_TRANSITION_TARGET" in error_message(e)
    with api_error("InvalidDefinition"):
        sfn.create_state_machine(name=unique("bad"), roleArn=ROLE_ARN, definition="{not json")


def test_invalid_execution_input(sfn, machine):
    with api_error("InvalidExecutionInput"):
        sfn.start_execution(stateMachineArn=machine, input="{not json")
    assert sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")[
        "executions"] == []


@pytest.mark.parametrize("call", [
    lambda sfn, machine: sfn.create_state_machine(name="has space", roleArn=ROLE_ARN,
                                                  definition=PASS_DEFINITION),
    lambda sfn, machine: sfn.create_activity(name="a/b"),
    lambda sfn, machine: sfn.start_execution(stateMachineArn=machine, name="bad{name}"),
], ids=["machine-with-space", "activity-with-slash", "execution-with-braces"])
def test_invalid_name(sfn, machine, call):
    with api_error("InvalidName"):
        call(sfn, machine)


@pytest.mark.parametrize("call", [
    lambda sfn: sfn.send_task_success(taskToken="not-a-task-token", output="{}"),
    lambda sfn: sfn.send_task_failure(taskToken="not-a-task-token"),
    lambda sfn: sfn.send_task_heartbeat(taskToken="not-a-task-token"),
], ids=["success", "failure", "heartbeat"])
def test_invalid_task_token(sfn, call):
    with api_error("InvalidToken"):
        call(sfn)


@pytest.mark.parametrize("call", [
    lambda sfn, machine: sfn.list_executions(stateMachineArn=machine, nextToken="bogus-token"),
    lambda sfn, machine: sfn.list_state_machines(nextToken="bogus-token"),
], ids=["list-executions", "list-state-machines"])
def test_invalid_pagination_token(sfn, machine, call):
    with api_error("InvalidToken"):
        call(sfn, machine)


def a_real_task_token(sfn):
    """A task token the server handed out, its execution still waiting for it."""
    activity = create_activity(sfn)
    machine = create_machine(sfn, {"Work": {"Type": "Task", "Resource": activity, "End": True}})
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    task = sfn.get_activity_task(activityArn=activity)
    assert task.get("taskToken")
    return task["taskToken"], execution


def test_task_does_not_exist(sfn):
    token, execution = a_real_task_token(sfn)
    # The same shape as a real token, one character changed within its own class: a token
    # that could have been issued but names no task.
    last = token[-1]
    replacement = ("0" if last != "0" else "1") if last.isdigit() else (
        "a" if last != "a" else "b") if last.islower() else ("A" if last != "A" else "B")
    forged = token[:-1] + replacement
    with api_error("TaskDoesNotExist"):
        sfn.send_task_success(taskToken=forged, output="{}")
    sfn.stop_execution(executionArn=execution)


def test_task_timed_out_once_the_task_is_closed(sfn):
    token, execution = a_real_task_token(sfn)
    sfn.send_task_success(taskToken=token, output='{"first": true}')
    wait_for_end(sfn, execution)
    with api_error("TaskTimedOut"):
        sfn.send_task_success(taskToken=token, output='{"second": true}')
    with api_error("TaskTimedOut"):
        sfn.send_task_failure(taskToken=token, error="Late")
    with api_error("TaskTimedOut"):
        sfn.send_task_heartbeat(taskToken=token)
    assert json.loads(sfn.describe_execution(executionArn=execution)["output"]) == {"first": True}


def test_task_timed_out_once_the_execution_is_stopped(sfn):
    token, execution = a_real_task_token(sfn)
    sfn.stop_execution(executionArn=execution)
    with api_error("TaskTimedOut"):
        sfn.send_task_success(taskToken=token, output="{}")


@pytest.mark.parametrize("call", [
    lambda sfn, machine: sfn.list_executions(stateMachineArn=machine, maxResults=1001),
    lambda sfn, machine: sfn.get_execution_history(
        executionArn=f"{ARN_PREFIX}:execution:x:y", maxResults=1001),
    lambda sfn, machine: sfn.describe_state_machine(stateMachineArn="a" * 257),
], ids=["page-size-over-1000", "history-page-size-over-1000", "arn-over-256-characters"])
def test_validation_exception_for_model_constraints(sfn, machine, call):
    with api_error("ValidationException") as e:
        call(sfn, machine)
    assert "failed to satisfy constraint" in error_message(e)


def test_validation_exception_for_a_stop_cause_over_32768_characters(sfn):
    machine = create_machine(sfn, {"Hold": {"Type": "Wait", "Seconds": 600, "End": True}})
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    with api_error("ValidationException") as e:
        sfn.stop_execution(executionArn=arn, cause="c" * 32769)
    assert "cause" in error_message(e)
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    sfn.stop_execution(executionArn=arn)


def test_activity_does_not_exist(sfn):
    arn = f"{ARN_PREFIX}:activity:{unique('missing')}"
    with api_error("ActivityDoesNotExist"):
        sfn.describe_activity(activityArn=arn)
    with api_error("ActivityDoesNotExist"):
        sfn.get_activity_task(activityArn=arn)


def test_state_machine_already_exists(sfn, machine):
    name = machine.rsplit(":", 1)[1]
    other = definition({"Other": {"Type": "Succeed"}})
    with api_error("StateMachineAlreadyExists") as e:
        sfn.create_state_machine(name=name, definition=other, roleArn=ROLE_ARN)
    assert name in error_message(e)


def test_resource_not_found(sfn, machine):
    with api_error("ResourceNotFound"):
        sfn.describe_state_machine_alias(stateMachineAliasArn=machine + ":no-such-alias")
    with api_error("ResourceNotFound"):
        sfn.update_state_machine_alias(stateMachineAliasArn=machine + ":no-such-alias",
                                       description="x")


def test_conflict_deleting_a_version_an_alias_routes_to(sfn):
    arn = create_machine(sfn, PASS_DEFINITION)
    version = sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"]
    sfn.create_state_machine_alias(
        name="routes", routingConfiguration=[{"stateMachineVersionArn": version, "weight": 100}])
    with api_error("ConflictException"):
        sfn.delete_state_machine_version(stateMachineVersionArn=version)


def test_state_machine_type_not_supported(sfn, machine):
    with api_error("StateMachineTypeNotSupported"):
        sfn.start_sync_execution(stateMachineArn=machine)


def test_execution_not_redrivable(sfn, finished_execution):
    with api_error("ExecutionNotRedrivable"):
        sfn.redrive_execution(executionArn=finished_execution)


def test_missing_required_parameter_for_an_update_that_changes_nothing(sfn, machine):
    with api_error("MissingRequiredParameter"):
        sfn.update_state_machine(stateMachineArn=machine)

