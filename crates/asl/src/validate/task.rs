//! The Task state: `Resource` (and what an Express machine refuses), timeouts and heartbeats,
//! `Credentials`.

use serde_json::{Map, Value};

use super::ctx::{exclusive, require, Ctx, Loc, Ql};
use super::{syntax, values};

/// Largest `TimeoutSeconds`/`HeartbeatSeconds` AWS accepts.
const MAX_SECONDS: i64 = 99_999_999;

pub(super) fn check_task(cx: &mut Ctx<'_>, obj: &Map<String, Value>, loc: &Loc, ql: Ql) {
    require(cx, obj, loc, &["Resource"]);
    if let Some(resource) = values::string(cx, obj, loc, "Resource") {
        check_resource(cx, resource, &loc.key("Resource"));
    }

    exclusive(cx, obj, loc, &["TimeoutSeconds", "TimeoutSecondsPath"]);
    exclusive(cx, obj, loc, &["HeartbeatSeconds", "HeartbeatSecondsPath"]);
    let timeout = values::integer_or_expr(cx, obj, loc, "TimeoutSeconds", ql, 1, MAX_SECONDS);
    let heartbeat = values::integer_or_expr(cx, obj, loc, "HeartbeatSeconds", ql, 1, MAX_SECONDS);
    if let (Some(t), Some(h)) = (timeout, heartbeat) {
        if h >= t {
            cx.schema(
                &loc.key("HeartbeatSeconds"),
                "The value of 'HeartbeatSeconds' must be smaller than the value of \
                 'TimeoutSeconds'"
                    .to_string(),
            );
        }
    }
    if ql == Ql::JsonPath {
        syntax::value_path_field(cx, obj, loc, "TimeoutSecondsPath");
        syntax::value_path_field(cx, obj, loc, "HeartbeatSecondsPath");
    }
    check_credentials(cx, obj, loc, ql);
}

/// A resource must be an ARN; an Express machine cannot wait for an activity, a job (`.sync`)
/// or a callback (`.waitForTaskToken`).
pub(super) fn check_resource(cx: &mut Ctx<'_>, resource: &str, at: &Loc) {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    let is_arn = parts.len() == 6
        && parts.first() == Some(&"arn")
        && parts.iter().skip(1).take(2).all(|p| !p.is_empty())
        && parts.get(5).is_some_and(|p| !p.is_empty());
    if !is_arn {
        cx.schema(at, "Value is not a valid resource ARN".to_string());
        return;
    }
    // `arn:<partition>:states:::<service>:<action>[<pattern>]` names an integration, which
    // Step Functions must know (its "optimized integrations" table, or an AWS SDK action).
    if parts.get(2) == Some(&"states")
        && parts.get(3).is_some_and(|p| p.is_empty())
        && parts.get(4).is_some_and(|p| p.is_empty())
        && !integration_known(parts.get(5).copied().unwrap_or_default())
    {
        cx.schema(
            at,
            format!(
                "The resource provided {resource} not recognized. The value is not a valid \
                 resource ARN, or the resource is not available in this region."
            ),
        );
        return;
    }
    if !cx.express() {
        return;
    }
    let service = parts.get(2).copied().unwrap_or_default();
    let rest = parts.get(5).copied().unwrap_or_default();
    if service == "states" && rest.starts_with("activity:") {
        cx.schema(
            at,
            "Express state machine does not support Activity ARN".to_string(),
        );
    } else if rest.ends_with(".sync") || rest.ends_with(".sync:2") {
        cx.schema(
            at,
            "Express state machine does not support '.sync' service integration".into(),
        );
    } else if rest.ends_with(".waitForTaskToken") {
        // AWS's message ends with a space.
        cx.schema(
            at,
            "Express state machine does not support '.waitForTaskToken' service integration "
                .to_string(),
        );
    }
}

/// The integration patterns a Task can name (AWS's "Integration pattern support").
#[derive(Clone, Copy)]
struct Patterns {
    sync: bool,
    callback: bool,
}

const RESPONSE: Patterns = Patterns {
    sync: false,
    callback: false,
};
const SYNC: Patterns = Patterns {
    sync: true,
    callback: false,
};
const CALLBACK: Patterns = Patterns {
    sync: false,
    callback: true,
};
const BOTH: Patterns = Patterns {
    sync: true,
    callback: true,
};

