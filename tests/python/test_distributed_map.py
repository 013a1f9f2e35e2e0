"""A distributed Map over object storage, through boto3: items read by `ItemReader` (a JSON
array, JSON Lines, CSV, a bucket listing), results written by `ResultWriter` and read back
through the S3 endpoint, the map run's counts, and the failures (a missing object, a missing
bucket to write to, children failing within their tolerance)."""

import json

import boto3
import pytest
from botocore.config import Config

from support import REGION, create_machine, history, unique, wait_for_end, wait_until


@pytest.fixture(scope="module")
def s3(s3_endpoint):
    return boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name=REGION,
        aws_access_key_id="any-key", aws_secret_access_key="any-secret",
        config=Config(retries={"max_attempts": 1}))


@pytest.fixture
def bucket(s3):
    name = unique("items")
    s3.create_bucket(Bucket=name)
    return name


def distributed_map(processor_states, **fields):
    """A machine of one distributed Map whose processor is `processor_states`."""
    start = next(iter(processor_states))
    return {"Each": {
        "Type": "Map",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": start, "States": processor_states},
        "End": True, **fields}}


DOUBLE = {"Double": {"Type": "Pass", "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"},
                     "End": True}}


# A processor that fails an item whose `ok` is not true.
CHECK_OK = {
    "Check": {"Type": "Choice",
              "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Fine"}],
              "Default": "Broken"},
    "Fine": {"Type": "Pass", "End": True},
    "Broken": {"Type": "Fail", "Error": "Item.Broken", "Cause": "not ok"},
}


def run(sfn, states, payload):
    machine = create_machine(sfn, states)
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(payload))["executionArn"]
    return arn, wait_for_end(sfn, arn, timeout=30)


def read_json(s3, bucket, key):
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_items_from_a_json_object_and_results_written_to_the_bucket(sfn, s3, bucket):
    s3.put_object(Bucket=bucket, Key="in/numbers.json",
                  Body=json.dumps([{"n": i} for i in range(1, 6)]).encode())
    states = distributed_map(
        DOUBLE,
        ItemReader={"Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSON"},
                    "Parameters": {"Bucket.$": "$.bucket", "Key": "in/numbers.json"}},
        ResultWriter={"Resource": "arn:aws:states:::s3:putObject",
                      "Parameters": {"Bucket.$": "$.bucket", "Prefix": "out"}},
        Label="Doubling")
    arn, done = run(sfn, states, {"bucket": bucket})
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    map_run = output["MapRunArn"]
    run_id = map_run.rsplit(":", 1)[1]
    assert ":mapRun:" in map_run and "/Doubling:" in map_run
    details = output["ResultWriterDetails"]
    assert details == {"Bucket": bucket, "Key": f"out/{run_id}/manifest.json"}

    manifest = read_json(s3, bucket, details["Key"])
    assert manifest["DestinationBucket"] == bucket
    assert manifest["MapRunArn"] == map_run
    assert manifest["ResultFiles"]["FAILED"] == [] and manifest["ResultFiles"]["PENDING"] == []
    [succeeded] = manifest["ResultFiles"]["SUCCEEDED"]
    assert succeeded["Key"] == f"out/{run_id}/SUCCEEDED_0.json"
    body = s3.get_object(Bucket=bucket, Key=succeeded["Key"])["Body"].read()
    assert succeeded["Size"] == len(body)
    records = json.loads(body)
    assert [json.loads(r["Output"]) for r in records] == [{"doubled": 2 * i} for i in range(1, 6)]
    assert [json.loads(r["Input"]) for r in records] == [{"n": i} for i in range(1, 6)]
    for r in records:
        assert r["Status"] == "SUCCEEDED"
        assert r["ExecutionArn"].endswith(":" + r["Name"])
        assert ":execution:" in r["ExecutionArn"] and "/Doubling:" in r["ExecutionArn"]
        assert r["StartDate"] <= r["StopDate"]
    assert len({r["Name"] for r in records}) == 5

    # The records are the map run's child executions, which the API lists and describes.
    children = sfn.list_executions(mapRunArn=map_run)["executions"]
    assert sorted(c["executionArn"] for c in children) == sorted(r["ExecutionArn"] for r in records)
    for r in records:
        child = sfn.describe_execution(executionArn=r["ExecutionArn"])
        assert child["status"] == "SUCCEEDED" and child["mapRunArn"] == map_run
        assert child["stateMachineArn"] == r["StateMachineArn"]
        assert json.loads(child["input"]) == json.loads(r["Input"])
        assert json.loads(child["output"]) == json.loads(r["Output"])
    child_events = history(sfn, records[0]["ExecutionArn"])
    assert [e["type"] for e in child_events] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    assert [e["id"] for e in child_events] == [1, 2, 3, 4]

    described = sfn.describe_map_run(mapRunArn=map_run)
    assert described["status"] == "SUCCEEDED"
    assert described["itemCounts"]["total"] == 5 and described["itemCounts"]["succeeded"] == 5
    assert described["executionCounts"]["succeeded"] == 5
    assert described["executionCounts"]["running"] == 0
    # "resultsWritten: the count of items whose results were written by ResultWriter"
    # (MapRunItemCounts in the API reference).
    assert described["itemCounts"]["resultsWritten"] == 5
    assert described["executionCounts"]["resultsWritten"] == 5
    events = history(sfn, arn)
    # Reading and writing write no events: the children's events are in their own histories.
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted",
        "MapRunSucceeded", "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]
    started = next(e for e in events if e["type"] == "MapStateStarted")
    assert started["mapStateStartedEventDetails"]["length"] == 5


