//! ECS task definitions as local processes: RunTask and DescribeTasks shapes, overrides,
//! failures and logs.

use std::path::Path;

use baton_integrations::config::Config;
use baton_integrations::ecs::{Ecs, Mode};
use baton_integrations::functions::CallContext;
use serde_json::{json, Value};

fn ecs(logs: &Path) -> Ecs {
    let fixtures = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"));
    let text = r#"
        [ecs.math]
        command = ["python3", "task.py", "--from-config"]
        env = { STAGE = "ecs" }
        allow_env = ["INPUT_KEY", "OUT_FILE", "AWS_REGION", "EXIT_CODE"]
        allow_command = true
        [ecs.broken]
        command = ["./no-such-program"]
    "#;
    let config = Config::parse(text, "test", fixtures, Vec::new()).expect("valid config");
    Ecs::new(&config, logs.to_path_buf())
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

fn params(definition: &str, env: Value) -> Value {
    json!({
        "LaunchType": "FARGATE",
        "Cluster": "arn:aws:ecs:us-east-1:111111111111:cluster/calc",
        "TaskDefinition": definition,
        "Overrides": {"ContainerOverrides": [{"Name": "calculator", "Environment": env}]}
    })
}

fn task_id(task: &Value) -> String {
    let arn = task["TaskArn"].as_str().expect("TaskArn");
    assert!(
        arn.starts_with("arn:aws:ecs:us-east-1:111111111111:task/calc/"),
        "{arn}"
    );
    arn.rsplit('/').next().expect("id").to_string()
}

#[tokio::test]
async fn sync_waits_for_exit_and_describes_the_stopped_task() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_file = dir.path().join("seen.json");
    let ecs = ecs(&dir.path().join("logs"));
    let task = ecs
        .run_task(
            &cx(),
            &params(
                "arn:aws:ecs:us-east-1:111111111111:task-definition/math:4",
                json!([
                    {"Name": "INPUT_KEY", "Value": "input/5.json"},
                    {"Name": "OUT_FILE", "Value": out_file.display().to_string()},
                    {"Name": "AWS_REGION", "Value": "eu-central-1"}
                ]),
            ),
            Mode::Sync,
        )
        .await
        .expect("succeeds");
    assert_eq!(task["LastStatus"], "STOPPED");
    assert_eq!(task["DesiredStatus"], "STOPPED");
    assert_eq!(task["StopCode"], "EssentialContainerExited");
    assert_eq!(task["Containers"][0]["ExitCode"], 0);
    assert_eq!(task["Containers"][0]["Name"], "calculator");
    assert_eq!(
        task["TaskDefinitionArn"],
        "arn:aws:ecs:us-east-1:111111111111:task-definition/math:4"
    );
    let seen: Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).expect("the task ran"))
            .expect("JSON");
    assert_eq!(
        seen,
        json!({"args": ["--from-config"], "env": {
            "INPUT_KEY": "input/5.json",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:8083",
            "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:8084",
            "AWS_ACCESS_KEY_ID": "111111111111",
            "AWS_SECRET_ACCESS_KEY": "baton",
            // Overrides come last: the definition's value wins.
            "AWS_REGION": "eu-central-1",
            "STAGE": "ecs",
        }})
    );
    let log = std::fs::read_to_string(ecs.log_path(&task_id(&task))).expect("a log");
    assert!(log.contains("task args: [\"--from-config\"]"), "{log}");
    assert!(log.contains("task stderr line"), "{log}");
}

#[tokio::test]
async fn a_non_zero_exit_fails_with_the_stopped_task_as_cause() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ecs = ecs(dir.path());
    let (error, cause) = ecs
        .run_task(
            &cx(),
            &params("math", json!([{"Name": "EXIT_CODE", "Value": "7"}])),
            Mode::Sync,
        )
        .await
        .expect_err("fails");
    assert_eq!(error, "States.TaskFailed");
    let task: Value = serde_json::from_str(&cause).expect("the task as JSON");
    assert_eq!(task["LastStatus"], "STOPPED");
    assert_eq!(task["StopCode"], "EssentialContainerExited");
    assert_eq!(task["StoppedReason"], "Essential container in task exited");
    assert_eq!(task["Containers"][0]["ExitCode"], 7);
    assert_eq!(
        task["TaskDefinitionArn"],
        "arn:aws:ecs:us-east-1:111111111111:task-definition/math:1"
    );
}

