//! Templates read into stacks: every intrinsic function (short and long forms), parameters,
//! conditions, mappings, SAM's globals, definition sources and substitutions, names, skipped
//! types, and errors that name the file, the resource and the path.

use std::path::{Path, PathBuf};

use baton_template::{load, load_str, Options, Stack};
use serde_json::{json, Value};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn opts() -> Options {
    Options {
        account: "111122223333".into(),
        region: "eu-west-1".into(),
        stack_name: Some("orders".into()),
        parameters: vec![],
        allow_undeclared: false,
    }
}

fn read(text: &str) -> Result<Stack, String> {
    read_with(text, &opts())
}

fn read_with(text: &str, options: &Options) -> Result<Stack, String> {
    load_str(
        text,
        "t.yaml",
        &fixtures().join("sam"),
        options,
        options.stack_name.as_deref().unwrap_or("s"),
        &Default::default(),
    )
    .map_err(|e| e.to_string())
}

/// The definition of machine `M` of `text`, parsed.
fn definition(text: &str) -> Value {
    let stack = read(text).unwrap_or_else(|e| panic!("{e}"));
    let m = stack
        .machines
        .iter()
        .find(|m| m.logical_id == "M")
        .expect("machine M");
    serde_json::from_str(&m.definition).expect("JSON definition")
}

/// A template whose one machine's Pass state has `Result: <value>`.
fn pass_result(extra: &str, value: &str) -> Value {
    let text = format!(
        "{extra}\nResources:\n  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      Definition:\n        StartAt: P\n        States:\n          P:\n            Type: Pass\n            End: true\n            Result: {value}\n"
    );
    definition(&text)["States"]["P"]["Result"].clone()
}

