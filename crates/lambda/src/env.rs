//! The environment of a warm process, as Lambda defines it (the developer guide, "Working with
//! Lambda environment variables", section "Defined runtime environment variables").
//!
//! A process gets nothing else from Baton's own environment but `PATH`, `HOME` and `LANG`: a
//! handler sees what Lambda would give it and what the operator configured for it, never a
//! credential or setting that happens to be in the shell Baton was started from.

use std::collections::BTreeMap;

use crate::{Function, Runtimes};

/// The keys Lambda reserves: a function's `Environment.Variables` cannot set them (Lambda
/// refuses such a configuration; Baton keeps its own value and says so in its log). From the
/// same page's list of reserved variables.
pub const RESERVED: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
    "TZ",
];

/// The variables of one process: `PATH`, `HOME`, `LANG` from Baton's environment, then the SDK
/// environment (`sdk_env`: endpoints, dummy credentials, region), then the function's own
/// variables (which may replace the endpoints but not a reserved key), then Lambda's runtime
/// variables.
pub(crate) fn environment(
    function: &Function,
    runtimes: &Runtimes,
    sdk_env: &BTreeMap<String, String>,
    port: u16,
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for key in ["PATH", "HOME"] {
        if let Ok(value) = std::env::var(key) {
            env.insert(key.to_string(), value);
        }
    }
    // Lambda's locale (unreserved: a function may set another).
    env.insert(
        "LANG".into(),
        std::env::var("LANG").unwrap_or_else(|_| "en_US.UTF-8".into()),
    );
    env.extend(sdk_env.iter().map(|(k, v)| (k.clone(), v.clone())));
    for (key, value) in &function.environment {
        if RESERVED.contains(&key.as_str()) {
            tracing::warn!(
                function = %function.name,
                key = %key,
                "a reserved Lambda variable cannot be set by the function's environment; ignored"
            );
            continue;
        }
        env.insert(key.clone(), value.clone());
    }
    let region = sdk_env
        .get("AWS_REGION")
        .cloned()
        .unwrap_or_else(|| "us-east-1".into());
    let now: chrono::DateTime<chrono::Utc> = std::time::SystemTime::now().into();
    let date = now.format("%Y/%m/%d");
    let stream = format!(
        "{date}/[{}]{}",
        function.version,
        uuid::Uuid::new_v4().simple()
    );
    let runtime_dir = runtimes.dir_of(&function.runtime);
    let reserved = [
        ("_HANDLER", function.handler.clone()),
        ("AWS_REGION", region.clone()),
        ("AWS_DEFAULT_REGION", region),
        (
            "AWS_EXECUTION_ENV",
            format!("AWS_Lambda_{}", function.runtime),
        ),
        ("AWS_LAMBDA_FUNCTION_NAME", function.name.clone()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            function.memory_mb.to_string(),
        ),
        ("AWS_LAMBDA_FUNCTION_VERSION", function.version.clone()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{}", function.name),
        ),
        ("AWS_LAMBDA_LOG_STREAM_NAME", stream),
        ("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}")),
        ("LAMBDA_TASK_ROOT", function.code.display().to_string()),
        ("LAMBDA_RUNTIME_DIR", runtime_dir.display().to_string()),
        ("TZ", ":UTC".into()),
    ];
    for (key, value) in reserved {
        env.insert(key.to_string(), value);
    }
    env
}
