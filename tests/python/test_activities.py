"""Activities and their workers through boto3: create, describe, list, delete; GetActivityTask
long polling; SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat; heartbeat timeouts; and a
worker written as AWS documents one, serving many executions at once."""

import concurrent.futures
import json
import time

from support import (ARN_PREFIX, ActivityWorker, Rejection, api_error, create_activity,
                     create_machine, event_types, history, unique, wait_for_end)


def activity_task(activity, **task):
    return {"Work": {"Type": "Task", "Resource": activity, "End": True, **task}}


def take_task(sfn, activity, worker="hand"):
    """Polls until the activity's task is handed out; returns (token, parsed input)."""
    task = sfn.get_activity_task(activityArn=activity, workerName=worker)
    assert task.get("taskToken"), f"no task for {activity} within the poll time"
    return task["taskToken"], json.loads(task["input"])


def test_activity_create_describe_list_delete(sfn):
    name = unique("activity")
    created = sfn.create_activity(name=name)
    arn = created["activityArn"]
    assert arn == f"{ARN_PREFIX}:activity:{name}"
    assert sfn.create_activity(name=name)["activityArn"] == arn, "CreateActivity is idempotent"

    described = sfn.describe_activity(activityArn=arn)
    assert described["activityArn"] == arn
    assert described["name"] == name
    assert described["creationDate"] == created["creationDate"]

    listed, token = [], None
    while True:
        page = sfn.list_activities(maxResults=2, **({"nextToken": token} if token else {}))
        assert len(page["activities"]) <= 2
        listed.extend(page["activities"])
        token = page.get("nextToken")
        if not token:
            break
    mine = [a for a in listed if a["activityArn"] == arn]
    assert mine == [{"activityArn": arn, "name": name, "creationDate": created["creationDate"]}]

    sfn.delete_activity(activityArn=arn)
    with api_error("ActivityDoesNotExist"):
        sfn.describe_activity(activityArn=arn)
    assert arn not in [a["activityArn"] for a in sfn.list_activities()["activities"]]


def test_get_activity_task_long_polls_and_returns_no_task_when_none_comes(sfn):
    activity = create_activity(sfn, "idle")
    began = time.monotonic()
    task = sfn.get_activity_task(activityArn=activity, workerName="idle-worker")
    waited = time.monotonic() - began
    assert not task.get("taskToken")
    assert not task.get("input")
    assert waited >= 4.5, f"the poll returned after {waited:.1f}s, not the server's 5 s"


def test_get_activity_task_wakes_up_when_a_task_is_scheduled(sfn):
    activity = create_activity(sfn)
    machine = create_machine(sfn, activity_task(activity))
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        polling = pool.submit(sfn.get_activity_task, activityArn=activity, workerName="early")
        time.sleep(0.3)
        began = time.monotonic()
        sfn.start_execution(stateMachineArn=machine, input='{"wake": true}')
        task = polling.result(timeout=10)
        assert time.monotonic() - began < 3, "the waiting poll was not woken by the new task"
    assert json.loads(task["input"]) == {"wake": True}
    sfn.send_task_success(taskToken=task["taskToken"], output="{}")


def test_send_task_success_completes_the_activity_with_its_output(sfn):
    activity = create_activity(sfn)
    machine = create_machine(sfn, activity_task(
        activity, Parameters={"order.$": "$.id", "fixed": "x"}, ResultPath="$.result",
        TimeoutSeconds=60, HeartbeatSeconds=30))
    arn = sfn.start_execution(stateMachineArn=machine, input='{"id": 42}')["executionArn"]

    token, task_input = take_task(sfn, activity, worker="worker-a")
    assert task_input == {"order": 42, "fixed": "x"}
    assert sfn.send_task_heartbeat(taskToken=token)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    sfn.send_task_success(taskToken=token, output='{"shipped": true}')

    described = wait_for_end(sfn, arn)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"id": 42, "result": {"shipped": True}}
    events = history(sfn, arn)
    assert event_types(events) == [
        "ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted",
        "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"]
    scheduled = events[2]["activityScheduledEventDetails"]
    assert scheduled["resource"] == activity
    assert json.loads(scheduled["input"]) == {"order": 42, "fixed": "x"}
    assert scheduled["timeoutInSeconds"] == 60
    assert scheduled["heartbeatInSeconds"] == 30
    assert events[3]["activityStartedEventDetails"] == {"workerName": "worker-a"}
    assert json.loads(events[4]["activitySucceededEventDetails"]["output"]) == {"shipped": True}


def test_send_task_failure_fails_the_execution_with_the_workers_error(sfn):
    activity = create_activity(sfn)
    machine = create_machine(sfn, activity_task(activity))
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    token, _ = take_task(sfn, activity)
    sfn.send_task_failure(taskToken=token, error="Worker.Crashed", cause="disk full")

    described = wait_for_end(sfn, arn)
    assert described["status"] == "FAILED"
    assert described["error"] == "Worker.Crashed"
    assert described["cause"] == "disk full"
    failed = [e for e in history(sfn, arn) if e["type"] == "ActivityFailed"]
    assert failed[0]["activityFailedEventDetails"] == {"error": "Worker.Crashed",
                                                      "cause": "disk full"}
    with api_error("TaskTimedOut"):
        sfn.send_task_heartbeat(taskToken=token)


