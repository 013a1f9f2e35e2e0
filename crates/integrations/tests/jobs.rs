//! Batch job definitions and Glue jobs as local processes: SubmitJob, DescribeJobs,
//! StartJobRun and GetJobRun shapes, `Ref::` parameters, Glue arguments, refused overrides,
//! unknown jobs, failures and logs.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use baton_integrations::batch::{self, Batch};
use baton_integrations::config::Config;
use baton_integrations::functions::CallContext;
use baton_integrations::glue::{self, Glue};
use baton_integrations::process::{Outcome, MAX_JOB_PROCESSES};
use serde_json::{json, Value};
use tokio::sync::Semaphore;

const CONFIG: &str = r#"
    [batch.report]
    command = ["python3", "job.py", "--day", "Ref::day", "--codec", "Ref::codec"]
    env = { STAGE = "batch" }
    parameters = { codec = "mp4", day = "today" }
    allow_env = ["OUT_FILE", "EXIT_CODE", "SLEEP", "AWS_REGION", "FAIL_INDEX"]
    allow_command = true
    [batch.fixed]
    command = ["python3", "job.py"]
    [batch.broken]
    command = ["./no-such-program"]
    [glue.load-orders]
    command = ["python3", "job.py"]
    env = { STAGE = "glue" }
    allow_arguments = ["--day", "out_file", "--exit_code"]
"#;

fn config() -> Config {
    let fixtures = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"));
    Config::parse(CONFIG, "test", fixtures, Vec::new()).expect("valid config")
}

fn slots() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(MAX_JOB_PROCESSES))
}

fn batch(logs: &Path) -> Batch {
    Batch::new(&config(), logs.to_path_buf(), slots())
}

fn glue(logs: &Path) -> Glue {
    Glue::new(&config(), logs.to_path_buf(), slots())
}

fn cx() -> CallContext {
    CallContext {
        region: "us-east-1".into(),
        account: "111111111111".into(),
        endpoint_url: Some("http://127.0.0.1:8083".into()),
        s3_endpoint_url: Some("http://127.0.0.1:8084".into()),
        service_endpoints: Default::default(),
        keys: None,
        trace: None,
    }
}

fn ran(outcome: Outcome) -> Result<Value, (String, String)> {
    match outcome {
        Outcome::Ran(result) => result,
        Outcome::NotConfigured(f) => panic!("configured, yet: {f:?}"),
    }
}

fn submit(definition: &str, overrides: Value, parameters: Value) -> Value {
    json!({
        "JobName": "nightly-report",
        "JobQueue": "arn:aws:batch:us-east-1:111111111111:job-queue/reports",
        "JobDefinition": definition,
        "Parameters": parameters,
        "ContainerOverrides": overrides,
        "Tags": {"team": "data"},
    })
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("the job ran")).expect("JSON")
}

