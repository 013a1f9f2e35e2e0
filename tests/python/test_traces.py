"""Traces: with `[telemetry] otlp_endpoint`, executions of machines whose
`tracingConfiguration` is enabled (or started with a sampled trace header) are sent as
OpenTelemetry spans over OTLP/HTTP to a receiver this test runs: one span for the execution,
one per state, one per task attempt, with their parents and errors. Functions and HTTP tasks
get the trace as `_X_AMZN_TRACE_ID`/`traceparent`, naming the task attempt's span."""

import http.server
import json
import sys
import textwrap
import threading
import time

import pytest

import baton_server
from support import ACCOUNT, ROLE_ARN, definition, make_client, unique, wait_for_end

# A function that answers with the trace headers it was started with.
TRACE_ENV = textwrap.dedent("""\
    import json, os, sys
    json.load(sys.stdin)
    print(json.dumps({"xray": os.environ.get("_X_AMZN_TRACE_ID"),
                      "w3c": os.environ.get("TRACEPARENT")}))
""")


class Receiver(http.server.ThreadingHTTPServer):
    """An OTLP/HTTP receiver: keeps the spans of every `POST /v1/traces`."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.spans = []
        self.paths = []
        self.lock = threading.Lock()

    def wait_for(self, predicate, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [s for s in self.spans if predicate(s)]
            if found:
                return found
            time.sleep(0.1)
        return []


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.paths.append((self.path, self.headers["Content-Type"]))
            for resource in body["resourceSpans"]:
                for scope in resource["scopeSpans"]:
                    self.server.spans.extend(scope["spans"])
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    folder = tmp_path_factory.mktemp("traces")
    (folder / "env.py").write_text(TRACE_ENV)
    (folder / "baton.toml").write_text(
        f'[functions.traceenv]\ncommand = ["{sys.executable}", "env.py"]\n\n'
        f'[telemetry]\notlp_endpoint = "http://127.0.0.1:{receiver.server_address[1]}"\n')
    data = tmp_path_factory.mktemp("traces-data")
    log = tmp_path_factory.mktemp("traces-log") / "stderr.log"
    try:
        running = baton_server.start(data, log, extra_args=(
            "--config", str(folder / "baton.toml"), "--account", ACCOUNT))
    except baton_server.StartFailed as e:
        pytest.fail(str(e))
    yield running, receiver
    running.stop(10.0)
    receiver.shutdown()


TASK_THEN_FAIL = definition({
    "Call": {"Type": "Task", "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:traceenv",
             "Next": "Boom"},
    "Boom": {"Type": "Fail", "Error": "Custom.Error", "Cause": "it broke"},
})


def by_name(spans):
    return {s["name"]: s for s in spans}


def test_an_execution_is_a_trace_of_state_and_task_spans(traced):
    server, receiver = traced
    sfn = make_client(server.endpoint)
    machine = sfn.create_state_machine(
        name=unique("traced"), definition=TASK_THEN_FAIL, roleArn=ROLE_ARN,
        tracingConfiguration={"enabled": True})["stateMachineArn"]
    name = unique("run")
    execution = sfn.start_execution(stateMachineArn=machine, name=name)["executionArn"]
    assert wait_for_end(sfn, execution)["status"] == "FAILED"
    mine = lambda s: any(a["key"] == "aws.stepfunctions.execution_arn"  # noqa: E731
                         and a["value"]["stringValue"] == execution for a in s["attributes"])
    assert receiver.wait_for(lambda s: mine(s) and s["name"] == name)
    spans = by_name([s for s in receiver.spans if mine(s)])
    assert set(spans) == {name, "Call", "LambdaFunction", "Boom"}, spans.keys()
    root, call, task, boom = spans[name], spans["Call"], spans["LambdaFunction"], spans["Boom"]
    assert "parentSpanId" not in root
    assert {s["traceId"] for s in spans.values()} == {root["traceId"]}
    assert call["parentSpanId"] == root["spanId"]
    assert boom["parentSpanId"] == root["spanId"]
    assert task["parentSpanId"] == call["spanId"]
    assert root["status"] == {"code": 2, "message": "it broke"}
    assert task["status"]["code"] == 1
    for s in spans.values():
        assert int(s["startTimeUnixNano"]) <= int(s["endTimeUnixNano"])
    assert int(root["startTimeUnixNano"]) <= int(call["startTimeUnixNano"])
    # The function was called in the task's span, in both headers' forms.
    output = json.loads(sfn.get_execution_history(executionArn=execution)["events"][4]
                        ["lambdaFunctionSucceededEventDetails"]["output"])
    trace = root["traceId"]
    assert output["w3c"] == f"00-{trace}-{task['spanId']}-01"
    assert output["xray"] == f"Root=1-{trace[:8]}-{trace[8:]};Parent={task['spanId']};Sampled=1"
    assert receiver.paths[0] == ("/v1/traces", "application/json")


def test_an_incoming_trace_header_is_continued(traced):
    server, receiver = traced
    sfn = make_client(server.endpoint)
    # Tracing off on the machine: the sampled header alone makes it traced.
    machine = sfn.create_state_machine(
        name=unique("untraced"), definition=definition({"P": {"Type": "Pass", "End": True}}),
        roleArn=ROLE_ARN)["stateMachineArn"]
    header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    name = unique("continued")
    execution = sfn.start_execution(stateMachineArn=machine, name=name,
                                    traceHeader=header)["executionArn"]
    wait_for_end(sfn, execution)
    root = receiver.wait_for(lambda s: s["name"] == name)
    assert root and root[0]["traceId"] == "5759e988bd862e3fe1be46a994272793"
    assert root[0]["parentSpanId"] == "53995c3f42cd8ad8"

    # The HTTP header (`traceparent`) of the StartExecution request, for an Express machine.
    express = sfn.create_state_machine(
        name=unique("express"), definition=definition({"P": {"Type": "Pass", "End": True}}),
        roleArn=ROLE_ARN, type="EXPRESS")["stateMachineArn"]
    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    name = unique("w3c")

    def add_header(request, **_):
        request.headers["traceparent"] = parent
    sfn.meta.events.register("before-sign.sfn.StartSyncExecution", add_header)
    try:
        sfn.start_sync_execution(stateMachineArn=express, name=name)
    finally:
        sfn.meta.events.unregister("before-sign.sfn.StartSyncExecution", add_header)
    root = receiver.wait_for(lambda s: s["name"] == name)
    assert root and root[0]["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert root[0]["parentSpanId"] == "00f067aa0ba902b7"
    assert receiver.wait_for(lambda s: s["name"] == "P"
                             and s["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736")


def test_untraced_executions_send_nothing(traced):
    server, receiver = traced
    sfn = make_client(server.endpoint)
    machine = sfn.create_state_machine(
        name=unique("plain"), definition=definition({"P": {"Type": "Pass", "End": True}}),
        roleArn=ROLE_ARN)["stateMachineArn"]
    name = unique("quiet")
    execution = sfn.start_execution(stateMachineArn=machine, name=name)["executionArn"]
    wait_for_end(sfn, execution)
    # An unsampled header does not trace either.
    sampled_off = unique("unsampled")
    sfn.start_execution(stateMachineArn=machine, name=sampled_off,
                        traceHeader="Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0")
    assert receiver.wait_for(lambda s: s["name"] in (name, sampled_off), timeout=3.0) == []


def test_parallel_branches_are_spans_under_their_parallel_state(traced):
    server, receiver = traced
    sfn = make_client(server.endpoint)
    machine = sfn.create_state_machine(
        name=unique("parallel"), roleArn=ROLE_ARN, tracingConfiguration={"enabled": True},
        definition=definition({
            "Both": {"Type": "Parallel", "Next": "After", "Branches": [
                {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
                {"StartAt": "Right1", "States": {
                    "Right1": {"Type": "Pass", "Next": "Right2"},
                    "Right2": {"Type": "Pass", "End": True}}},
            ]},
            "After": {"Type": "Pass", "End": True},
        }))["stateMachineArn"]
    name = unique("fan")
    execution = sfn.start_execution(stateMachineArn=machine, name=name)["executionArn"]
    assert wait_for_end(sfn, execution)["status"] == "SUCCEEDED"
    root = receiver.wait_for(lambda s: s["name"] == name)
    assert root
    trace = root[0]["traceId"]
    spans = by_name([s for s in receiver.spans if s["traceId"] == trace])
    assert set(spans) == {name, "Both", "Left", "Right1", "Right2", "After"}
    for branch_state in ("Left", "Right1", "Right2"):
        assert spans[branch_state]["parentSpanId"] == spans["Both"]["spanId"], branch_state
    assert spans["Both"]["parentSpanId"] == spans[name]["spanId"]
    assert spans["After"]["parentSpanId"] == spans[name]["spanId"]
    assert int(spans["Right2"]["startTimeUnixNano"]) >= int(spans["Right1"]["startTimeUnixNano"])


def fan_out(sfn, receiver, item_states, first=None):
    """Runs a traced machine whose distributed Map (after the state `first`, if given) runs
    `item_states` over two items. Its root span, its children (as ListExecutions lists them)
    and its trace's spans, once every child's own span arrived."""
    fan = {"Fan": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": next(iter(item_states)), "States": item_states},
    }}
    states = {"First": {**first, "Next": "Fan"}, **fan} if first else fan
    machine = sfn.create_state_machine(
        name=unique("dmap"), roleArn=ROLE_ARN, tracingConfiguration={"enabled": True},
        definition=definition(states))["stateMachineArn"]
    name = unique("fan")
    execution = sfn.start_execution(stateMachineArn=machine, name=name,
                                    input='{"items": [1, 2]}')["executionArn"]
    assert wait_for_end(sfn, execution)["status"] == "SUCCEEDED"
    [map_run] = sfn.list_map_runs(executionArn=execution)["mapRuns"]
    children = sfn.list_executions(mapRunArn=map_run["mapRunArn"])["executions"]
    assert len(children) == 2
    root = receiver.wait_for(lambda s: s["name"] == name)
    assert root
    trace = root[0]["traceId"]
    for child in children:
        assert receiver.wait_for(
            lambda s, c=child["name"]: s["name"] == c and s["traceId"] == trace)
    return root[0], children, [s for s in receiver.spans if s["traceId"] == trace]


def test_a_distributed_maps_children_are_traces_under_their_map_state(traced):
    server, receiver = traced
    sfn = make_client(server.endpoint)
    root, children, spans = fan_out(sfn, receiver, {"Item": {"Type": "Pass", "End": True}})
    children = [c["name"] for c in children]
    fan = by_name(spans)["Fan"]
    assert fan["parentSpanId"] == root["spanId"]
    child_roots = [s for s in spans if s["name"] in children]
    assert len(child_roots) == 2
    for child_root in child_roots:
        assert child_root["parentSpanId"] == fan["spanId"]
    # Each child's state is a span under that child's own.
    items = [s for s in spans if s["name"] == "Item"]
    assert sorted(s["parentSpanId"] for s in items) == sorted(c["spanId"] for c in child_roots)


def test_spans_open_across_a_restart_end_with_their_first_start(traced, tmp_path):
    _, receiver = traced
    config = tmp_path / "baton.toml"
    config.write_text(
        f'[telemetry]\notlp_endpoint = "http://127.0.0.1:{receiver.server_address[1]}"\n')
    data = tmp_path / "data"
    args = ("--config", str(config), "--account", ACCOUNT)
    server = baton_server.start(data, tmp_path / "first.log", extra_args=args)
    try:
        sfn = make_client(server.endpoint)
        machine = sfn.create_state_machine(
            name=unique("nap"), roleArn=ROLE_ARN, tracingConfiguration={"enabled": True},
            definition=definition({
                "First": {"Type": "Pass", "Next": "Nap"},
                "Nap": {"Type": "Wait", "Seconds": 2, "Next": "After"},
                "After": {"Type": "Pass", "End": True},
            }))["stateMachineArn"]
        name = unique("napping")
        execution = sfn.start_execution(stateMachineArn=machine, name=name)["executionArn"]
        # The closed First span leaves before the restart; the execution's and Nap's are open.
        assert receiver.wait_for(lambda s: s["name"] == "First" and any(
            a["value"]["stringValue"] == execution for a in s["attributes"]))
    finally:
        server.stop(10.0)
    server = baton_server.start(data, tmp_path / "second.log", extra_args=args)
    try:
        sfn = make_client(server.endpoint)
        assert wait_for_end(sfn, execution)["status"] == "SUCCEEDED"
        history = sfn.get_execution_history(executionArn=execution)["events"]
        root = receiver.wait_for(lambda s: s["name"] == name)
    finally:
        server.stop(10.0)
    assert len(root) == 1
    trace = root[0]["traceId"]
    spans = [s for s in receiver.spans if s["traceId"] == trace]
    names = sorted(s["name"] for s in spans)
    # Each span once: the replay exported nothing again.
    assert names == sorted([name, "First", "Nap", "After"]), names
    spans = by_name(spans)
    for state in ("First", "Nap", "After"):
        assert spans[state]["parentSpanId"] == root[0]["spanId"]
    started = {h["type"]: int(h["timestamp"].timestamp() * 1000) for h in history}
    assert int(root[0]["startTimeUnixNano"]) // 1_000_000 == started["ExecutionStarted"]
    assert int(spans["Nap"]["startTimeUnixNano"]) // 1_000_000 == started["WaitStateEntered"]


def test_a_stopping_server_sends_its_last_spans(traced, tmp_path):
    _, receiver = traced
    config = tmp_path / "baton.toml"
    config.write_text(
        f'[telemetry]\notlp_endpoint = "http://127.0.0.1:{receiver.server_address[1]}"\n')
    server = baton_server.start(tmp_path / "data", tmp_path / "server.log",
                                extra_args=("--config", str(config), "--account", ACCOUNT))
    try:
        sfn = make_client(server.endpoint)
        machine = sfn.create_state_machine(
            name=unique("last"), roleArn=ROLE_ARN, tracingConfiguration={"enabled": True},
            definition=definition({"Only": {"Type": "Pass", "End": True}}))["stateMachineArn"]
        name = unique("last-run")
        execution = sfn.start_execution(stateMachineArn=machine, name=name)["executionArn"]
        assert wait_for_end(sfn, execution)["status"] == "SUCCEEDED"
    finally:
        # At once: the spans are still in the exporter's batch, which waits a second.
        server.stop(10.0)
    assert receiver.wait_for(lambda s: s["name"] == name, timeout=0.5)


def test_a_distributed_map_childs_call_goes_on_in_the_childs_task_span(traced):
    server, receiver = traced
    sfn = make_client(server.endpoint)
    function = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:traceenv"
    call = {"Type": "Task", "Resource": function}
    _, children, spans = fan_out(sfn, receiver, {"Call": {**call, "End": True}},
                                 first={**call, "ResultPath": None})
    by_id = {s["spanId"]: s for s in spans}
    # The execution's own call and each child's.
    assert len([s for s in spans if s["name"] == "LambdaFunction"]) == 3
    for child in children:
        output = json.loads(sfn.describe_execution(
            executionArn=child["executionArn"])["output"])
        # The span the function was called in is the child's task span, under the child's
        # Call state, under the child's own span.
        task = by_id[output["w3c"].split("-")[2]]
        assert task["name"] == "LambdaFunction"
        state = by_id[task["parentSpanId"]]
        assert state["name"] == "Call"
        assert by_id[state["parentSpanId"]]["name"] == child["name"]
