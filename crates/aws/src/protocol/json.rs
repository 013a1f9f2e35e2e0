//! JSON bodies: the whole of a `json` (awsJson 1.0/1.1) call and answer, and the body of a
//! `rest-json` one; and both protocols' errors.

use serde_json::{Map, Value};

use super::{
    base64_decode, base64_encode, blob_from_param, blob_to_result, malformed, param, timestamp,
    ts_format, wire_name, Cx, ParamError,
};
use crate::model::{Operation, Shape, ShapeRef};
use crate::names::member_name;
use crate::wire::{HttpRequest, HttpResponse, ServiceError};

/// A `json` protocol call: `POST /`, `X-Amz-Target: <targetPrefix>.<Operation>`.
pub(crate) fn serialize_rpc(
    cx: &Cx<'_>,
    op: &Operation,
    input: Option<(&ShapeRef, &Shape)>,
    object: &Map<String, Value>,
) -> Result<HttpRequest, ParamError> {
    let meta = &cx.model.metadata;
    let body = match input {
        Some((_, shape)) => structure_to_wire(cx, shape, object, |_| true)?,
        None => Map::new(),
    };
    let version = meta.json_version.as_deref().unwrap_or("1.0");
    let mut headers = Vec::new();
    if let Some(prefix) = &meta.target_prefix {
        headers.push(("X-Amz-Target".to_string(), format!("{prefix}.{}", op.name)));
    }
    headers.push((
        "Content-Type".to_string(),
        format!("application/x-amz-json-{version}"),
    ));
    Ok(HttpRequest {
        method: op.http.method.clone(),
        path: op.http.request_uri.clone(),
        headers,
        body: serde_json::to_vec(&Value::Object(body))
            .unwrap_or_default()
            .into(),
        host_prefix: None,
    })
}

/// A structure's members (those `include` keeps) as a JSON body object.
pub(crate) fn structure_to_wire(
    cx: &Cx<'_>,
    shape: &Shape,
    object: &Map<String, Value>,
    include: impl Fn(&ShapeRef) -> bool,
) -> Result<Map<String, Value>, ParamError> {
    let mut out = Map::new();
    for (name, r) in &shape.members {
        if !include(r) {
            continue;
        }
        if let Some(value) = param(object, name) {
            out.insert(wire_name(name, r).to_string(), to_wire(cx, r, value)?);
        }
    }
    Ok(out)
}

/// One member's value in a JSON body.
pub(crate) fn to_wire(cx: &Cx<'_>, r: &ShapeRef, value: &Value) -> Result<Value, ParamError> {
    let shape = cx.shape_of(r)?;
    if shape.document {
        return Ok(value.clone());
    }
    Ok(match (shape.kind.as_str(), value) {
        ("structure", Value::Object(object)) => {
            Value::Object(structure_to_wire(cx, shape, object, |_| true)?)
        }
        ("list", Value::Array(items)) => {
            let member = shape
                .member
                .as_deref()
                .ok_or_else(|| super::missing("member"))?;
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(if item.is_null() {
                    Value::Null
                } else {
                    to_wire(cx, member, item)?
                });
            }
            Value::Array(out)
        }
        ("map", Value::Object(entries)) => {
            let member = shape
                .value
                .as_deref()
                .ok_or_else(|| super::missing("value"))?;
            let mut out = Map::new();
            for (k, v) in entries {
                let v = if v.is_null() {
                    Value::Null
                } else {
                    to_wire(cx, member, v)?
                };
                out.insert(k.clone(), v);
            }
            Value::Object(out)
        }
        ("timestamp", v) => match timestamp::from_param(v) {
            Some(t) => timestamp::to_json(&t, ts_format(r, shape, timestamp::Format::Epoch)),
            None => v.clone(),
        },
        ("blob", v) => Value::String(base64_encode(&blob_from_param(v))),
        (_, v) => v.clone(),
    })
}

/// A `json` protocol answer.
pub(crate) fn parse_rpc(
    cx: &Cx<'_>,
    output: Option<&Shape>,
    response: &HttpResponse,
) -> Result<Value, ServiceError> {
    let Some(shape) = output else {
        return Ok(Value::Object(Map::new()));
    };
    let body = body_json(response)?;
    let Value::Object(object) = body else {
        return Ok(Value::Object(Map::new()));
    };
    structure_from_wire(cx, shape, &object, |_| true)
        .map(Value::Object)
        .map_err(|why| malformed(response, &why))
}

/// The answer's body as JSON; an empty body is `{}`.
pub(crate) fn body_json(response: &HttpResponse) -> Result<Value, ServiceError> {
    if response.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(&response.body).map_err(|e| malformed(response, &e.to_string()))
}

