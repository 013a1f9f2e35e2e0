//! `baton.toml` and `BATON_*` variables: what loads, what is refused, and how paths resolve.

use std::path::Path;

use baton_integrations::config::{
    Config, Secret, StorageCredentials, StorageEndpoint, Target, DEFAULT_FUNCTION_TIMEOUT_SECONDS,
};

fn parse(text: &str, vars: &[(&str, &str)]) -> Result<Config, String> {
    let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    Config::parse(text, "baton.toml", Path::new("/srv/app"), vars).map_err(|e| e.to_string())
}

#[test]
fn sections_load_with_paths_resolved_against_the_file_folder() {
    let config = parse(
        r#"
        [functions.Validate]
        command = ["bin/validate", "--strict"]
        cwd = "functions"
        env = { STAGE = "local" }
        timeout_seconds = 5

        [functions.Remote]
        url = "http://127.0.0.1:9000/invoke"

        [functions.Py]
        command = ["python3", "f.py"]

        [ecs.math]
        command = ["python3", "calc.py"]

        [storage]
        root = "buckets"
        "#,
        &[],
    )
    .expect("valid");
    let v = &config.functions["Validate"];
    assert_eq!(v.timeout_seconds, 5);
    let Target::Command(c) = &v.target else {
        panic!("a command")
    };
    assert_eq!(c.cwd, Path::new("/srv/app/functions"));
    assert_eq!(c.argv, ["/srv/app/functions/bin/validate", "--strict"]);
    assert_eq!(c.env["STAGE"], "local");
    assert_eq!(
        config.functions["Remote"].target,
        Target::Url("http://127.0.0.1:9000/invoke".into())
    );
    let Target::Command(py) = &config.functions["Py"].target else {
        panic!("a command")
    };
    // A bare program name is looked up on PATH, not joined to a folder.
    assert_eq!(py.argv[0], "python3");
    assert_eq!(py.cwd, Path::new("/srv/app"));
    assert_eq!(
        config.functions["Py"].timeout_seconds,
        DEFAULT_FUNCTION_TIMEOUT_SECONDS
    );
    assert_eq!(config.ecs["math"].command.argv, ["python3", "calc.py"]);
    assert_eq!(
        config.storage.root.as_deref(),
        Some(Path::new("/srv/app/buckets"))
    );
}