def test_json_lines_csv_and_a_listing_as_item_sources(sfn, s3, bucket):
    s3.put_object(Bucket=bucket, Key="rows.jsonl", Body=b'{"n": 1}\n{"n": 2}\n{"n": 3}\n')
    s3.put_object(Bucket=bucket, Key="rows.csv", Body=b"name,n\nann,1\nbob,2\n")
    for key in ["logs/a.txt", "logs/b.txt", "logs/c.txt", "other.txt"]:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    echo = {"Echo": {"Type": "Pass", "End": True}}

    jsonl = distributed_map(
        DOUBLE, ItemReader={"Resource": "arn:aws:states:::s3:getObject",
                            "ReaderConfig": {"InputType": "JSONL", "MaxItems": 2},
                            "Parameters": {"Bucket": bucket, "Key": "rows.jsonl"}})
    _, done = run(sfn, jsonl, {})
    assert json.loads(done["output"]) == [{"doubled": 2}, {"doubled": 4}]

    csv = distributed_map(
        echo, ItemReader={"Resource": "arn:aws:states:::s3:getObject",
                          "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                          "Parameters": {"Bucket": bucket, "Key": "rows.csv"}})
    _, done = run(sfn, csv, {})
    assert json.loads(done["output"]) == [{"name": "ann", "n": "1"}, {"name": "bob", "n": "2"}]

    listing = distributed_map(
        echo,
        ItemReader={"Resource": "arn:aws:states:::s3:listObjectsV2",
                    "ReaderConfig": {"MaxItemsPath": "$.max"},
                    "Parameters": {"Bucket": bucket, "Prefix": "logs/"}},
        ItemSelector={"key.$": "$$.Map.Item.Value.Key", "index.$": "$$.Map.Item.Index",
                      "size.$": "$$.Map.Item.Value.Size"})
    _, done = run(sfn, listing, {"max": 2})
    assert json.loads(done["output"]) == [{"key": "logs/a.txt", "index": 0, "size": 10},
                                          {"key": "logs/b.txt", "index": 1, "size": 10}]


def test_jsonata_arguments_and_a_flattening_writer_config(sfn, s3, bucket):
    s3.put_object(Bucket=bucket, Key="pairs.json", Body=b'[[1, 2], [3], []]')
    states = {"Each": {
        "Type": "Map", "QueryLanguage": "JSONata",
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "ReaderConfig": {"InputType": "JSON"},
                       "Arguments": {"Bucket": "{% $states.input.bucket %}",
                                     "Key": "{% $states.input.key %}"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                          "StartAt": "Same",
                          "States": {"Same": {"Type": "Pass", "QueryLanguage": "JSONata",
                                              "End": True}}},
        "ResultWriter": {"WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSON"}},
        "End": True}}
    _, done = run(sfn, states, {"bucket": bucket, "key": "pairs.json"})
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == [1, 2, 3]


def test_a_missing_object_fails_with_item_reader_failed_which_catch_sees(sfn, bucket):
    states = distributed_map(
        DOUBLE,
        ItemReader={"Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSON"},
                    "Parameters": {"Bucket": bucket, "Key": "nothing-here.json"}},
        Catch=[{"ErrorEquals": ["States.ItemReaderFailed"], "Next": "Caught"}])
    states["Each"].pop("End")
    states["Each"]["Next"] = "Done"
    states["Done"] = {"Type": "Succeed"}
    states["Caught"] = {"Type": "Pass", "End": True}
    arn, done = run(sfn, states, {})
    assert done["status"] == "SUCCEEDED", done
    caught = json.loads(done["output"])
    assert caught["Error"] == "States.ItemReaderFailed"
    assert "NoSuchKey" in caught["Cause"] or "does not exist" in caught["Cause"]
    assert "MapStateStarted" not in [e["type"] for e in history(sfn, arn)]