/// Waits up to 20 s for `path` to hold `text`.
async fn wait_for(path: &Path, text: &str) -> String {
    for _ in 0..200 {
        if let Ok(found) = std::fs::read_to_string(path) {
            if found.contains(text) {
                return found;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} never held {text:?}", path.display());
}

#[tokio::test]
async fn submit_job_sync_fills_placeholders_and_describes_the_finished_job() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_file = dir.path().join("seen.json");
    let batch = batch(&dir.path().join("logs"));
    let params = submit(
        "arn:aws:batch:us-east-1:111111111111:job-definition/report:3",
        json!({
            "Command": ["--extra", "Ref::day"],
            "Environment": [
                {"Name": "OUT_FILE", "Value": out_file.display().to_string()},
                {"Name": "AWS_REGION", "Value": "eu-central-1"}
            ],
            "ResourceRequirements": [{"Type": "VCPU", "Value": "4"}]
        }),
        json!({"day": "2024-05-01"}),
    );
    let job = ran(batch.submit_job(&cx(), &params, batch::Mode::Sync).await).expect("succeeds");
    assert_eq!(job["Status"], "SUCCEEDED");
    assert_eq!(job["StatusReason"], "Essential container in task exited");
    assert_eq!(job["JobName"], "nightly-report");
    assert_eq!(
        job["JobDefinition"],
        "arn:aws:batch:us-east-1:111111111111:job-definition/report:3"
    );
    assert_eq!(
        job["JobQueue"],
        "arn:aws:batch:us-east-1:111111111111:job-queue/reports"
    );
    let id = job["JobId"].as_str().expect("JobId").to_string();
    assert_eq!(
        job["JobArn"],
        format!("arn:aws:batch:us-east-1:111111111111:job/{id}")
    );
    assert_eq!(
        job["Parameters"],
        json!({"codec": "mp4", "day": "2024-05-01"})
    );
    assert_eq!(job["Container"]["ExitCode"], 0);
    assert_eq!(
        job["Container"]["ResourceRequirements"],
        json!([{"Type": "VCPU", "Value": "4"}])
    );
    assert!(job["Container"]["LogStreamName"]
        .as_str()
        .expect("LogStreamName")
        .starts_with("report/default/"));
    assert_eq!(job["Attempts"].as_array().expect("Attempts").len(), 1);
    assert_eq!(job["Attempts"][0]["Container"]["ExitCode"], 0);
    assert_eq!(job["Tags"], json!({"team": "data"}));
    assert!(job["StartedAt"].as_i64() <= job["StoppedAt"].as_i64());
    let seen = read_json(&out_file);
    assert_eq!(
        seen["args"],
        json!([
            "--day",
            "2024-05-01",
            "--codec",
            "mp4",
            "--extra",
            "2024-05-01"
        ])
    );
    assert_eq!(
        seen["env"],
        json!({
            "AWS_ENDPOINT_URL": "http://127.0.0.1:8083",
            "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:8084",
            "AWS_ACCESS_KEY_ID": "111111111111",
            "AWS_REGION": "eu-central-1",
            "STAGE": "batch",
            "AWS_BATCH_JOB_ID": id,
            "AWS_BATCH_JOB_ATTEMPT": "1",
            "AWS_BATCH_JQ_NAME": "reports",
        })
    );
    let log = std::fs::read_to_string(batch.log_path(&id)).expect("a log");
    assert!(
        log.contains("job args: [\"--day\", \"2024-05-01\""),
        "{log}"
    );
    assert!(log.contains("job stderr line"), "{log}");
}

#[tokio::test]
async fn submit_job_answers_at_once_and_the_job_runs_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let batch = batch(dir.path());
    let params = submit(
        "report",
        json!({"Environment": [{"Name": "SLEEP", "Value": "1"}]}),
        json!({"day": "yesterday"}),
    );
    let answer =
        ran(batch.submit_job(&cx(), &params, batch::Mode::Submit).await).expect("submitted");
    let id = answer["JobId"].as_str().expect("JobId");
    assert_eq!(answer["JobName"], "nightly-report");
    assert_eq!(
        answer["JobArn"],
        format!("arn:aws:batch:us-east-1:111111111111:job/{id}")
    );
    assert_eq!(answer["SdkHttpMetadata"]["HttpStatusCode"], 200);
    assert_eq!(
        answer["SdkHttpMetadata"]["HttpHeaders"]["Content-Type"],
        "application/json"
    );
    assert_eq!(
        answer["SdkResponseMetadata"]["RequestId"],
        answer["SdkHttpMetadata"]["HttpHeaders"]["x-amzn-RequestId"]
    );
    let keys: Vec<&String> = answer.as_object().expect("object").keys().collect();
    assert_eq!(keys.len(), 5, "{answer}");
    wait_for(&batch.log_path(id), "job args: [\"--day\", \"yesterday\"").await;
}

