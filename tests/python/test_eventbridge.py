"""EventBridge on Baton's port, through boto3's `events` client and the AWS CLI: buses,
rules and targets; PutEvents matched against rules and delivered to state machines (the
event, a constant input or a transformed one) and across buses; TestEventPattern; and the
errors EventBridge answers."""

import json
import time

import boto3
import pytest
from botocore.config import Config

from support import ACCOUNT, REGION, ROLE_ARN, create_machine, definition, unique

ECHO = definition({"Echo": {"Type": "Pass", "End": True}})


@pytest.fixture(scope="module")
def events(endpoint):
    session = boto3.session.Session(aws_access_key_id=ACCOUNT,
                                    aws_secret_access_key="baton-test-secret",
                                    region_name=REGION)
    return session.client("events", endpoint_url=endpoint,
                          config=Config(retries={"max_attempts": 1}))


def started(sfn, machine_arn, count, timeout=10.0):
    """The inputs of the machine's executions, once there are `count` of them."""
    deadline = time.monotonic() + timeout
    while True:
        listed = sfn.list_executions(stateMachineArn=machine_arn)["executions"]
        if len(listed) >= count or time.monotonic() > deadline:
            return [json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"])
                    for e in listed]
        time.sleep(0.05)


def error_of(call):
    with pytest.raises(Exception) as info:
        call()
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def test_put_events_starts_the_machines_of_matching_rules(events, sfn):
    machine = create_machine(sfn, ECHO)
    rule = unique("orders")
    pattern = {"source": ["shop.orders"], "detail": {"total": [{"numeric": [">", 100]}]}}
    arn = events.put_rule(Name=rule, EventPattern=json.dumps(pattern))["RuleArn"]
    assert arn == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule}"
    out = events.put_targets(Rule=rule, Targets=[
        {"Id": "whole", "Arn": machine, "RoleArn": ROLE_ARN},
        {"Id": "shaped", "Arn": machine, "RoleArn": ROLE_ARN, "InputTransformer": {
            "InputPathsMap": {"order": "$.detail.order", "total": "$.detail.total"},
            "InputTemplate": '{"order": <order>, "total": <total>, "text": "order <order>",'
                             ' "rule": "<aws.events.rule-name>"}'}},
    ])
    assert out["FailedEntryCount"] == 0
    put = events.put_events(Entries=[
        {"Source": "shop.orders", "DetailType": "Order Placed",
         "Detail": json.dumps({"order": "o-1", "total": 250}), "Resources": ["r1"]},
        # Not matched: the total is too small, the source is another.
        {"Source": "shop.orders", "DetailType": "Order Placed",
         "Detail": json.dumps({"order": "o-2", "total": 5})},
        {"Source": "shop.other", "DetailType": "Order Placed",
         "Detail": json.dumps({"order": "o-3", "total": 500})},
    ])
    assert put["FailedEntryCount"] == 0
    ids = [e["EventId"] for e in put["Entries"]]
    assert len(set(ids)) == 3
    inputs = started(sfn, machine, 2)
    assert len(inputs) == 2, inputs
    whole = next(i for i in inputs if "detail-type" in i)
    assert whole["id"] == ids[0]
    assert whole["source"] == "shop.orders"
    assert whole["detail-type"] == "Order Placed"
    assert whole["detail"] == {"order": "o-1", "total": 250}
    assert whole["account"] == ACCOUNT and whole["region"] == REGION
    assert whole["resources"] == ["r1"] and whole["version"] == "0"
    assert time.strptime(whole["time"], "%Y-%m-%dT%H:%M:%SZ")
    shaped = next(i for i in inputs if "detail-type" not in i)
    assert shaped == {"order": "o-1", "total": 250, "text": "order o-1", "rule": rule}
    # A disabled rule matches nothing; enabled again, it does.
    events.disable_rule(Name=rule)
    assert events.describe_rule(Name=rule)["State"] == "DISABLED"
    events.put_events(Entries=[{"Source": "shop.orders", "DetailType": "Order Placed",
                                "Detail": json.dumps({"order": "o-4", "total": 999})}])
    time.sleep(0.5)
    assert len(started(sfn, machine, 2, timeout=0)) == 2
    events.enable_rule(Name=rule)
    events.put_events(Entries=[{"Source": "shop.orders", "DetailType": "Order Placed",
                                "Detail": json.dumps({"order": "o-5", "total": 101})}])
    assert len(started(sfn, machine, 4)) == 4


