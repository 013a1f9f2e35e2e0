//! `[functions.NAME]` as a Lambda handler: `runtime`, `handler`, `code` and the rest, and the
//! mistakes refused with a message that names them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use baton_integrations::config::{
    default_max_concurrency, Config, Handler, Target, DEFAULT_FUNCTION_TIMEOUT_SECONDS,
};

fn parse(text: &str, vars: &[(&str, &str)]) -> Result<Config, String> {
    let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    Config::parse(text, "baton.toml", Path::new("/srv/app"), vars).map_err(|e| e.to_string())
}

fn handler_of(config: &Config, name: &str) -> Handler {
    match &config.functions[name].target {
        Target::Handler(h) => h.clone(),
        other => panic!("{name} is not a handler: {other:?}"),
    }
}

#[test]
fn a_handler_function_loads_with_its_code_folder_resolved() {
    let config = parse(
        r#"
        [functions.validate-order]
        runtime = "nodejs20.x"
        handler = "src/validateOrder.handler"
        code = "dist"
        environment = { TABLE = "orders" }
        timeout_seconds = 3
        memory_mb = 256
        max_concurrency = 4

        [functions.py]
        runtime = "python3.12"
        handler = "pkg.module.handler"
        code = "py"
        env = { STAGE = "local" }

        [functions.rust]
        runtime = "provided.al2023"
        code = "target/lambda/rust"
        "#,
        &[("BATON_FUNCTIONS__py__ENVIRONMENT__EXTRA", "1")],
    )
    .expect("valid");
    assert_eq!(
        handler_of(&config, "validate-order"),
        Handler {
            runtime: "nodejs20.x".into(),
            handler: "src/validateOrder.handler".into(),
            code: PathBuf::from("/srv/app/dist"),
            environment: BTreeMap::from([("TABLE".into(), "orders".into())]),
            memory_mb: 256,
            max_concurrency: 4,
        }
    );
    assert_eq!(config.functions["validate-order"].timeout_seconds, 3);
    let py = handler_of(&config, "py");
    assert_eq!(
        py.environment,
        BTreeMap::from([
            ("EXTRA".into(), "1".into()),
            ("STAGE".into(), "local".into())
        ])
    );
    assert_eq!(py.memory_mb, 128);
    assert_eq!(py.max_concurrency, default_max_concurrency());
    assert_eq!(
        config.functions["py"].timeout_seconds,
        DEFAULT_FUNCTION_TIMEOUT_SECONDS
    );
    let rust = handler_of(&config, "rust");
    assert_eq!(rust.handler, "bootstrap");
    assert_eq!(rust.code, PathBuf::from("/srv/app/target/lambda/rust"));
}

#[test]
fn handler_mistakes_are_refused_with_a_message_that_names_them() {
    let cases: &[(&str, &str)] = &[
        (
            "[functions.f]\nruntime = \"nodejs16.x\"\nhandler = \"index.handler\"\ncode = \"c\"",
            "unknown `runtime` \"nodejs16.x\"; Baton runs nodejs18.x, nodejs20.x, nodejs22.x, python3.9, python3.10, python3.11, python3.12, python3.13, provided, provided.al2, provided.al2023",
        ),
        (
            "[functions.f]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"",
            "functions.f: `handler` needs `code`",
        ),
        (
            "[functions.f]\nhandler = \"index.handler\"\ncode = \"c\"",
            "functions.f: a handler function needs `runtime` (one of nodejs18.x",
        ),
        (
            "[functions.f]\nruntime = \"python3.12\"\ncode = \"c\"",
            "functions.f: `handler` is missing",
        ),
        (
            "[functions.f]\nruntime = \"python3.12\"\nhandler = \"handler\"\ncode = \"c\"",
            "functions.f: `handler` \"handler\" is not `file.function`",
        ),
        (
            "[functions.f]\nruntime = \"nodejs20.x\"\nhandler = \"a.\"\ncode = \"c\"",
            "is not `file.function`",
        ),
        (
            "[functions.f]\ncommand = [\"node\", \"f.js\"]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\ncode = \"c\"",
            "functions.f: `runtime` makes a handler function, which has no `command`",
        ),
        (
            "[functions.f]\nurl = \"http://127.0.0.1:1/\"\nhandler = \"index.handler\"",
            "functions.f: `handler` makes a handler function, which has no `url`",
        ),
        (
            "[functions.f]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\ncode = \"c\"\ncwd = \"x\"",
            "which has no `cwd`",
        ),
        (
            "[functions.f]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\ncode = \"c\"\nmemory_mb = 64",
            "functions.f: `memory_mb` is between 128 and 10240",
        ),
        (
            "[functions.f]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\ncode = \"c\"\nmax_concurrency = 0",
            "functions.f: `max_concurrency` must be at least 1",
        ),
        (
            "[functions.f]\ncwd = \"x\"",
            "functions.f: missing `command` (argv list), `url`, or `runtime`",
        ),
    ];
    for (text, expected) in cases {
        let err = parse(text, &[]).expect_err(text);
        assert!(
            err.contains(expected),
            "{text}\n→ {err}\nwanted: {expected}"
        );
    }
}
