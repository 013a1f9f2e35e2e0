//! The `rest-json` and `rest-xml` protocols: members bound to the URI's labels, the query
//! string, headers and the status code; a payload member that is the whole body, or the body's
//! members as a JSON object or an XML document.

use serde_json::{Map, Value};

use super::{
    base64_decode, base64_encode, blob_to_result, json, malformed, param, percent_encode,
    plain_text, scalar_text, timestamp, wire_name, xml, Cx, ParamError,
};
use crate::model::{Operation, Shape, ShapeRef};
use crate::names::member_name;
use crate::wire::{HttpRequest, HttpResponse, ServiceError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Body {
    Json,
    Xml,
}

fn location(r: &ShapeRef) -> Option<&str> {
    r.location.as_deref()
}

pub(crate) fn serialize(
    cx: &Cx<'_>,
    op: &Operation,
    input: Option<(&ShapeRef, &Shape)>,
    object: &Map<String, Value>,
    kind: Body,
) -> Result<HttpRequest, ParamError> {
    let (template, literal_query) = match op.http.request_uri.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (op.http.request_uri.as_str(), None),
    };
    let mut request = HttpRequest {
        method: op.http.method.clone(),
        ..HttpRequest::default()
    };
    let Some((input_ref, shape)) = input else {
        request.path = op.http.request_uri.clone();
        return Ok(request);
    };

    // The path, its labels filled.
    let mut path = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        path.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let label = &rest[start + 1..start + len];
        let (label, greedy) = match label.strip_suffix('+') {
            Some(l) => (l, true),
            None => (label, false),
        };
        let bound = shape
            .members
            .iter()
            .find(|(name, r)| location(r) == Some("uri") && wire_name(name, r) == label);
        if let Some((name, r)) = bound {
            if let Some(value) = param(object, name) {
                let text = scalar_text(cx.shape_of(r)?, r, value, timestamp::Format::Iso8601);
                path.push_str(&percent_encode(&text, greedy));
            }
        }
        rest = &rest[start + len + 1..];
    }
    path.push_str(rest);

    // The query string: the URI's own, then the members bound to it.
    let mut query: Vec<String> = Vec::new();
    if let Some(literal) = literal_query {
        query.extend(
            literal
                .split('&')
                .filter(|p| !p.is_empty())
                .map(str::to_string),
        );
    }
    let mut pair = |k: &str, v: &str| {
        query.push(format!(
            "{}={}",
            percent_encode(k, false),
            percent_encode(v, false)
        ))
    };
    for (name, r) in &shape.members {
        if location(r) != Some("querystring") {
            continue;
        }
        let Some(value) = param(object, name) else {
            continue;
        };
        let member_shape = cx.shape_of(r)?;
        let key = wire_name(name, r);
        match (member_shape.kind.as_str(), value) {
            ("list", Value::Array(items)) => {
                let item_ref = member_shape
                    .member
                    .as_deref()
                    .ok_or_else(|| super::missing(key))?;
                let item_shape = cx.shape_of(item_ref)?;
                for item in items {
                    pair(key, &query_text(item_shape, item_ref, item));
                }
            }
            ("map", Value::Object(entries)) => {
                let value_ref = member_shape
                    .value
                    .as_deref()
                    .ok_or_else(|| super::missing(key))?;
                let value_shape = cx.shape_of(value_ref)?;
                for (k, v) in entries {
                    match v {
                        Value::Array(items) => {
                            let item_ref = value_shape
                                .member
                                .as_deref()
                                .ok_or_else(|| super::missing(k))?;
                            let item_shape = cx.shape_of(item_ref)?;
                            for item in items {
                                pair(k, &query_text(item_shape, item_ref, item));
                            }
                        }
                        Value::Null => {}
                        v => pair(k, &query_text(value_shape, value_ref, v)),
                    }
                }
            }
            (_, v) => pair(key, &query_text(member_shape, r, v)),
        }
    }
    if !query.is_empty() {
        path.push('?');
        path.push_str(&query.join("&"));
    }
    request.path = path;

    // Headers.
    for (name, r) in &shape.members {
        let Some(value) = param(object, name) else {
            continue;
        };
        match location(r) {
            Some("header") => {
                let member_shape = cx.shape_of(r)?;
                let text = header_text(cx, member_shape, r, value)?;
                request.headers.push((wire_name(name, r).to_string(), text));
            }
            Some("headers") => {
                let prefix = r.location_name.as_deref().unwrap_or("");
                if let Value::Object(entries) = value {
                    for (k, v) in entries {
                        if !v.is_null() {
                            request
                                .headers
                                .push((format!("{prefix}{k}"), plain_text(v)));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    // The body: the payload member, or the members bound nowhere else.
    let has_header = |headers: &[(String, String)], n: &str| {
        headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(n))
    };
    if let Some(payload) = &shape.payload {
        let payload_ref = shape
            .members
            .get(payload)
            .ok_or_else(|| super::missing(payload))?;
        let payload_shape = cx.shape_of(payload_ref)?;
        let value = param(object, payload);
        match payload_shape.kind.as_str() {
            "blob" | "string" => {
                if let Some(value) = value {
                    request.body = super::blob_from_param(value).into();
                }
                // A streaming body goes without a Content-Type unless a member set one.
            }
            _ => match kind {
                Body::Json => {
                    let body = match value {
                        Some(v) => json::to_wire(cx, payload_ref, v)?,
                        None => Value::Object(Map::new()),
                    };
                    request.body = serde_json::to_vec(&body).unwrap_or_default().into();
                    if !has_header(&request.headers, "Content-Type") {
                        request
                            .headers
                            .push(("Content-Type".into(), "application/json".into()));
                    }
                }
                Body::Xml => {
                    if let Some(v) = value {
                        let root = payload_ref
                            .location_name
                            .as_deref()
                            .or(payload_shape.location_name.as_deref())
                            .unwrap_or(payload);
                        let ns = payload_ref
                            .xml_namespace
                            .as_ref()
                            .or(payload_shape.xml_namespace.as_ref());
                        request.body = xml::document(cx, root, ns, payload_ref, v)?.into();
                    }
                }
            },
        }
    } else {
        let body_members = shape.members.iter().any(|(_, r)| location(r).is_none());
        match kind {
            Body::Json => {
                if body_members {
                    let body =
                        json::structure_to_wire(cx, shape, object, |r| location(r).is_none())?;
                    request.body = serde_json::to_vec(&Value::Object(body))
                        .unwrap_or_default()
                        .into();
                    if !has_header(&request.headers, "Content-Type") {
                        request
                            .headers
                            .push(("Content-Type".into(), "application/json".into()));
                    }
                }
            }
            Body::Xml => {
                let any = shape
                    .members
                    .iter()
                    .any(|(name, r)| location(r).is_none() && param(object, name).is_some());
                if any {
                    let root = input_ref
                        .location_name
                        .as_deref()
                        .or(shape.location_name.as_deref())
                        .unwrap_or(&input_ref.shape);
                    let ns = input_ref
                        .xml_namespace
                        .as_ref()
                        .or(shape.xml_namespace.as_ref());
                    let body: Map<String, Value> = shape
                        .members
                        .iter()
                        .filter(|(_, r)| location(r).is_none())
                        .filter_map(|(name, _)| {
                            let key = member_name(name).into_owned();
                            object.get(&key).map(|v| (key, v.clone()))
                        })
                        .collect();
                    request.body =
                        xml::document(cx, root, ns, input_ref, &Value::Object(body))?.into();
                }
            }
        }
    }
    Ok(request)
}

/// A query string's value: timestamps in ISO 8601.
fn query_text(shape: &Shape, r: &ShapeRef, value: &Value) -> String {
    scalar_text(shape, r, value, timestamp::Format::Iso8601)
}

/// A header's value: timestamps as RFC 7231 dates, lists comma-separated (an item with a comma
/// or a quote quoted), `jsonvalue` strings base64-encoded.
fn header_text(
    cx: &Cx<'_>,
    shape: &Shape,
    r: &ShapeRef,
    value: &Value,
) -> Result<String, ParamError> {
    if r.json_value {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        return Ok(base64_encode(text.as_bytes()));
    }
    Ok(match (shape.kind.as_str(), value) {
        ("list", Value::Array(items)) => {
            let item_ref = shape
                .member
                .as_deref()
                .ok_or_else(|| super::missing("member"))?;
            let item_shape = cx.shape_of(item_ref)?;
            let texts: Vec<String> = items
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| {
                    let t = scalar_text(item_shape, item_ref, v, timestamp::Format::Rfc822);
                    if item_shape.kind == "string" && (t.contains(',') || t.contains('"')) {
                        format!("\"{}\"", t.replace('\\', "\\\\").replace('"', "\\\""))
                    } else {
                        t
                    }
                })
                .collect();
            texts.join(",")
        }
        _ => scalar_text(shape, r, value, timestamp::Format::Rfc822),
    })
}

pub(crate) fn parse(
    cx: &Cx<'_>,
    output: Option<(&ShapeRef, &Shape)>,
    response: &HttpResponse,
    kind: Body,
) -> Result<Value, ServiceError> {
    let Some((_, shape)) = output else {
        return Ok(Value::Object(Map::new()));
    };
    let bad = |why: String| malformed(response, &why);
    let payload = shape.payload.as_deref();
    let has_body_members =
        payload.is_none() && shape.members.iter().any(|(_, r)| location(r).is_none());
    let body_text = std::str::from_utf8(&response.body).ok();

    // The body, read once when members come from it.
    let mut json_body: Option<Map<String, Value>> = None;
    let xml_doc = match kind {
        Body::Xml
            if (has_body_members || payload_is_structure(cx, shape))
                && !response.body.iter().all(u8::is_ascii_whitespace) =>
        {
            let text = body_text.ok_or_else(|| bad("a body that is not UTF-8".into()))?;
            Some(roxmltree::Document::parse(text).map_err(|e| bad(e.to_string()))?)
        }
        _ => None,
    };
    if kind == Body::Json && has_body_members {
        if let Value::Object(o) = json::body_json(response)? {
            json_body = Some(o);
        }
    }

    let mut out = Map::new();
    for (name, r) in &shape.members {
        let member_shape = cx
            .shape(&r.shape)
            .ok_or_else(|| bad(format!("no shape {}", r.shape)))?;
        let value = match location(r) {
            Some("header") => match response.header(wire_name(name, r)) {
                Some(text) => Some(from_header(cx, member_shape, r, text).map_err(bad)?),
                None => None,
            },
            Some("headers") => {
                let prefix = r
                    .location_name
                    .as_deref()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let mut map = Map::new();
                for (k, v) in &response.headers {
                    let lower = k.to_ascii_lowercase();
                    if let Some(key) = lower.strip_prefix(&prefix) {
                        map.insert(key.to_string(), Value::String(v.clone()));
                    }
                }
                (!map.is_empty()).then_some(Value::Object(map))
            }
            Some("statusCode") => Some(Value::from(response.status)),
            Some(_) => None,
            None if payload == Some(name.as_str()) => match member_shape.kind.as_str() {
                "blob" => Some(blob_to_result(&response.body)),
                "string" => Some(Value::String(
                    String::from_utf8_lossy(&response.body).into_owned(),
                )),
                _ if member_shape.event_stream => None,
                _ => match kind {
                    Body::Json => {
                        let body = json::body_json(response)?;
                        if response.body.iter().all(u8::is_ascii_whitespace) {
                            None
                        } else {
                            Some(json::from_wire(cx, r, &body).map_err(bad)?)
                        }
                    }
                    Body::Xml => match &xml_doc {
                        Some(doc) => {
                            Some(xml::value_from_element(cx, r, doc.root_element()).map_err(bad)?)
                        }
                        None => None,
                    },
                },
            },
            None if payload.is_some() => None,
            None => match kind {
                Body::Json => match json_body.as_ref().and_then(|b| b.get(wire_name(name, r))) {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(json::from_wire(cx, r, v).map_err(bad)?),
                },
                Body::Xml => match &xml_doc {
                    Some(doc) => {
                        xml::member_from_parent(cx, doc.root_element(), name, r).map_err(bad)?
                    }
                    None => None,
                },
            },
        };
        if let Some(value) = value {
            out.insert(member_name(name).into_owned(), value);
        }
    }
    Ok(Value::Object(out))
}

fn payload_is_structure(cx: &Cx<'_>, shape: &Shape) -> bool {
    shape
        .payload
        .as_ref()
        .and_then(|p| shape.members.get(p))
        .and_then(|r| cx.shape(&r.shape))
        .is_some_and(|s| s.kind == "structure" && !s.event_stream)
}

/// A member bound to a header, from the header's text.
fn from_header(cx: &Cx<'_>, shape: &Shape, r: &ShapeRef, text: &str) -> Result<Value, String> {
    if r.json_value {
        let bytes = base64_decode(text).ok_or("a jsonvalue header that is not base64")?;
        return Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    }
    match shape.kind.as_str() {
        "list" => {
            let item_ref = shape.member.as_deref().ok_or("a list without member")?;
            let item_shape = cx
                .shape(&item_ref.shape)
                .ok_or_else(|| format!("no shape {}", item_ref.shape))?;
            let items = split_header_list(text)
                .iter()
                .map(|t| scalar_from_text(item_shape, t))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Array(items))
        }
        _ => scalar_from_text(shape, text),
    }
}

/// `a, "b,c", d` → `a`, `b,c`, `d`.
fn split_header_list(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            ',' if !quoted => {
                items.push(current.trim().to_string());
                current.clear();
            }
            c => current.push(c),
        }
    }
    if !current.trim().is_empty() || !items.is_empty() {
        items.push(current.trim().to_string());
    }
    items
}

/// A scalar from text (headers, XML elements).
/// Timestamps are read in any of the three formats, whatever the member's `timestampFormat`.
pub(crate) fn scalar_from_text(shape: &Shape, text: &str) -> Result<Value, String> {
    Ok(match shape.kind.as_str() {
        "integer" | "long" | "short" | "byte" => Value::from(
            text.trim()
                .parse::<i64>()
                .map_err(|_| format!("'{text}' is not an integer"))?,
        ),
        "float" | "double" => {
            let f: f64 = text
                .trim()
                .parse()
                .map_err(|_| format!("'{text}' is not a number"))?;
            serde_json::Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(text.trim().to_string()))
        }
        "boolean" => match text.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            other => return Err(format!("'{other}' is not a boolean")),
        },
        "timestamp" => {
            let t =
                timestamp::from_text(text).ok_or_else(|| format!("'{text}' is not a timestamp"))?;
            Value::String(timestamp::to_result(&t))
        }
        "blob" => blob_to_result(&base64_decode(text).ok_or("a blob that is not base64")?),
        _ => Value::String(text.to_string()),
    })
}
