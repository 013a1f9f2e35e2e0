//! Shared by the protocol tests: models (installed botocore's, or fragments), requests and
//! answers.

#![allow(dead_code)]

use std::io::Read;
use std::path::PathBuf;

use baton_aws::model::{Operation, ServiceModel};
use baton_aws::wire::{HttpRequest, HttpResponse};
use serde_json::Value;

/// The installed botocore's `data` directory: `BATON_BOTOCORE_DATA`, else asked of `python3`.
fn botocore_data() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BATON_BOTOCORE_DATA") {
        return Some(PathBuf::from(dir));
    }
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import botocore,os;print(os.path.join(os.path.dirname(botocore.__file__),'data'))",
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let dir = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    dir.is_dir().then_some(dir)
}

/// `service`'s model from the installed botocore (its newest version), or `None` after saying
/// why; with `BATON_CI_STRICT=1` a missing model fails the test instead.
pub fn botocore_model(service: &str) -> Option<ServiceModel> {
    let found = (|| {
        let dir = botocore_data()?.join(service);
        let mut versions: Vec<PathBuf> = std::fs::read_dir(&dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        versions.sort();
        let version = versions.pop()?;
        let gz = version.join("service-2.json.gz");
        let text = if gz.is_file() {
            let mut text = String::new();
            flate2::read::GzDecoder::new(std::fs::File::open(gz).ok()?)
                .read_to_string(&mut text)
                .ok()?;
            text
        } else {
            std::fs::read_to_string(version.join("service-2.json")).ok()?
        };
        ServiceModel::from_json(&text).ok()
    })();
    if found.is_none() {
        let why = format!("skipped: botocore's model of '{service}' is not installed");
        if std::env::var("BATON_CI_STRICT").as_deref() == Ok("1") {
            panic!("{why} (BATON_CI_STRICT=1)");
        }
        eprintln!("{why}");
    }
    found
}

/// A model from a JSON fragment.
pub fn fragment(json: Value) -> ServiceModel {
    serde_json::from_value(json).expect("a service model")
}

pub fn op<'m>(model: &'m ServiceModel, name: &str) -> &'m Operation {
    model
        .operation(name)
        .unwrap_or_else(|| panic!("no operation {name}"))
}

pub fn header<'r>(request: &'r HttpRequest, name: &str) -> Option<&'r str> {
    request
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub fn body_json(request: &HttpRequest) -> Value {
    serde_json::from_slice(&request.body).expect("a JSON body")
}

pub fn body_text(request: &HttpRequest) -> &str {
    std::str::from_utf8(&request.body).expect("a UTF-8 body")
}

/// A form body's pairs, decoded, in order.
pub fn form(request: &HttpRequest) -> Vec<(String, String)> {
    body_text(request)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).expect("hex"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

pub fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec().into(),
    }
}

/// An object's keys in order.
pub fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect()
}
