//! `arn:aws:states:::http:invoke`: the HTTP task. `ApiEndpoint`, `Method`, `Headers`,
//! `QueryParameters`, `RequestBody`, `Transform` and `Authentication.ConnectionArn` as Step
//! Functions takes them; the connection named in the ARN is looked up in `[http.connections]`
//! for its authentication.
//!
//! The result is `{"Headers", "ResponseBody", "StatusCode", "StatusText"}` (the body parsed when
//! it is JSON). A non-2xx answer fails with `States.Http.StatusCode.<code>` and that result as
//! JSON text in the cause; no answer at all (cannot connect, 60 s without an answer, as AWS's
//! HTTP task times out) fails with `States.Http.Socket`.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Map, Value};
use tokio_rustls::rustls::ClientConfig;

use crate::config::{Config, Connection, Http as HttpConfig};
use crate::Failure;

/// How long an HTTP task waits for an answer before `States.Http.Socket` (AWS: 60 s).
const TIMEOUT: Duration = Duration::from_secs(60);

/// The HTTP task's configuration: reachable URLs and connections.
pub struct Http {
    config: HttpConfig,
    /// Whom `https://` endpoints must prove to be; an error (a bad `ca_file`) fails each
    /// `https://` call with it.
    tls: Result<Arc<ClientConfig>, String>,
}

/// Why `url` may not be reached, if it may not (`shown`: the URL as messages name it): it
/// must be an http(s) URL, carry no credentials in its authority (a prefix check cannot tell
/// which host `http://127.0.0.1:@elsewhere/` reaches), and start with one of the `[http]
/// allow` prefixes when there are any. The HTTP task and EventBridge API destinations reach
/// what this lets through.
pub(crate) fn refusal(allow: Option<&[String]>, url: &str, shown: &str) -> Option<String> {
    if !url.starts_with("http://") && !url.starts_with("https://") {
        return Some(format!("{shown} is not an http:// or https:// URL"));
    }
    let uri: hyper::Uri = match url.parse() {
        Ok(u) => u,
        Err(e) => return Some(format!("{shown} is not a URL: {e}")),
    };
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Some(format!(
            "{shown} carries credentials in its authority, which Baton does not call"
        ));
    }
    if let Some(allow) = allow {
        if !allow
            .iter()
            .any(|p| url.starts_with(p.trim_end_matches('*')))
        {
            return Some(format!(
                "{shown} is not in the [http] allow list of Baton's configuration"
            ));
        }
    }
    None
}

impl Http {
    pub fn new(config: &Config) -> Http {
        Http {
            config: config.http.clone(),
            tls: crate::client::tls_config(config.http.ca_file.as_deref()),
        }
    }