#[tokio::test]
async fn a_failing_job_is_retried_then_fails_with_its_description() {
    let dir = tempfile::tempdir().expect("tempdir");
    let batch = batch(dir.path());
    let mut params = submit(
        "report:2",
        json!({"Environment": [{"Name": "EXIT_CODE", "Value": "3"}]}),
        Value::Null,
    );
    params["RetryStrategy"] = json!({"Attempts": 2});
    let (error, cause) =
        ran(batch.submit_job(&cx(), &params, batch::Mode::Sync).await).expect_err("fails");
    assert_eq!(error, "States.TaskFailed");
    let job: Value = serde_json::from_str(&cause).expect("the job as JSON");
    assert_eq!(job["Status"], "FAILED");
    assert_eq!(job["StatusReason"], "Essential container in task exited");
    assert_eq!(job["Container"]["ExitCode"], 3);
    assert_eq!(job["RetryStrategy"], json!({"Attempts": 2}));
    let attempts = job["Attempts"].as_array().expect("Attempts");
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[1]["Container"]["ExitCode"], 3);
    assert_ne!(
        attempts[0]["Container"]["LogStreamName"],
        attempts[1]["Container"]["LogStreamName"]
    );
    let log =
        std::fs::read_to_string(batch.log_path(job["JobId"].as_str().expect("id"))).expect("a log");
    assert_eq!(log.matches("job stderr line").count(), 2, "{log}");
}

#[tokio::test]
async fn an_array_job_runs_its_children_and_fails_when_one_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let batch = batch(dir.path());
    let mut params = submit("report", json!({}), json!({"day": "d"}));
    params["ArrayProperties"] = json!({"Size": 3});
    let job = ran(batch.submit_job(&cx(), &params, batch::Mode::Sync).await).expect("succeeds");
    assert_eq!(job["Status"], "SUCCEEDED");
    assert_eq!(job["ArrayProperties"]["Size"], 3);
    assert_eq!(job["ArrayProperties"]["StatusSummary"]["SUCCEEDED"], 3);
    assert_eq!(job["ArrayProperties"]["StatusSummary"]["FAILED"], 0);
    assert_eq!(job["Attempts"], json!([]));
    let id = job["JobId"].as_str().expect("JobId");
    for index in 0..3 {
        let child = format!("{id}:{index}");
        let log = std::fs::read_to_string(batch.log_path(&child)).expect("a child's log");
        assert!(
            log.contains(&format!("job array index: {index} of {child}")),
            "{log}"
        );
    }

    params["ContainerOverrides"] = json!({"Environment": [{"Name": "FAIL_INDEX", "Value": "1"}]});
    let (error, cause) =
        ran(batch.submit_job(&cx(), &params, batch::Mode::Sync).await).expect_err("a child fails");
    assert_eq!(error, "States.TaskFailed");
    let job: Value = serde_json::from_str(&cause).expect("JSON");
    assert_eq!(job["Status"], "FAILED");
    assert_eq!(job["ArrayProperties"]["StatusSummary"]["SUCCEEDED"], 2);
    assert_eq!(job["ArrayProperties"]["StatusSummary"]["FAILED"], 1);
    assert_eq!(job["StatusReason"], "1 of 3 child jobs failed");
}

#[tokio::test]
async fn an_attempt_past_its_timeout_is_killed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let batch = batch(dir.path());
    let mut params = submit(
        "report",
        json!({"Environment": [{"Name": "SLEEP", "Value": "30"}]}),
        Value::Null,
    );
    params["Timeout"] = json!({"AttemptDurationSeconds": 1});
    let started = std::time::Instant::now();
    let (error, cause) =
        ran(batch.submit_job(&cx(), &params, batch::Mode::Sync).await).expect_err("fails");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(error, "States.TaskFailed");
    let job: Value = serde_json::from_str(&cause).expect("JSON");
    assert_eq!(job["Status"], "FAILED");
    assert_eq!(job["StatusReason"], "Job attempt duration exceeded timeout");
}

#[tokio::test]
async fn a_program_that_cannot_start_fails_the_job() {
    let dir = tempfile::tempdir().expect("tempdir");
    let batch = batch(dir.path());
    let (error, cause) = ran(batch
        .submit_job(
            &cx(),
            &submit("broken", json!({}), Value::Null),
            batch::Mode::Sync,
        )
        .await)
    .expect_err("fails");
    assert_eq!(error, "States.TaskFailed");
    let job: Value = serde_json::from_str(&cause).expect("JSON");
    assert_eq!(job["Status"], "FAILED");
    assert_eq!(job["StatusReason"], "Task failed to start");
    let reason = job["Container"]["Reason"].as_str().expect("Reason");
    assert!(reason.starts_with("CannotStartContainerError"), "{reason}");
}

