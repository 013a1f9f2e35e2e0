"""Amazon S3 → EventBridge on Baton's buckets: a bucket with an `EventBridgeConfiguration`
sends "Object Created" and "Object Deleted" events for what the S3 endpoint (boto3's `s3`
client) and `aws-sdk:s3` tasks write, which rules match and deliver to state machines."""

import json
import time

import boto3
import pytest

from support import (ACCOUNT, REGION, ROLE_ARN, create_machine, definition, execution_inputs,
                     unique, wait_for_inputs)

ECHO = definition({"Echo": {"Type": "Pass", "End": True}})



def test_an_upload_to_a_bucket_with_eventbridge_on_starts_a_workflow(server, sfn):
    session = boto3.session.Session(aws_access_key_id=ACCOUNT, aws_secret_access_key="x",
                                    region_name=REGION)
    s3 = session.client("s3", endpoint_url=server.s3_endpoint)
    events = session.client("events", endpoint_url=server.endpoint)
    bucket = unique("uploads").lower()
    s3.create_bucket(Bucket=bucket)
    machine = create_machine(sfn, ECHO)
    rule = unique("on-upload")
    events.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.s3"], "detail-type": ["Object Created", "Object Deleted"],
        "detail": {"bucket": {"name": [bucket]}, "object": {"key": [{"prefix": "in/"}]}}}))
    events.put_targets(Rule=rule, Targets=[{"Id": "m", "Arn": machine, "RoleArn": ROLE_ARN}])
    # Off until configured.
    s3.put_object(Bucket=bucket, Key="in/early.csv", Body=b"a,b\n")
    assert s3.get_bucket_notification_configuration(Bucket=bucket).get(
        "EventBridgeConfiguration") is None
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}})
    assert s3.get_bucket_notification_configuration(Bucket=bucket)[
        "EventBridgeConfiguration"] == {}
    s3.put_object(Bucket=bucket, Key="in/data.csv", Body=b"x,y\n1,2\n")
    s3.put_object(Bucket=bucket, Key="other/skip.csv", Body=b"no")
    s3.copy_object(Bucket=bucket, Key="in/copy.csv",
                   CopySource={"Bucket": bucket, "Key": "in/data.csv"})
    s3.delete_object(Bucket=bucket, Key="in/data.csv")
    got = wait_for_inputs(sfn, machine, 3)
    time.sleep(0.5)
    got = execution_inputs(sfn, machine)
    seen = sorted((e["detail-type"], e["detail"]["object"]["key"], e["detail"].get("reason"))
                  for e in got)
    assert seen == [("Object Created", "in/copy.csv", "CopyObject"),
                    ("Object Created", "in/data.csv", "PutObject"),
                    ("Object Deleted", "in/data.csv", "DeleteObject")], seen
    created = next(e for e in got if e["detail"].get("reason") == "PutObject")
    assert created["source"] == "aws.s3" and created["account"] == ACCOUNT
    assert created["resources"] == [f"arn:aws:s3:::{bucket}"]
    assert created["detail"]["object"]["size"] == 8
    assert created["detail"]["bucket"] == {"name": bucket}
    # Notifications to SNS, SQS or Lambda are not sent by Baton, so they are refused.
    with pytest.raises(Exception) as refused:
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [{
                "QueueArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:q", "Events": ["s3:ObjectCreated:*"]}]})
    assert refused.value.response["Error"]["Code"] == "InvalidArgument"
    # Turned off: no more events.
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    s3.put_object(Bucket=bucket, Key="in/late.csv", Body=b"z")
    time.sleep(1.0)
    assert len(execution_inputs(sfn, machine)) == 3


def test_an_object_a_task_writes_sends_its_bucket_event_too(server, sfn):
    session = boto3.session.Session(aws_access_key_id=ACCOUNT, aws_secret_access_key="x",
                                    region_name=REGION)
    s3 = session.client("s3", endpoint_url=server.s3_endpoint)
    events = session.client("events", endpoint_url=server.endpoint)
    bucket = unique("written").lower()
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}})
    told = create_machine(sfn, ECHO)
    rule = unique("on-write")
    events.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.s3"], "detail": {"bucket": {"name": [bucket]}}}))
    events.put_targets(Rule=rule, Targets=[{"Id": "m", "Arn": told, "RoleArn": ROLE_ARN}])
    writer = create_machine(sfn, definition({"Write": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
        "Parameters": {"Bucket": bucket, "Key": "out/result.json", "Body": "{\"ok\": true}"},
        "End": True}}))
    run = sfn.start_execution(stateMachineArn=writer)["executionArn"]
    got = wait_for_inputs(sfn, told, 1)
    assert sfn.describe_execution(executionArn=run)["status"] in ("RUNNING", "SUCCEEDED")
    assert [(e["detail-type"], e["detail"]["object"]["key"], e["detail"]["reason"])
            for e in got] == [("Object Created", "out/result.json", "PutObject")]