#[tokio::test]
async fn without_sync_the_answer_is_run_task_and_the_process_runs_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_file = dir.path().join("seen.json");
    let ecs = ecs(&dir.path().join("logs"));
    let mut p = params(
        "math",
        json!([{"Name": "OUT_FILE", "Value": out_file.display().to_string()}]),
    );
    p["Overrides"]["ContainerOverrides"][0]["Command"] = json!(["--x", "5"]);
    let out = ecs.run_task(&cx(), &p, Mode::Start).await.expect("starts");
    assert_eq!(out["Failures"], json!([]));
    let task = &out["Tasks"][0];
    assert_eq!(task["LastStatus"], "PROVISIONING");
    assert_eq!(task["DesiredStatus"], "RUNNING");
    assert!(out["SdkResponseMetadata"]["RequestId"].is_string());
    // The process finishes on its own; its log shows it ran.
    let log_path = ecs.log_path(&task_id(task));
    for _ in 0..200 {
        if out_file.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let seen: Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).expect("ran")).expect("JSON");
    // A Command override is appended to the configured command: it cannot change the program.
    assert_eq!(seen["args"], json!(["--from-config", "--x", "5"]));
    assert!(log_path.exists());
}

#[tokio::test]
async fn unknown_families_and_bad_parameters_fail_as_ecs_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ecs = ecs(dir.path());
    let (error, cause) = ecs
        .run_task(&cx(), &params("other:2", json!([])), Mode::Sync)
        .await
        .expect_err("unknown");
    assert_eq!(error, "ECS.AmazonECSException");
    assert!(
        cause.starts_with("TaskDefinition not found. (Service: AmazonECS; Status Code: 400; Error Code: ClientException; "),
        "{cause}"
    );
    let (error, _) = ecs
        .run_task(&cx(), &json!({}), Mode::Sync)
        .await
        .expect_err("no definition");
    assert_eq!(error, "ECS.AmazonECSException");
    let (error, _) = ecs
        .run_task(&cx(), &params("math", json!([{"Name": 1}])), Mode::Sync)
        .await
        .expect_err("bad environment");
    assert_eq!(error, "ECS.AmazonECSException");
    let (error, cause) = ecs
        .run_task(&cx(), &params("broken", json!([])), Mode::Sync)
        .await
        .expect_err("cannot start");
    assert_eq!(error, "States.TaskFailed");
    let task: Value = serde_json::from_str(&cause).expect("JSON");
    assert_eq!(task["StopCode"], "TaskFailedToStart");
}

/// A definition can choose code through the environment (`LD_PRELOAD`, `PYTHONPATH`) or an
/// interpreter's arguments; only what the family's configuration allows gets through, and
/// nothing starts otherwise.
#[tokio::test]
async fn overrides_the_family_does_not_allow_fail_before_anything_starts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    let fixtures = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"));
    let text = r#"
        [ecs.math]
        command = ["python3", "task.py"]
        allow_env = ["INPUT_KEY"]
        [ecs.strict]
        command = ["python3", "task.py"]
    "#;
    let config = Config::parse(text, "test", fixtures, Vec::new()).expect("valid config");
    let ecs = Ecs::new(&config, logs.clone());
    for (family, name) in [
        ("math", "LD_PRELOAD"),
        ("math", "PYTHONPATH"),
        ("math", "NODE_OPTIONS"),
        ("math", "input_key"),
        ("strict", "INPUT_KEY"),
    ] {
        let (error, cause) = ecs
            .run_task(
                &cx(),
                &params(family, json!([{"Name": name, "Value": "/tmp/x"}])),
                Mode::Sync,
            )
            .await
            .expect_err(name);
        assert_eq!(error, "ECS.AmazonECSException", "{name}");
        assert!(
            cause.starts_with(&format!(
                "The environment variable {name} cannot be overridden for the task definition family {family}: it is not in allow_env of [ecs.{family}]"
            )) && cause.contains("Error Code: InvalidParameterException"),
            "{cause}"
        );
    }
    let mut p = params("math", json!([{"Name": "INPUT_KEY", "Value": "k"}]));
    p["Overrides"]["ContainerOverrides"][0]["Command"] = json!(["-c", "print(1)"]);
    let (error, cause) = ecs
        .run_task(&cx(), &p, Mode::Sync)
        .await
        .expect_err("no allow_command");
    assert_eq!(error, "ECS.AmazonECSException");
    assert!(
        cause.starts_with("Command overrides are not allowed for the task definition family math"),
        "{cause}"
    );
    // Nothing ran: no task log was even created.
    assert!(!logs.exists() || std::fs::read_dir(&logs).expect("logs").next().is_none());
    // An allowed name still works.
    let task = ecs
        .run_task(
            &cx(),
            &params("math", json!([{"Name": "INPUT_KEY", "Value": "k"}])),
            Mode::Sync,
        )
        .await
        .expect("allowed");
    assert_eq!(task["Containers"][0]["ExitCode"], 0);
}

