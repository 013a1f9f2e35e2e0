//! XML: `rest-xml` request bodies, and the answers and errors of `rest-xml`, `query` and
//! `ec2` (wrapped and flattened lists, maps of `entry`/`key`/`value`, `locationName`s,
//! attributes, the `<OperationResult>` wrapper).

use roxmltree::Node;
use serde_json::{Map, Value};

use super::rest::scalar_from_text;
use super::{
    base64_encode, blob_from_param, malformed, param, plain_text, timestamp, ts_format, wire_name,
    Cx, ParamError,
};
use crate::model::{Operation, Shape, ShapeRef};
use crate::names::member_name;
use crate::wire::{HttpResponse, ServiceError};

/// A document whose root element `root` holds `value` (a structure's parameters).
pub(crate) fn document(
    cx: &Cx<'_>,
    root: &str,
    namespace: Option<&Value>,
    r: &ShapeRef,
    value: &Value,
) -> Result<String, ParamError> {
    let mut out = String::new();
    write(cx, &mut out, root, r, value, namespace)?;
    Ok(out)
}

/// `xmlns="uri"` or `xmlns:prefix="uri"`.
fn namespace_attribute(namespace: Option<&Value>) -> Option<String> {
    let ns = namespace?;
    let uri = ns.get("uri").and_then(Value::as_str)?;
    Some(match ns.get("prefix").and_then(Value::as_str) {
        Some(prefix) => format!(" xmlns:{prefix}=\"{}\"", escape(uri)),
        None => format!(" xmlns=\"{}\"", escape(uri)),
    })
}

fn write(
    cx: &Cx<'_>,
    out: &mut String,
    name: &str,
    r: &ShapeRef,
    value: &Value,
    namespace: Option<&Value>,
) -> Result<(), ParamError> {
    if value.is_null() {
        return Ok(());
    }
    let shape = cx.shape_of(r)?;
    let ns = namespace_attribute(
        namespace
            .or(r.xml_namespace.as_ref())
            .or(shape.xml_namespace.as_ref()),
    );
    match (shape.kind.as_str(), value) {
        ("structure", Value::Object(object)) => {
            out.push('<');
            out.push_str(name);
            if let Some(ns) = &ns {
                out.push_str(ns);
            }
            for (member, mr) in &shape.members {
                if !mr.xml_attribute {
                    continue;
                }
                if let Some(v) = param(object, member) {
                    let ms = cx.shape_of(mr)?;
                    out.push_str(&format!(
                        " {}=\"{}\"",
                        wire_name(member, mr),
                        escape(&text_of(ms, mr, v))
                    ));
                }
            }
            out.push('>');
            for (member, mr) in &shape.members {
                if mr.xml_attribute {
                    continue;
                }
                if let Some(v) = param(object, member) {
                    write(cx, out, wire_name(member, mr), mr, v, None)?;
                }
            }
            out.push_str(&format!("</{name}>"));
        }
        ("list", Value::Array(items)) => {
            let item_ref = shape
                .member
                .as_deref()
                .ok_or_else(|| super::missing(name))?;
            if r.flattened || shape.flattened {
                for item in items {
                    write(cx, out, name, item_ref, item, None)?;
                }
            } else {
                let item_name = item_ref.location_name.as_deref().unwrap_or("member");
                out.push_str(&format!("<{name}{}>", ns.as_deref().unwrap_or("")));
                for item in items {
                    write(cx, out, item_name, item_ref, item, None)?;
                }
                out.push_str(&format!("</{name}>"));
            }
        }
        ("map", Value::Object(entries)) => {
            let key_ref = shape.key.as_deref().ok_or_else(|| super::missing(name))?;
            let value_ref = shape.value.as_deref().ok_or_else(|| super::missing(name))?;
            let key_name = key_ref.location_name.as_deref().unwrap_or("key");
            let value_name = value_ref.location_name.as_deref().unwrap_or("value");
            let flattened = r.flattened || shape.flattened;
            if !flattened {
                out.push_str(&format!("<{name}{}>", ns.as_deref().unwrap_or("")));
            }
            for (k, v) in entries {
                let entry = if flattened { name } else { "entry" };
                out.push_str(&format!("<{entry}>"));
                out.push_str(&format!("<{key_name}>{}</{key_name}>", escape(k)));
                write(cx, out, value_name, value_ref, v, None)?;
                out.push_str(&format!("</{entry}>"));
            }
            if !flattened {
                out.push_str(&format!("</{name}>"));
            }
        }
        (_, v) => {
            out.push_str(&format!(
                "<{name}{}>{}</{name}>",
                ns.as_deref().unwrap_or(""),
                escape(&text_of(shape, r, v))
            ));
        }
    }
    Ok(())
}