def test_failed_children_within_tolerance_go_to_the_failed_file(sfn, s3, bucket):
    s3.put_object(Bucket=bucket, Key="in.json", Body=b'[{"ok": true}, {"ok": false}, {"ok": true}]')
    states = distributed_map(
        CHECK_OK, ToleratedFailureCount=1,
        ItemReader={"Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSON"},
                    "Parameters": {"Bucket": bucket, "Key": "in.json"}},
        ResultWriter={"Resource": "arn:aws:states:::s3:putObject",
                      "Parameters": {"Bucket": bucket, "Prefix": "results"},
                      "WriterConfig": {"Transformation": "COMPACT", "OutputType": "JSONL"}})
    _, done = run(sfn, states, {})
    assert done["status"] == "SUCCEEDED", done
    manifest = read_json(s3, bucket, json.loads(done["output"])["ResultWriterDetails"]["Key"])
    [ok_file] = manifest["ResultFiles"]["SUCCEEDED"]
    [failed_file] = manifest["ResultFiles"]["FAILED"]
    ok_lines = s3.get_object(Bucket=bucket, Key=ok_file["Key"])["Body"].read().splitlines()
    assert [json.loads(line) for line in ok_lines] == [{"ok": True}, {"ok": True}]
    [failed] = [json.loads(line) for line in
                s3.get_object(Bucket=bucket, Key=failed_file["Key"])["Body"].read().splitlines()]
    assert failed["Status"] == "FAILED"
    assert failed["Error"] == "Item.Broken" and failed["Cause"] == "not ok"
    assert json.loads(failed["Input"]) == {"ok": False}
    assert "Output" not in failed


def test_a_map_run_failing_beyond_its_tolerance_still_writes_its_results(sfn, s3, bucket):
    """AWS writes the results of a failed map run too: "FAILED_n.json – ... failed, timed out,
    and aborted child workflow executions"; "PENDING_n.json – ... child workflow executions
    that weren't started because the Map Run failed or aborted" ("ResultWriter (Map)")."""
    states = distributed_map(
        CHECK_OK, ItemsPath="$.items", MaxConcurrency=1, ToleratedFailureCount=0,
        ResultWriter={"Resource": "arn:aws:states:::s3:putObject",
                      "Parameters": {"Bucket": bucket, "Prefix": "failed-run"}})
    items = [{"ok": True}, {"ok": False}, {"ok": True}]
    arn, done = run(sfn, states, {"items": items})
    assert done["status"] == "FAILED", done
    assert done["error"] == "States.ExceedToleratedFailureThreshold"
    [map_run] = sfn.list_map_runs(executionArn=arn)["mapRuns"]
    run_id = map_run["mapRunArn"].rsplit(":", 1)[1]
    manifest = read_json(s3, bucket, f"failed-run/{run_id}/manifest.json")
    assert manifest["MapRunArn"] == map_run["mapRunArn"]
    files = {status: [f["Key"] for f in manifest["ResultFiles"][status]]
             for status in ("SUCCEEDED", "FAILED", "PENDING")}
    assert files == {status: [f"failed-run/{run_id}/{status}_0.json"]
                     for status in ("SUCCEEDED", "FAILED", "PENDING")}
    [ok] = read_json(s3, bucket, files["SUCCEEDED"][0])
    [failed] = read_json(s3, bucket, files["FAILED"][0])
    [pending] = read_json(s3, bucket, files["PENDING"][0])
    assert json.loads(ok["Output"]) == {"ok": True} and ok["Status"] == "SUCCEEDED"
    assert failed["Status"] == "FAILED" and failed["Error"] == "Item.Broken"
    assert pending["Status"] == "PENDING" and json.loads(pending["Input"]) == {"ok": True}
    described = sfn.describe_map_run(mapRunArn=map_run["mapRunArn"])
    assert described["status"] == "FAILED"
    assert described["itemCounts"]["resultsWritten"] == 3


