"""The poller: checks the pending jobs CreateJob saved and reports each job's end to the
workflow, with an ordinary AWS SDK (boto3) pointed at Baton by AWS_ENDPOINT_URL.

    JOBS_DIR=/tmp/baton-callback-jobs AWS_ENDPOINT_URL=http://127.0.0.1:8083 python3 poller/poller.py [--once]

Every `--interval` seconds (default 1) it reads `$JOBS_DIR/*.json` and, for each job record:

* PENDING: one more poll of the (simulated) job. Finished: the record becomes COMPLETING with
  the callback to send (SendTaskSuccess with the job's result, or SendTaskFailure), then the
  callback is sent. Still running: SendTaskHeartbeat, so that the task's HeartbeatSeconds
  does not expire while the job is alive.
* COMPLETING: the callback was decided but perhaps not delivered (the poller stopped in
  between): it is sent (again). Completion is idempotent: a token whose task has already ended
  answers TaskTimedOut, which means "already done" here, and the record is CLOSED.

The simulated job follows the execution input's `simulate`: `transientFailures: N` fails the
first N task attempts with JobTransientError (the error the state's Retry matches),
`completionPolls: N` (default 2) completes it on the Nth poll, `never: true` never ends it (the
task times out), and a job still running after POLLER_MAX_ATTEMPTS polls (default 20) fails
with JobMaxAttemptsExceeded."""
import argparse
import glob
import json
import os
import sys
import time

import boto3
from botocore.exceptions import BotoCoreError, ClientError

# Answers that mean the task is no longer waiting for this token: it has ended (completed by an
# earlier callback, timed out, failed) or was never there.
GONE = ("TaskTimedOut", "TaskDoesNotExist")


def log(job_id, message):
    print("poller: %s: %s" % (job_id, message), file=sys.stderr, flush=True)


def save(path, record):
    with open(path + ".tmp", "w") as f:
        json.dump(record, f, indent=2)
    os.replace(path + ".tmp", path)


def check(record, max_attempts):
    """One poll of the simulated job: the callback to send when it has ended, else None."""
    simulate = record.get("simulate") or {}
    record["attempts"] = record.get("attempts", 0) + 1
    polls = record["attempts"]
    if record["taskAttempt"] <= simulate.get("transientFailures", 0):
        return {"failure": {"error": "JobTransientError",
                            "cause": "job %s failed on poll %d (simulated transient failure)"
                                     % (record["jobId"], polls)}}
    if not simulate.get("never") and polls >= simulate.get("completionPolls", 2):
        return {"success": {"jobId": record["jobId"], "status": "COMPLETED", "polls": polls,
                            "result": simulate.get("result", {"records": 42})}}
    if polls >= max_attempts:
        return {"failure": {"error": "JobMaxAttemptsExceeded",
                            "cause": "job %s still running after %d polls"
                                     % (record["jobId"], polls)}}
    return None


def deliver(sfn, record):
    callback = record["callback"]
    try:
        if "success" in callback:
            sfn.send_task_success(taskToken=record["taskToken"],
                                  output=json.dumps(callback["success"]))
            record["status"] = "SUCCEEDED"
            log(record["jobId"], "SendTaskSuccess")
        else:
            failure = callback["failure"]
            sfn.send_task_failure(taskToken=record["taskToken"], error=failure["error"],
                                  cause=failure["cause"])
            record["status"] = "FAILED"
            log(record["jobId"], "SendTaskFailure %s" % failure["error"])
    except ClientError as e:
        code = e.response["Error"]["Code"]
        if code not in GONE:
            raise
        record["status"] = "CLOSED"
        record["closedBecause"] = code
        log(record["jobId"], "%s: the task has already ended; closed" % code)


def heartbeat(sfn, record):
    try:
        sfn.send_task_heartbeat(taskToken=record["taskToken"])
        log(record["jobId"], "running (poll %d), SendTaskHeartbeat" % record["attempts"])
    except ClientError as e:
        code = e.response["Error"]["Code"]
        if code not in GONE:
            raise
        record["status"] = "CLOSED"
        record["closedBecause"] = code
        log(record["jobId"], "%s: the workflow stopped waiting (timed out); closed" % code)


def scan(sfn, folder, max_attempts):
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        with open(path) as f:
            record = json.load(f)
        try:
            if record["status"] == "PENDING":
                callback = check(record, max_attempts)
                if callback is None:
                    heartbeat(sfn, record)
                else:
                    # Decide, record the decision, then send: a crash in between leaves a
                    # COMPLETING record that the next scan sends again.
                    record["status"] = "COMPLETING"
                    record["callback"] = callback
                    save(path, record)
                    deliver(sfn, record)
            elif record["status"] == "COMPLETING":
                deliver(sfn, record)
            else:
                continue
        except (BotoCoreError, ClientError) as e:
            # Baton unreachable or busy: leave the record as it is, try again next scan.
            log(record["jobId"], "not reported this time: %s" % e)
        save(path, record)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="scan once, then exit")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between scans")
    args = parser.parse_args()
    folder = os.environ.get("JOBS_DIR", "/tmp/baton-callback-jobs")
    max_attempts = int(os.environ.get("POLLER_MAX_ATTEMPTS", "20"))
    os.makedirs(folder, exist_ok=True)
    # AWS_ENDPOINT_URL, the credentials and the region come from the environment, as for any
    # AWS SDK program; only the region gets a default here.
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    sfn = boto3.client("stepfunctions", region_name=region)
    while True:
        scan(sfn, folder, max_attempts)
        if args.once:
            return
        time.sleep(args.interval)


if __name__ == "__main__":
    main()