/// A scalar parameter as XML text: timestamps in ISO 8601, blobs in base64.
fn text_of(shape: &Shape, r: &ShapeRef, value: &Value) -> String {
    match shape.kind.as_str() {
        "timestamp" => match timestamp::from_param(value) {
            Some(t) => timestamp::to_text(&t, ts_format(r, shape, timestamp::Format::Iso8601)),
            None => plain_text(value),
        },
        "blob" => base64_encode(&blob_from_param(value)),
        _ => plain_text(value),
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

fn children<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// The local part of `xsi:type`.
fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// A structure's members from its element, with Step Functions' names, in the model's order.
pub(crate) fn structure_from_element(
    cx: &Cx<'_>,
    shape: &Shape,
    node: Node<'_, '_>,
) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for (name, r) in &shape.members {
        if r.location.is_some() {
            continue;
        }
        if let Some(v) = member_from_parent(cx, node, name, r)? {
            out.insert(member_name(name).into_owned(), v);
        }
    }
    Ok(out)
}

/// Member `name` of the structure whose element is `parent`, if the answer has it.
pub(crate) fn member_from_parent(
    cx: &Cx<'_>,
    parent: Node<'_, '_>,
    name: &str,
    r: &ShapeRef,
) -> Result<Option<Value>, String> {
    let shape = cx
        .shape(&r.shape)
        .ok_or_else(|| format!("no shape {}", r.shape))?;
    let wire = wire_name(name, r);
    if r.xml_attribute {
        let wanted = local(wire);
        return match parent.attributes().find(|a| a.name() == wanted) {
            Some(a) => Ok(Some(scalar_from_text(shape, a.value())?)),
            None => Ok(None),
        };
    }
    let flattened = r.flattened || shape.flattened;
    match shape.kind.as_str() {
        "list" if flattened => {
            let item_ref = shape.member.as_deref().ok_or("a list without member")?;
            let element = item_ref.location_name.as_deref().unwrap_or(wire);
            let items: Vec<Node> = children(parent, element).collect();
            if items.is_empty() {
                return Ok(None);
            }
            let values = items
                .into_iter()
                .map(|n| value_from_element(cx, item_ref, n))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Some(Value::Array(values)))
        }
        "map" if flattened => {
            let entries: Vec<Node> = children(parent, wire).collect();
            if entries.is_empty() {
                return Ok(None);
            }
            Ok(Some(Value::Object(map_entries(cx, shape, entries)?)))
        }
        _ => match children(parent, wire).next() {
            Some(node) => Ok(Some(value_from_element(cx, r, node)?)),
            None => Ok(None),
        },
    }
}

fn map_entries(
    cx: &Cx<'_>,
    shape: &Shape,
    entries: Vec<Node>,
) -> Result<Map<String, Value>, String> {
    let key_ref = shape.key.as_deref().ok_or("a map without key")?;
    let value_ref = shape.value.as_deref().ok_or("a map without value")?;
    let key_name = key_ref.location_name.as_deref().unwrap_or("key");
    let value_name = value_ref.location_name.as_deref().unwrap_or("value");
    let mut out = Map::new();
    for entry in entries {
        let key = children(entry, key_name)
            .next()
            .map(|k| text(k))
            .unwrap_or_default();
        let value = match children(entry, value_name).next() {
            Some(v) => value_from_element(cx, value_ref, v)?,
            None => Value::Null,
        };
        out.insert(key, value);
    }
    Ok(out)
}

/// The value of the element `node`, read as `r`'s shape.
pub(crate) fn value_from_element(
    cx: &Cx<'_>,
    r: &ShapeRef,
    node: Node<'_, '_>,
) -> Result<Value, String> {
    let shape = cx
        .shape(&r.shape)
        .ok_or_else(|| format!("no shape {}", r.shape))?;
    Ok(match shape.kind.as_str() {
        "structure" => Value::Object(structure_from_element(cx, shape, node)?),
        "list" => {
            let item_ref = shape.member.as_deref().ok_or("a list without member")?;
            let item_name = item_ref.location_name.as_deref().unwrap_or("member");
            let values = children(node, item_name)
                .map(|n| value_from_element(cx, item_ref, n))
                .collect::<Result<Vec<_>, _>>()?;
            Value::Array(values)
        }
        "map" => Value::Object(map_entries(cx, shape, children(node, "entry").collect())?),
        _ => scalar_from_text(shape, &text(node))?,
    })
}