#[test]
fn allow_env_and_allow_command_come_from_the_file_or_variables() {
    let base = Path::new("/srv/app");
    let config = Config::parse(
        "[ecs.math]\ncommand = [\"calc\"]\n",
        "test",
        base,
        vec![
            (
                "BATON_ECS__math__ALLOW_ENV".to_string(),
                r#"["INPUT_KEY", "AWS_REGION"]"#.to_string(),
            ),
            (
                "BATON_ECS__math__ALLOW_COMMAND".to_string(),
                "true".to_string(),
            ),
        ],
    )
    .expect("valid");
    let math = &config.ecs["math"];
    assert!(math.allow_command);
    assert_eq!(
        math.allow_env
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["AWS_REGION", "INPUT_KEY"]
    );
    let defaults = Config::parse(
        "[ecs.math]\ncommand = [\"calc\"]\n",
        "test",
        base,
        Vec::new(),
    )
    .expect("valid");
    assert!(defaults.ecs["math"].allow_env.is_empty());
    assert!(!defaults.ecs["math"].allow_command);
    let bad = Config::parse(
        "[ecs.math]\ncommand = [\"calc\"]\nallow_env = [\"A=B\"]\n",
        "test",
        base,
        Vec::new(),
    )
    .expect_err("not a name");
    assert!(bad.to_string().contains("allow_env"), "{bad}");
}

/// Tasks share a bounded number of process slots (with Batch and Glue jobs): a crowd of tasks
/// started together never has more processes running than there are slots, and every task
/// still runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_the_slots_run_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let running = dir.path().join("running");
    std::fs::create_dir_all(&running).expect("folder");
    let counts = dir.path().join("counts");
    let text = format!(
        r#"
        [ecs.crowd]
        command = ["sh", "-c", "touch \"$RUNNING/$ECS_TASK_ID\"; ls \"$RUNNING\" | wc -l >> \"$COUNTS\"; sleep 0.2; rm \"$RUNNING/$ECS_TASK_ID\""]
        env = {{ RUNNING = "{}", COUNTS = "{}" }}
        "#,
        running.display(),
        counts.display()
    );
    let config = Config::parse(&text, "test", dir.path(), Vec::new()).expect("valid config");
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(3));
    let ecs = std::sync::Arc::new(Ecs::new(&config, dir.path().join("logs")).with_slots(slots));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let ecs = ecs.clone();
        tasks.spawn(async move {
            let params = json!({"Cluster": "c", "TaskDefinition": "crowd"});
            ecs.run_task(&cx(), &params, Mode::Sync).await
        });
    }
    while let Some(done) = tasks.join_next().await {
        let stopped = done.expect("joined").expect("the task succeeded");
        assert_eq!(stopped["LastStatus"], "STOPPED");
    }
    let seen: Vec<usize> = std::fs::read_to_string(&counts)
        .expect("counts")
        .split_whitespace()
        .map(|n| n.parse().expect("a count"))
        .collect();
    assert_eq!(seen.len(), 12, "every task ran");
    assert!(seen.iter().all(|&n| n <= 3), "{seen:?}");
}