#[test]
fn every_short_form_and_its_long_form() {
    let extra = "Parameters:\n  P:\n    Type: String\n    Default: x,y\nConditions:\n  Yes: !Equals [a, a]\nMappings:\n  M:\n    k: {v: mapped}\n";
    let cases: &[(&str, &str, Value)] = &[
        ("!Ref P", "{Ref: P}", json!("x,y")),
        (
            "!Ref AWS::Region",
            "{Ref: 'AWS::Region'}",
            json!("eu-west-1"),
        ),
        (
            "!GetAtt Act.Name",
            "{'Fn::GetAtt': [Act, Name]}",
            json!("act"),
        ),
        (
            "!GetAtt [Act, Arn]",
            "{'Fn::GetAtt': Act.Arn}",
            json!("arn:aws:states:eu-west-1:111122223333:activity:act"),
        ),
        (
            "!Sub '${AWS::AccountId}-${P}'",
            "{'Fn::Sub': '${AWS::AccountId}-${P}'}",
            json!("111122223333-x,y"),
        ),
        (
            "!Sub ['${A}!', {A: !Ref P}]",
            "{'Fn::Sub': ['${A}!', {A: {Ref: P}}]}",
            json!("x,y!"),
        ),
        (
            "!Join [':', [a, b, 1]]",
            "{'Fn::Join': [':', [a, b, 1]]}",
            json!("a:b:1"),
        ),
        (
            "!If [Yes, one, two]",
            "{'Fn::If': [Yes, one, two]}",
            json!("one"),
        ),
        ("!Equals [a, b]", "{'Fn::Equals': [a, b]}", json!(false)),
        (
            "!Not [!Equals [a, b]]",
            "{'Fn::Not': [{'Fn::Equals': [a, b]}]}",
            json!(true),
        ),
        (
            "!And [!Equals [a, a], !Condition Yes]",
            "{'Fn::And': [{'Fn::Equals': [a, a]}, {Condition: Yes}]}",
            json!(true),
        ),
        (
            "!Or [!Equals [a, b], !Equals [c, d]]",
            "{'Fn::Or': [{'Fn::Equals': [a, b]}, {'Fn::Equals': [c, d]}]}",
            json!(false),
        ),
        (
            "!Select [1, !Split [',', !Ref P]]",
            "{'Fn::Select': [1, {'Fn::Split': [',', {Ref: P}]}]}",
            json!("y"),
        ),
        (
            "!FindInMap [M, k, v]",
            "{'Fn::FindInMap': [M, k, v]}",
            json!("mapped"),
        ),
        (
            "!GetAZs ''",
            "{'Fn::GetAZs': ''}",
            json!(["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
        ),
        ("!Base64 hello", "{'Fn::Base64': hello}", json!("aGVsbG8=")),
        (
            "!Cidr ['10.0.0.0/16', 2, 8]",
            "{'Fn::Cidr': ['10.0.0.0/16', 2, 8]}",
            json!(["10.0.0.0/24", "10.0.1.0/24"]),
        ),
    ];
    let act =
        "\n  Act:\n    Type: AWS::StepFunctions::Activity\n    Properties:\n      Name: act\n";
    for (short, long, want) in cases {
        for form in [short, long] {
            let text = format!(
                "{extra}\nResources:\n  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      Definition:\n        StartAt: P\n        States:\n          P:\n            Type: Pass\n            End: true\n            Result: {form}{act}"
            );
            let got = definition(&text)["States"]["P"]["Result"].clone();
            assert_eq!(&got, want, "{form}");
        }
    }
}

#[test]
fn import_value_and_unknown_functions_are_errors() {
    let text = "Resources:\n  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      DefinitionString: !ImportValue Shared\n";
    let e = read(text).unwrap_err();
    assert!(
        e.starts_with("t.yaml: Resources.M.Properties.DefinitionString.Fn::ImportValue:"),
        "{e}"
    );
    assert!(e.contains("another stack"), "{e}");
    let e = read("Resources:\n  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      DefinitionString: {'Fn::Nope': 1}\n").unwrap_err();
    assert!(e.contains("unknown function Fn::Nope"), "{e}");
}

#[test]
fn sub_reads_pseudo_parameters_attributes_and_literals() {
    let value = pass_result(
        "",
        "!Sub '${AWS::Region}/${AWS::Partition}/${AWS::StackName}/${AWS::URLSuffix}/${Fn.Arn}/${Fn}/${!Literal}/${!AWS::Region}'\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      FunctionName: worker\n      Code: functions/hello\n      Handler: app.handler\n      Runtime: python3.12",
    );
    assert_eq!(
        value,
        json!("eu-west-1/aws/orders/amazonaws.com/arn:aws:lambda:eu-west-1:111122223333:function:worker/worker/${Literal}/${AWS::Region}")
    );
}

#[test]
fn parameters_take_defaults_and_overrides_and_check_allowed_values() {
    let extra = "Parameters:\n  Stage:\n    Type: String\n    Default: dev\n    AllowedValues: [dev, prod]\n  Size:\n    Type: Number\n    Default: 3\n";
    assert_eq!(
        pass_result(extra, "!Sub '${Stage}-${Size}'"),
        json!("dev-3")
    );
    let text = format!("{extra}\nResources:\n  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      Definition: {{StartAt: P, States: {{P: {{Type: Pass, End: true, Result: !Ref Stage}}}}}}\n");
    let mut o = opts();
    o.parameters = vec![
        ("Stage".into(), "dev".into()),
        ("Stage".into(), "prod".into()),
    ];
    let stack = read_with(&text, &o).unwrap();
    assert!(stack.machines[0].definition.contains("\"prod\""));
    o.parameters = vec![("Stage".into(), "test".into())];
    let e = read_with(&text, &o).unwrap_err();
    assert!(
        e.contains("Parameters.Stage") && e.contains("AllowedValues"),
        "{e}"
    );
    o.parameters = vec![("Nope".into(), "1".into())];
    assert!(read_with(&text, &o)
        .unwrap_err()
        .contains("does not declare"));
    o.allow_undeclared = true;
    assert!(
        read_with(&text, &o).is_ok(),
        "an undeclared override left unused"
    );
    let e = read("Parameters:\n  X:\n    Type: String\nResources: {}\n").unwrap_err();
    assert_eq!(e, "t.yaml: Parameters.X: has no Default: give it a value with --parameter-overrides NAME=VALUE");
}

#[test]
fn conditions_choose_values_remove_properties_and_resources() {
    let text = "Parameters:\n  Stage: {Type: String, Default: dev}\nConditions:\n  IsProd: !Equals [!Ref Stage, prod]\nResources:\n  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      Definition:\n        StartAt: P\n        States:\n          P:\n            Type: Pass\n            End: true\n            Comment: !If [IsProd, production, !Ref 'AWS::NoValue']\n            Result: [a, !If [IsProd, b, !Ref 'AWS::NoValue'], c]\n  A:\n    Type: AWS::StepFunctions::Activity\n    Condition: IsProd\n    Properties: {Name: a}\n";
    let stack = read(text).unwrap();
    let d: Value = serde_json::from_str(&stack.machines[0].definition).unwrap();
    assert_eq!(
        d["States"]["P"],
        json!({"Type": "Pass", "End": true, "Result": ["a", "c"]})
    );
    assert!(stack.activities.is_empty());
    let mut o = opts();
    o.parameters = vec![("Stage".into(), "prod".into())];
    let stack = read_with(text, &o).unwrap();
    let d: Value = serde_json::from_str(&stack.machines[0].definition).unwrap();
    assert_eq!(d["States"]["P"]["Comment"], json!("production"));
    assert_eq!(d["States"]["P"]["Result"], json!(["a", "b", "c"]));
    assert_eq!(stack.activities.len(), 1);
}

#[test]
fn the_sam_fixture() {
    let stack = load(&fixtures().join("sam/template.yaml"), &opts()).unwrap();
    let m = &stack.machines[0];
    assert_eq!(m.logical_id, "OrderMachine");
    assert_eq!(m.name, "OrderMachine", "named after its logical id");
    assert_eq!(m.machine_type, "EXPRESS");
    assert_eq!(m.logging, Some(json!({"Level": "OFF"})));
    assert_eq!(m.tracing, Some(json!({"Enabled": true})), "from Globals");
    let d: Value = serde_json::from_str(&m.definition).unwrap();
    assert_eq!(
        d["States"]["Check"]["Resource"],
        json!("arn:aws:lambda:eu-west-1:111122223333:function:check-dev")
    );
    assert_eq!(d["States"]["Check"]["TimeoutSeconds"], json!(30));
    assert_eq!(
        d["States"]["Done"]["Result"],
        json!("hello from eu-west-1 (dev)")
    );

    let check = stack
        .functions
        .iter()
        .find(|f| f.logical_id == "CheckFunction")
        .unwrap();
    assert_eq!(check.name, "check-dev");
    assert_eq!(check.runtime, "python3.12", "from Globals");
    assert_eq!(check.handler, "app.handler");
    assert_eq!(check.timeout_seconds, Some(5), "from Globals");
    assert_eq!(check.memory_mb, Some(128));
    assert!(
        check.code.is_absolute() && check.code.join("app.py").is_file(),
        "{:?}",
        check.code
    );
    // Maps merge, the resource's value winning.
    assert_eq!(
        check
            .environment
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        [("OWN", "1"), ("SHARED", "local"), ("STAGE", "dev")]
    );
    let plain = stack
        .functions
        .iter()
        .find(|f| f.logical_id == "Plain")
        .unwrap();
    assert_eq!(plain.name, "Plain");
    assert_eq!(plain.runtime, "python3.13", "the resource's primitive wins");
    assert_eq!(plain.timeout_seconds, Some(20));
    assert_eq!(plain.memory_mb, None);

    assert_eq!(stack.activities.len(), 1, "OnlyInProd's condition is false");
    assert_eq!(stack.activities[0].name, "approval-dev");
    assert_eq!(
        stack.skipped,
        vec![("Bucket".to_string(), "AWS::S3::Bucket".to_string())]
    );
}

#[test]
fn definition_string_with_join_and_substitutions() {
    let text = r#"{
      "Resources": {
        "Machine": {
          "Type": "AWS::StepFunctions::StateMachine",
          "Properties": {
            "StateMachineName": "joined",
            "StateMachineType": "STANDARD",
            "DefinitionString": {"Fn::Join": ["", ["{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Result\":\"", {"Ref": "AWS::Region"}, "-${Extra}\",\"End\":true}}}"]]},
            "DefinitionSubstitutions": {"Extra": {"Fn::GetAtt": ["Machine2", "Name"]}}
          }
        },
        "Machine2": {
          "Type": "AWS::StepFunctions::StateMachine",
          "Properties": {"Definition": {"StartAt": "P", "States": {"P": {"Type": "Succeed"}}}}
        }
      }
    }"#;
    let stack = read(text).unwrap();
    let m = &stack.machines[0];
    assert_eq!(m.name, "joined");
    assert_eq!(m.machine_type, "STANDARD");
    let d: Value = serde_json::from_str(&m.definition).unwrap();
    assert_eq!(d["States"]["P"]["Result"], json!("eu-west-1-Machine2"));
    assert_eq!(stack.machines[1].name, "Machine2");
}

#[test]
fn refs_name_baton_arns() {
    let v = pass_result(
        "",
        "[!Ref Other, !GetAtt Other.Arn, !GetAtt Other.Name, !Ref F, !Ref A]\n  Other:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      Name: other\n      Definition: {StartAt: S, States: {S: {Type: Succeed}}}\n  F:\n    Type: AWS::Lambda::Function\n    Properties: {Code: functions/hello, Handler: h, Runtime: r}\n  A:\n    Type: AWS::StepFunctions::Activity\n    Properties: {Name: act}",
    );
    assert_eq!(
        v,
        json!([
            "arn:aws:states:eu-west-1:111122223333:stateMachine:other",
            "arn:aws:states:eu-west-1:111122223333:stateMachine:other",
            "other",
            "F",
            "arn:aws:states:eu-west-1:111122223333:activity:act"
        ])
    );
}

#[test]
fn errors_name_the_file_the_resource_and_the_path() {
    let e = load(&fixtures().join("sam/missing.yaml"), &opts())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("missing.yaml") && e.contains("cannot read"),
        "{e}"
    );
    let cases: &[(&str, &str)] = &[
        (
            "Resources:\n  MyMachine:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: statemachine/x.json\n",
            "t.yaml: Resources.MyMachine.Properties.DefinitionUri: file statemachine/x.json not found",
        ),
        (
            "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      Type: LOUD\n      Definition: {StartAt: S, States: {S: {Type: Succeed}}}\n",
            "t.yaml: Resources.M.Properties.Type: \"LOUD\" is neither STANDARD nor EXPRESS",
        ),
        (
            "Resources:\n  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties: {}\n",
            "t.yaml: Resources.M.Properties: needs one of Definition, DefinitionString, DefinitionS3Location",
        ),
        (
            "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: functions/hello, Handler: h}\n",
            "t.yaml: Resources.F.Properties: needs Runtime",
        ),
        (
            "Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties: {Code: {ZipFile: 'x'}, Handler: h, Runtime: r}\n",
            "t.yaml: Resources.F.Properties.Code.ZipFile: inline code is not run locally",
        ),
        (
            "Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties: {Code: {S3Bucket: b, S3Key: k.zip}, Handler: h, Runtime: r}\n",
            "t.yaml: Resources.F.Properties.Code: s3://b/k.zip is not a CDK asset",
        ),
        (
            "Resources:\n  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      DefinitionString: !Sub '${Nope}'\n",
            "t.yaml: Resources.M.Properties.DefinitionString.Fn::Sub: Ref Nope: no parameter",
        ),
        (
            "Resources:\n  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      DefinitionString: !GetAtt B.Whatever\n  B:\n    Type: AWS::S3::Bucket\n",
            "t.yaml: Resources.M.Properties.DefinitionString.Fn::GetAtt: Fn::GetAtt B.Whatever: Baton does not know",
        ),
        ("Resources:\n  M: {Properties: {}}\n", "t.yaml: Resources.M.Type: missing"),
        ("Resources: [\n", "t.yaml: "),
        ("Transform: AWS::Include\nResources: {}\n", "t.yaml: Transform: AWS::Include is not applied locally"),
    ];
    for (text, want) in cases {
        let e = read(text).unwrap_err();
        assert!(e.starts_with(want), "{e}\n  wanted {want}");
    }
}