#[test]
fn variables_set_and_override_keys() {
    let config = parse(
        r#"
        [functions.Hello]
        command = ["python3", "old.py"]
        "#,
        &[
            (
                "BATON_FUNCTIONS__Hello__COMMAND",
                r#"["python3", "hello.py"]"#,
            ),
            ("BATON_FUNCTIONS__Hello__TIMEOUT_SECONDS", "7"),
            ("BATON_FUNCTIONS__Hello__ENV__STAGE", "dev"),
            ("BATON_ECS__math__COMMAND", r#"["./calc"]"#),
            ("BATON_STORAGE__ROOT", "/data/buckets"),
            // Not configuration: ignored.
            ("BATON_CI_STRICT", "1"),
            ("PATH", "/usr/bin"),
        ],
    )
    .expect("valid");
    let hello = &config.functions["Hello"];
    assert_eq!(hello.timeout_seconds, 7);
    let Target::Command(c) = &hello.target else {
        panic!("a command")
    };
    assert_eq!(c.argv, ["python3", "hello.py"]);
    assert_eq!(c.env["STAGE"], "dev");
    assert_eq!(config.ecs["math"].command.argv, ["/srv/app/./calc"]);
    assert_eq!(
        config.storage.root.as_deref(),
        Some(Path::new("/data/buckets"))
    );
}

/// A file's text, the variables set, and a part of the message expected.
type Mistake<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

#[test]
fn mistakes_are_refused_with_a_message_that_names_them() {
    let cases: &[Mistake] = &[
        (
            "[functions.F]\ncommand = [\"a\"]\ncomand = 1\n",
            &[],
            "unknown field `comand`",
        ),
        (
            "[function.F]\ncommand = [\"a\"]\n",
            &[],
            "unknown field `function`",
        ),
        (
            "[functions.F]\ncwd = \"x\"\n",
            &[],
            "functions.F: missing `command`",
        ),
        (
            "[functions.F]\ncommand = []\n",
            &[],
            "needs at least the program",
        ),
        (
            "[functions.F]\ncommand = [\"a\"]\nurl = \"http://x\"\n",
            &[],
            "either `command` or `url`",
        ),
        (
            "[functions.F]\nurl = \"ftp://x\"\n",
            &[],
            "must start with http:// or https://",
        ),
        (
            "[functions.F]\ncommand = \"python3 f.py\"\n",
            &[],
            "invalid type",
        ),
        ("[functions.F\n", &[], "baton.toml"),
        (
            "",
            &[("BATON_FUNCTIONS__F__COLOUR", "red")],
            "unknown field `colour`",
        ),
        (
            "",
            &[("BATON_FUNCTIONS__F", "x")],
            "BATON_FUNCTIONS__<NAME>__<KEY>",
        ),
        (
            "[ecs.math]\ncommand = [\"a\"]\nurl = \"http://x\"\n",
            &[],
            "unknown field `url`",
        ),
    ];
    for (text, vars, expected) in cases {
        let err = parse(text, vars).expect_err(text);
        assert!(err.contains(expected), "{text:?}: {err}");
    }
}

#[test]
fn storage_on_an_s3_compatible_endpoint() {
    let config = parse(
        r#"
        [storage]
        endpoint = "http://127.0.0.1:9000"
        access_key_id = "minio"
        secret_access_key = "minio-secret"
        "#,
        &[],
    )
    .expect("valid");
    assert_eq!(config.storage.root, None);
    assert_eq!(
        config.storage.endpoint,
        Some(StorageEndpoint {
            url: "http://127.0.0.1:9000".into(),
            region: "us-east-1".into(),
            credentials: Some(StorageCredentials {
                access_key_id: Secret::new("minio"),
                secret_access_key: Secret::new("minio-secret"),
                session_token: None,
            }),
            force_path_style: true,
        })
    );
    // The credentials are never printed.
    let debug = format!("{config:?}");
    assert!(!debug.contains("minio-secret"), "{debug}");

    // Every key from the environment; values that look like TOML numbers stay text.
    let config = parse(
        "",
        &[
            ("BATON_STORAGE__ENDPOINT", "https://s3.example.test"),
            ("BATON_STORAGE__REGION", "eu-west-1"),
            ("BATON_STORAGE__ACCESS_KEY_ID", "123456"),
            ("BATON_STORAGE__SECRET_ACCESS_KEY", "0042"),
            ("BATON_STORAGE__SESSION_TOKEN", "true"),
            ("BATON_STORAGE__FORCE_PATH_STYLE", "false"),
        ],
    )
    .expect("valid");
    let endpoint = config.storage.endpoint.expect("an endpoint");
    assert_eq!(endpoint.url, "https://s3.example.test");
    assert_eq!(endpoint.region, "eu-west-1");
    assert!(!endpoint.force_path_style);
    let credentials = endpoint.credentials.expect("credentials");
    assert_eq!(credentials.access_key_id.expose(), "123456");
    assert_eq!(credentials.secret_access_key.expose(), "0042");
    assert_eq!(
        credentials.session_token.as_ref().map(Secret::expose),
        Some("true")
    );

    // Without credentials: requests are signed with a placeholder pair.
    let config = parse("[storage]\nendpoint = \"http://[::1]:9000\"\n", &[]).expect("valid");
    assert_eq!(
        config.storage.endpoint.expect("an endpoint").credentials,
        None
    );
}

#[test]
fn storage_mistakes_are_refused() {
    let cases: &[Mistake] = &[
        (
            "[storage]\nroot = \"b\"\nendpoint = \"http://127.0.0.1:9000\"\n",
            &[],
            "`root` (buckets in a local folder) and `endpoint` (buckets on an S3-compatible endpoint) cannot both be set",
        ),
        (
            "[storage]\nroot = \"b\"\n",
            &[("BATON_STORAGE__ENDPOINT", "http://127.0.0.1:9000")],
            "cannot both be set",
        ),
        (
            "[storage]\nendpoint = \"127.0.0.1:9000\"\n",
            &[],
            "`endpoint` must start with http:// or https://",
        ),
        (
            "[storage]\nendpoint = \"http://key:secret@127.0.0.1:9000\"\n",
            &[],
            "`endpoint` must not hold credentials",
        ),
        (
            "[storage]\nendpoint = \"http://\"\n",
            &[],
            "`endpoint` has no host",
        ),
        (
            "[storage]\nregion = \"eu-west-1\"\n",
            &[],
            "storage: `region` applies to an S3-compatible `endpoint`",
        ),
        (
            "",
            &[("BATON_STORAGE__FORCE_PATH_STYLE", "false")],
            "`force_path_style` applies to an S3-compatible `endpoint`",
        ),
        (
            "[storage]\nendpoint = \"http://h\"\naccess_key_id = \"a\"\n",
            &[],
            "give both `access_key_id` and `secret_access_key`, or neither",
        ),
        (
            "[storage]\nendpoint = \"http://h\"\nsession_token = \"t\"\n",
            &[],
            "`session_token` needs `access_key_id` and `secret_access_key`",
        ),
        (
            "[storage]\nendpoint = \"http://h\"\nregion = \"\"\n",
            &[],
            "`region` must not be empty",
        ),
        (
            "[storage]\nendpoint = \"http://h\"\naccess_key_id = \"a\"\nsecret_access_key = 12345678\n",
            &[],
            "`secret_access_key` must be a non-empty string",
        ),
        (
            "[storage]\nendpoint = \"http://h\"\nforce_path_style = \"yes\"\n",
            &[],
            "invalid type",
        ),
        (
            "[storage]\nbucket = \"b\"\n",
            &[],
            "unknown field `bucket`",
        ),
    ];
    for (text, vars, expected) in cases {
        let err = parse(text, vars).expect_err(text);
        assert!(err.contains(expected), "{text:?} {vars:?}: {err}");
        assert!(
            !err.contains("12345678"),
            "a credential is never quoted: {err}"
        );
    }
}

#[test]
fn a_missing_file_is_an_error() {
    let err = Config::load(Some(Path::new("/nonexistent/baton.toml"))).expect_err("missing");
    assert!(
        err.to_string()
            .contains("cannot read /nonexistent/baton.toml"),
        "{err}"
    );
}

#[test]
fn another_lambda_api_from_the_file_or_step_functions_locals_variable() {
    let c = parse("[lambda]\nendpoint = \"http://127.0.0.1:3001\"\n", &[]).unwrap();
    assert_eq!(c.lambda_endpoint.as_deref(), Some("http://127.0.0.1:3001"));
    let c = parse("", &[("LAMBDA_ENDPOINT", "http://127.0.0.1:3002")]).unwrap();
    assert_eq!(c.lambda_endpoint.as_deref(), Some("http://127.0.0.1:3002"));
    assert_eq!(parse("", &[]).unwrap().lambda_endpoint, None);
    let e = parse("[lambda]\nendpoint = \"127.0.0.1:3001\"\n", &[]).unwrap_err();
    assert!(
        e.contains("lambda: `endpoint` must start with http://"),
        "{e}"
    );
    let e = parse("[lambda]\nendpoint = \"http://x\"\nport = 1\n", &[]).unwrap_err();
    assert!(e.contains("unknown field `port`"), "{e}");
}

#[test]
fn batch_job_definitions_and_glue_jobs_load_from_the_file() {
    let c = parse(
        r#"
        [batch.nightly-report]
        command = ["bin/report", "--day", "Ref::day"]
        cwd = "jobs"
        env = { STAGE = "local" }
        parameters = { day = "today" }
        allow_env = ["REPORT_BUCKET"]
        allow_command = true

        [glue.load-orders]
        command = ["python3", "load_orders.py"]
        allow_arguments = ["--day", "region"]
        "#,
        &[],
    )
    .unwrap();
    let report = &c.batch["nightly-report"];
    assert_eq!(
        report.command.argv,
        ["/srv/app/jobs/bin/report", "--day", "Ref::day"]
    );
    assert_eq!(report.command.cwd, Path::new("/srv/app/jobs"));
    assert_eq!(report.command.env["STAGE"], "local");
    assert_eq!(report.parameters["day"], "today");
    assert!(report.allow_env.contains("REPORT_BUCKET"));
    assert!(report.allow_command);
    let load = &c.glue["load-orders"];
    assert_eq!(load.command.argv, ["python3", "load_orders.py"]);
    assert_eq!(load.command.cwd, Path::new("/srv/app"));
    // Names are kept with their `--`, as a run's Arguments write them.
    assert_eq!(
        load.allow_arguments.iter().collect::<Vec<_>>(),
        ["--day", "--region"]
    );
    // Defaults: nothing a definition may override.
    let c = parse(
        "[batch.b]\ncommand = [\"b\"]\n[glue.g]\ncommand = [\"g\"]\n",
        &[],
    )
    .unwrap();
    assert!(c.batch["b"].allow_env.is_empty() && !c.batch["b"].allow_command);
    assert!(c.batch["b"].parameters.is_empty());
    assert!(c.glue["g"].allow_arguments.is_empty());
}

#[test]
fn batch_and_glue_keys_from_variables() {
    let c = parse(
        "[batch.report]\ncommand = [\"a\"]\n",
        &[
            (
                "BATON_BATCH__report__COMMAND",
                r#"["python3","r.py","Ref::day"]"#,
            ),
            ("BATON_BATCH__report__ALLOW_ENV", r#"["OUT"]"#),
            ("BATON_BATCH__report__PARAMETERS__day", "2024-05-01"),
            ("BATON_BATCH__report__ENV__PORT", "8080"),
            ("BATON_GLUE__load-orders__COMMAND", r#"["python3","l.py"]"#),
            ("BATON_GLUE__load-orders__ALLOW_ARGUMENTS", r#"["--day"]"#),
            ("BATON_GLUE__load-orders__ENV__STAGE", "dev"),
        ],
    )
    .unwrap();
    let report = &c.batch["report"];
    assert_eq!(report.command.argv, ["python3", "r.py", "Ref::day"]);
    assert!(report.allow_env.contains("OUT"));
    assert_eq!(report.parameters["day"], "2024-05-01");
    // An environment entry and a parameter are text, even when they read as TOML numbers.
    assert_eq!(report.command.env["PORT"], "8080");
    let load = &c.glue["load-orders"];
    assert_eq!(load.command.argv, ["python3", "l.py"]);
    assert!(load.allow_arguments.contains("--day"));
    assert_eq!(load.command.env["STAGE"], "dev");
}

#[test]
fn batch_and_glue_mistakes_are_refused() {
    let cases = [
        ("[batch.b]\ncwd = \"x\"\n", "missing field `command`"),
        (
            "[batch.b]\ncommand = []\n",
            "batch.b: `command` needs at least the program",
        ),
        (
            "[batch.b]\ncommand = [\"b\"]\nallow_env = [\"A=B\"]\n",
            "batch.b: `allow_env` holds \"A=B\", which is no environment variable name",
        ),
        (
            "[batch.b]\ncommand = [\"b\"]\nimage = \"x\"\n",
            "unknown field `image`",
        ),
        (
            "[glue.g]\ncommand = [\"g\"]\nallow_arguments = [\"--\"]\n",
            "glue.g: `allow_arguments` holds \"--\", which is no argument name",
        ),
        (
            "[glue.g]\ncommand = [\"g\"]\nallow_arguments = [\"--a b\"]\n",
            "which is no argument name",
        ),
        (
            "[glue.g]\ncommand = [\"g\"]\nallow_env = [\"A\"]\n",
            "unknown field `allow_env`",
        ),
    ];
    for (text, message) in cases {
        let e = parse(text, &[]).unwrap_err();
        assert!(e.contains(message), "{text}: {e}");
    }
    let e = parse("", &[("BATON_GLUE__g", "x")]).unwrap_err();
    assert!(e.contains("BATON_GLUE__<NAME>__<KEY>"), "{e}");
}
