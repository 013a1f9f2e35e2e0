"""TestState through boto3: one state run in isolation, with the data-flow steps at DEBUG."""

import json

from support import ROLE_ARN, api_error


def run_state(sfn, state, state_input, **extra):
    return sfn.test_state(definition=json.dumps(state), roleArn=ROLE_ARN,
                          input=json.dumps(state_input), **extra)


def test_a_pass_state_at_debug_shows_each_data_flow_step(sfn):
    state = {"Type": "Pass", "InputPath": "$.order", "Parameters": {"id.$": "$.id", "ok": True},
             "ResultPath": "$.check", "Next": "Ship"}
    result = run_state(sfn, state, {"order": {"id": 7}, "noise": 1}, inspectionLevel="DEBUG")
    assert result["status"] == "SUCCEEDED"
    assert result["nextState"] == "Ship"
    # ResultPath places the result into the raw state input, not the InputPath selection.
    expected = {"order": {"id": 7}, "noise": 1, "check": {"id": 7, "ok": True}}
    assert json.loads(result["output"]) == expected
    assert "error" not in result

    data = result["inspectionData"]
    assert json.loads(data["input"]) == {"order": {"id": 7}, "noise": 1}
    assert json.loads(data["afterInputPath"]) == {"id": 7}
    assert json.loads(data["afterParameters"]) == {"id": 7, "ok": True}
    assert json.loads(data["afterResultSelector"]) == {"id": 7, "ok": True}
    assert json.loads(data["afterResultPath"]) == expected


def test_a_pass_state_with_a_result_at_debug_shows_the_result(sfn):
    # As AWS records it: a Pass state's Result replaces the InputPath/Parameters steps.
    state = {"Type": "Pass", "Result": {"fixed": 1}, "ResultPath": "$.r", "End": True}
    result = run_state(sfn, state, {"a": 1}, inspectionLevel="DEBUG")
    assert result["status"] == "SUCCEEDED"
    assert "nextState" not in result
    data = result["inspectionData"]
    assert json.loads(data["input"]) == {"a": 1}
    assert json.loads(data["result"]) == {"fixed": 1}
    assert json.loads(data["afterResultPath"]) == {"a": 1, "r": {"fixed": 1}}


def test_inspection_data_is_left_out_at_info(sfn):
    result = run_state(sfn, {"Type": "Pass", "End": True}, {"a": 1}, inspectionLevel="INFO")
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"a": 1}
    assert "inspectionData" not in result


def test_a_choice_state_picks_the_matching_rule_or_the_default(sfn):
    state = {"Type": "Choice",
             "Choices": [{"Variable": "$.amount", "NumericGreaterThan": 1000,
                          "Next": "NeedsApproval"}],
             "Default": "AutoApprove"}
    big = run_state(sfn, state, {"amount": 5000}, inspectionLevel="DEBUG")
    assert big["status"] == "SUCCEEDED"
    assert big["nextState"] == "NeedsApproval"
    assert json.loads(big["output"]) == {"amount": 5000}
    assert json.loads(big["inspectionData"]["input"]) == {"amount": 5000}

    small = run_state(sfn, state, {"amount": 10}, inspectionLevel="DEBUG")
    assert small["status"] == "SUCCEEDED"
    assert small["nextState"] == "AutoApprove"
    assert "inspectionData" in small


def test_a_fail_state_reports_its_error_and_cause(sfn):
    result = run_state(sfn, {"Type": "Fail", "Error": "Order.Invalid", "Cause": "no lines"}, {})
    assert result["status"] == "FAILED"
    assert result["error"] == "Order.Invalid"
    assert result["cause"] == "no lines"
    assert "nextState" not in result
    assert "output" not in result


def test_a_state_from_a_whole_machine_by_name(sfn):
    machine = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.x, $.y)"}, "End": True},
    }}
    result = sfn.test_state(definition=json.dumps(machine), roleArn=ROLE_ARN, stateName="B",
                            input='{"x": 2, "y": 3}')
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"sum": 5}
    assert "nextState" not in result


def test_an_invalid_state_definition_is_invalid_definition(sfn):
    with api_error("InvalidDefinition"):
        run_state(sfn, {"Type": "Pass", "Next": "X", "End": True}, {})


def test_input_that_is_not_json_is_invalid_execution_input(sfn):
    with api_error("InvalidExecutionInput"):
        sfn.test_state(definition='{"Type": "Pass", "End": true}', roleArn=ROLE_ARN,
                       input="{nope")
