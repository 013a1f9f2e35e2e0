//! A call's parameters to one HTTP request, and its answer back to JSON, in each of the
//! protocols AWS's service models name: `json` (awsJson 1.0 and 1.1), `rest-json`, `rest-xml`,
//! `query` and `ec2`.
//!
//! Parameters carry Step Functions' member names (`names::member_name` of the model's), and
//! are checked against the operation's input before any request: a field the model does not
//! have, or a value of the wrong JSON type, is refused with the cause Step Functions gives.
//! Constraints (`min`, `max`, `pattern`, `required`, enums) are left to the service, as the AWS
//! SDK for Java 2.x, on which Step Functions' integrations are built, leaves them.
//!
//! Answers become JSON with Step Functions' member names, in the model's member order; members
//! the service did not send are left out. Timestamps are written as the Java SDK's `Instant`
//! writes them (`timestamp::to_result`), blobs as [`blob_to_result`] writes them.

mod json;
mod query;
mod rest;
pub mod timestamp;
mod validate;
mod xml;

use std::borrow::Cow;

use base64::Engine;
use serde_json::{Map, Value};

use crate::model::{Operation, ServiceModel, Shape, ShapeRef};
use crate::names::member_name;
use crate::wire::{HttpRequest, HttpResponse, ServiceError};

/// Why a Task's parameters were refused before any request was made. Each variant's `Display`
/// is the cause as Step Functions words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// A field the operation's input (or a structure within it) does not have. Step Functions
    /// fails the Task with `States.Runtime` and this cause.
    #[error("The field \"{0}\" is not supported by Step Functions")]
    UnknownField(String),
    /// A value of the wrong JSON type for its member (a string for a list, an object for a
    /// string, …), or a timestamp that is no date, anywhere within the top-level field named.
    ///
    /// The words are those Step Functions gives for a Task's field of the wrong shape (recorded
    /// for `arn:aws:states:::apigateway:invoke` with a string where `Headers` takes lists, the
    /// cause then reading "The Parameters '…' could not be used to start the Task: [The value of
    /// the field 'Headers' has an invalid format]"); that the AWS SDK integrations word a wrong
    /// type the same way is not confirmed.
    #[error("The value of the field '{0}' has an invalid format")]
    InvalidFormat(String),
    /// The parameters are neither an object nor null. Not confirmed against AWS.
    #[error("The Parameters must be a JSON object")]
    NotAnObject,
    /// The model names a protocol this module does not speak.
    #[error("The service's protocol '{0}' is not supported")]
    UnsupportedProtocol(String),
    /// The model refers to a shape it does not define.
    #[error("The service model has no shape '{0}'")]
    MissingShape(String),
}

/// The protocols spoken here.
const PROTOCOLS: [&str; 5] = ["json", "rest-json", "rest-xml", "query", "ec2"];

/// The protocol a call to `model`'s service is made in: the first of the model's `protocols`
/// spoken here (botocore's choice), else its `protocol`.
pub fn protocol(model: &ServiceModel) -> &str {
    model
        .metadata
        .protocols
        .iter()
        .find(|p| PROTOCOLS.contains(&p.as_str()))
        .map(String::as_str)
        .unwrap_or(&model.metadata.protocol)
}