/// An element's text (its text and CDATA children).
fn text(node: Node<'_, '_>) -> String {
    node.children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect()
}

/// A `query` or `ec2` answer: the root's `<OperationResult>` (query: the output's
/// `resultWrapper`) or the root itself (ec2) read as the output structure.
pub(crate) fn parse_query(
    cx: &Cx<'_>,
    op: &Operation,
    output: Option<(&ShapeRef, &Shape)>,
    response: &HttpResponse,
    ec2: bool,
) -> Result<Value, ServiceError> {
    let Some((output_ref, shape)) = output else {
        return Ok(Value::Object(Map::new()));
    };
    if response.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    let text = std::str::from_utf8(&response.body)
        .map_err(|_| malformed(response, "a body that is not UTF-8"))?;
    let doc = roxmltree::Document::parse(text).map_err(|e| malformed(response, &e.to_string()))?;
    let root = doc.root_element();
    let node = if ec2 {
        Some(root)
    } else {
        let wrapper = output_ref
            .result_wrapper
            .clone()
            .unwrap_or_else(|| format!("{}Result", op.name));
        let elements = || root.children().filter(|c| c.is_element());
        elements()
            .find(|c| c.tag_name().name() == wrapper)
            .or_else(|| elements().find(|c| c.tag_name().name().ends_with("Result")))
    };
    match node {
        Some(node) => structure_from_element(cx, shape, node)
            .map(Value::Object)
            .map_err(|why| malformed(response, &why)),
        None => Ok(Value::Object(Map::new())),
    }
}

/// Whether a 200 answer is S3's `<Error>` document (CopyObject, CompleteMultipartUpload).
pub(crate) fn is_error_document(body: &[u8]) -> bool {
    let head = &body[..body.len().min(512)];
    let Ok(text) = std::str::from_utf8(head) else {
        return false;
    };
    let mut rest = text.trim_start();
    if rest.starts_with("<?xml") {
        match rest.find("?>") {
            Some(end) => rest = rest[end + 2..].trim_start(),
            None => return false,
        }
    }
    rest.starts_with("<Error>") || rest.starts_with("<Error ")
}

/// An XML error answer: `<Error><Code>` and `<Message>` wherever the `Error` element is
/// (`rest-xml`'s root, query's `<ErrorResponse>`, ec2's `<Response><Errors>`); the request id
/// from the headers or the body (`RequestId`, `RequestID`). Without a code (S3's answers to
/// `HEAD`, which have no body), the code is the status's name (`NotFound`).
pub(crate) fn error(response: &HttpResponse) -> ServiceError {
    let mut err = ServiceError {
        code: String::new(),
        message: None,
        status: response.status,
        request_id: response.request_id().map(str::to_string),
        extended_request_id: response.header("x-amz-id-2").map(str::to_string),
    };
    let doc = std::str::from_utf8(&response.body)
        .ok()
        .and_then(|t| roxmltree::Document::parse(t).ok());
    if let Some(doc) = &doc {
        let error = doc
            .descendants()
            .find(|n| n.is_element() && n.tag_name().name() == "Error");
        if let Some(error) = error {
            if let Some(code) = children(error, "Code").next() {
                err.code = super::json::sanitize_code(&text(code)).to_string();
            }
            if let Some(message) = children(error, "Message").next() {
                err.message = Some(text(message));
            }
        }
        if err.request_id.is_none() {
            err.request_id = doc
                .descendants()
                .find(|n| {
                    n.is_element() && matches!(n.tag_name().name(), "RequestId" | "RequestID")
                })
                .map(|n| text(n));
        }
        if err.extended_request_id.is_none() {
            err.extended_request_id = doc
                .descendants()
                .find(|n| n.is_element() && n.tag_name().name() == "HostId")
                .map(|n| text(n));
        }
    }
    if err.code.is_empty() {
        err.code = code_for_status(response.status).to_string();
    }
    err
}

/// The name of an HTTP status, as the AWS SDKs name an error answered without a code.
pub(crate) fn code_for_status(status: u16) -> &'static str {
    match status {
        301 => "MovedPermanently",
        302 => "Found",
        304 => "NotModified",
        307 => "TemporaryRedirect",
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        411 => "LengthRequired",
        412 => "PreconditionFailed",
        413 => "RequestEntityTooLarge",
        416 => "RequestedRangeNotSatisfiable",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        501 => "NotImplemented",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "UnknownError",
    }
}