#[test]
fn cycles_deep_nesting_and_garbage_are_errors_not_panics() {
    // A name that depends on itself through `!Sub`.
    let cyclic = "Resources:\n  A:\n    Type: AWS::StepFunctions::Activity\n    Properties:\n      Name: !Sub '${B}-a'\n  B:\n    Type: AWS::StepFunctions::Activity\n    Properties:\n      Name: !Sub '${A}-b'\n";
    let e = read(cyclic).unwrap_err();
    assert!(e.contains("depends on itself"), "{e}");
    let self_ref = "Resources:\n  A:\n    Type: AWS::StepFunctions::Activity\n    Properties:\n      Name: !GetAtt A.Name\n";
    assert!(read(self_ref).unwrap_err().contains("depends on itself"));
    let cond = "Conditions:\n  X: !Not [!Condition Y]\n  Y: !Not [!Condition X]\nResources:\n  A:\n    Type: AWS::StepFunctions::Activity\n    Condition: X\n    Properties: {Name: a}\n";
    assert!(read(cond).unwrap_err().contains("depends on itself"));
    // Functions nested past the bound.
    let mut deep = String::from("x");
    for _ in 0..300 {
        deep = format!("{{\"Fn::Join\": [\"\", [{deep}]]}}").replace("[x]", "[\"x\"]");
    }
    let text = format!("{{\"Resources\": {{\"A\": {{\"Type\": \"AWS::StepFunctions::Activity\", \"Properties\": {{\"Name\": {deep}}}}}}}}}");
    assert!(read(&text).is_err());
    let deep_yaml = format!("Resources: {}", "[".repeat(100_000));
    assert!(read(&deep_yaml).is_err());
    // Garbage of every kind.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let alphabet = b"{}[]:,!-'\"&*| \n\tRefSub${}.Fn::GetAttResourcesType0123";
    for _ in 0..2_000 {
        let len = (seed % 200) as usize;
        let mut s = String::new();
        for _ in 0..len {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            s.push(alphabet[(seed % alphabet.len() as u64) as usize] as char);
        }
        let _ = read(&s);
        let _ = read(&format!("Resources:\n  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      Definition: {s}\n"));
    }
    for text in [
        "",
        "null",
        "[]",
        "42",
        "Resources: 1",
        "Resources:\n  A: 1",
        "Resources:\n  A:\n    Type: 1",
    ] {
        assert!(read(text).is_err(), "{text:?}");
    }
}