def test_a_custom_bus_its_rules_and_a_bus_target(events, sfn):
    machine = create_machine(sfn, ECHO)
    bus = unique("bus")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    assert bus_arn == f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{bus}"
    code, _ = error_of(lambda: events.create_event_bus(Name=bus))
    assert code == "ResourceAlreadyExistsException"
    names = [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    assert "default" in names and bus in names
    assert events.describe_event_bus(Name=bus)["Arn"] == bus_arn

    inner = unique("on-bus")
    rule_arn = events.put_rule(Name=inner, EventBusName=bus,
                               EventPattern=json.dumps({"detail-type": [{"prefix": "Job"}]}))
    assert rule_arn["RuleArn"] == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{bus}/{inner}"
    events.put_targets(Rule=inner, EventBusName=bus,
                       Targets=[{"Id": "m", "Arn": machine, "InputPath": "$.detail"}])
    # The default bus forwards jobs to the custom bus.
    outer = unique("forward")
    events.put_rule(Name=outer, EventPattern=json.dumps({"source": ["batch"]}))
    events.put_targets(Rule=outer, Targets=[{"Id": "bus", "Arn": bus_arn, "RoleArn": ROLE_ARN}])
    events.put_events(Entries=[
        {"Source": "batch", "DetailType": "Job Finished", "Detail": '{"job": 1}'},
        {"Source": "direct", "DetailType": "Job Started", "Detail": '{"job": 2}',
         "EventBusName": bus},
        {"Source": "direct", "DetailType": "Other", "Detail": '{"job": 3}', "EventBusName": bus},
    ])
    inputs = started(sfn, machine, 2)
    assert sorted(i["job"] for i in inputs) == [1, 2]

    listed = events.list_rules(EventBusName=bus)["Rules"]
    assert [r["Name"] for r in listed] == [inner]
    assert events.list_targets_by_rule(Rule=inner, EventBusName=bus)["Targets"][0]["Id"] == "m"
    by_target = events.list_rule_names_by_target(TargetArn=machine, EventBusName=bus)
    assert by_target["RuleNames"] == [inner]
    # A rule with targets is not deleted; without them it is.
    code, message = error_of(lambda: events.delete_rule(Name=inner, EventBusName=bus))
    assert code == "ValidationException" and "targets" in message
    events.remove_targets(Rule=inner, EventBusName=bus, Ids=["m"])
    events.delete_rule(Name=inner, EventBusName=bus)
    code, _ = error_of(lambda: events.describe_rule(Name=inner, EventBusName=bus))
    assert code == "ResourceNotFoundException"
    events.delete_event_bus(Name=bus)
    code, _ = error_of(lambda: events.describe_event_bus(Name=bus))
    assert code == "ResourceNotFoundException"
    code, _ = error_of(lambda: events.delete_event_bus(Name="default"))
    assert code == "ValidationException"


def test_put_events_reports_each_bad_entry(events):
    out = events.put_events(Entries=[
        {"Source": "ok", "DetailType": "t", "Detail": "{}"},
        {"Source": "ok", "DetailType": "t", "Detail": "[1, 2]"},
        {"Source": "ok", "DetailType": "t", "Detail": "{}", "EventBusName": unique("none")},
        {"Source": "aws.s3", "DetailType": "t", "Detail": "{}"},
        {"Source": "ok", "DetailType": "t"},
    ])
    assert out["FailedEntryCount"] == 4
    codes = [e.get("ErrorCode") for e in out["Entries"]]
    assert codes == [None, "MalformedDetail", "ResourceNotFoundException",
                     "NotAuthorizedForSourceException", "InvalidArgument"]
    assert "EventId" in out["Entries"][0]
    code, _ = error_of(lambda: events.put_events(
        Entries=[{"Source": "s", "DetailType": "t", "Detail": "{}"}] * 11))
    assert code == "ValidationException"
    code, _ = error_of(lambda: events.put_events(
        Entries=[{"Source": "s", "DetailType": "t", "Detail": json.dumps({"x": "y" * 300_000})}]))
    assert code == "ValidationException"


def test_rules_refuse_what_eventbridge_refuses(events, sfn):
    code, _ = error_of(lambda: events.put_rule(Name=unique("r"), EventPattern='{"source": "x"}'))
    assert code == "InvalidEventPatternException"
    code, _ = error_of(lambda: events.put_rule(Name=unique("r")))
    assert code == "ValidationException"
    code, _ = error_of(lambda: events.put_rule(Name="bad name!", EventPattern='{"a": [1]}'))
    assert code == "ValidationException"
    code, _ = error_of(lambda: events.put_rule(Name=unique("r"), EventBusName=unique("none"),
                                               EventPattern='{"a": [1]}'))
    assert code == "ResourceNotFoundException"
    code, _ = error_of(lambda: events.put_targets(Rule=unique("none"),
                                                  Targets=[{"Id": "t", "Arn": "arn:aws:x:::y"}]))
    assert code == "ResourceNotFoundException"
    rule = unique("r")
    events.put_rule(Name=rule, ScheduleExpression="rate(5 minutes)")
    assert events.describe_rule(Name=rule)["ScheduleExpression"] == "rate(5 minutes)"
    machine = create_machine(sfn, ECHO)
    targets = [{"Id": f"t{i}", "Arn": machine} for i in range(5)]
    events.put_targets(Rule=rule, Targets=targets)
    code, _ = error_of(lambda: events.put_targets(Rule=rule,
                                                  Targets=[{"Id": "t9", "Arn": machine}]))
    assert code == "LimitExceededException"
    # Input and InputPath together are refused entry by entry.
    out = events.put_targets(Rule=rule, Targets=[
        {"Id": "t0", "Arn": machine, "Input": "{}", "InputPath": "$.detail"},
        {"Id": "t1", "Arn": machine, "Input": "not json"},
    ])
    assert out["FailedEntryCount"] == 2
    assert [e["TargetId"] for e in out["FailedEntries"]] == ["t0", "t1"]
    # A target in another account is refused: a rule acts in its own account.
    foreign = machine.replace(f":{ACCOUNT}:", ":222222222222:")
    out = events.put_targets(Rule=rule, Targets=[{"Id": "t2", "Arn": foreign}])
    assert out["FailedEntryCount"] == 1
    assert "another account" in out["FailedEntries"][0]["ErrorMessage"]


def test_test_event_pattern_with_boto3_and_the_cli(events, aws):
    event = {"id": "1", "account": ACCOUNT, "source": "com.example", "time": "2024-01-01T00:00:00Z",
             "region": REGION, "resources": [], "detail-type": "Thing",
             "detail": {"state": "running", "size": 12}}
    yes = events.test_event_pattern(
        EventPattern=json.dumps({"detail": {"state": [{"anything-but": "stopped"}],
                                            "size": [{"numeric": [">=", 10]}]}}),
        Event=json.dumps(event))
    assert yes["Result"] is True
    no = events.test_event_pattern(EventPattern=json.dumps({"source": ["other"]}),
                                   Event=json.dumps(event))
    assert no["Result"] is False
    code, _ = error_of(lambda: events.test_event_pattern(EventPattern='{"source": "x"}',
                                                         Event=json.dumps(event)))
    assert code == "InvalidEventPatternException"
    code, _ = error_of(lambda: events.test_event_pattern(EventPattern='{"source": ["x"]}',
                                                         Event='{"source": "x"}'))
    assert code == "ValidationException"
    out = aws("events", "test-event-pattern",
              "--event-pattern", json.dumps({"source": [{"prefix": "com."}]}),
              "--event", json.dumps(event))
    assert out["Result"] is True


def test_standard_executions_send_their_status_changes(events, sfn):
    failing = create_machine(sfn, definition(
        {"Boom": {"Type": "Fail", "Error": "Custom.Error", "Cause": "it broke"}}))
    passing = create_machine(sfn, ECHO)
    express = create_machine(sfn, ECHO, machine_type="EXPRESS")
    notified = create_machine(sfn, ECHO)
    rule = unique("status")
    events.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"stateMachineArn": [failing, passing, express]},
    }))
    events.put_targets(Rule=rule, Targets=[{"Id": "n", "Arn": notified}])
    failed = sfn.start_execution(stateMachineArn=failing, input='{"n": 1}')["executionArn"]
    succeeded = sfn.start_execution(stateMachineArn=passing, input='{"n": 2}')["executionArn"]
    sfn.start_execution(stateMachineArn=express, input='{"n": 3}')
    # RUNNING and FAILED, RUNNING and SUCCEEDED; nothing from the Express execution.
    seen = started(sfn, notified, 4)
    time.sleep(0.5)
    seen = started(sfn, notified, 4, timeout=0)
    assert len(seen) == 4, seen
    by = {(e["detail"]["executionArn"], e["detail"]["status"]): e for e in seen}
    assert set(by) == {(failed, "RUNNING"), (failed, "FAILED"),
                       (succeeded, "RUNNING"), (succeeded, "SUCCEEDED")}
    end = by[(failed, "FAILED")]
    assert end["source"] == "aws.states" and end["account"] == ACCOUNT
    assert end["resources"] == [failed]
    detail = end["detail"]
    assert detail["stateMachineArn"] == failing
    assert detail["name"] == failed.rsplit(":", 1)[1]
    assert json.loads(detail["input"]) == {"n": 1}
    assert detail["inputDetails"] == {"included": True}
    assert detail["output"] is None and detail["outputDetails"] is None
    assert detail["stopDate"] >= detail["startDate"] > 0
    start = by[(succeeded, "RUNNING")]["detail"]
    assert start["stopDate"] is None and start["output"] is None
    done = by[(succeeded, "SUCCEEDED")]["detail"]
    assert json.loads(done["output"]) == {"n": 2}
    assert done["outputDetails"] == {"included": True}


