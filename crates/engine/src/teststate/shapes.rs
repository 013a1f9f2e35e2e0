//! Mocked task results checked against the output shape of the API the Task calls, as
//! `fieldValidationMode` asks: member types, enums, lengths and ranges, and (STRICT) required
//! members. The shapes come from AWS's published service models (botocore's, Apache-2.0),
//! cut down to output shapes by `models/generate.py`; a caller can add more services.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::types::FieldValidationMode;

/// Output shapes of the operations of one service.
#[derive(Debug, Clone, Default)]
pub struct ServiceModel {
    /// Operation name, lower-cased → its output shape.
    ops: HashMap<String, ShapeRef>,
    shapes: HashMap<String, Shape>,
}

#[derive(Debug, Clone, PartialEq)]
enum ShapeRef {
    Scalar(Scalar),
    Named(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scalar {
    String,
    Integer,
    Long,
    Float,
    Double,
    Boolean,
    Timestamp,
    Blob,
    /// Any JSON value.
    Document,
}

#[derive(Debug, Clone)]
enum Shape {
    Structure {
        /// Member names as Step Functions writes them (first letter upper-case).
        members: Vec<(String, ShapeRef)>,
        required: Vec<String>,
    },
    List(ShapeRef),
    Map(ShapeRef),
    Scalar {
        kind: Scalar,
        min: Option<f64>,
        max: Option<f64>,
        values: Option<Vec<String>>,
    },
}

/// A service model this module cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("service model: {0}")]
pub struct ModelFormatError(String);

fn scalar(name: &str) -> Option<Scalar> {
    Some(match name {
        "string" => Scalar::String,
        "integer" => Scalar::Integer,
        "long" => Scalar::Long,
        "float" => Scalar::Float,
        "double" => Scalar::Double,
        "boolean" => Scalar::Boolean,
        "timestamp" => Scalar::Timestamp,
        "blob" => Scalar::Blob,
        "document" => Scalar::Document,
        _ => return None,
    })
}

/// Step Functions presents every member of an SDK response with an upper-case first letter
/// (`executionArn` → `ExecutionArn`).
fn sfn_cased(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn bounds(s: &Map<String, Value>) -> (Option<f64>, Option<f64>) {
    (
        s.get("min").and_then(Value::as_f64),
        s.get("max").and_then(Value::as_f64),
    )
}

fn values_of(s: &Map<String, Value>) -> Option<Vec<String>> {
    s.get("enum").and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    })
}

fn required_of(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(sfn_cased).collect())
        .unwrap_or_default()
}

