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
