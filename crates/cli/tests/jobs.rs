//! Batch job definitions and Glue jobs through `baton run --config`: a Batch job and a Glue
//! job with `.sync`, a failing Batch job caught by `States.TaskFailed`, an unknown job
//! definition caught by Batch's error, and the jobs' logs in the data folder.

mod support;

use std::path::PathBuf;

use serde_json::json;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../integrations/tests/fixtures")
}

#[test]
fn baton_run_runs_batch_and_glue_jobs_and_catches_a_failing_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = fixtures();
    let f = f.display();
    std::fs::write(
        dir.path().join("baton.toml"),
        format!(
            r#"
[batch.nightly-report]
command = ["python3", "{f}/job.py", "--day", "Ref::day"]
allow_env = ["EXIT_CODE"]

[glue.load-orders]
command = ["python3", "{f}/job.py"]
allow_arguments = ["--day"]
"#
        ),
    )
    .expect("config written");
    let queue = "arn:aws:batch:us-east-1:111111111111:job-queue/reports";
    let definition = json!({"StartAt": "Report", "States": {
        "Report": {"Type": "Task", "Resource": "arn:aws:states:::batch:submitJob.sync",
            "Parameters": {"JobName": "nightly-report", "JobQueue": queue,
                "JobDefinition": "nightly-report", "Parameters": {"day.$": "$.day"}},
            "ResultSelector": {"JobId.$": "$.JobId", "Status.$": "$.Status",
                "ExitCode.$": "$.Container.ExitCode", "Parameters.$": "$.Parameters"},
            "ResultPath": "$.report", "Next": "Load"},
        "Load": {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
            "Parameters": {"JobName": "load-orders", "Arguments": {"--day.$": "$.day"}},
            "ResultSelector": {"Id.$": "$.Id", "JobRunState.$": "$.JobRunState",
                "Arguments.$": "$.Arguments"},
            "ResultPath": "$.load", "Next": "Broken"},
        "Broken": {"Type": "Task", "Resource": "arn:aws:states:::batch:submitJob.sync",
            "Parameters": {"JobName": "broken-report", "JobQueue": queue,
                "JobDefinition": "nightly-report:2",
                "ContainerOverrides": {"Environment": [{"Name": "EXIT_CODE", "Value": "4"}]}},
            "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.caught",
                "Next": "Missing"}],
            "Next": "Missing"},
        "Missing": {"Type": "Task", "Resource": "arn:aws:states:::batch:submitJob",
            "Parameters": {"JobName": "missing", "JobQueue": queue,
                "JobDefinition": "no-such-definition"},
            "Catch": [{"ErrorEquals": ["Batch.ClientException"], "ResultPath": "$.missing",
                "Next": "Done"}],
            "Next": "Done"},
        "Done": {"Type": "Pass", "Parameters": {
            "report.$": "$.report", "load.$": "$.load",
            "error.$": "$.caught.Error", "failed.$": "States.StringToJson($.caught.Cause)",
            "missing.$": "$.missing.Error"},
            "End": true}}});
    std::fs::write(dir.path().join("jobs.asl.json"), definition.to_string())
        .expect("definition written");
    let ran = support::baton_in(
        dir.path(),
        &[
            "run",
            "jobs.asl.json",
            "--input",
            r#"{"day": "2024-05-01"}"#,
            "--output",
            "json",
            "--config",
            "baton.toml",
            "--data-dir",
            "data",
        ],
    );
    let output = ran.succeeded_output();
    assert_eq!(output["report"]["Status"], "SUCCEEDED", "{output}");
    assert_eq!(output["report"]["ExitCode"], 0);
    assert_eq!(output["report"]["Parameters"], json!({"day": "2024-05-01"}));
    assert_eq!(output["load"]["JobRunState"], "SUCCEEDED");
    assert_eq!(output["load"]["Arguments"], json!({"--day": "2024-05-01"}));
    assert_eq!(output["error"], "States.TaskFailed");
    assert_eq!(output["failed"]["Status"], "FAILED");
    assert_eq!(output["failed"]["JobName"], "broken-report");
    assert_eq!(output["failed"]["Container"]["ExitCode"], 4);
    assert_eq!(
        output["failed"]["StatusReason"],
        "Essential container in task exited"
    );
    assert_eq!(output["missing"], "Batch.ClientException");

    let logs = dir.path().join("data/logs");
    let job_id = output["report"]["JobId"].as_str().expect("JobId");
    let log = std::fs::read_to_string(logs.join(format!("batch/{job_id}.log"))).expect("log");
    assert!(
        log.contains("job args: [\"--day\", \"2024-05-01\"]"),
        "{log}"
    );
    let run_id = output["load"]["Id"].as_str().expect("Id");
    let log = std::fs::read_to_string(logs.join(format!("glue/{run_id}.log"))).expect("log");
    assert!(log.contains("\"--day\", \"2024-05-01\""), "{log}");
    assert!(log.contains("\"--JOB_NAME\", \"load-orders\""), "{log}");
}