/// `op`'s request for `params` (a Task's `Parameters`: an object with Step Functions' member
/// names, or null for none). Idempotency tokens left out are filled with a fresh UUID.
pub fn serialize(
    model: &ServiceModel,
    op: &Operation,
    params: &Value,
) -> Result<HttpRequest, ParamError> {
    let empty = Map::new();
    let object = match params {
        Value::Object(map) => map,
        Value::Null => &empty,
        _ => return Err(ParamError::NotAnObject),
    };
    let cx = Cx { model };
    let input = match &op.input {
        Some(r) => Some((r, cx.shape(&r.shape).ok_or_else(|| missing(&r.shape))?)),
        None => None,
    };
    let serialised;
    let object = match input {
        Some((_, shape)) => {
            serialised = validate::text_members(&cx, shape, object);
            validate::structure(&cx, shape, &serialised)?;
            &serialised
        }
        None => {
            if let Some(name) = object.keys().next() {
                return Err(ParamError::UnknownField(name.clone()));
            }
            object
        }
    };
    let object = with_idempotency_tokens(input.map(|(_, s)| s), object);
    let host_prefix = host_prefix(&cx, op, input.map(|(_, s)| s), &object)?;
    let mut request = match protocol(model) {
        "json" => json::serialize_rpc(&cx, op, input, &object)?,
        "rest-json" => rest::serialize(&cx, op, input, &object, rest::Body::Json)?,
        "rest-xml" => rest::serialize(&cx, op, input, &object, rest::Body::Xml)?,
        "query" => query::serialize(&cx, op, input.map(|(_, s)| s), &object, false)?,
        "ec2" => query::serialize(&cx, op, input.map(|(_, s)| s), &object, true)?,
        other => return Err(ParamError::UnsupportedProtocol(other.to_string())),
    };
    request.host_prefix = host_prefix;
    Ok(request)
}

/// `op`'s answer as a Task's result, or the service's error. An answer whose status is not
/// 2xx is an error, as is S3's `<Error>` answered with 200.
pub fn parse(
    model: &ServiceModel,
    op: &Operation,
    response: &HttpResponse,
) -> Result<Value, ServiceError> {
    let cx = Cx { model };
    let protocol = protocol(model);
    if !(200..300).contains(&response.status) {
        return Err(match protocol {
            "json" | "rest-json" => json::error(response, protocol == "rest-json"),
            _ => xml::error(response),
        });
    }
    let output = match &op.output {
        Some(r) => Some((
            r,
            cx.shape(&r.shape)
                .ok_or_else(|| malformed(response, &format!("no shape {}", r.shape)))?,
        )),
        None => None,
    };
    match protocol {
        "json" => json::parse_rpc(&cx, output.map(|(_, s)| s), response),
        "rest-json" => rest::parse(&cx, output, response, rest::Body::Json),
        "rest-xml" => {
            if xml::is_error_document(&response.body) {
                return Err(xml::error(response));
            }
            rest::parse(&cx, output, response, rest::Body::Xml)
        }
        "query" | "ec2" => xml::parse_query(&cx, op, output, response, protocol == "ec2"),
        other => Err(malformed(
            response,
            &format!("the protocol '{other}' is not supported"),
        )),
    }
}

/// A blob in a Task's result: its text when the bytes are UTF-8 (as Step Functions writes
/// Lambda's `Payload` for `aws-sdk:lambda:invoke`, "escaped JSON" that the optimized
/// integration then parses: "Invoke Lambda with Step Functions", AWS Step Functions Developer
/// Guide), else base64. What Step Functions writes for bytes that are not UTF-8 (KMS's
/// `CiphertextBlob`) is not confirmed; base64 keeps them whole.
pub fn blob_to_result(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(text) => Value::String(text.to_string()),
        Err(_) => Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
    }
}

/// A blob from a Task's parameters: a string's UTF-8 bytes.
pub(crate) fn blob_from_param(value: &Value) -> Vec<u8> {
    match value {
        Value::String(s) => s.as_bytes().to_vec(),
        other => other.to_string().into_bytes(),
    }
}

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text.as_bytes()))
        .ok()
}

/// The model, for looking shapes up.
pub(crate) struct Cx<'a> {
    pub model: &'a ServiceModel,
}

impl<'a> Cx<'a> {
    pub fn shape(&self, name: &str) -> Option<&'a Shape> {
        self.model.shapes.get(name)
    }

    pub fn shape_of(&self, r: &ShapeRef) -> Result<&'a Shape, ParamError> {
        self.shape(&r.shape).ok_or_else(|| missing(&r.shape))
    }
}

pub(crate) fn missing(shape: &str) -> ParamError {
    ParamError::MissingShape(shape.to_string())
}

