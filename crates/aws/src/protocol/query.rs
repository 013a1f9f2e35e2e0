//! The `query` and `ec2` protocols' requests: a form of `Action`, `Version` and the members,
//! lists as `Name.member.N` (or flattened `Name.N`), maps as `Name.entry.N.key`/`.value`. `ec2`
//! names members by `queryName` or their capitalised `locationName`, and flattens every list.

use serde_json::{Map, Value};

use super::{
    base64_encode, blob_from_param, form_encode, param, plain_text, timestamp, ts_format, Cx,
    ParamError,
};
use crate::model::{Operation, Shape, ShapeRef};
use crate::wire::HttpRequest;

pub(crate) fn serialize(
    cx: &Cx<'_>,
    op: &Operation,
    input: Option<&Shape>,
    object: &Map<String, Value>,
    ec2: bool,
) -> Result<HttpRequest, ParamError> {
    let mut pairs = vec![
        ("Action".to_string(), op.name.clone()),
        ("Version".to_string(), cx.model.metadata.api_version.clone()),
    ];
    if let Some(shape) = input {
        structure(cx, shape, object, "", &mut pairs, ec2)?;
    }
    Ok(HttpRequest {
        method: op.http.method.clone(),
        path: op.http.request_uri.clone(),
        headers: vec![(
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded; charset=utf-8".to_string(),
        )],
        body: form_encode(&pairs).into_bytes().into(),
        host_prefix: None,
    })
}

fn key_of<'r>(name: &'r str, r: &'r ShapeRef, ec2: bool) -> String {
    if ec2 {
        if let Some(q) = &r.query_name {
            return q.clone();
        }
        if let Some(l) = &r.location_name {
            let mut chars = l.chars();
            return match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            };
        }
        name.to_string()
    } else {
        r.location_name.as_deref().unwrap_or(name).to_string()
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn structure(
    cx: &Cx<'_>,
    shape: &Shape,
    object: &Map<String, Value>,
    prefix: &str,
    pairs: &mut Vec<(String, String)>,
    ec2: bool,
) -> Result<(), ParamError> {
    for (name, r) in &shape.members {
        if let Some(v) = param(object, name) {
            value(cx, r, v, &join(prefix, &key_of(name, r, ec2)), pairs, ec2)?;
        }
    }
    Ok(())
}

fn value(
    cx: &Cx<'_>,
    r: &ShapeRef,
    v: &Value,
    prefix: &str,
    pairs: &mut Vec<(String, String)>,
    ec2: bool,
) -> Result<(), ParamError> {
    let shape = cx.shape_of(r)?;
    match (shape.kind.as_str(), v) {
        ("structure", Value::Object(object)) => structure(cx, shape, object, prefix, pairs, ec2)?,
        ("list", Value::Array(items)) => {
            let item_ref = shape
                .member
                .as_deref()
                .ok_or_else(|| super::missing(prefix))?;
            if items.is_empty() {
                if !ec2 {
                    pairs.push((prefix.to_string(), String::new()));
                }
                return Ok(());
            }
            let list_prefix = if ec2 {
                prefix.to_string()
            } else if r.flattened || shape.flattened {
                match &item_ref.location_name {
                    Some(n) => match prefix.rsplit_once('.') {
                        Some((head, _)) => format!("{head}.{n}"),
                        None => n.clone(),
                    },
                    None => prefix.to_string(),
                }
            } else {
                format!(
                    "{prefix}.{}",
                    item_ref.location_name.as_deref().unwrap_or("member")
                )
            };
            for (i, item) in items.iter().enumerate() {
                if !item.is_null() {
                    value(
                        cx,
                        item_ref,
                        item,
                        &format!("{list_prefix}.{}", i + 1),
                        pairs,
                        ec2,
                    )?;
                }
            }
        }
        ("map", Value::Object(entries)) => {
            let key_ref = shape.key.as_deref().ok_or_else(|| super::missing(prefix))?;
            let value_ref = shape
                .value
                .as_deref()
                .ok_or_else(|| super::missing(prefix))?;
            let key_name = key_ref.location_name.as_deref().unwrap_or("key");
            let value_name = value_ref.location_name.as_deref().unwrap_or("value");
            let base = if r.flattened || shape.flattened {
                prefix.to_string()
            } else {
                format!("{prefix}.entry")
            };
            for (i, (k, item)) in entries.iter().enumerate() {
                let entry = format!("{base}.{}", i + 1);
                pairs.push((format!("{entry}.{key_name}"), k.clone()));
                if !item.is_null() {
                    value(
                        cx,
                        value_ref,
                        item,
                        &format!("{entry}.{value_name}"),
                        pairs,
                        ec2,
                    )?;
                }
            }
        }
        ("timestamp", v) => {
            let text = match timestamp::from_param(v) {
                Some(t) => timestamp::to_text(&t, ts_format(r, shape, timestamp::Format::Iso8601)),
                None => plain_text(v),
            };
            pairs.push((prefix.to_string(), text));
        }
        ("blob", v) => pairs.push((prefix.to_string(), base64_encode(&blob_from_param(v)))),
        (_, v) => pairs.push((prefix.to_string(), plain_text(v))),
    }
    Ok(())
}