    /// Runs one `http:invoke` with `params` (the task's effective parameters).
    /// `trace`: the execution's trace, sent on as `X-Amzn-Trace-Id` and `traceparent`.
    pub async fn invoke(
        &self,
        params: &Value,
        trace: Option<baton_engine::trace::TraceContext>,
    ) -> Result<Value, Failure> {
        let Some(endpoint) = params.get("ApiEndpoint").and_then(Value::as_str) else {
            return Err(invalid("ApiEndpoint is required and must be a string"));
        };
        let Some(method) = params.get("Method").and_then(Value::as_str) else {
            return Err(invalid("Method is required and must be a string"));
        };
        let method = method.to_ascii_uppercase();
        if !matches!(
            method.as_str(),
            "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS" | "HEAD"
        ) {
            return Err(invalid(&format!("Method {method} is not supported")));
        }
        let Some(connection_arn) = params
            .pointer("/Authentication/ConnectionArn")
            .and_then(Value::as_str)
        else {
            return Err(invalid("Authentication.ConnectionArn is required"));
        };
        let connection = self.connection(connection_arn)?;
        if let Some(why) = refusal(self.config.allow.as_deref(), endpoint, endpoint) {
            return Err(invalid(&format!("ApiEndpoint: {why}")));
        }
        let transform = params.get("Transform");
        let array_format = transform
            .and_then(|t| t.pointer("/RequestEncodingOptions/ArrayFormat"))
            .and_then(Value::as_str)
            .unwrap_or("INDICES");
        let array_format = ArrayFormat::parse(array_format)?;
        let url_encoded = match transform
            .and_then(|t| t.get("RequestBodyEncoding"))
            .and_then(Value::as_str)
        {
            None | Some("NONE") => false,
            Some("URL_ENCODED") => true,
            Some(other) => {
                return Err(invalid(&format!(
                    "RequestBodyEncoding must be NONE or URL_ENCODED (got {other})"
                )))
            }
        };

        let mut url = endpoint.to_string();
        if let Some(query) = params.get("QueryParameters") {
            let Value::Object(query) = query else {
                return Err(invalid("QueryParameters must be an object"));
            };
            let encoded = form_encode(query, ArrayFormat::Repeat);
            if !encoded.is_empty() {
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str(&encoded);
            }
        }

        let mut headers: Vec<(String, String)> = Vec::new();
        if let Some(h) = params.get("Headers") {
            let Value::Object(h) = h else {
                return Err(invalid("Headers must be an object"));
            };
            for (name, value) in h {
                if is_reserved_header(name) {
                    return Err(invalid(&format!(
                        "the header '{name}' cannot be set in an HTTP Task definition"
                    )));
                }
                let value = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                headers.push((name.clone(), value));
            }
        }
        if let Some(trace) = trace {
            let parent = trace.parent.unwrap_or_default();
            headers.push(("x-amzn-trace-id".into(), trace.xray(parent)));
            headers.push(("traceparent".into(), trace.traceparent(parent)));
        }
        let has = |headers: &[(String, String)], name: &str| {
            headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        let body = match params.get("RequestBody") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(map)) if url_encoded => {
                if !has(&headers, "content-type") {
                    headers.push((
                        "content-type".into(),
                        "application/x-www-form-urlencoded".into(),
                    ));
                }
                form_encode(map, array_format).into_bytes()
            }
            Some(Value::String(s)) => s.clone().into_bytes(),
            Some(v) => {
                if !has(&headers, "content-type") {
                    headers.push(("content-type".into(), "application/json".into()));
                }
                v.to_string().into_bytes()
            }
        };
        match connection {
            Connection::None => {}
            Connection::Basic { username, password } => {
                let token = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{password}"));
                headers.push(("authorization".into(), format!("Basic {token}")));
            }
            Connection::ApiKey { name, value } => headers.push((name.clone(), value.clone())),
        }

        let tls = if url.starts_with("https://") {
            Some(
                self.tls
                    .as_ref()
                    .map_err(|e| ("States.Http.Socket".to_string(), e.clone()))?,
            )
        } else {
            None
        };
        let call = crate::client::send(&method, &url, &headers, body, tls);
        let response = match tokio::time::timeout(TIMEOUT, call).await {
            Ok(Ok(r)) => r,
            Ok(Err(message)) => return Err(("States.Http.Socket".into(), message)),
            Err(_) => {
                return Err((
                    "States.Http.Socket".into(),
                    format!("no answer from {url} within {} seconds", TIMEOUT.as_secs()),
                ))
            }
        };
        let result = shape(&response);
        if response.status.is_success() {
            Ok(result)
        } else {
            Err((
                format!("States.Http.StatusCode.{}", response.status.as_u16()),
                result.to_string(),
            ))
        }
    }

    /// The configured connection `arn` names
    /// (`arn:aws:events:REGION:ACCOUNT:connection/NAME/ID`).
    fn connection(&self, arn: &str) -> Result<&Connection, Failure> {
        let name = arn
            .split_once(":connection/")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(rest))
            .filter(|n| !n.is_empty());
        let Some(name) = name else {
            return Err(invalid(&format!(
                "Authentication.ConnectionArn is not a connection ARN: {arn}"
            )));
        };
        self.config.connections.get(name).ok_or_else(|| {
            let request_id = uuid::Uuid::new_v4();
            (
                "Events.ResourceNotFoundException".into(),
                format!(
                    "Failed to describe connection {arn}: Connection '{name}' does not exist. (Service: EventBridge; Status Code: 400; Error Code: ResourceNotFoundException; Request ID: {request_id}; Proxy: null)"
                ),
            )
        })
    }
}

/// The HTTP task's result: headers (each a list of values), the body (parsed when JSON),
/// status code and reason phrase.
fn shape(response: &crate::client::Response) -> Value {
    let mut headers = Map::new();
    for (name, value) in &response.headers {
        let value = Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned());
        match headers
            .entry(name.as_str().to_string())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            Value::Array(values) => values.push(value),
            other => *other = Value::Array(vec![value]),
        }
    }
    let text = String::from_utf8_lossy(&response.body);
    let body = match serde_json::from_str::<Value>(&text) {
        Ok(v) if !text.trim().is_empty() => v,
        _ => Value::String(text.into_owned()),
    };
    json!({
        "Headers": headers,
        "ResponseBody": body,
        "StatusCode": response.status.as_u16(),
        "StatusText": response.status.canonical_reason().unwrap_or(""),
    })
}