def test_a_put_events_task_puts_on_batons_own_buses(events, sfn):
    target = create_machine(sfn, ECHO)
    source = unique("app.orders")
    rule = unique("from-task")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "t", "Arn": target, "InputPath": "$.detail"}])
    put = create_machine(sfn, definition({"Put": {
        "Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
        "Parameters": {"Entries": [
            {"Source": source, "DetailType": "Order", "Detail": {"id.$": "$.id"}}]},
        "End": True}}))
    execution = sfn.start_execution(stateMachineArn=put, input='{"id": "o-7"}')["executionArn"]
    deadline = time.monotonic() + 10
    while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    described = sfn.describe_execution(executionArn=execution)
    assert described["status"] == "SUCCEEDED", described
    out = json.loads(described["output"])
    assert out["FailedEntryCount"] == 0 and len(out["Entries"]) == 1
    assert started(sfn, target, 1) == [{"id": "o-7"}]
    # An entry EventBridge refuses fails the task with EventBridge.FailedEntry.
    refused = create_machine(sfn, definition({"Put": {
        "Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
        "Parameters": {"Entries": [{"Source": "aws.states", "DetailType": "x", "Detail": {}}]},
        "End": True}}))
    execution = sfn.start_execution(stateMachineArn=refused)["executionArn"]
    deadline = time.monotonic() + 10
    while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    described = sfn.describe_execution(executionArn=execution)
    assert described["status"] == "FAILED"
    assert described["error"] == "EventBridge.FailedEntry"
    assert json.loads(described["cause"])["FailedEntryCount"] == 1


