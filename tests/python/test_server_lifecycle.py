"""`baton serve` as a process: executions survive a restart on the same data folder, and SIGTERM
stops it promptly. Each test runs its own server, not the session's."""

import json
import threading

import pytest

import baton_server
from support import (create_activity, create_machine, event_types, history, make_client,
                     wait_for_end, wait_until)


@pytest.fixture
def spawn(tmp_path):
    """Starts private servers; whatever is still running at the end is killed."""
    started = []

    def run(data_dir=None, activity_poll_seconds=5):
        server = baton_server.start(data_dir or tmp_path / "data", tmp_path / "stderr.log",
                                    activity_poll_seconds=activity_poll_seconds)
        started.append(server)
        return server

    yield run
    for server in started:
        server.kill()


def test_an_execution_waiting_at_shutdown_finishes_after_a_restart(spawn, tmp_path):
    data = tmp_path / "data"
    first = spawn(data)
    sfn = make_client(first.endpoint)
    machine = create_machine(sfn, {"Pause": {"Type": "Wait", "Seconds": 2, "End": True}})
    arn = sfn.start_execution(stateMachineArn=machine, input='{"kept": true}')["executionArn"]
    wait_until(lambda: "WaitStateEntered" in event_types(history(sfn, arn)),
               what="the Wait state to be entered")
    status, _ = first.stop(timeout=10)
    assert status == 0

    second = spawn(data)
    sfn = make_client(second.endpoint)
    assert sfn.describe_state_machine(stateMachineArn=machine)["stateMachineArn"] == machine
    described = wait_for_end(sfn, arn, timeout=10)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"kept": True}
    assert event_types(history(sfn, arn)) == [
        "ExecutionStarted", "WaitStateEntered", "WaitStateExited", "ExecutionSucceeded"]
    status, _ = second.stop(timeout=10)
    assert status == 0


def test_sigterm_answers_a_waiting_long_poll_and_exits(spawn):
    server = spawn(activity_poll_seconds=60)
    sfn = make_client(server.endpoint)
    activity = create_activity(sfn, "shutdown")
    answers = []

    def poll():
        answers.append(sfn.get_activity_task(activityArn=activity, workerName="late"))

    polling = threading.Thread(target=poll, daemon=True)
    polling.start()
    polling.join(timeout=0.5)
    assert polling.is_alive(), "the poll should be waiting for a task"

    # The poll is answered (with no task) as the server stops, not after its 60 s.
    status, _ = server.stop(timeout=30)
    assert status == 0
    polling.join(timeout=5)
    assert len(answers) == 1
    assert "taskToken" not in answers[0]