/// The headers a definition may not set. AWS lists them under "Unsupported HTTP request
/// headers" in "Call HTTPS APIs in Step Functions workflows"
/// (<https://docs.aws.amazon.com/step-functions/latest/dg/call-https-apis.html>): using one
/// fails the task with `States.Runtime`. `Content-Length` is not on AWS's list because AWS
/// computes it whatever the definition says; Baton refuses it too, since a second, different
/// length (like a second `Host` or a `Transfer-Encoding`) would change how the target reads
/// the request's framing.
const RESERVED_HEADERS: &[&str] = &[
    "a-im",
    "accept-charset",
    "accept-datetime",
    "accept-encoding",
    "cache-control",
    "connection",
    "content-encoding",
    "content-length",
    "content-md5",
    "date",
    "expect",
    "forwarded",
    "from",
    "host",
    "http2-settings",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "max-forwards",
    "origin",
    "pragma",
    "proxy-authorization",
    "referer",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
    "warning",
];

/// Prefixes AWS reserves the same way (`x-forwarded-*`, `x-amz-*`, `x-amzn-*`).
const RESERVED_PREFIXES: &[&str] = &["x-forwarded-", "x-amz-", "x-amzn-"];

fn is_reserved_header(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    RESERVED_HEADERS.contains(&name.as_str())
        || RESERVED_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// A definition the HTTP task cannot run: `States.Runtime`, as for a resource Baton does not
/// serve (AWS rejects most of these when the state machine is created).
fn invalid(message: &str) -> Failure {
    ("States.Runtime".into(), format!("HTTP task: {message}"))
}

/// How arrays are written in a URL-encoded body (`RequestEncodingOptions.ArrayFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArrayFormat {
    /// `a[0]=x&a[1]=y`
    Indices,
    /// `a=x&a=y`
    Repeat,
    /// `a=x,y`
    Commas,
    /// `a[]=x&a[]=y`
    Brackets,
}

impl ArrayFormat {
    fn parse(text: &str) -> Result<ArrayFormat, Failure> {
        Ok(match text {
            "INDICES" => ArrayFormat::Indices,
            "REPEAT" => ArrayFormat::Repeat,
            "COMMAS" => ArrayFormat::Commas,
            "BRACKETS" => ArrayFormat::Brackets,
            other => {
                return Err(invalid(&format!(
                    "ArrayFormat must be INDICES, REPEAT, COMMAS or BRACKETS (got {other})"
                )))
            }
        })
    }
}

/// `application/x-www-form-urlencoded` text of `map`; nested objects as `a[b]=…`.
fn form_encode(map: &Map<String, Value>, arrays: ArrayFormat) -> String {
    let mut pairs = Vec::new();
    for (key, value) in map {
        encode_value(key, value, arrays, &mut pairs);
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent(k), percent(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode_value(key: &str, value: &Value, arrays: ArrayFormat, out: &mut Vec<(String, String)>) {
    match value {
        Value::Array(items) => match arrays {
            ArrayFormat::Commas => out.push((
                key.to_string(),
                items.iter().map(scalar).collect::<Vec<_>>().join(","),
            )),
            _ => {
                for (i, item) in items.iter().enumerate() {
                    let k = match arrays {
                        ArrayFormat::Indices => format!("{key}[{i}]"),
                        ArrayFormat::Brackets => format!("{key}[]"),
                        _ => key.to_string(),
                    };
                    encode_value(&k, item, arrays, out);
                }
            }
        },
        Value::Object(map) => {
            for (k, v) in map {
                encode_value(&format!("{key}[{k}]"), v, arrays, out);
            }
        }
        other => out.push((key.to_string(), scalar(other))),
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

use baton_events::destinations::percent;

#[cfg(test)]
mod tests {
    use super::refusal;

    #[test]
    fn only_allowed_urls_without_credentials_are_reached() {
        let allow = vec!["http://127.0.0.1:".to_string()];
        let allow = Some(allow.as_slice());
        assert_eq!(refusal(allow, "http://127.0.0.1:9000/hook", "u"), None);
        assert_eq!(refusal(None, "https://example.com/", "u"), None);
        for url in [
            "http://127.0.0.1:@elsewhere.example/",
            "http://127.0.0.1:80@elsewhere.example/",
            "http://10.0.0.1/",
            "ftp://127.0.0.1:21/",
            "file:///etc/passwd",
        ] {
            assert!(refusal(allow, url, url).is_some(), "{url} would be reached");
        }
        assert!(refusal(None, "http://user:pw@example.com/", "u").is_some());
    }
}