def test_an_account_has_at_most_100_buses(endpoint):
    session = boto3.session.Session(aws_access_key_id="333333333333",
                                    aws_secret_access_key="baton-test-secret",
                                    region_name=REGION)
    other = session.client("events", endpoint_url=endpoint,
                           config=Config(retries={"max_attempts": 1}))
    for i in range(100):
        other.create_event_bus(Name=f"bus-{i}")
    code, message = error_of(lambda: other.create_event_bus(Name="bus-100"))
    assert code == "LimitExceededException" and "100" in message
    listed = other.list_event_buses(Limit=50)
    assert len(listed["EventBuses"]) == 50 and "NextToken" in listed
    other.delete_event_bus(Name="bus-0")
    other.create_event_bus(Name="bus-100")


def test_the_default_bus_keeps_its_tags(events):
    arn = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"
    key = unique("team")

    def tags():
        return {t["Key"]: t["Value"] for t in events.list_tags_for_resource(ResourceARN=arn)["Tags"]}

    assert key not in tags()
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": key, "Value": "a"}])
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": key, "Value": "b"},
                                               {"Key": f"{key}-2", "Value": "c"}])
    assert tags()[key] == "b" and tags()[f"{key}-2"] == "c"
    events.untag_resource(ResourceARN=arn, TagKeys=[f"{key}-2"])
    assert f"{key}-2" not in tags() and tags()[key] == "b"
    # It is still the one default bus.
    names = [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    assert names.count("default") == 1
    assert events.describe_event_bus()["Arn"] == arn
    # Another account's default bus is not this one's.
    code, _ = error_of(lambda: events.list_tags_for_resource(
        ResourceARN=f"arn:aws:events:{REGION}:999999999999:event-bus/default"))
    assert code == "ResourceNotFoundException"


def test_rules_and_buses_keep_their_tags(events):
    bus = unique("tagged-bus")
    bus_arn = events.create_event_bus(Name=bus, Tags=[{"Key": "team", "Value": "a"}])[
        "EventBusArn"]
    rule = unique("tagged")
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["x"]}),
                               Tags=[{"Key": "env", "Value": "ci"}])["RuleArn"]
    assert events.list_tags_for_resource(ResourceARN=bus_arn)["Tags"] == [
        {"Key": "team", "Value": "a"}]
    events.tag_resource(ResourceARN=rule_arn, Tags=[{"Key": "env", "Value": "prod"},
                                                    {"Key": "owner", "Value": "b"}])
    # Changing the rule or its targets keeps its tags.
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["y"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "t", "Arn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:x"}])
    events.untag_resource(ResourceARN=rule_arn, TagKeys=["owner"])
    assert events.list_tags_for_resource(ResourceARN=rule_arn)["Tags"] == [
        {"Key": "env", "Value": "prod"}]
    code, _ = error_of(lambda: events.list_tags_for_resource(
        ResourceARN=f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{unique('missing')}"))
    assert code == "ResourceNotFoundException"