#[test]
fn an_unreadable_cdk_assembly_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let e = load(dir.path(), &opts()).unwrap_err().to_string();
    assert!(e.contains("manifest.json"), "{e}");
    std::fs::write(dir.path().join("manifest.json"), "{\"artifacts\": {}}").unwrap();
    let e = load(dir.path(), &opts()).unwrap_err().to_string();
    assert!(e.contains("no stack"), "{e}");
}

/// The CDK app in `fixtures/cdk-app`, synthesized by `node app.js` (aws-cdk-lib from npm, no
/// `cdk` command, no AWS account), read from its cloud assembly.
#[test]
fn a_cdk_app_synthesized_offline() {
    let app = fixtures().join("cdk-app");
    let Some(out) = synthesize(&app) else { return };
    let stack = load(out.path(), &opts()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stack.functions.len(), 1, "{stack:?}");
    let f = &stack.functions[0];
    assert!(f.logical_id.starts_with("Greet"), "{f:?}");
    assert_eq!(f.name, f.logical_id);
    assert_eq!(
        (f.runtime.as_str(), f.handler.as_str()),
        ("nodejs22.x", "index.handler")
    );
    assert_eq!(f.timeout_seconds, Some(10));
    assert_eq!(f.memory_mb, Some(256));
    assert_eq!(
        f.environment.get("GREETING").map(String::as_str),
        Some("Hello")
    );
    assert!(
        f.code.starts_with(out.path()),
        "the asset folder: {:?}",
        f.code
    );
    assert!(f.code.join("index.js").is_file(), "{:?}", f.code);

    assert_eq!(stack.machines.len(), 1);
    let m = &stack.machines[0];
    assert!(m.logical_id.starts_with("Greeter"));
    assert_eq!(m.machine_type, "STANDARD");
    let d: Value = serde_json::from_str(&m.definition).unwrap();
    assert_eq!(d["StartAt"], json!("Say hello"));
    assert_eq!(
        d["States"]["Say hello"]["Resource"],
        json!("arn:aws:states:::lambda:invoke")
    );
    assert_eq!(
        d["States"]["Say hello"]["Parameters"]["FunctionName"],
        json!(format!(
            "arn:aws:lambda:eu-west-1:111122223333:function:{}",
            f.name
        ))
    );

    assert_eq!(stack.activities.len(), 1);
    assert_eq!(stack.activities[0].name, "approval");
    assert!(
        stack.skipped.iter().any(|(_, t)| t == "AWS::IAM::Role"),
        "{:?}",
        stack.skipped
    );
}

