//! The context object of a tested state: the one TestState makes up (an Express execution of
//! a throw-away state machine), or the one the request supplies, checked as AWS checks it.

use serde_json::{json, Map, Value};

use super::types::TestStateError;
use crate::context::iso_time;
use crate::history::Millis;

/// Names and times the made-up context shows.
pub(crate) struct Identity<'a> {
    pub partition: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub state_machine_name: &'a str,
    pub execution_name: &'a str,
    pub role_arn: Option<&'a str>,
    pub now: Millis,
}

/// `$$` without its `State` member (and without `Task`, added per task).
pub(crate) fn made_up(id: &Identity<'_>, input: &Value) -> Map<String, Value> {
    let mut m = Map::new();
    let prefix = format!("arn:{}:states:{}:{}", id.partition, id.region, id.account);
    m.insert(
        "Execution".into(),
        json!({
            "Id": format!("{prefix}:express:{}:{}", id.state_machine_name, id.execution_name),
            "Input": input,
            "Name": id.execution_name,
            "RoleArn": id.role_arn,
            "StartTime": iso_time(id.now),
        }),
    );
    m.insert(
        "StateMachine".into(),
        json!({
            "Id": format!("{prefix}:stateMachine:{}", id.state_machine_name),
            "Name": id.state_machine_name,
        }),
    );
    m
}

/// The JSON type a member of a supplied context must have.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Integer,
    Any,
}

/// Members a supplied context may have, per object.
const MEMBERS: &[(&str, &[(&str, Kind)])] = &[
    (
        "Execution",
        &[
            ("Id", Kind::Text),
            ("Input", Kind::Any),
            ("Name", Kind::Text),
            ("RoleArn", Kind::Text),
            ("StartTime", Kind::Text),
            ("RedriveCount", Kind::Integer),
            ("RedriveTime", Kind::Text),
        ],
    ),
    (
        "State",
        &[
            ("EnteredTime", Kind::Text),
            ("Name", Kind::Text),
            ("RetryCount", Kind::Integer),
        ],
    ),
    ("StateMachine", &[("Id", Kind::Text), ("Name", Kind::Text)]),
    ("Task", &[("Token", Kind::Text)]),
];

/// Parses and checks a supplied context object (`context` in the request).
pub(crate) fn supplied(text: &str) -> Result<Value, TestStateError> {
    let invalid =
        |m: String| TestStateError::Validation(format!("Invalid Context object provided: {m}"));
    let value: Value = serde_json::from_str(text).map_err(|_| {
        invalid(baton_asl::parse::json_syntax_error(text).unwrap_or_else(|| "Invalid JSON".into()))
    })?;
    let Value::Object(top) = &value else {
        return Err(invalid("The Context object must be a JSON object".into()));
    };
    for (key, member) in top {
        if key == "Map" {
            return Err(invalid(
                "'Map' field is not supported when mocking a Context object".into(),
            ));
        }
        let Some((_, allowed)) = MEMBERS.iter().find(|(k, _)| k == key) else {
            return Err(invalid(format!("Field '{key}' is not allowed")));
        };
        let obj = match member {
            Value::Null => continue,
            Value::Object(o) => o,
            _ => return Err(invalid(format!("{key} must be an object"))),
        };
        for (field, v) in obj {
            let Some((_, kind)) = allowed.iter().find(|(f, _)| f == field) else {
                return Err(invalid(format!("Field '{field}' is not allowed")));
            };
            let fits = match kind {
                Kind::Any => true,
                Kind::Text => v.is_string() || v.is_null(),
                Kind::Integer => v.is_i64() || v.is_u64() || v.is_null(),
            };
            if !fits {
                let expected = match kind {
                    Kind::Integer => "an integer",
                    _ => "a string",
                };
                return Err(invalid(format!("{key}.{field} must be {expected}")));
            }
        }
    }
    Ok(value)
}
