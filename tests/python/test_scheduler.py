"""EventBridge Scheduler on Baton's port, through boto3's `scheduler` client and the AWS CLI:
schedules and groups, one-time and recurring schedules firing their state machine targets
(under a scheduler clock a hundred times faster than the wall clock, so that a
`rate(1 minute)` schedule ticks every 0.6 s), the context keywords in a target's input,
schedules on an event bus, and the errors the service answers."""

import datetime
import json
import os
import subprocess
import time

import boto3
import pytest
from botocore.config import Config

import baton_server
from support import (ACCOUNT, REGION, ROLE_ARN, create_machine, definition, execution_inputs,
                     make_client, unique, wait_for_inputs)

ECHO = definition({"Echo": {"Type": "Pass", "End": True}})
# A scheduled minute lasts 0.6 s of real time.
SCALE = 0.01
OFF = {"Mode": "OFF"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scheduler")
    try:
        running = baton_server.start(folder / "data", folder / "stderr.log",
                                     extra_args=("--schedule-time-scale", str(SCALE)))
    except baton_server.StartFailed as e:
        pytest.fail(str(e))
    yield running
    running.stop(10.0)


@pytest.fixture(scope="module")
def sfn(server):
    return make_client(server.endpoint)


@pytest.fixture(scope="module")
def scheduler(server):
    session = boto3.session.Session(aws_access_key_id=ACCOUNT,
                                    aws_secret_access_key="baton-test-secret",
                                    region_name=REGION)
    return session.client("scheduler", endpoint_url=server.endpoint,
                          config=Config(retries={"max_attempts": 1}))


def target(arn, **more):
    return {"Arn": arn, "RoleArn": ROLE_ARN, **more}



def error_of(call):
    with pytest.raises(Exception) as info:
        call()
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def scheduler_now(scheduler):
    """The scheduler clock's time: a disabled schedule's creation date."""
    name = unique("clock")
    scheduler.create_schedule(Name=name, ScheduleExpression="rate(1 day)", State="DISABLED",
                              FlexibleTimeWindow=OFF,
                              Target=target(f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:x"))
    now = scheduler.get_schedule(Name=name)["CreationDate"]
    scheduler.delete_schedule(Name=name)
    return now.astimezone(datetime.timezone.utc)


def test_a_rate_schedule_fires_every_tick_once_with_the_context_in_its_input(scheduler, sfn):
    machine = create_machine(sfn, ECHO)
    name = unique("every-minute")
    arn = scheduler.create_schedule(
        Name=name, ScheduleExpression="rate(1 minute)", FlexibleTimeWindow=OFF,
        Target=target(machine, Input=json.dumps({
            "at": "<aws.scheduler.scheduled-time>", "schedule": "<aws.scheduler.schedule-arn>",
            "id": "<aws.scheduler.execution-id>", "attempt": "<aws.scheduler.attempt-number>"})),
    )["ScheduleArn"]
    assert arn == f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/{name}"
    got = wait_for_inputs(sfn, machine, 5)
    scheduler.delete_schedule(Name=name)
    assert len(got) >= 5
    times = sorted(datetime.datetime.fromisoformat(i["at"].replace("Z", "+00:00")) for i in got)
    # One execution a tick: a minute apart on the scheduler's clock, none twice, none missed.
    assert all(b - a == datetime.timedelta(minutes=1) for a, b in zip(times, times[1:])), times
    assert {i["schedule"] for i in got} == {arn}
    assert {i["attempt"] for i in got} == {"1"}
    assert len({i["id"] for i in got}) == len(got)
    # Deleted: no more ticks.
    settled = len(execution_inputs(sfn, machine))
    time.sleep(1.5)
    assert len(execution_inputs(sfn, machine)) == settled


def test_a_one_time_schedule_fires_once_and_is_deleted_after(scheduler, sfn):
    machine = create_machine(sfn, ECHO)
    name = unique("once")
    when = scheduler_now(scheduler) + datetime.timedelta(minutes=2)
    scheduler.create_schedule(
        Name=name, ScheduleExpression=f"at({when.strftime('%Y-%m-%dT%H:%M:%S')})",
        FlexibleTimeWindow=OFF, ActionAfterCompletion="DELETE",
        Target=target(machine, Input='{"at": "<aws.scheduler.scheduled-time>"}'))
    assert execution_inputs(sfn, machine) == []
    got = wait_for_inputs(sfn, machine, 1)
    assert [i["at"] for i in got] == [when.strftime("%Y-%m-%dT%H:%M:%SZ")]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if name not in [s["Name"] for s in scheduler.list_schedules()["Schedules"]]:
            break
        time.sleep(0.1)
    code, _ = error_of(lambda: scheduler.get_schedule(Name=name))
    assert code == "ResourceNotFoundException"
    time.sleep(1.5)
    assert len(execution_inputs(sfn, machine)) == 1


def test_a_disabled_schedule_does_not_fire_until_enabled(scheduler, sfn):
    machine = create_machine(sfn, ECHO)
    name = unique("paused")
    spec = dict(Name=name, ScheduleExpression="rate(1 minute)", FlexibleTimeWindow=OFF,
                Target=target(machine))
    scheduler.create_schedule(State="DISABLED", **spec)
    time.sleep(1.5)
    assert execution_inputs(sfn, machine) == []
    scheduler.update_schedule(State="ENABLED", **spec)
    assert len(wait_for_inputs(sfn, machine, 2)) >= 2
    got = scheduler.get_schedule(Name=name)
    assert got["State"] == "ENABLED" and got["Target"]["Arn"] == machine
    scheduler.delete_schedule(Name=name)


def test_a_schedule_on_an_event_bus_puts_its_event(scheduler, sfn, server):
    events = boto3.session.Session(aws_access_key_id=ACCOUNT, aws_secret_access_key="x",
                                   region_name=REGION).client("events",
                                                              endpoint_url=server.endpoint)
    machine = create_machine(sfn, ECHO)
    rule = unique("from-schedule")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["my.scheduler"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "m", "Arn": machine, "RoleArn": ROLE_ARN}])
    name = unique("to-bus")
    schedule_arn = scheduler.create_schedule(
        Name=name, ScheduleExpression="rate(1 minute)", FlexibleTimeWindow=OFF,
        Target=target(f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default",
                      Input='{"job": "nightly"}',
                      EventBridgeParameters={"DetailType": "Tick", "Source": "my.scheduler"}),
    )["ScheduleArn"]
    got = wait_for_inputs(sfn, machine, 1)
    scheduler.delete_schedule(Name=name)
    event = got[0]
    assert event["source"] == "my.scheduler" and event["detail-type"] == "Tick"
    assert event["detail"] == {"job": "nightly"}
    assert event["resources"] == [schedule_arn]


def test_groups_list_tag_and_take_their_schedules_with_them(scheduler, sfn):
    machine = create_machine(sfn, ECHO)
    group = unique("team")
    group_arn = scheduler.create_schedule_group(
        Name=group, Tags=[{"Key": "team", "Value": "a"}])["ScheduleGroupArn"]
    assert group_arn == f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/{group}"
    assert scheduler.get_schedule_group(Name=group)["State"] == "ACTIVE"
    names = [unique(f"s{i}") for i in range(3)]
    for n in names:
        scheduler.create_schedule(Name=n, GroupName=group, ScheduleExpression="rate(7 days)",
                                  StartDate=datetime.datetime(2099, 1, 1),
                                  FlexibleTimeWindow={"Mode": "FLEXIBLE",
                                                      "MaximumWindowInMinutes": 15},
                                  Target=target(machine))
    # Pages of two, in name order.
    first = scheduler.list_schedules(GroupName=group, MaxResults=2)
    second = scheduler.list_schedules(GroupName=group, MaxResults=2,
                                      NextToken=first["NextToken"])
    assert [s["Name"] for s in first["Schedules"] + second["Schedules"]] == sorted(names)
    assert "NextToken" not in second
    got = scheduler.get_schedule(Name=names[0], GroupName=group)
    assert got["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    assert got["StartDate"].year == 2099
    scheduler.tag_resource(ResourceArn=group_arn, Tags=[{"Key": "env", "Value": "ci"}])
    scheduler.untag_resource(ResourceArn=group_arn, TagKeys=["team"])
    assert scheduler.list_tags_for_resource(ResourceArn=group_arn)["Tags"] == [
        {"Key": "env", "Value": "ci"}]
    listed = [g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]]
    assert "default" in listed and group in listed
    scheduler.delete_schedule_group(Name=group)
    assert error_of(lambda: scheduler.get_schedule(Name=names[0], GroupName=group))[0] == \
        "ResourceNotFoundException"
    assert error_of(lambda: scheduler.get_schedule_group(Name=group))[0] == \
        "ResourceNotFoundException"


def test_bad_requests_are_refused_as_the_scheduler_refuses_them(server, sfn):
    # The server's checks, not boto3's.
    scheduler = boto3.session.Session(
        aws_access_key_id=ACCOUNT, aws_secret_access_key="x", region_name=REGION,
    ).client("scheduler", endpoint_url=server.endpoint,
             config=Config(retries={"max_attempts": 1}, parameter_validation=False))
    machine = create_machine(sfn, ECHO)
    name = unique("bad")

    def create(**over):
        spec = dict(Name=name, ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF,
                    Target=target(machine))
        spec.update(over)
        return lambda: scheduler.create_schedule(**spec)

    for expression in ["rate(1 minutes)", "rate(0 minutes)", "cron(0 10 * * * *)",
                       "cron(0 10 * * ?)", "at(2030-01-01 10:00)", "every day"]:
        code, message = error_of(create(ScheduleExpression=expression))
        assert code == "ValidationException" and expression in message, (expression, message)
    assert error_of(create(ScheduleExpressionTimezone="Nowhere/Else"))[0] == \
        "ValidationException"
    assert error_of(create(FlexibleTimeWindow={"Mode": "FLEXIBLE"}))[0] == "ValidationException"
    assert error_of(create(Target={"Arn": machine, "RoleArn": "not-a-role"}))[0] == \
        "ValidationException"
    assert error_of(create(Target=target(machine, RetryPolicy={"MaximumEventAgeInSeconds": 5})))[0] \
        == "ValidationException"
    assert error_of(create(GroupName="no-such-group"))[0] == "ResourceNotFoundException"
    assert error_of(create(StartDate=datetime.datetime(2099, 1, 2),
                           EndDate=datetime.datetime(2099, 1, 1)))[0] == "ValidationException"
    create(ScheduleExpression="cron(0 9 ? * MON-FRI *)",
           ScheduleExpressionTimezone="Europe/Paris", ClientToken="first-try")()
    # The same request again (a client's retry, same ClientToken) is answered as the first;
    # another request for the name is refused.
    create(ScheduleExpression="cron(0 9 ? * MON-FRI *)",
           ScheduleExpressionTimezone="Europe/Paris", ClientToken="first-try")()
    assert error_of(create())[0] == "ConflictException"
    assert "ClientToken" not in scheduler.get_schedule(Name=name)
    assert error_of(lambda: scheduler.get_schedule(Name=unique("missing")))[0] == \
        "ResourceNotFoundException"
    assert error_of(lambda: scheduler.delete_schedule_group(Name="default"))[0] == \
        "ValidationException"
    scheduler.delete_schedule(Name=name)


def test_the_aws_cli_creates_and_reads_a_schedule(server, sfn):
    machine = create_machine(sfn, ECHO)
    name = unique("cli")
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCOUNT, AWS_SECRET_ACCESS_KEY="x",
               AWS_DEFAULT_REGION=REGION)
    base = ["aws", "--endpoint-url", server.endpoint, "--output", "json", "scheduler"]
    created = subprocess.run(
        base + ["create-schedule", "--name", name, "--schedule-expression", "rate(1 minute)",
                "--flexible-time-window", '{"Mode": "OFF"}',
                "--target", json.dumps(target(machine, Input='{"from": "cli"}'))],
        env=env, capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["ScheduleArn"].endswith(f"/default/{name}")
    got = wait_for_inputs(sfn, machine, 1)
    assert got[0] == {"from": "cli"}
    shown = subprocess.run(base + ["get-schedule", "--name", name], env=env,
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["ScheduleExpression"] == "rate(1 minute)"
    deleted = subprocess.run(base + ["delete-schedule", "--name", name], env=env,
                             capture_output=True, text=True, timeout=60)
    assert deleted.returncode == 0, deleted.stderr


def test_a_scheduled_rule_sends_its_targets_scheduled_events(server, sfn):
    events = boto3.session.Session(aws_access_key_id=ACCOUNT, aws_secret_access_key="x",
                                   region_name=REGION).client("events",
                                                              endpoint_url=server.endpoint)
    machine = create_machine(sfn, ECHO)
    rule = unique("every-minute")
    rule_arn = events.put_rule(Name=rule, ScheduleExpression="rate(1 minute)")["RuleArn"]
    events.put_targets(Rule=rule, Targets=[
        {"Id": "whole", "Arn": machine, "RoleArn": ROLE_ARN},
        {"Id": "shaped", "Arn": machine, "RoleArn": ROLE_ARN, "InputTransformer": {
            "InputPathsMap": {"time": "$.time"}, "InputTemplate": '{"shaped": <time>}'}},
    ])
    got = wait_for_inputs(sfn, machine, 6)
    events.disable_rule(Name=rule)
    whole = [i for i in got if "source" in i]
    shaped = [i for i in got if "shaped" in i]
    assert whole and shaped
    for event in whole:
        assert event["source"] == "aws.events" and event["detail-type"] == "Scheduled Event"
        assert event["resources"] == [rule_arn] and event["detail"] == {}
    times = sorted(datetime.datetime.fromisoformat(e["time"].replace("Z", "+00:00"))
                   for e in whole)
    assert all(b - a == datetime.timedelta(minutes=1) for a, b in zip(times, times[1:])), times
    # Disabled: no more ticks.
    time.sleep(1.0)
    settled = len(execution_inputs(sfn, machine))
    time.sleep(1.5)
    assert len(execution_inputs(sfn, machine)) == settled
    for bad in ["rate(1 minutes)", "cron(0 10 * * * *)", "at(2030-01-01T00:00:00)"]:
        code, _ = error_of(lambda: events.put_rule(Name=rule, ScheduleExpression=bad))
        assert code == "ValidationException", bad

