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