impl ServiceModel {
    pub fn from_compact(v: &Value) -> Result<ServiceModel, ModelFormatError> {
        let bad = |m: &str| ModelFormatError(m.to_string());
        let to_ref = |r: &Value| -> Result<ShapeRef, ModelFormatError> {
            let s = r
                .as_str()
                .ok_or_else(|| bad("shape reference is not a string"))?;
            match s.strip_prefix('#') {
                Some(t) => scalar(t).map(ShapeRef::Scalar).ok_or_else(|| bad(s)),
                None => Ok(ShapeRef::Named(s.to_string())),
            }
        };
        let mut model = ServiceModel::default();
        let ops = v
            .get("ops")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("no ops"))?;
        for (name, r) in ops {
            model.ops.insert(name.to_ascii_lowercase(), to_ref(r)?);
        }
        let shapes = v
            .get("shapes")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("no shapes"))?;
        for (name, s) in shapes {
            let s = s.as_object().ok_or_else(|| bad("shape is not an object"))?;
            let shape = if let Some(Value::Object(m)) = s.get("s") {
                let mut members = Vec::with_capacity(m.len());
                for (k, r) in m {
                    members.push((sfn_cased(k), to_ref(r)?));
                }
                Shape::Structure {
                    members,
                    required: required_of(s.get("r")),
                }
            } else if let Some(r) = s.get("l") {
                Shape::List(to_ref(r)?)
            } else if let Some(r) = s.get("m") {
                Shape::Map(to_ref(r)?)
            } else {
                let t = s.get("t").and_then(Value::as_str).unwrap_or_default();
                let kind = scalar(t).ok_or_else(|| bad(t))?;
                let (min, max) = bounds(s);
                Shape::Scalar {
                    kind,
                    min,
                    max,
                    values: values_of(s),
                }
            };
            model.shapes.insert(name.clone(), shape);
        }
        Ok(model)
    }

    /// Reads a botocore `service-2.json` model (only what validation needs is kept).
    pub fn from_botocore(v: &Value) -> Result<ServiceModel, ModelFormatError> {
        let bad = |m: &str| ModelFormatError(m.to_string());
        let shapes = v
            .get("shapes")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("no shapes"))?;
        let member_ref = |m: &Value| -> Result<ShapeRef, ModelFormatError> {
            m.get("shape")
                .and_then(Value::as_str)
                .map(|s| ShapeRef::Named(s.to_string()))
                .ok_or_else(|| bad("member without a shape"))
        };
        let mut model = ServiceModel::default();
        for (name, s) in shapes {
            let s = s.as_object().ok_or_else(|| bad("shape is not an object"))?;
            let t = s.get("type").and_then(Value::as_str).unwrap_or_default();
            let shape = match t {
                _ if s.get("document") == Some(&Value::Bool(true)) => Shape::Scalar {
                    kind: Scalar::Document,
                    min: None,
                    max: None,
                    values: None,
                },
                "structure" => {
                    let mut members = Vec::new();
                    if let Some(Value::Object(m)) = s.get("members") {
                        for (k, mv) in m {
                            members.push((sfn_cased(k), member_ref(mv)?));
                        }
                    }
                    Shape::Structure {
                        members,
                        required: required_of(s.get("required")),
                    }
                }
                "list" => Shape::List(member_ref(s.get("member").unwrap_or(&Value::Null))?),
                "map" => Shape::Map(member_ref(s.get("value").unwrap_or(&Value::Null))?),
                other => {
                    let (min, max) = bounds(s);
                    Shape::Scalar {
                        kind: scalar(other).ok_or_else(|| bad(other))?,
                        min,
                        max,
                        values: values_of(s),
                    }
                }
            };
            model.shapes.insert(name.clone(), shape);
        }
        if let Some(Value::Object(ops)) = v.get("operations") {
            for (name, op) in ops {
                if let Some(out) = op.get("output") {
                    model
                        .ops
                        .insert(name.to_ascii_lowercase(), member_ref(out)?);
                }
            }
        }
        Ok(model)
    }

    fn output_of(&self, action: &str) -> Option<&ShapeRef> {
        self.ops.get(&action.to_ascii_lowercase())
    }
}

/// The service models mocked results are checked against, by botocore service name.
#[derive(Debug, Clone, Default)]
pub struct ServiceModels {
    services: HashMap<String, Arc<ServiceModel>>,
}

impl ServiceModels {
    /// No models: nothing is checked.
    pub fn empty() -> ServiceModels {
        ServiceModels::default()
    }

    /// Adds (or replaces) the model of `service` (botocore's name: `s3`, `stepfunctions`, …).
    pub fn insert(&mut self, service: &str, model: ServiceModel) {
        self.services.insert(service.to_string(), Arc::new(model));
    }

    /// Names of the services with a model.
    pub fn services(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.services.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

/// The API a Task resource calls with the request-response pattern, as (botocore service,
/// action, optimized integration). `.sync` and `.waitForTaskToken` results are not the API's
/// response, and HTTP and API Gateway calls have no model: `None` for those.
fn api_of(resource: &str) -> Option<(String, String, bool)> {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    if parts.get(2) != Some(&"states") {
        return None;
    }
    let rest = parts.get(5)?;
    let (service, action, optimized) = match rest.strip_prefix("aws-sdk:") {
        Some(sdk) => {
            let (svc, action) = sdk.split_once(':')?;
            let svc = match svc {
                "sfn" => "stepfunctions",
                "eventbridge" => "events",
                "emrcontainers" => "emr-containers",
                "emrserverless" => "emr-serverless",
                "bedrockruntime" => "bedrock-runtime",
                other => other,
            };
            (svc, action, false)
        }
        None => {
            let (svc, action) = rest.split_once(':')?;
            let svc = match svc {
                "states" => "stepfunctions",
                "elasticmapreduce" => "emr",
                "bedrock" => "bedrock-runtime",
                "apigateway" | "http" => return None,
                other => other,
            };
            (svc, action, true)
        }
    };
    if action.contains('.') {
        return None;
    }
    Some((service.to_string(), action.to_string(), optimized))
}

/// Checks a mocked `result` for the Task `resource`; the error is AWS's message.
pub(crate) fn check(
    models: &ServiceModels,
    resource: &str,
    result: &Value,
    mode: FieldValidationMode,
) -> Result<(), String> {
    if mode == FieldValidationMode::None {
        return Ok(());
    }
    let Some((service, action, optimized)) = api_of(resource) else {
        return Ok(());
    };
    let Some(model) = models.services.get(&service) else {
        return Ok(());
    };
    let Some(root) = model.output_of(&action) else {
        return Ok(());
    };
    // The optimized Lambda integration returns the function's response as JSON, not a blob.
    let documents: &[&str] = if optimized && service == "lambda" {
        &["Payload"]
    } else {
        &[]
    };
    let checker = Checker {
        model,
        strict: mode == FieldValidationMode::Strict,
        documents,
    };
    checker
        .value(root, result, None, 0)
        .map_err(|m| format!("Mock result schema validation error: {m}"))
}

/// Values nested deeper than this are not looked into.
const MAX_DEPTH: usize = 128;

struct Checker<'a> {
    model: &'a ServiceModel,
    strict: bool,
    /// Top-level members that hold any JSON value.
    documents: &'a [&'a str],
}