def test_a_worker_that_stops_heartbeating_fails_the_task_once_heartbeat_seconds_pass(sfn):
    # AWS names a missed heartbeat `States.Timeout` in the history (ActivityTimedOut /
    # TaskTimedOut and ExecutionFailed), not `States.HeartbeatTimeout`: see the AWS-recorded
    # `timeouts-heartbeat-timeout` cases in ../shared/conformance/aws-recorded-mocked and
    # LocalStack's AWS-validated tests/aws/services/stepfunctions/v2/timeouts snapshots. What
    # tells it apart from TimeoutSeconds (30 s here) is when it happens.
    activity = create_activity(sfn, "silent")
    machine = create_machine(sfn, activity_task(activity, HeartbeatSeconds=2, TimeoutSeconds=30))
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    token, _ = take_task(sfn, activity)
    time.sleep(0.8)
    sfn.send_task_heartbeat(taskToken=token)  # resets the 2 s window, then the worker goes quiet
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"

    described = wait_for_end(sfn, arn, timeout=8)
    assert described["status"] == "FAILED"
    assert described["error"] == "States.Timeout"
    events = history(sfn, arn)
    started = next(e for e in events if e["type"] == "ActivityStarted")
    timed_out = [e for e in events if e["type"] == "ActivityTimedOut"]
    assert len(timed_out) == 1
    assert timed_out[0]["activityTimedOutEventDetails"]["error"] == "States.Timeout"
    # The heartbeat at +0.8 s moved the deadline from +2 s to about +2.8 s; TimeoutSeconds
    # would be +30 s.
    elapsed = (timed_out[0]["timestamp"] - started["timestamp"]).total_seconds()
    assert 2.5 <= elapsed < 10, f"timed out {elapsed:.2f}s after the start"

    with api_error("TaskTimedOut"):
        sfn.send_task_success(taskToken=token, output="{}")


def test_a_boto3_worker_serves_ten_concurrent_executions_and_failures_reach_a_catch(
        sfn, client_factory):
    activity = create_activity(sfn, "doubler")
    machine = create_machine(sfn, {
        "Work": {
            "Type": "Task", "Resource": activity, "TimeoutSeconds": 30, "HeartbeatSeconds": 10,
            "Catch": [{"ErrorEquals": ["Worker.Rejected"], "ResultPath": "$.error",
                       "Next": "Handled"}],
            "End": True,
        },
        "Handled": {"Type": "Pass",
                    "Parameters": {"handled.$": "$.error.Error", "cause.$": "$.error.Cause",
                                   "n.$": "$.n"},
                    "End": True},
    })

    def handler(task_input):
        if task_input["n"] % 4 == 3:
            return Rejection("Worker.Rejected", f"n={task_input['n']} is unlucky")
        return {"doubled": task_input["n"] * 2}

    with ActivityWorker(client_factory, activity, handler, threads=3) as worker:
        with concurrent.futures.ThreadPoolExecutor(10) as pool:
            arns = list(pool.map(
                lambda n: sfn.start_execution(stateMachineArn=machine, name=f"item-{n}",
                                              input=json.dumps({"n": n}))["executionArn"],
                range(10)))
        results = [wait_for_end(sfn, arn, timeout=20) for arn in arns]
    assert worker.errors == []

    for n, described in enumerate(results):
        assert described["status"] == "SUCCEEDED", (described, event_types(history(sfn, arns[n])))
        output = json.loads(described["output"])
        if n % 4 == 3:
            assert output == {"handled": "Worker.Rejected", "cause": f"n={n} is unlucky", "n": n}
        else:
            assert output == {"doubled": 2 * n}
    done = worker.answered(10)
    assert sorted(task["n"] for _, task in done) == list(range(10))
    workers = {name for name, _ in done}
    started_by = {next(e for e in history(sfn, arn) if e["type"] == "ActivityStarted")[
        "activityStartedEventDetails"]["workerName"] for arn in arns}
    assert started_by == workers


def test_a_boto3_worker_serves_every_iteration_of_a_map_state(sfn, client_factory):
    activity = create_activity(sfn, "squarer")
    machine = create_machine(sfn, {
        "Fan": {
            "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 10,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Square",
                "States": {"Square": {"Type": "Task", "Resource": activity,
                                      "TimeoutSeconds": 30, "End": True}},
            },
            "End": True,
        },
    })
    items = [{"n": n} for n in range(10)]

    with ActivityWorker(client_factory, activity, lambda t: {"square": t["n"] ** 2},
                        threads=4) as worker:
        arn = sfn.start_execution(stateMachineArn=machine,
                                  input=json.dumps({"items": items}))["executionArn"]
        described = wait_for_end(sfn, arn, timeout=20)
    assert worker.errors == []
    assert described["status"] == "SUCCEEDED", (described, event_types(history(sfn, arn)))
    assert json.loads(described["output"]) == [{"square": n * n} for n in range(10)]
    assert sorted(task["n"] for _, task in worker.answered(10)) == list(range(10))
    events = history(sfn, arn)
    assert event_types(events).count("ActivitySucceeded") == 10
    assert event_types(events).count("MapIterationSucceeded") == 10
