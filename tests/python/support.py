"""What the tests share: the caller's account, names, definitions, waiting, error checks."""

import contextlib
import json
import threading
import time
import uuid

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

ACCOUNT = "111111111111"
REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/baton-test"
ARN_PREFIX = f"arn:aws:states:{REGION}:{ACCOUNT}"
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def make_client(endpoint, account=ACCOUNT):
    """A boto3 Step Functions client acting in `account`: no host prefix, no retries."""
    session = boto3.session.Session(
        aws_access_key_id=account,
        aws_secret_access_key="baton-test-secret",
        region_name=REGION,
    )
    return session.client(
        "stepfunctions",
        endpoint_url=endpoint,
        config=Config(
            inject_host_prefix=False,
            retries={"max_attempts": 1},
            connect_timeout=5,
            read_timeout=30,
            max_pool_connections=32,
        ),
    )


def unique(prefix):
    """A name no other test uses: resources outlive tests within the session."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def definition(states, start_at=None, **top):
    """An ASL definition as JSON text; `start_at` defaults to the first state."""
    return json.dumps({"StartAt": start_at or next(iter(states)), "States": states, **top})


PASS_DEFINITION = definition({
    "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.who)"},
              "End": True},
})


# Valid but for one thing: a Choice rule goes to a state that does not exist.
MISSING_TARGET_DEFINITION = definition({
    "Route": {"Type": "Choice",
              "Choices": [{"Variable": "$.go", "BooleanEquals": True, "Next": "Nowhere"}],
              "Default": "Done"},
    "Done": {"Type": "Succeed"},
})


def create_machine(sfn, states_or_definition, name=None, machine_type="STANDARD", **extra):
    """Creates a state machine; returns its ARN."""
    text = (states_or_definition if isinstance(states_or_definition, str)
            else definition(states_or_definition))
    response = sfn.create_state_machine(
        name=name or unique("machine"), definition=text, roleArn=ROLE_ARN, type=machine_type,
        **extra)
    return response["stateMachineArn"]


def create_activity(sfn, prefix="activity"):
    return sfn.create_activity(name=unique(prefix))["activityArn"]


def wait_for_end(sfn, execution_arn, timeout=10.0):
    """Polls DescribeExecution every 50 ms until the execution ends; returns the description."""
    deadline = time.monotonic() + timeout
    while True:
        description = sfn.describe_execution(executionArn=execution_arn)
        if description["status"] in TERMINAL:
            return description
        if time.monotonic() > deadline:
            recent = event_types(history(sfn, execution_arn))[-8:]
            pytest.fail(f"{execution_arn} still {description['status']} after {timeout}s; "
                        f"its last events: {recent}")
        time.sleep(0.05)


def wait_until(predicate, timeout=10.0, what="condition"):
    """Polls `predicate` every 50 ms until it returns something truthy; returns that."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def history(sfn, execution_arn, **kwargs):
    """Every event of an execution's history, following nextToken."""
    events, token = [], None
    while True:
        page = sfn.get_execution_history(
            executionArn=execution_arn, **kwargs, **({"nextToken": token} if token else {}))
        events.extend(page["events"])
        token = page.get("nextToken")
        if not token:
            return events


def event_types(events):
    return [e["type"] for e in events]


@contextlib.contextmanager
def api_error(code):
    """Expects the block to fail with API error `code` and HTTP status 400; yields a holder
    whose `.error` is the botocore ClientError."""

    class Holder:
        error = None

    holder = Holder()
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        yield holder
    holder.error = caught.value
    response = caught.value.response
    assert response["Error"]["Code"] == code, (
        f"expected {code}, got {response['Error']['Code']}: {response['Error'].get('Message')}")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400, response["ResponseMetadata"]
    assert response["Error"].get("Message"), f"{code} without a message"


def error_message(holder):
    return holder.error.response["Error"]["Message"]


class Rejection:
    """What an activity handler returns to fail its task."""

    def __init__(self, error, cause):
        self.error = error
        self.cause = cause


class ActivityWorker:
    """An activity worker written the way AWS's documentation shows one: threads polling
    GetActivityTask with a worker name, each task heartbeated once, then answered with
    SendTaskSuccess, or SendTaskFailure when the handler returns a `Rejection`.

    Each thread has its own client. Exceptions are collected in `errors`, so a test can assert
    that the worker saw none. `stop()` only signals: a poll in flight ends by itself when the
    server's poll time (5 s) is up, and no task of the test's own activity is left to take.
    """

    def __init__(self, client_factory, activity_arn, handler, threads=3, name=None):
        self.activity_arn = activity_arn
        self.handler = handler
        self.name = name or unique("worker")
        self.client_factory = client_factory
        self.done = []
        self.errors = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                         for i in range(threads)]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()

    def answered(self, count, timeout=5.0):
        """The tasks answered, once there are `count`: a thread records its task after its
        answer returns, so an execution may end before the last one is recorded."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                done = list(self.done)
            if len(done) >= count or time.monotonic() > deadline:
                return done
            time.sleep(0.01)

    def _run(self, index):
        client = self.client_factory()
        worker_name = f"{self.name}-{index}"
        while not self._stop.is_set():
            try:
                task = client.get_activity_task(activityArn=self.activity_arn,
                                                workerName=worker_name)
                token = task.get("taskToken")
                if not token:
                    continue
                if self._stop.is_set():
                    return
                task_input = json.loads(task["input"])
                client.send_task_heartbeat(taskToken=token)
                result = self.handler(task_input)
                if isinstance(result, Rejection):
                    client.send_task_failure(taskToken=token, error=result.error,
                                             cause=result.cause)
                else:
                    client.send_task_success(taskToken=token, output=json.dumps(result))
                with self._lock:
                    self.done.append((worker_name, task_input))
            except Exception as e:  # noqa: BLE001 - reported by the test
                with self._lock:
                    self.errors.append(repr(e))
                return


def execution_inputs(sfn, machine_arn):
    """The inputs of the machine's executions, parsed."""
    listed = sfn.list_executions(stateMachineArn=machine_arn)["executions"]
    return [json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"])
            for e in listed]


def wait_for_inputs(sfn, machine_arn, count, timeout=15.0):
    """The inputs of the machine's executions, once there are `count` (or the time is up)."""
    deadline = time.monotonic() + timeout
    while True:
        got = execution_inputs(sfn, machine_arn)
        if len(got) >= count or time.monotonic() > deadline:
            return got
        time.sleep(0.1)
