//! `--template`: `baton run` runs one machine of a SAM template, `baton serve` creates a
//! template's machines and activities at start and updates them in place at the next, and a
//! template error stops either with the file, the resource and the path.

mod support;

use std::path::Path;

use serde_json::json;
use support::baton;

/// A SAM template: a Choice between two Pass states, `${...}` placeholders filled from
/// `DefinitionSubstitutions` (a parameter, a pseudo parameter, another resource's ARN).
fn sam_template(greeting_default: &str, comment: &str) -> String {
    format!(
        r#"AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting:
    Type: String
    Default: {greeting_default}
Resources:
  Greeter:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        Comment: {comment}
        StartAt: Route
        States:
          Route:
            Type: Choice
            Choices:
              - Variable: $.loud
                BooleanEquals: true
                Next: Shout
            Default: Say
          Say:
            Type: Pass
            Parameters:
              text: ${{Greeting}}
              region: ${{Region}}
              approvals: ${{ApprovalArn}}
            End: true
          Shout:
            Type: Pass
            Result: LOUD
            End: true
      DefinitionSubstitutions:
        Greeting: !Ref Greeting
        Region: !Sub "${{AWS::Region}}"
        ApprovalArn: !Ref Approval
  Approval:
    Type: AWS::StepFunctions::Activity
    Properties:
      Name: approval
  Topic:
    Type: AWS::SNS::Topic
"#
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("written");
    path.display().to_string()
}

/// `baton run --template t --state-machine machine ARGS...`.
fn run(t: &str, machine: &str, args: &[&str]) -> support::Ran {
    let mut all = vec!["run", "--template", t, "--state-machine", machine];
    all.extend_from_slice(args);
    baton(&all)
}

#[test]
fn run_a_template_machine() {
    let dir = tempfile::tempdir().unwrap();
    let t = write(dir.path(), "t.yaml", &sam_template("hello", "first"));
    let ran = run(
        &t,
        "Greeter",
        &[
            "--input",
            r#"{"loud": false}"#,
            "--output",
            "json",
            "--region",
            "eu-west-1",
            "--account",
            "111122223333",
        ],
    );
    assert_eq!(
        ran.succeeded_output(),
        json!({
            "text": "hello",
            "region": "eu-west-1",
            "approvals": "arn:aws:states:eu-west-1:111122223333:activity:approval"
        })
    );
    let ran = run(
        &t,
        "Greeter",
        &[
            "--parameter-overrides",
            "Greeting=bonjour",
            "--input",
            r#"{"loud": false}"#,
            "--output",
            "json",
        ],
    );
    assert_eq!(ran.succeeded_output()["text"], json!("bonjour"));
    let ran = run(&t, "Greeter", &["--input", r#"{"loud": true}"#]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.stdout.trim(), "\"LOUD\"");
    // The machine is named after its logical id.
    assert!(ran.stderr.contains(":execution:Greeter:"), "{}", ran.stderr);
}

#[test]
fn run_reports_template_errors() {
    let dir = tempfile::tempdir().unwrap();
    let t = write(dir.path(), "t.yaml", &sam_template("hello", "first"));
    let ran = run(&t, "Nope", &[]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr
            .contains("no state machine Nope (the template has Greeter)"),
        "{}",
        ran.stderr
    );
    let ran = run(&t, "Greeter", &["--parameter-overrides", "Other=1"]);
    assert_eq!(ran.code, 2);
    assert!(ran.stderr.contains("does not declare"), "{}", ran.stderr);
    let bad = write(
        dir.path(),
        "bad.yaml",
        "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: machines/x.json\n",
    );
    let ran = run(&bad, "M", &[]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains(
            "bad.yaml: Resources.M.Properties.DefinitionUri: file machines/x.json not found"
        ),
        "{}",
        ran.stderr
    );
    // Neither a definition nor a template.
    let ran = baton(&["run"]);
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    // An invalid definition names the template and the machine.
    let invalid = write(
        dir.path(),
        "invalid.yaml",
        "Resources:\n  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      Definition: {StartAt: Nowhere, States: {A: {Type: Succeed}}}\n",
    );
    let ran = run(&invalid, "M", &[]);
    assert_eq!(ran.code, 2);
    assert!(ran.stderr.contains("invalid.yaml#M"), "{}", ran.stderr);
}

/// A function both `baton.toml` and the template define: the configuration's runs (here
/// `cat`, which answers the event), and the run says so; the template's ARN reaches it.
#[test]
fn run_prefers_the_configurations_function() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("fn")).unwrap();
    let t = write(
        dir.path(),
        "t.yaml",
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Caller:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      Definition:\n        StartAt: Call\n        States:\n          Call: {Type: Task, Resource: !GetAtt Echo.Arn, End: true}\n  Echo:\n    Type: AWS::Serverless::Function\n    Properties: {FunctionName: echo, CodeUri: fn, Handler: app.handler, Runtime: python3.12}\n",
    );
    let config = write(
        dir.path(),
        "baton.toml",
        "[functions.echo]\ncommand = [\"cat\"]\n",
    );
    let ran = run(
        &t,
        "Caller",
        &[
            "--config",
            &config,
            "--input",
            r#"{"a": 1}"#,
            "--output",
            "json",
        ],
    );
    assert_eq!(ran.succeeded_output(), json!({"a": 1}));
    assert!(
        ran.stderr.contains(
            "function echo (Echo): the configuration's definition wins over the template's"
        ),
        "{}",
        ran.stderr
    );
}

const ACCOUNT: &str = "111122223333";

/// `baton serve --template t` on `data`, in `ACCOUNT` and us-east-1 (the region the test
/// client signs for).
fn serve(data: &Path, t: &str) -> support::server::Server {
    support::server::Server::start(
        data,
        &[
            "--template",
            t,
            "--account",
            ACCOUNT,
            "--region",
            "us-east-1",
        ],
    )
}

/// What `baton serve --template t ARGS` printed up to its client setup (or its end), and its
/// exit status when it stopped on its own.
fn serve_output(data: &Path, t: &str, args: &[&str]) -> (Vec<String>, Option<i32>, String) {
    use std::io::{BufRead, BufReader, Read};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--s3-bind",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(data)
        .args(["--template", t, "--account", ACCOUNT])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("baton serve starts");
    let mut lines = Vec::new();
    let mut serving = false;
    for line in BufReader::new(child.stdout.take().expect("stdout")).lines() {
        let line = line.expect("readable");
        if line.starts_with("To use it from another terminal") {
            serving = true;
            break;
        }
        lines.push(line);
    }
    let status = if serving {
        let _ = child.kill();
        child.wait().expect("reaped");
        None
    } else {
        child.wait().expect("exited").code()
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr read");
    (lines, status, stderr)
}

async fn describe(
    client: &aws_sdk_sfn::Client,
    arn: &str,
) -> aws_sdk_sfn::operation::describe_state_machine::DescribeStateMachineOutput {
    client
        .describe_state_machine()
        .state_machine_arn(arn)
        .send()
        .await
        .expect("describe")
}

/// One execution of the greeter, quietly: its output.
async fn greet(client: &aws_sdk_sfn::Client, arn: &str) -> serde_json::Value {
    let execution = support::server::start(client, arn, Some(r#"{"loud": false}"#.into())).await;
    let done = support::server::finished(client, &execution).await;
    serde_json::from_str(done.output.as_deref().expect("an output")).expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_creates_a_templates_machines_and_updates_them_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let t = write(dir.path(), "t.yaml", &sam_template("hello", "first"));
    let arn = format!("arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:Greeter");

    let server = serve(&data, &t);
    let client = server.client(ACCOUNT);
    let listed = client.list_state_machines().send().await.expect("list");
    let names: Vec<&str> = listed
        .state_machines
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(names, ["Greeter"]);
    assert_eq!(listed.state_machines[0].state_machine_arn, arn);
    let activities = client.list_activities().send().await.expect("activities");
    assert_eq!(
        activities
            .activities
            .iter()
            .map(|a| a.activity_arn.as_str())
            .collect::<Vec<_>>(),
        [format!(
            "arn:aws:states:us-east-1:{ACCOUNT}:activity:approval"
        )]
    );
    let first = describe(&client, &arn).await;
    assert!(
        first.definition.contains("\"first\""),
        "{}",
        first.definition
    );
    assert_eq!(greet(&client, &arn).await["text"], json!("hello"));
    assert_eq!(server.terminate().code(), Some(0));

    // The same machine, changed: updated in place (same ARN, a new revision).
    std::fs::write(&t, sam_template("bonjour", "second")).unwrap();
    let server = serve(&data, &t);
    let client = server.client(ACCOUNT);
    let listed = client.list_state_machines().send().await.expect("list");
    assert_eq!(listed.state_machines.len(), 1);
    let second = describe(&client, &arn).await;
    assert!(
        second.definition.contains("\"second\""),
        "{}",
        second.definition
    );
    assert!(
        second.definition.contains("\"bonjour\""),
        "{}",
        second.definition
    );
    assert_ne!(second.revision_id, first.revision_id, "a new revision");
    assert_eq!(
        second.creation_date, first.creation_date,
        "the same machine"
    );
    assert_eq!(greet(&client, &arn).await["text"], json!("bonjour"));
    assert_eq!(server.terminate().code(), Some(0));

    // Unchanged: left alone; and the start says so, and names the types it skipped once.
    let (lines, status, stderr) = serve_output(&data, &t, &[]);
    assert_eq!(status, None, "still serving: {stderr}");
    assert!(
        lines.contains(&format!("baton: unchanged state machine {arn} (Greeter)")),
        "{lines:?}"
    );
    assert!(
        lines.contains(&format!(
            "baton: unchanged activity arn:aws:states:us-east-1:{ACCOUNT}:activity:approval (Approval)"
        )),
        "{lines:?}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("skipped"))
            .collect::<Vec<_>>(),
        ["baton: not run by Baton (skipped): AWS::SNS::Topic"]
    );
    let server = serve(&data, &t);
    let third = describe(&server.client(ACCOUNT), &arn).await;
    assert_eq!(third.revision_id, second.revision_id, "no new revision");
    drop(server);

    // A type change is reported, and the machine kept.
    let express = sam_template("bonjour", "second").replace(
        "    Type: AWS::Serverless::StateMachine\n    Properties:\n",
        "    Type: AWS::Serverless::StateMachine\n    Properties:\n      Type: EXPRESS\n",
    );
    std::fs::write(&t, express).unwrap();
    let (lines, _, _) = serve_output(&data, &t, &[]);
    assert!(
        lines.iter().any(|l| l.starts_with(&format!(
            "baton: kept state machine {arn} (Greeter) as STANDARD"
        ))),
        "{lines:?}"
    );
}

#[test]
fn serve_creates_on_a_fresh_store_and_names_what_it_created() {
    let dir = tempfile::tempdir().unwrap();
    let t = write(dir.path(), "t.yaml", &sam_template("hello", "first"));
    let (lines, status, stderr) = serve_output(
        &dir.path().join("data"),
        &t,
        &["--parameter-overrides", "Greeting=hi"],
    );
    assert_eq!(status, None, "still serving: {stderr}");
    assert!(
        lines.contains(&format!(
            "baton: created state machine arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:Greeter (Greeter)"
        )),
        "{lines:?}"
    );
    assert!(
        lines.contains(&format!(
            "baton: created activity arn:aws:states:us-east-1:{ACCOUNT}:activity:approval (Approval)"
        )),
        "{lines:?}"
    );
}

#[test]
fn a_template_error_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.yaml",
        "Resources:\n  Orders:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: machines/orders.json\n",
    );
    let (lines, status, stderr) = serve_output(&dir.path().join("data"), &bad, &[]);
    assert_eq!(status, Some(2), "{lines:?} {stderr}");
    assert!(
        stderr.contains("bad.yaml: Resources.Orders.Properties.DefinitionUri: file machines/orders.json not found"),
        "{stderr}"
    );
    assert!(lines.is_empty(), "nothing served: {lines:?}");
    // A definition the template gives but Step Functions refuses stops it too, naming the
    // resource.
    let invalid = write(
        dir.path(),
        "invalid.yaml",
        "Resources:\n  Broken:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      Definition: {StartAt: Nowhere, States: {A: {Type: Succeed}}}\n",
    );
    let (_, status, stderr) = serve_output(&dir.path().join("data2"), &invalid, &[]);
    assert_eq!(status, Some(2), "{stderr}");
    assert!(stderr.contains("Broken: creating Broken:"), "{stderr}");
}
