"""CreateJob: starts a (simulated) external job and saves the Task Token with it.

Run by Baton as a command function: the event (the state's Payload) on stdin, the result on
stdout, an error as Lambda's error shape and exit status 1. The event carries `taskToken`
($$.Task.Token), `executionId`, `attempt` ($$.State.RetryCount) and `job` (the execution's
input: `jobId` and `simulate`). The job record goes to `$JOBS_DIR/<jobId>-<attempt>.json`
with status PENDING; the poller takes it from there. The function returns at once: the
workflow waits for the token, not for this result."""
import json
import os
import re
import sys
import time


class ValidationError(Exception):
    pass


def handler(event):
    job = event.get("job") or {}
    job_id = str(job.get("jobId", ""))
    # The job id comes from the execution's input, which anyone who can start an execution
    # writes: it names a file, so it must not be able to name anything outside JOBS_DIR.
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", job_id):
        raise ValidationError("jobId must be 1 to 64 letters, digits, '-' or '_'")
    attempt = int(event.get("attempt", 0)) + 1
    record = {
        "jobId": "%s-%d" % (job_id, attempt),
        "taskToken": event["taskToken"],
        "executionId": event.get("executionId"),
        "taskAttempt": attempt,
        "status": "PENDING",
        "attempts": 0,
        "simulate": job.get("simulate") or {},
        "createdAt": time.time(),
    }
    folder = os.environ.get("JOBS_DIR", "/tmp/baton-callback-jobs")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, record["jobId"] + ".json")
    # Write then rename, so that the poller never reads half a record.
    with open(path + ".tmp", "w") as f:
        json.dump(record, f, indent=2)
    os.replace(path + ".tmp", path)
    return {"jobId": record["jobId"], "status": "PENDING"}


def main():
    event = json.load(sys.stdin)
    try:
        result = handler(event)
    except Exception as e:  # noqa: BLE001 - every error goes back to the workflow
        print(json.dumps({"errorType": type(e).__name__, "errorMessage": str(e)}))
        sys.exit(1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
