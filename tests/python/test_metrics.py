"""`baton serve --metrics`: `GET /metrics` in Prometheus' text format, read with the Prometheus
client library's own parser. Step Functions' CloudWatch metrics per state machine, activity,
Lambda function and service integration count what the executions did, exactly; the API's
requests are counted by operation and status. Without `--metrics` there is no such page."""

import json
import sys
import textwrap
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config
from prometheus_client.parser import text_string_to_metric_families

import baton_server
from support import ACCOUNT, REGION, definition, unique, wait_for_end

ECHO = textwrap.dedent("""\
    import json, sys
    print(json.dumps({"echo": json.load(sys.stdin)}))
""")


@pytest.fixture(scope="module")
def metered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("metrics")
    (folder / "echo.py").write_text(ECHO)
    (folder / "baton.toml").write_text(
        f'[functions.echo]\ncommand = ["{sys.executable}", "echo.py"]\n')
    data = tmp_path_factory.mktemp("metrics-data")
    log = tmp_path_factory.mktemp("metrics-log") / "stderr.log"
    try:
        running = baton_server.start(data, log, activity_poll_seconds=5, extra_args=(
            "--metrics", "--config", str(folder / "baton.toml"), "--account", ACCOUNT))
    except baton_server.StartFailed as e:
        pytest.fail(str(e))
    yield running
    running.stop(10.0)


def scrape(endpoint):
    with urllib.request.urlopen(endpoint + "/metrics", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)


def test_cloudwatch_metrics_count_what_executions_did(metered):
    sfn = boto3.client("stepfunctions", endpoint_url=metered.endpoint, region_name=REGION,
                       aws_access_key_id=ACCOUNT, aws_secret_access_key="x",
                       config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:echo"
    role = f"arn:aws:iam::{ACCOUNT}:role/r"
    ok = sfn.create_state_machine(name=unique("ok"), roleArn=role, definition=definition({
        "Integration": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {"FunctionName": "echo", "Payload.$": "$"},
                        "ResultPath": None, "Next": "Direct"},
        "Direct": {"Type": "Task", "Resource": function_arn, "End": True}}))["stateMachineArn"]
    failing = sfn.create_state_machine(name=unique("fails"), roleArn=role, definition=definition({
        "Boom": {"Type": "Fail", "Error": "Boom"}}))["stateMachineArn"]
    waiting = sfn.create_state_machine(name=unique("waits"), roleArn=role, definition=definition({
        "Nap": {"Type": "Wait", "Seconds": 3600, "End": True}}))["stateMachineArn"]
    express = sfn.create_state_machine(name=unique("express"), roleArn=role, type="EXPRESS",
                                       definition=definition({"P": {"Type": "Pass", "End": True}})
                                       )["stateMachineArn"]
    activity = sfn.create_activity(name=unique("work"))["activityArn"]
    worked = sfn.create_state_machine(name=unique("worked"), roleArn=role, definition=definition({
        "Work": {"Type": "Task", "Resource": activity, "End": True}}))["stateMachineArn"]

    for i in range(3):
        arn = sfn.start_execution(stateMachineArn=ok, input=json.dumps({"i": i}))["executionArn"]
        assert wait_for_end(sfn, arn)["status"] == "SUCCEEDED"
    for _ in range(2):
        arn = sfn.start_execution(stateMachineArn=failing)["executionArn"]
        assert wait_for_end(sfn, arn)["status"] == "FAILED"
        assert sfn.start_sync_execution(stateMachineArn=express)["status"] == "SUCCEEDED"
    napping = sfn.start_execution(stateMachineArn=waiting)["executionArn"]
    job = sfn.start_execution(stateMachineArn=worked, input='{"n": 1}')["executionArn"]
    # One execution on its Wait, one activity task waiting for a worker.
    waiting_now = scrape(metered.endpoint)
    assert value(waiting_now, "baton_timers_pending") == 1
    assert value(waiting_now, "baton_tasks_open") == 1
    sfn.stop_execution(executionArn=napping)
    assert wait_for_end(sfn, napping)["status"] == "ABORTED"
    task = sfn.get_activity_task(activityArn=activity, workerName="w")
    sfn.send_task_success(taskToken=task["taskToken"], output='{"done": true}')
    assert wait_for_end(sfn, job)["status"] == "SUCCEEDED"
    with pytest.raises(sfn.exceptions.ClientError):
        sfn.describe_execution(executionArn="not-an-arn")

    m = scrape(metered.endpoint)
    machine = lambda arn: {"state_machine_arn": arn}  # noqa: E731
    assert value(m, "stepfunctions_executions_started_total", **machine(ok)) == 3
    assert value(m, "stepfunctions_executions_succeeded_total", **machine(ok)) == 3
    assert value(m, "stepfunctions_executions_failed_total", **machine(ok)) == 0
    assert value(m, "stepfunctions_execution_time_seconds_count", **machine(ok)) == 3
    assert value(m, "stepfunctions_execution_time_seconds_bucket", le="+Inf", **machine(ok)) == 3
    assert value(m, "stepfunctions_executions_started_total", **machine(failing)) == 2
    assert value(m, "stepfunctions_executions_failed_total", **machine(failing)) == 2
    assert value(m, "stepfunctions_executions_started_total", **machine(express)) == 2
    assert value(m, "stepfunctions_executions_succeeded_total", **machine(express)) == 2
    assert value(m, "stepfunctions_executions_aborted_total", **machine(waiting)) == 1
    assert value(m, "stepfunctions_executions_succeeded_total", **machine(waiting)) == 0

    lam = {"lambda_function_arn": function_arn}
    for what in ("scheduled", "started", "succeeded"):
        assert value(m, f"stepfunctions_lambda_functions_{what}_total", **lam) == 3, what
    assert value(m, "stepfunctions_lambda_functions_failed_total", **lam) == 0
    assert value(m, "stepfunctions_lambda_function_run_time_seconds_count", **lam) == 3
    integration = {"service_integration_resource_arn": "arn:aws:states:::lambda:invoke"}
    for what in ("scheduled", "started", "succeeded"):
        assert value(m, f"stepfunctions_service_integrations_{what}_total", **integration) == 3
    assert value(m, "stepfunctions_service_integration_time_seconds_count", **integration) == 3

    act = {"activity_arn": activity}
    for what in ("scheduled", "started", "succeeded"):
        assert value(m, f"stepfunctions_activities_{what}_total", **act) == 1, what
    assert value(m, "stepfunctions_activity_schedule_time_seconds_count", **act) == 1
    assert value(m, "stepfunctions_activity_run_time_seconds_count", **act) == 1

    requests = lambda op, status: value(  # noqa: E731
        m, "baton_api_requests_total", operation=op, status=status)
    assert requests("StartExecution", "200") == 7
    assert requests("StartSyncExecution", "200") == 2
    assert requests("DescribeExecution", "400") == 1
    assert value(m, "baton_executions_in_memory") == 0
    assert ("baton_execution_log_events_dropped_total", ()) in m
    assert value(m, "baton_execution_log_events_dropped_total") == 0
    assert value(m, "baton_timers_pending") == 0
    assert value(m, "baton_tasks_open") == 0
    assert value(m, "baton_store_bytes") > 0
    commits = value(m, "baton_store_commits_total")
    assert 0 < commits <= value(m, "baton_store_batches_total")
    # Read in the same scrape, a commit in flight may be counted but not yet timed.
    timed = value(m, "baton_store_commit_seconds_count")
    assert 0 < timed <= commits
    assert value(m, "baton_store_commit_seconds_bucket", le="+Inf") == timed
    assert 0 < value(m, "baton_store_commit_batches_count") <= commits


