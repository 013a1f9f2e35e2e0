"""Runs the serverless-math example end to end on one machine:

    python3 examples/serverless-math/run.py [--missing-input]

Starts `baton serve --config baton.toml` (BATON_BIN, else built with `cargo build --release`;
data in a temporary
folder unless BATON_DATA_DIR is set), creates the two buckets and the input object through
Baton's S3 endpoint with boto3, creates the state machine, starts an execution, waits for it,
and prints the output object (stdout). Progress goes to stderr. With --missing-input the
execution names an input key that does not exist: three attempts (15 s, then 22.5 s apart,
real time) end in CalculationJobFailedError.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

HERE = Path(__file__).resolve().parent
REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "123456789012", "aws_secret_access_key": "baton"}


def log(message):
    print(f"run.py: {message}", file=sys.stderr, flush=True)


def strict_json(text):
    """The definition without its /* */ and // comments (the API takes strict JSON, as AWS's)."""
    out, i, in_string = [], 0, False
    while i < len(text):
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith("/*", i):
            i = text.index("*/", i + 2) + 1
        elif text.startswith("//", i):
            i = text.find("\n", i) - 1 if "\n" in text[i:] else len(text)
        else:
            out.append(c)
        i += 1
    return json.dumps(json.loads("".join(out)))


def build():
    """Builds Baton with cargo (release), as the other examples do; answers the binary."""
    root = HERE.parent.parent
    subprocess.run(["cargo", "build", "--release", "--quiet", "--manifest-path",
                    str(root / "Cargo.toml"), "-p", "baton-cli", "--bin", "baton"], check=True)
    target = os.environ.get("CARGO_TARGET_DIR") or str(root / "target")
    return os.path.join(target, "release", "baton")


def start_server(data_dir, extra=()):
    baton = os.environ.get("BATON_BIN") or build()
    process = subprocess.Popen(
        [baton, "serve", "--bind", "127.0.0.1:0", "--data-dir", str(data_dir),
         "--config", str(HERE / "baton.toml"), *extra],
        stdout=subprocess.PIPE, text=True)
    urls = {}
    while "sfn" not in urls or "s3" not in urls:
        line = process.stdout.readline()
        if not line:
            sys.exit("run.py: baton serve exited before it listened")
        if line.startswith("baton: listening on "):
            urls["sfn"] = line.split()[-1]
        elif line.startswith("baton: S3 on "):
            urls["s3"] = line.split()[-1]
    log(f"baton serve: Step Functions on {urls['sfn']}, S3 on {urls['s3']}")
    return process, urls


def main():
    missing = "--missing-input" in sys.argv[1:]
    execution_input = json.loads((HERE / "input.json").read_text())
    if missing:
        execution_input["inputDetails"]["key"] = "input/nonexistent-file.json"
    data_dir = os.environ.get("BATON_DATA_DIR") or tempfile.mkdtemp(prefix="serverless-math-")
    process, urls = start_server(data_dir)
    try:
        s3 = boto3.client("s3", endpoint_url=urls["s3"], region_name=REGION, **CREDENTIALS)
        sfn = boto3.client("stepfunctions", endpoint_url=urls["sfn"], region_name=REGION,
                           **CREDENTIALS)
        for bucket in ("math-input", "math-output"):
            s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket="math-input", Key="input/data-for-5.json",
                      Body=(HERE / "data-for-5.json").read_bytes(),
                      ContentType="application/json")
        machine = sfn.create_state_machine(
            name="FargateMathWorkflow",
            definition=strict_json((HERE / "math-workflow.asl.json").read_text()),
            roleArn="arn:aws:iam::123456789012:role/StepFunctionsFargateMathRole",
        )["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=machine,
                                        input=json.dumps(execution_input))["executionArn"]
        log(f"started {execution}")
        while True:
            described = sfn.describe_execution(executionArn=execution)
            if described["status"] != "RUNNING":
                break
            time.sleep(0.2)
        log(f"execution {described['status']}")
        if described["status"] != "SUCCEEDED":
            log(f"error: {described.get('error')}: {described.get('cause')}")
            return 1
        output = execution_input["outputDetails"]
        body = s3.get_object(Bucket=output["bucket"], Key=output["key"])["Body"].read()
        print(body.decode("utf-8"))
        return 0
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
