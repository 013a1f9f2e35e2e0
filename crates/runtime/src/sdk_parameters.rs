//! The fields of an AWS SDK integration's `Parameters` (or `Arguments`), checked against the
//! service's model when a definition is created, updated or validated, as AWS checks them:
//! `SCHEMA_VALIDATION_FAILED: The field "static" is not supported by Step Functions at
//! /States/create-tenant-admin-policy/Parameters` (AWS's answer to a CloudFormation deployment,
//! quoted in aws/aws-cdk issue #29968). A field's name is known even when its value comes from
//! a path (`"Foo.$"`), so every key is checked; values are checked inside literal objects only.
//! A service whose model Baton does not have is not checked here (its task fails at run time
//! with what to install).

use std::sync::OnceLock;

use baton_asl::validate::{Diagnostic, Severity};
use baton_aws::model::{ServiceModel, Shape};
use baton_aws::registry::Registry;
use serde_json::{Map, Value};

/// The models: built in, then an installed botocore (looked for once, on first need).
fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry::new(Vec::new()))
}

/// A diagnostic for every field of an `aws-sdk:*` Task's parameters its operation's input does
/// not have. `text` is a definition that parsed.
pub(crate) fn diagnose(text: &str) -> Vec<Diagnostic> {
    if !text.contains("aws-sdk:") {
        return Vec::new();
    }
    let Ok(value) = baton_api::json::from_str(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(states) = value.get("States").and_then(Value::as_object) {
        walk(states, "/States", "/States", &mut out);
    }
    out
}

/// The states of one state set; `pointer` and `location` name its `States`.
fn walk(states: &Map<String, Value>, pointer: &str, location: &str, out: &mut Vec<Diagnostic>) {
    for (name, state) in states {
        let pointer = format!("{pointer}/{}", name.replace('~', "~0").replace('/', "~1"));
        let location = format!("{location}/{name}");
        if let Some(branches) = state.get("Branches").and_then(Value::as_array) {
            for (i, branch) in branches.iter().enumerate() {
                if let Some(states) = branch.get("States").and_then(Value::as_object) {
                    walk(
                        states,
                        &format!("{pointer}/Branches/{i}/States"),
                        &format!("{location}/Branches[{i}]/States"),
                        out,
                    );
                }
            }
        }
        for key in ["ItemProcessor", "Iterator"] {
            if let Some(states) = state
                .get(key)
                .and_then(|p| p.get("States"))
                .and_then(Value::as_object)
            {
                walk(
                    states,
                    &format!("{pointer}/{key}/States"),
                    &format!("{location}/{key}/States"),
                    out,
                );
            }
        }
        if state.get("Type").and_then(Value::as_str) != Some("Task") {
            continue;
        }
        let Some((service, action)) = state
            .get("Resource")
            .and_then(Value::as_str)
            .and_then(sdk_action)
        else {
            continue;
        };
        let Ok(model) = registry().service(service) else {
            continue;
        };
        let Some(op) = model.operation_for_action(action) else {
            continue;
        };
        let Some(input) = op.input.as_ref().and_then(|r| model.model.shape(&r.shape)) else {
            continue;
        };
        for field in ["Parameters", "Arguments"] {
            if let Some(Value::Object(params)) = state.get(field) {
                if let Some(unknown) = unknown_field(&model.model, input, params) {
                    out.push(Diagnostic {
                        code: "SCHEMA_VALIDATION_FAILED",
                        severity: Severity::Error,
                        pointer: format!("{pointer}/{field}"),
                        location: Some(format!("{location}/{field}")),
                        line: 0,
                        column: 0,
                        message: format!(
                            "The field \"{unknown}\" is not supported by Step Functions"
                        ),
                    });
                }
            }
        }
    }
}

/// `(service, action)` of `arn:<partition>:states:::aws-sdk:<service>:<action>[.<pattern>]`.
fn sdk_action(resource: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = resource.splitn(8, ':').collect();
    match parts.as_slice() {
        ["arn", _, "states", _, _, "aws-sdk", service, action] => {
            Some((service, action.split('.').next().unwrap_or_default()))
        }
        _ => None,
    }
}

/// The first field of `params` (and of the literal objects inside it) `shape` does not have.
fn unknown_field(
    model: &ServiceModel,
    shape: &Shape,
    params: &Map<String, Value>,
) -> Option<String> {
    for (key, value) in params {
        let (name, dynamic) = match key.strip_suffix(".$") {
            Some(name) => (name, true),
            None => (key.as_str(), false),
        };
        let Some(member) = shape
            .members
            .iter()
            .find(|(m, _)| baton_aws::names::member_name(m) == name)
            .and_then(|(_, r)| model.shape(&r.shape))
        else {
            return Some(name.to_string());
        };
        if dynamic {
            continue;
        }
        if let Some(unknown) = unknown_in_value(model, member, value) {
            return Some(unknown);
        }
    }
    None
}

fn unknown_in_value(model: &ServiceModel, shape: &Shape, value: &Value) -> Option<String> {
    match (shape.kind.as_str(), value) {
        ("structure", Value::Object(map)) => unknown_field(model, shape, map),
        ("list", Value::Array(items)) => {
            let member = shape.member.as_ref().and_then(|m| model.shape(&m.shape))?;
            items
                .iter()
                .find_map(|v| unknown_in_value(model, member, v))
        }
        ("map", Value::Object(map)) => {
            let inner = shape.value.as_ref().and_then(|m| model.shape(&m.shape))?;
            map.values().find_map(|v| unknown_in_value(model, inner, v))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::diagnose;

    fn messages(definition: serde_json::Value) -> Vec<(String, String)> {
        diagnose(&definition.to_string())
            .into_iter()
            .map(|d| (d.location.unwrap_or_default(), d.message))
            .collect()
    }

    #[test]
    fn unknown_fields_are_found_at_every_level_of_nesting() {
        let task = |params: serde_json::Value| {
            serde_json::json!({"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:putItem",
                               "Parameters": params, "End": true})
        };
        let definition = serde_json::json!({"StartAt": "P", "States": {
            "P": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "Ok", "States": {"Ok": task(serde_json::json!({
                    "TableName": "t", "Item.$": "$.item", "ReturnValues": "NONE"}))}},
                {"StartAt": "Dynamic", "States": {"Dynamic": task(serde_json::json!({
                    "TableName": "t", "Nope.$": "$.x"}))}}
            ]},
            "M": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "Nested", "States": {
                "Nested": task(serde_json::json!({"TableName": "t",
                    "Expected": {"id": {"Exists": false, "Oops": 1}}}))}}}
        }});
        assert_eq!(
            messages(definition),
            [
                (
                    "/States/P/Branches[1]/States/Dynamic/Parameters".to_string(),
                    "The field \"Nope\" is not supported by Step Functions".to_string()
                ),
                (
                    "/States/M/ItemProcessor/States/Nested/Parameters".to_string(),
                    "The field \"Oops\" is not supported by Step Functions".to_string()
                ),
            ]
        );
    }

    #[test]
    fn other_resources_and_unknown_services_are_left_to_run_time() {
        let definition = serde_json::json!({"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                  "Parameters": {"Whatever": 1}, "Next": "B"},
            "B": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:nosuchservice:doIt",
                  "Parameters": {"Whatever": 1}, "End": true}
        }});
        assert!(messages(definition).is_empty());
    }
}