/// The optimized integrations by service: the actions Step Functions documents for each
/// (`None` where the service's page lists many and any action name is let through), and the
/// patterns its "Optimized integrations" table allows (Request Response always).
/// Source: Step Functions Developer Guide, "Integrating optimized services" and each service's
/// page (`connect-*.html`).
const OPTIMIZED: &[(&str, Option<&[&str]>, Patterns)] = &[
    ("apigateway", Some(&["invoke"]), CALLBACK),
    (
        "athena",
        Some(&[
            "startQueryExecution",
            "stopQueryExecution",
            "getQueryExecution",
            "getQueryResults",
        ]),
        SYNC,
    ),
    ("batch", Some(&["submitJob"]), SYNC),
    ("bedrock", None, BOTH),
    (
        "codebuild",
        Some(&[
            "startBuild",
            "stopBuild",
            "batchDeleteBuilds",
            "batchGetReports",
            "startBuildBatch",
            "stopBuildBatch",
            "retryBuildBatch",
            "retryBuild",
            "deleteBuildBatch",
        ]),
        SYNC,
    ),
    ("databrew", Some(&["startJobRun"]), SYNC),
    (
        "dynamodb",
        Some(&["getItem", "putItem", "updateItem", "deleteItem"]),
        RESPONSE,
    ),
    ("ecs", Some(&["runTask"]), BOTH),
    ("eks", None, BOTH),
    ("elasticmapreduce", None, SYNC),
    ("emr-containers", None, SYNC),
    ("emr-serverless", None, SYNC),
    ("events", Some(&["putEvents"]), CALLBACK),
    ("glue", Some(&["startJobRun"]), SYNC),
    ("http", Some(&["invoke"]), RESPONSE),
    ("lambda", Some(&["invoke"]), CALLBACK),
    ("mediaconvert", Some(&["createJob"]), SYNC),
    ("sagemaker", None, SYNC),
    ("sns", Some(&["publish"]), CALLBACK),
    ("sqs", Some(&["sendMessage"]), CALLBACK),
    ("states", Some(&["startExecution"]), BOTH),
];

/// Whether `rest` (what follows `arn:aws:states:::`) is an integration Step Functions knows:
/// `aws-sdk:<service>:<action>` with Request Response or a callback (SDK integrations have no
/// `.sync`), or an optimized integration's action with a pattern its service supports
/// (`.sync:2` only for `states:startExecution`).
fn integration_known(rest: &str) -> bool {
    let (call, pattern) = match rest.split_once('.') {
        Some((call, pattern)) => (call, Some(pattern)),
        None => (rest, None),
    };
    if let Some(sdk) = call.strip_prefix("aws-sdk:") {
        let named = sdk
            .split_once(':')
            .is_some_and(|(service, action)| !service.is_empty() && !action.is_empty());
        return named && matches!(pattern, None | Some("waitForTaskToken"));
    }
    let Some((service, action)) = call.split_once(':') else {
        return false;
    };
    let Some((_, actions, patterns)) = OPTIMIZED.iter().find(|(s, _, _)| *s == service) else {
        return false;
    };
    let action_known = match actions {
        Some(list) => list.contains(&action),
        None => !action.is_empty() && !action.contains(':'),
    };
    let pattern_known = match pattern {
        None => true,
        Some("sync") => patterns.sync,
        Some("sync:2") => service == "states",
        Some("waitForTaskToken") => patterns.callback,
        Some(_) => false,
    };
    action_known && pattern_known
}

/// `Credentials` names the role to assume: `RoleArn` (or `RoleArn.$` in JSONPath). AWS does not
/// parse a JSONata `RoleArn` when the definition is created, only when the state runs.
fn check_credentials(cx: &mut Ctx<'_>, obj: &Map<String, Value>, loc: &Loc, ql: Ql) {
    let Some(creds) = values::object(cx, obj, loc, "Credentials") else {
        return;
    };
    let at = loc.key("Credentials");
    let dynamic = ql == Ql::JsonPath && creds.contains_key("RoleArn.$");
    let role_key = if dynamic { "RoleArn.$" } else { "RoleArn" };
    match creds.get(role_key) {
        None => cx.schema(
            &at,
            "The field 'RoleArn' is required but was missing".to_string(),
        ),
        Some(v) if !v.is_string() => cx.wrong_type(&at.key(role_key), "STRING"),
        Some(_) if dynamic => syntax::payload_template_field(cx, obj, loc, "Credentials"),
        Some(_) => {}
    }
    if ql == Ql::JsonPath {
        exclusive(cx, creds, &at, &["RoleArn", "RoleArn.$"]);
    }
}