/// `npm ci` and `node app.js` in `app`, the assembly in a temporary folder; `None` (a skip,
/// a failure under `BATON_CI_STRICT=1`) when Node.js or the registry is not there.
fn synthesize(app: &Path) -> Option<tempfile::TempDir> {
    let skip = |reason: String| {
        let msg = format!("{reason}; skipping the CDK test");
        if std::env::var("BATON_CI_STRICT").as_deref() == Ok("1") {
            panic!("{msg} (BATON_CI_STRICT=1 forbids skips)");
        }
        eprintln!("SKIP: {msg}");
        None
    };
    let npm = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--prefer-offline"])
        .current_dir(app)
        .output();
    match npm {
        Err(e) => return skip(format!("npm not found ({e})")),
        Ok(o) if !o.status.success() => {
            return skip(format!(
                "npm ci failed: {}",
                String::from_utf8_lossy(&o.stderr)
            ))
        }
        Ok(_) => {}
    }
    let out = tempfile::tempdir().unwrap();
    let node = std::process::Command::new("node")
        .arg("app.js")
        .env("CDK_OUTDIR", out.path())
        .current_dir(app)
        .output();
    match node {
        Err(e) => skip(format!("node not found ({e})")),
        Ok(o) if !o.status.success() => panic!(
            "node app.js failed: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Ok(_) => Some(out),
    }
}

#[test]
fn a_long_chain_of_names_is_an_error_not_an_overflow() {
    let mut text = String::from("Resources:\n");
    for i in 0..400 {
        text.push_str(&format!(
            "  A{i}:\n    Type: AWS::StepFunctions::Activity\n    Properties:\n      Name: !Sub '${{A{}}}-x'\n",
            i + 1
        ));
    }
    text.push_str(
        "  A400:\n    Type: AWS::StepFunctions::Activity\n    Properties:\n      Name: last\n",
    );
    let e = read(&text).unwrap_err();
    assert!(e.contains("nested deeper than"), "{e}");
}

#[test]
fn log_groups_take_their_name_and_retention() {
    let stack = read(
        "Parameters:\n  Days: {Type: Number, Default: 14}\n\
         Resources:\n  Named:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      \
         LogGroupName: /aws/vendedlogs/states/orders\n      RetentionInDays: !Ref Days\n  \
         Plain:\n    Type: AWS::Logs::LogGroup\n",
    )
    .unwrap();
    let groups: Vec<(String, Option<u32>)> = stack
        .log_groups
        .iter()
        .map(|g| (g.name.clone(), g.retention_days))
        .collect();
    assert_eq!(
        groups[0],
        ("/aws/vendedlogs/states/orders".into(), Some(14))
    );
    assert_eq!(groups[1].1, None);
    assert!(groups[1].0.contains("Plain"), "{:?}", groups[1]);
    let bad = read(
        "Resources:\n  L:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      \
         RetentionInDays: soon\n",
    )
    .unwrap_err();
    assert!(bad.contains("RetentionInDays"), "{bad}");
}
