"""`baton serve`'s S3-compatible endpoint, through boto3: the object operations a program
uses, S3's errors, and the same buckets as the `aws-sdk:s3` Task resources in both
directions. Any credentials are accepted (signatures are not checked)."""

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from support import REGION, create_machine, unique, wait_for_end


@pytest.fixture(scope="module")
def s3(s3_endpoint):
    return boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name=REGION,
        aws_access_key_id="any-key", aws_secret_access_key="any-secret",
        config=Config(retries={"max_attempts": 1}))


@pytest.fixture
def bucket(s3):
    name = unique("bucket")
    s3.create_bucket(Bucket=name)
    return name


def error_code(call):
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"]


def test_put_get_head_list_copy_delete(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="dir/a.json", Body=b'{"x": 5}',
                        ContentType="application/json", Metadata={"Owner": "math"})
    got = s3.get_object(Bucket=bucket, Key="dir/a.json")
    assert got["Body"].read() == b'{"x": 5}'
    assert got["ContentType"] == "application/json"
    assert got["Metadata"] == {"owner": "math"}
    assert got["ETag"] == put["ETag"]
    head = s3.head_object(Bucket=bucket, Key="dir/a.json")
    assert head["ContentLength"] == 8 and head["ETag"] == put["ETag"]
    assert s3.get_object(Bucket=bucket, Key="dir/a.json", Range="bytes=1-3")["Body"].read() == b'"x"'

    copied = s3.copy_object(Bucket=bucket, Key="b.json",
                            CopySource={"Bucket": bucket, "Key": "dir/a.json"})
    assert copied["CopyObjectResult"]["ETag"] == put["ETag"]
    assert s3.get_object(Bucket=bucket, Key="b.json")["Metadata"] == {"owner": "math"}

    listing = s3.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listing["Contents"]] == ["b.json", "dir/a.json"]
    assert listing["KeyCount"] == 2
    folders = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in folders["CommonPrefixes"]] == ["dir/"]
    first = s3.list_objects_v2(Bucket=bucket, MaxKeys=1)
    assert first["IsTruncated"] and [o["Key"] for o in first["Contents"]] == ["b.json"]
    rest = s3.list_objects_v2(Bucket=bucket, MaxKeys=1,
                              ContinuationToken=first["NextContinuationToken"])
    assert [o["Key"] for o in rest["Contents"]] == ["dir/a.json"]
    assert [o["Key"] for o in s3.list_objects(Bucket=bucket)["Contents"]] == ["b.json", "dir/a.json"]

    assert error_code(lambda: s3.delete_bucket(Bucket=bucket)) == "BucketNotEmpty"
    s3.delete_object(Bucket=bucket, Key="dir/a.json")
    s3.delete_object(Bucket=bucket, Key="b.json")
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    s3.delete_bucket(Bucket=bucket)
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_buckets_and_missing_things_answer_s3_errors(s3, bucket):
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.head_bucket(Bucket=bucket)
    assert error_code(lambda: s3.create_bucket(Bucket=bucket)) == "BucketAlreadyOwnedByYou"
    assert error_code(lambda: s3.get_object(Bucket=bucket, Key="nope")) == "NoSuchKey"
    assert error_code(lambda: s3.head_object(Bucket=bucket, Key="nope")) == "404"
    assert error_code(lambda: s3.list_objects_v2(Bucket=unique("missing"))) == "NoSuchBucket"
    assert error_code(lambda: s3.get_object(Bucket=bucket, Key="a/../b")) == "InvalidArgument"


def test_binary_bodies_round_trip(s3, bucket):
    data = bytes(range(256)) * 64
    s3.put_object(Bucket=bucket, Key="blob.bin", Body=data)
    assert s3.get_object(Bucket=bucket, Key="blob.bin")["Body"].read() == data


def test_a_presigned_url_is_served_without_checking_its_signature(s3, bucket):
    import urllib.request
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"hi")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k.txt"})
    with urllib.request.urlopen(url) as response:
        assert response.read() == b"hi"


def test_boto3_and_aws_sdk_s3_tasks_share_the_buckets(s3, sfn, bucket):
    s3.put_object(Bucket=bucket, Key="in.json", Body=b'{"x": 5}')
    machine = create_machine(sfn, {
        "Read": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                 "Parameters": {"Bucket": bucket, "Key": "in.json"},
                 "ResultSelector": {"input.$": "States.StringToJson($.Body)"},
                 "Next": "Write"},
        "Write": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
                  "Parameters": {"Bucket": bucket, "Key": "out.json",
                                 "Body": {"seen.$": "$.input.x"}},
                  "End": True},
    })
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    described = wait_for_end(sfn, arn)
    assert described["status"] == "SUCCEEDED", described
    written = s3.get_object(Bucket=bucket, Key="out.json")["Body"].read()
    assert json.loads(written) == {"seen": 5}
