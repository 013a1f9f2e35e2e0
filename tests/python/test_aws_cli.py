"""The AWS CLI (v1) against the server: the commands people type, through the CLI's own
argument parsing, host-prefix handling (`AWS_DISABLE_HOST_PREFIX_INJECTION=true`) and output.
Each call is a process (about half a second), so this is a representative subset; boto3
covers every operation."""

import json

from support import (ARN_PREFIX, MISSING_TARGET_DEFINITION, ROLE_ARN, create_activity,
                     create_machine, definition, unique, wait_for_end, wait_until)

GREETER = definition({
    "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hi {}', $.who)"},
              "Next": "Done"},
    "Done": {"Type": "Succeed"},
})


def test_cli_create_start_describe_history_and_list(aws, sfn):
    name = unique("cli")
    created = aws("stepfunctions", "create-state-machine", "--name", name,
                  "--definition", GREETER, "--role-arn", ROLE_ARN)
    machine = created["stateMachineArn"]
    assert machine == f"{ARN_PREFIX}:stateMachine:{name}"

    started = aws("stepfunctions", "start-execution", "--state-machine-arn", machine,
                  "--name", "from-the-cli", "--input", '{"who": "cli"}')
    execution = started["executionArn"]
    assert execution == f"{ARN_PREFIX}:execution:{name}:from-the-cli"
    wait_for_end(sfn, execution)

    described = aws("stepfunctions", "describe-execution", "--execution-arn", execution)
    assert described["status"] == "SUCCEEDED"
    assert described["name"] == "from-the-cli"
    assert json.loads(described["output"]) == {"greeting": "hi cli"}

    events = aws("stepfunctions", "get-execution-history", "--execution-arn", execution,
                 "--reverse-order")["events"]
    assert [e["type"] for e in events] == [
        "ExecutionSucceeded", "SucceedStateExited", "SucceedStateEntered", "PassStateExited",
        "PassStateEntered", "ExecutionStarted"]

    listed = aws("stepfunctions", "list-executions", "--state-machine-arn", machine,
                 "--status-filter", "SUCCEEDED")["executions"]
    assert [e["executionArn"] for e in listed] == [execution]


def test_cli_start_sync_execution(aws, sfn):
    machine = create_machine(sfn, GREETER, machine_type="EXPRESS")
    result = aws("stepfunctions", "start-sync-execution", "--state-machine-arn", machine,
                 "--input", '{"who": "sync"}')
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"greeting": "hi sync"}
    assert ":express:" in result["executionArn"]


def test_cli_activity_worker_round_trip(aws, sfn):
    name = unique("cli-activity")
    activity = aws("stepfunctions", "create-activity", "--name", name)["activityArn"]
    assert activity == f"{ARN_PREFIX}:activity:{name}"
    machine = create_machine(sfn, {"Work": {"Type": "Task", "Resource": activity,
                                            "ResultPath": "$.answer", "End": True}})
    execution = sfn.start_execution(stateMachineArn=machine, input='{"q": 6}')["executionArn"]

    task = aws("stepfunctions", "get-activity-task", "--activity-arn", activity,
               "--worker-name", "cli-worker")
    assert task["taskToken"]
    assert json.loads(task["input"]) == {"q": 6}
    assert aws("stepfunctions", "send-task-success", "--task-token", task["taskToken"],
               "--task-output", '{"a": 42}') == {}

    described = wait_for_end(sfn, execution)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"q": 6, "answer": {"a": 42}}


def test_cli_stop_execution(aws, sfn):
    machine = create_machine(sfn, {"Hold": {"Type": "Wait", "Seconds": 600, "End": True}})
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    stopped = aws("stepfunctions", "stop-execution", "--execution-arn", execution,
                  "--error", "Cli.Stop", "--cause", "from the terminal")
    assert "stopDate" in stopped
    described = wait_until(
        lambda: (d := sfn.describe_execution(executionArn=execution))["status"] != "RUNNING"
        and d, what="the stop")
    assert described["status"] == "ABORTED"
    assert described["error"] == "Cli.Stop"
    assert described["cause"] == "from the terminal"


def test_cli_test_state(aws):
    state = json.dumps({"Type": "Choice",
                        "Choices": [{"Variable": "$.n", "NumericLessThan": 0, "Next": "Neg"}],
                        "Default": "NonNeg"})
    result = aws("stepfunctions", "test-state", "--definition", state, "--role-arn", ROLE_ARN,
                 "--input", '{"n": -3}', "--inspection-level", "DEBUG")
    assert result["status"] == "SUCCEEDED"
    assert result["nextState"] == "Neg"
    assert json.loads(result["inspectionData"]["input"]) == {"n": -3}


def test_cli_validate_state_machine_definition(aws):
    ok = aws("stepfunctions", "validate-state-machine-definition", "--definition", GREETER)
    assert ok["result"] == "OK"
    assert ok["diagnostics"] == []
    bad = aws("stepfunctions", "validate-state-machine-definition", "--definition",
              MISSING_TARGET_DEFINITION)
    assert bad["result"] == "FAIL"
    assert [d["code"] for d in bad["diagnostics"]] == ["MISSING_TRANSITION_TARGET"]


def test_cli_reports_api_errors_by_code(aws):
    code, message = aws.error("stepfunctions", "describe-state-machine", "--state-machine-arn",
                              f"{ARN_PREFIX}:stateMachine:{unique('nope')}")
    assert code == "StateMachineDoesNotExist"
    assert message
    code, _ = aws.error("stepfunctions", "describe-activity", "--activity-arn", "not-an-arn")
    assert code == "InvalidArn"


def test_cli_and_boto3_see_the_same_account(aws, sfn):
    activity = create_activity(sfn, "shared")
    listed = aws("stepfunctions", "list-activities")["activities"]
    assert activity in [a["activityArn"] for a in listed]