def test_writing_to_a_missing_bucket_fails_with_result_writer_failed(sfn, s3, bucket):
    s3.put_object(Bucket=bucket, Key="in.json", Body=b"[1, 2]")
    states = distributed_map(
        {"Echo": {"Type": "Pass", "End": True}},
        ItemReader={"Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSON"},
                    "Parameters": {"Bucket": bucket, "Key": "in.json"}},
        ResultWriter={"Resource": "arn:aws:states:::s3:putObject",
                      "Parameters": {"Bucket": unique("no-such-bucket"), "Prefix": "p"}})
    _, done = run(sfn, states, {})
    assert done["status"] == "FAILED", done
    assert done["error"] == "States.ResultWriterFailed"
    assert "bucket" in done["cause"].lower()


def test_stopping_one_child_aborts_it_and_the_map_counts_it(sfn):
    """StopExecution on a running child of a distributed Map: the child alone ends ABORTED with
    the error and cause given; its map run counts it as aborted (MapRunExecutionCounts: "the
    count of ... child workflow executions ... stopped by the user") and, within its tolerated
    failures, goes on with the others."""
    waiting = {"Hold": {"Type": "Wait", "Seconds": 3600, "End": True}}
    states = distributed_map(waiting, ItemsPath="$.items", ToleratedFailureCount=1,
                             MaxConcurrency=2)
    machine = create_machine(sfn, states)
    arn = sfn.start_execution(stateMachineArn=machine,
                              input=json.dumps({"items": [1, 2]}))["executionArn"]
    map_run = wait_until(lambda: sfn.list_map_runs(executionArn=arn)["mapRuns"],
                         what="the map run")[0]["mapRunArn"]
    children = wait_until(
        lambda: [c for c in sfn.list_executions(mapRunArn=map_run)["executions"]
                 if c["status"] == "RUNNING"][:2] if len(
            sfn.list_executions(mapRunArn=map_run)["executions"]) == 2 else None,
        what="two running children")
    stopped, other = children[0]["executionArn"], children[1]["executionArn"]

    answer = sfn.stop_execution(executionArn=stopped, error="Operator.Cancelled", cause="enough")
    assert answer["stopDate"]
    child = sfn.describe_execution(executionArn=stopped)
    assert child["status"] == "ABORTED", child
    assert (child["error"], child["cause"]) == ("Operator.Cancelled", "enough")
    events = history(sfn, stopped)
    assert events[-1]["type"] == "ExecutionAborted"
    assert events[-1]["executionAbortedEventDetails"] == {
        "error": "Operator.Cancelled", "cause": "enough"}

    # The other child and the parent run on; the run counts one aborted child.
    assert sfn.describe_execution(executionArn=other)["status"] == "RUNNING"
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    counts = wait_until(
        lambda: (c := sfn.describe_map_run(mapRunArn=map_run)["executionCounts"])["aborted"] == 1
        and c, what="the aborted count")
    assert counts["running"] == 1 and counts["failed"] == 0

    # Stopping it again changes nothing; the parent's own stop ends the rest.
    again = sfn.stop_execution(executionArn=stopped)
    assert again["stopDate"] == answer["stopDate"]
    sfn.stop_execution(executionArn=arn)
    assert wait_for_end(sfn, arn)["status"] == "ABORTED"
    assert wait_for_end(sfn, other)["status"] == "ABORTED"