#[tokio::test]
async fn overrides_the_configuration_does_not_admit_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    let batch = batch(&logs);
    let cases = [
        (
            submit(
                "report",
                json!({"Environment": [{"Name": "LD_PRELOAD", "Value": "/tmp/x.so"}]}),
                Value::Null,
            ),
            "The environment variable LD_PRELOAD cannot be overridden for the job definition report: it is not in allow_env of [batch.report]",
        ),
        (
            submit("fixed", json!({"Command": ["-c", "print(1)"]}), Value::Null),
            "Command overrides are not allowed for the job definition fixed: Baton's configuration ([batch.fixed] in baton.toml) does not set allow_command = true.",
        ),
        (
            submit("report", json!({}), json!({"day": 5})),
            "Parameters: the value of day must be a string.",
        ),
        (
            json!({"JobDefinition": "report", "JobQueue": "q"}),
            "JobName is required",
        ),
        (
            json!({"JobDefinition": "report", "JobName": "n"}),
            "JobQueue is required",
        ),
        (
            {
                let mut p = submit("report", json!({}), Value::Null);
                p["ArrayProperties"] = json!({"Size": 1});
                p
            },
            "ArrayProperties.Size must be an integer from 2 to 10000.",
        ),
    ];
    for (params, message) in cases {
        let (error, cause) =
            ran(batch.submit_job(&cx(), &params, batch::Mode::Sync).await).expect_err("refused");
        assert_eq!(error, "Batch.ClientException", "{cause}");
        assert!(cause.contains(message), "{cause}");
        assert!(
            cause.contains(
                "(Service: AWSBatch; Status Code: 400; Error Code: ClientException; Request ID: "
            ),
            "{cause}"
        );
    }
    assert!(!logs.exists(), "nothing started");
}

#[tokio::test]
async fn an_unknown_job_definition_is_not_configured_here() {
    let dir = tempfile::tempdir().expect("tempdir");
    let batch = batch(dir.path());
    let cases = [
        (
            "nightly:4",
            "JobDefinition name nightly does not exist or is not in ACTIVE status",
        ),
        (
            "arn:aws:batch:us-east-1:111111111111:job-definition/nightly:4",
            "JobDefinition arn:aws:batch:us-east-1:111111111111:job-definition/nightly:4 not found.",
        ),
    ];
    for (definition, message) in cases {
        let outcome = batch
            .submit_job(
                &cx(),
                &submit(definition, json!({}), Value::Null),
                batch::Mode::Sync,
            )
            .await;
        let Outcome::NotConfigured((error, cause)) = outcome else {
            panic!("not configured: {outcome:?}");
        };
        assert_eq!(error, "Batch.ClientException");
        assert!(cause.starts_with(message), "{cause}");
    }
    let (error, _) = batch
        .submit_job(
            &cx(),
            &submit("nightly", json!({}), Value::Null),
            batch::Mode::Submit,
        )
        .await
        .into_result()
        .expect_err("fails as Batch does");
    assert_eq!(error, "Batch.ClientException");
}

#[tokio::test]
async fn glue_arguments_reach_the_script_as_get_resolved_options_reads_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_file = dir.path().join("seen.json");
    let glue = glue(&dir.path().join("logs"));
    let params = json!({
        "JobName": "load-orders",
        "Arguments": {"--day": "2024-05-01", "--out_file": out_file.display().to_string()},
        "WorkerType": "G.1X",
        "NumberOfWorkers": 2,
    });
    let run = ran(glue.start_job_run(&cx(), &params, glue::Mode::Sync).await).expect("succeeds");
    assert_eq!(run["JobRunState"], "SUCCEEDED");
    assert_eq!(run["JobName"], "load-orders");
    assert_eq!(run["Arguments"], params["Arguments"]);
    assert_eq!(run["WorkerType"], "G.1X");
    assert_eq!(run["NumberOfWorkers"], 2);
    assert_eq!(run["Attempt"], 0);
    assert_eq!(run["Timeout"], 2880);
    assert!(run["ExecutionTime"].is_i64());
    assert!(run["StartedOn"].as_i64() <= run["CompletedOn"].as_i64());
    assert!(run.get("ErrorMessage").is_none());
    let id = run["Id"].as_str().expect("Id");
    assert!(id.starts_with("jr_") && id.len() == 67, "{id}");
    let seen = read_json(&out_file);
    assert_eq!(seen["options"]["day"], "2024-05-01");
    assert_eq!(seen["options"]["JOB_NAME"], "load-orders");
    assert_eq!(seen["options"]["JOB_RUN_ID"], id);
    assert!(seen["options"]["JOB_ID"]
        .as_str()
        .is_some_and(|j| j.starts_with("j_")));
    assert_eq!(seen["env"]["STAGE"], "glue");
    assert_eq!(seen["env"]["AWS_ENDPOINT_URL"], "http://127.0.0.1:8083");
    let log = std::fs::read_to_string(glue.log_path(id)).expect("a log");
    assert!(log.contains("\"--day\", \"2024-05-01\""), "{log}");
    assert!(log.contains("job stderr line"), "{log}");
}