/// A structure's members (those `include` keeps) from a JSON body object, with Step Functions'
/// names, in the model's order.
pub(crate) fn structure_from_wire(
    cx: &Cx<'_>,
    shape: &Shape,
    object: &Map<String, Value>,
    include: impl Fn(&ShapeRef) -> bool,
) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for (name, r) in &shape.members {
        if !include(r) {
            continue;
        }
        match object.get(wire_name(name, r)) {
            None | Some(Value::Null) => {}
            Some(value) => {
                out.insert(member_name(name).into_owned(), from_wire(cx, r, value)?);
            }
        }
    }
    Ok(out)
}

/// One member's value from a JSON body.
pub(crate) fn from_wire(cx: &Cx<'_>, r: &ShapeRef, value: &Value) -> Result<Value, String> {
    let shape = cx
        .shape(&r.shape)
        .ok_or_else(|| format!("no shape {}", r.shape))?;
    if shape.document {
        return Ok(value.clone());
    }
    Ok(match (shape.kind.as_str(), value) {
        ("structure", Value::Object(object)) => {
            Value::Object(structure_from_wire(cx, shape, object, |_| true)?)
        }
        ("list", Value::Array(items)) => {
            let member = shape.member.as_deref().ok_or("a list without member")?;
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(if item.is_null() {
                    Value::Null
                } else {
                    from_wire(cx, member, item)?
                });
            }
            Value::Array(out)
        }
        ("map", Value::Object(entries)) => {
            let member = shape.value.as_deref().ok_or("a map without value")?;
            let mut out = Map::new();
            for (k, v) in entries {
                let v = if v.is_null() {
                    Value::Null
                } else {
                    from_wire(cx, member, v)?
                };
                out.insert(k.clone(), v);
            }
            Value::Object(out)
        }
        ("timestamp", v) => {
            let t = match v {
                Value::Number(n) => n.as_f64().and_then(timestamp::from_epoch),
                Value::String(s) => timestamp::from_text(s),
                _ => None,
            };
            match t {
                Some(t) => Value::String(timestamp::to_result(&t)),
                None => return Err(format!("{v} is not a timestamp")),
            }
        }
        ("blob", Value::String(s)) => match base64_decode(s) {
            Some(bytes) => blob_to_result(&bytes),
            None => return Err("a blob that is not base64".to_string()),
        },
        ("integer" | "long", Value::Number(n)) if !n.is_i64() && !n.is_u64() => n
            .as_f64()
            .filter(|f| f.fract() == 0.0)
            .map(|f| Value::from(f as i64))
            .unwrap_or_else(|| value.clone()),
        ("float" | "double", Value::String(s)) => {
            // Non-finite numbers come as strings ("NaN", "Infinity"); JSON has no such numbers.
            Value::String(s.clone())
        }
        (_, v) => v.clone(),
    })
}

/// A `json` or `rest-json` error answer. The code is the body's `__type` (or `code`) or the
/// `x-amzn-ErrorType` header (`rest-json` prefers the header), without any namespace (up to
/// `#`) or suffix (from `:`).
pub(crate) fn error(response: &HttpResponse, rest: bool) -> ServiceError {
    let body: Option<Map<String, Value>> = serde_json::from_slice(&response.body).ok();
    let field = |names: &[&str]| -> Option<String> {
        let body = body.as_ref()?;
        names
            .iter()
            .find_map(|n| body.get(*n).and_then(Value::as_str).map(str::to_string))
    };
    let header = response.header("x-amzn-errortype").map(str::to_string);
    let body_code = field(&["__type", "code", "Code"]);
    let code = if rest {
        header.or(body_code)
    } else {
        body_code.or(header)
    };
    let code = code
        .map(|c| sanitize_code(&c).to_string())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| super::xml::code_for_status(response.status).to_string());
    let message = field(&["message", "Message", "errorMessage"])
        .or_else(|| response.header("x-amzn-error-message").map(str::to_string));
    ServiceError {
        code,
        message,
        status: response.status,
        request_id: response
            .request_id()
            .map(str::to_string)
            .or_else(|| field(&["RequestId", "requestId"])),
        extended_request_id: response.header("x-amz-id-2").map(str::to_string),
    }
}

/// `aws.protocoltests#FooError:http://…` → `FooError`.
pub(crate) fn sanitize_code(code: &str) -> &str {
    let code = code.split(':').next().unwrap_or(code);
    let code = code.rsplit('#').next().unwrap_or(code);
    code.trim()
}