def test_without_metrics_there_is_no_page(endpoint):
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(endpoint + "/metrics", timeout=10)
    assert raised.value.code == 404


def test_executions_resumed_after_a_restart_are_not_counted_again(tmp_path):
    data, log = tmp_path / "data", tmp_path / "stderr.log"
    args = ("--metrics", "--account", ACCOUNT)
    first = baton_server.start(data, log, extra_args=args)
    sfn = boto3.client("stepfunctions", endpoint_url=first.endpoint, region_name=REGION,
                       aws_access_key_id=ACCOUNT, aws_secret_access_key="x")
    machine = sfn.create_state_machine(
        name=unique("resumed"), roleArn=f"arn:aws:iam::{ACCOUNT}:role/r",
        definition=definition({"Nap": {"Type": "Wait", "Seconds": 3600, "End": True}})
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    assert value(scrape(first.endpoint), "stepfunctions_executions_started_total",
                 state_machine_arn=machine) == 1
    first.kill()
    second = baton_server.start(data, log, extra_args=args)
    try:
        sfn = boto3.client("stepfunctions", endpoint_url=second.endpoint, region_name=REGION,
                           aws_access_key_id=ACCOUNT, aws_secret_access_key="x")
        sfn.stop_execution(executionArn=arn)
        assert wait_for_end(sfn, arn)["status"] == "ABORTED"
        m = scrape(second.endpoint)
        # Counted by the process that saw it happen: the start before the restart, the abort
        # after it.
        assert value(m, "stepfunctions_executions_started_total", state_machine_arn=machine) == 0
        assert value(m, "stepfunctions_executions_aborted_total", state_machine_arn=machine) == 1
    finally:
        second.stop(10.0)
