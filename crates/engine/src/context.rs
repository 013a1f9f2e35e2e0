//! The context object (`$$`, `$states.context`): the execution, the state machine, the
//! current state, and where they apply the task token and the Map item.

use serde_json::{json, Map, Value};

use crate::history::Millis;
use crate::signal::ExecutionInfo;

/// AWS's ISO-8601 form of a context time: UTC, millisecond precision, `Z`.
pub fn iso_time(ms: Millis) -> String {
    let secs = ms.div_euclid(1000);
    let nanos = (ms.rem_euclid(1000) * 1_000_000) as u32;
    match chrono::DateTime::from_timestamp(secs, nanos) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => "1970-01-01T00:00:00.000Z".to_string(),
    }
}

/// The parts of `$$` that stay the same for the whole execution.
pub fn base(info: &ExecutionInfo, input: &Value, start: Millis) -> Map<String, Value> {
    let mut m = Map::new();
    let mut execution = json!({
        "Id": info.execution_arn,
        "Input": input,
        "StartTime": iso_time(start),
        "Name": info.execution_name,
        "RoleArn": info.role_arn,
    });
    if !info.express {
        execution["RedriveCount"] = json!(info.redrive_count);
    }
    m.insert("Execution".into(), execution);
    m.insert(
        "StateMachine".into(),
        json!({"Id": info.state_machine_arn, "Name": info.state_machine_name}),
    );
    m
}

/// What varies per state.
pub struct StateContext<'a> {
    pub name: &'a str,
    pub entered: Millis,
    /// `RetryCount`, present for states that can retry.
    pub retry_count: Option<u32>,
    pub token: Option<&'a str>,
    pub map_item: Option<(usize, &'a Value)>,
}

pub fn build(base: &Map<String, Value>, s: &StateContext<'_>) -> Value {
    let mut m = base.clone();
    let mut state = Map::new();
    state.insert("Name".into(), json!(s.name));
    state.insert("EnteredTime".into(), json!(iso_time(s.entered)));
    if let Some(n) = s.retry_count {
        state.insert("RetryCount".into(), json!(n));
    }
    m.insert("State".into(), Value::Object(state));
    if let Some(token) = s.token {
        m.insert("Task".into(), json!({ "Token": token }));
    }
    if let Some((index, value)) = s.map_item {
        m.insert(
            "Map".into(),
            json!({"Item": {"Index": index, "Value": value}}),
        );
    }
    Value::Object(m)
}

/// Puts `$$.Map.Item` (`Index`, `Value`) into a context [`build`] made, where `build` with
/// `map_item` would have put it; `value` is moved in, not copied.
pub fn set_map_item(context: &mut Value, index: usize, value: Value) {
    let Value::Object(m) = context else {
        return;
    };
    let mut item = Map::new();
    item.insert("Index".into(), Value::from(index));
    item.insert("Value".into(), value);
    let mut map = Map::new();
    map.insert("Item".into(), Value::Object(item));
    m.insert("Map".into(), Value::Object(map));
}