/// A member's value among a structure's parameters (by its Step Functions name); null is
/// absent.
pub(crate) fn param<'v>(object: &'v Map<String, Value>, model_name: &str) -> Option<&'v Value> {
    object
        .get(member_name(model_name).as_ref())
        .filter(|v| !v.is_null())
}

/// The name a member goes by on the wire: its `locationName`, else its model name.
pub(crate) fn wire_name<'r>(name: &'r str, r: &'r ShapeRef) -> &'r str {
    r.location_name.as_deref().unwrap_or(name)
}

/// The timestamp format of a member: its own, its shape's, else the protocol's default.
pub(crate) fn ts_format(
    r: &ShapeRef,
    shape: &Shape,
    default: timestamp::Format,
) -> timestamp::Format {
    r.timestamp_format
        .as_deref()
        .or(shape.timestamp_format.as_deref())
        .and_then(timestamp::Format::from_model)
        .unwrap_or(default)
}

/// A scalar parameter as text (query strings, headers, labels, forms).
pub(crate) fn scalar_text(
    shape: &Shape,
    r: &ShapeRef,
    value: &Value,
    ts_default: timestamp::Format,
) -> String {
    match shape.kind.as_str() {
        "timestamp" => match timestamp::from_param(value) {
            Some(t) => timestamp::to_text(&t, ts_format(r, shape, ts_default)),
            None => plain_text(value),
        },
        _ => plain_text(value),
    }
}

pub(crate) fn plain_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The parameters with a fresh UUID for each idempotency token left out.
fn with_idempotency_tokens<'v>(
    input: Option<&Shape>,
    object: &'v Map<String, Value>,
) -> Cow<'v, Map<String, Value>> {
    let Some(input) = input else {
        return Cow::Borrowed(object);
    };
    let mut object = Cow::Borrowed(object);
    for (name, r) in &input.members {
        if r.idempotency_token && param(&object, name).is_none() {
            object.to_mut().insert(
                member_name(name).into_owned(),
                Value::String(uuid::Uuid::new_v4().to_string()),
            );
        }
    }
    object
}

/// The operation's host prefix with its `{Label}`s replaced by their members' values.
fn host_prefix(
    cx: &Cx<'_>,
    op: &Operation,
    input: Option<&Shape>,
    object: &Map<String, Value>,
) -> Result<Option<String>, ParamError> {
    let Some(template) = op.endpoint.as_ref().and_then(|e| e.host_prefix.as_deref()) else {
        return Ok(None);
    };
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map(|e| start + e)
            .unwrap_or(rest.len());
        let label = &rest[start + 1..end.min(rest.len())];
        let value = input
            .and_then(|s| s.members.get_key_value(label))
            .and_then(|(name, r)| param(object, name).map(|v| (v, r)));
        match value {
            Some((value, r)) => {
                let shape = cx.shape_of(r)?;
                out.push_str(&scalar_text(shape, r, value, timestamp::Format::Iso8601));
            }
            None => {
                return Err(ParamError::InvalidFormat(member_name(label).into_owned()));
            }
        }
        rest = &rest[(end + 1).min(rest.len())..];
    }
    out.push_str(rest);
    Ok(Some(out))
}

/// An answer that could not be read as the model says it is.
pub(crate) fn malformed(response: &HttpResponse, why: &str) -> ServiceError {
    ServiceError {
        code: "SdkClientException".to_string(),
        message: Some(format!("Unable to unmarshall response ({why})")),
        status: response.status,
        request_id: response.request_id().map(str::to_string),
        extended_request_id: response.header("x-amz-id-2").map(str::to_string),
    }
}

/// RFC 3986's percent-encoding: everything but the unreserved characters (and `/` when
/// `keep_slash`) as `%XX`.
pub(crate) fn percent_encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `k=v&…` percent-encoded.
pub(crate) fn form_encode(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&percent_encode(k, false));
        out.push('=');
        out.push_str(&percent_encode(v, false));
    }
    out
}