impl Checker<'_> {
    fn value(
        &self,
        shape: &ShapeRef,
        v: &Value,
        field: Option<&str>,
        depth: usize,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Ok(());
        }
        let name = field.unwrap_or_default();
        let type_error = |what: &str| Err(format!("Field '{name}' must be {what}"));
        let shape = match shape {
            ShapeRef::Scalar(kind) => {
                return scalar_value(*kind, None, None, None, v, name);
            }
            ShapeRef::Named(n) => match self.model.shapes.get(n) {
                Some(s) => s,
                None => return Ok(()),
            },
        };
        match shape {
            Shape::Structure { members, required } => {
                let Value::Object(obj) = v else {
                    return match field {
                        Some(_) => type_error("an object"),
                        None => Err("Mock result must be a JSON object".to_string()),
                    };
                };
                if self.strict {
                    if let Some(missing) = required.iter().find(|r| !obj.contains_key(*r)) {
                        return Err(format!("Required field '{missing}' is missing"));
                    }
                }
                for (key, item) in obj {
                    // Members the model does not know are let through: models grow.
                    let Some((_, member)) = members.iter().find(|(k, _)| k == key) else {
                        continue;
                    };
                    if depth == 0 && self.documents.contains(&key.as_str()) {
                        continue;
                    }
                    self.value(member, item, Some(key), depth + 1)?;
                }
                Ok(())
            }
            Shape::List(member) => match v {
                Value::Array(items) => items
                    .iter()
                    .try_for_each(|item| self.value(member, item, field, depth + 1)),
                _ => type_error("an array"),
            },
            Shape::Map(value) => match v {
                Value::Object(m) => m
                    .values()
                    .try_for_each(|item| self.value(value, item, field, depth + 1)),
                _ => type_error("an object"),
            },
            Shape::Scalar {
                kind,
                min,
                max,
                values,
            } => scalar_value(*kind, *min, *max, values.as_deref(), v, name),
        }
    }
}

fn scalar_value(
    kind: Scalar,
    min: Option<f64>,
    max: Option<f64>,
    values: Option<&[String]>,
    v: &Value,
    name: &str,
) -> Result<(), String> {
    let type_error = |what: &str| Err(format!("Field '{name}' must be {what}"));
    match kind {
        Scalar::Document => Ok(()),
        Scalar::Boolean => match v {
            Value::Bool(_) => Ok(()),
            _ => type_error("a boolean"),
        },
        Scalar::Integer | Scalar::Long | Scalar::Float | Scalar::Double => {
            let n = match kind {
                Scalar::Integer | Scalar::Long if v.is_i64() || v.is_u64() => v.as_f64(),
                Scalar::Float | Scalar::Double => v.as_f64(),
                _ => None,
            };
            let Some(n) = n else {
                return type_error("a number");
            };
            if min.is_some_and(|m| n < m) {
                return Err(format!("Field '{name}' is less than the minimum value"));
            }
            if max.is_some_and(|m| n > m) {
                return Err(format!("Field '{name}' exceeds the maximum value"));
            }
            Ok(())
        }
        Scalar::String | Scalar::Timestamp | Scalar::Blob => {
            let Value::String(s) = v else {
                return type_error("a string");
            };
            if let Some(values) = values {
                if !values.iter().any(|e| e == s) {
                    return Err(format!("Field '{name}' is not an expected value"));
                }
            }
            let len = s.chars().count() as f64;
            if min.is_some_and(|m| len < m) {
                return Err(format!("Field '{name}' is smaller than the minimum length"));
            }
            if max.is_some_and(|m| len > m) {
                return Err(format!("Field '{name}' exceeds the maximum length"));
            }
            Ok(())
        }
    }
}