#[tokio::test]
async fn start_job_run_answers_the_run_id_and_the_job_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let glue = glue(dir.path());
    let answer = ran(glue
        .start_job_run(
            &cx(),
            &json!({"JobName": "load-orders", "Arguments": {"--day": "d1"}}),
            glue::Mode::Start,
        )
        .await)
    .expect("started");
    assert_eq!(answer["JobName"], "load-orders");
    assert_eq!(
        answer["SdkHttpMetadata"]["HttpHeaders"]["Content-Type"],
        "application/x-amz-json-1.1"
    );
    let id = answer["JobRunId"].as_str().expect("JobRunId");
    wait_for(&glue.log_path(id), "\"--day\", \"d1\"").await;
}

#[tokio::test]
async fn a_failing_glue_run_fails_with_the_job_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let glue = glue(dir.path());
    let (error, cause) = ran(glue
        .start_job_run(
            &cx(),
            &json!({"JobName": "load-orders", "Arguments": {"--exit_code": "2"}}),
            glue::Mode::Sync,
        )
        .await)
    .expect_err("fails");
    assert_eq!(error, "States.TaskFailed");
    let run: Value = serde_json::from_str(&cause).expect("the run as JSON");
    assert_eq!(run["JobRunState"], "FAILED");
    assert_eq!(run["ErrorMessage"], "Command failed with exit code 2");
    assert_eq!(run["JobName"], "load-orders");
}

#[tokio::test]
async fn glue_arguments_outside_the_allow_list_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    let glue = glue(&logs);
    let cases = [
        (
            json!({"JobName": "load-orders", "Arguments": {"--extra-py-files": "s3://b/evil.py"}}),
            "The argument --extra-py-files cannot be passed to the job load-orders: it is not in allow_arguments of [glue.load-orders]",
        ),
        (
            json!({"JobName": "load-orders", "Arguments": {"--JOB_NAME": "other"}}),
            "--JOB_NAME is an argument Glue sets itself",
        ),
        (
            json!({"JobName": "load-orders", "Arguments": {"--day": 5}}),
            "The value of the argument --day must be a string",
        ),
        (json!({"Arguments": {}}), "JobName is required"),
    ];
    for (params, message) in cases {
        let (error, cause) =
            ran(glue.start_job_run(&cx(), &params, glue::Mode::Sync).await).expect_err("refused");
        assert_eq!(error, "Glue.InvalidInputException", "{cause}");
        assert!(cause.contains(message), "{cause}");
        assert!(
            cause.contains(
                "(Service: AWSGlue; Status Code: 400; Error Code: InvalidInputException;"
            ),
            "{cause}"
        );
    }
    assert!(!logs.exists(), "nothing started");
}

#[tokio::test]
async fn an_unknown_glue_job_is_not_configured_here() {
    let dir = tempfile::tempdir().expect("tempdir");
    let glue = glue(dir.path());
    let outcome = glue
        .start_job_run(&cx(), &json!({"JobName": "nope"}), glue::Mode::Sync)
        .await;
    let Outcome::NotConfigured((error, cause)) = outcome else {
        panic!("not configured: {outcome:?}");
    };
    assert_eq!(error, "Glue.EntityNotFoundException");
    assert!(
        cause.starts_with("Failed to start job run due to missing metadata. (Service: AWSGlue; Status Code: 400; Error Code: EntityNotFoundException;"),
        "{cause}"
    );
}
