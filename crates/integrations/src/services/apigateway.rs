//! `arn:aws:states:::apigateway:invoke`: the optimized API Gateway integration ("Create API
//! Gateway REST APIs with Step Functions", AWS Step Functions developer guide). One HTTP request
//! to `https://{ApiEndpoint}/{Stage}/{Path}?{QueryParameters}` with `Headers` and
//! `RequestBody`, unsigned (`NO_AUTH`, `RESOURCE_POLICY`) or signed with Signature Version 4 for
//! `execute-api` with Baton's AWS credentials (`IAM_ROLE`: "Step Functions assumes the role of
//! the state machine, signs the request with Signature Version 4 (SigV4), then calls the API";
//! a Task's `Credentials.RoleArn` is assumed when `[aws] assume_role` lets it).
//!
//! The parameters are checked first (`baton_runtime::parameters`, shared with the mocked
//! paths). The call is IAM's `execute-api:Invoke`, which `[aws] allow` must list.
//!
//! Where the request goes: the API's own host, unless an endpoint is configured for API
//! Gateway, `[aws.endpoints] execute-api` (the service's signing name and the host label of
//! its invoke URLs), or `apigateway`, or else `[aws] endpoint_url`. A configured endpoint stands
//! in for every API, as `[aws.endpoints]` does for any service: the request goes to
//! `{endpoint}/{Stage}/{Path}` and its `Host` is the endpoint's, since the Signature Version 4
//! signature covers `Host` and the server that checks it is the one reached.
//!
//! The result is `{"Headers", "ResponseBody", "StatusCode", "StatusText"}` ("Output format";
//! recorded in `services-invoke-with-body-post` and the others): headers as lists of values,
//! the body parsed when it is JSON, else its text. An answer other than 2XX fails with
//! `ApiGateway.<status>` and the body as the cause ("Error handling": "A status code of 2XX
//! indicates success … All other status codes … will result in an error"; recorded in
//! `services-invoke-error`: `ApiGateway.403`, `{"message":"Missing Authentication Token"}`).

use std::time::Duration;

use baton_aws::config::AwsConfig;
use baton_aws::credentials::CredentialSource;
use baton_aws::endpoint::Endpoint;
use baton_aws::transport::Transport;
use baton_aws::wire::HttpRequest;
use baton_runtime::parameters;
use serde_json::{json, Map, Value};

use super::{Refused, Services};

/// IAM's service prefix of invoking an API, and SigV4's service name ("Control access for
/// invoking an API", API Gateway developer guide: `execute-api:Invoke`).
pub(crate) const SIGNING_NAME: &str = "execute-api";

/// The action `[aws] allow` must list.
pub(crate) const ACTION: &str = "Invoke";

/// Runs one `apigateway:invoke`.
pub(crate) async fn invoke(
    services: &Services,
    params: &Value,
    region: &str,
    role_arn: Option<&str>,
) -> Result<Value, Refused> {
    parameters::api_gateway(params).map_err(|reason| super::rejected(params, &reason))?;
    let config = services.client.config();
    if !config.allowed(SIGNING_NAME, ACTION) {
        return Err(runtime(format!(
            "{SIGNING_NAME}:{ACTION} is not allowed: add it to `allow` in baton.toml's [aws] table (e.g. allow = [\"{SIGNING_NAME}:{ACTION}\"])"
        )));
    }
    let request = Request::from_params(params);
    let endpoint = endpoint(config, &request.api_endpoint, region).map_err(runtime)?;
    let auth = params
        .get("AuthType")
        .and_then(Value::as_str)
        .unwrap_or("NO_AUTH");
    let answer = if auth == "IAM_ROLE" {
        signed(config, &endpoint, request, role_arn).await?
    } else {
        unsigned(config, &endpoint, request).await?
    };
    let result = shape(&answer);
    if (200..300).contains(&answer.status) {
        Ok(result)
    } else {
        Err(Refused::Failed((
            format!("ApiGateway.{}", answer.status),
            String::from_utf8_lossy(&answer.body).into_owned(),
        )))
    }
}

/// The request the parameters describe.
struct Request {
    api_endpoint: String,
    method: String,
    /// `/{Stage}/{Path}?{query}`, percent-encoded.
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    /// From parameters [`parameters::api_gateway`] accepted.
    fn from_params(params: &Value) -> Request {
        let text = |name: &str| params.get(name).and_then(Value::as_str).unwrap_or("");
        let mut path = String::new();
        for part in [text("Stage"), text("Path")] {
            let part = part.trim_matches('/');
            if !part.is_empty() {
                path.push('/');
                path.push_str(&encode(part, true));
            }
        }
        if path.is_empty() {
            path.push('/');
        }
        let mut query = Vec::new();
        for (name, value) in lists(params.get("QueryParameters")) {
            query.push(format!(
                "{}={}",
                encode(&name, false),
                encode(&value, false)
            ));
        }
        if !query.is_empty() {
            path.push('?');
            path.push_str(&query.join("&"));
        }
        let mut headers = lists(params.get("Headers"));
        let has_content_type = headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
        // "AllowNullValues": with the default (false), null values of the input are not sent.
        let allow_nulls = params
            .get("AllowNullValues")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        // "RequestBody … Its type can be either a JSON object or String": a string is sent as
        // it is, any other JSON as its JSON text.
        let body = match params.get("RequestBody") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => s.clone().into_bytes(),
            Some(v) => {
                if !has_content_type {
                    headers.push(("Content-Type".into(), "application/json".into()));
                }
                let v = if allow_nulls {
                    v.clone()
                } else {
                    without_nulls(v)
                };
                v.to_string().into_bytes()
            }
        };
        Request {
            api_endpoint: text("ApiEndpoint").trim().to_string(),
            method: text("Method").to_string(),
            path,
            headers,
            body,
        }
    }
}

/// `{"k": ["a", "b"]}` → `[("k", "a"), ("k", "b")]`.
fn lists(value: Option<&Value>) -> Vec<(String, String)> {
    let Some(Value::Object(map)) = value else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, values) in map {
        for v in values.as_array().into_iter().flatten() {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.push((name.clone(), v));
        }
    }
    out
}

/// `value` without the members and items that are `null`, at every depth.
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .filter(|v| !v.is_null())
                .map(without_nulls)
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Percent-encoding of all but RFC 3986's unreserved characters (and `/` in a path).
fn encode(text: &str, path: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (path && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where the request goes: a configured endpoint, else `https://{ApiEndpoint}`. SigV4 signs in
/// the region of the API's host name (`<api-id>.execute-api.<region>.amazonaws.com`), else
/// `region`.
fn endpoint(config: &AwsConfig, api_endpoint: &str, region: &str) -> Result<Endpoint, String> {
    let signing_region = api_region(api_endpoint).unwrap_or(region).to_string();
    let configured = ["execute-api", "apigateway"]
        .iter()
        .find_map(|key| {
            config
                .endpoints
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(k, url)| (format!("[aws.endpoints] {k}"), url.clone()))
        })
        .or_else(|| {
            config
                .endpoint_url
                .clone()
                .map(|url| ("[aws] endpoint_url".to_string(), url))
        });
    let (url, custom) = match configured {
        Some((origin, url)) => {
            let (scheme, host, port, base_path) =
                baton_aws::endpoint::parse_url(&url).map_err(|e| format!("{origin}: {e}"))?;
            return Ok(Endpoint {
                scheme,
                host,
                port,
                base_path,
                signing_region,
                custom: true,
            });
        }
        // Only API Gateway's own host names: a definition must not make Baton reach any
        // host it names.
        None if is_api_host(api_endpoint) => (format!("https://{api_endpoint}"), false),
        None => {
            return Err(format!(
                "ApiEndpoint {api_endpoint:?} is not an API Gateway host name (<API ID>.execute-api.<region>.amazonaws.com)"
            ))
        }
    };
    let (scheme, host, port, base_path) = baton_aws::endpoint::parse_url(&url)
        .map_err(|e| format!("ApiEndpoint {api_endpoint:?} is not a host name: {e}"))?;
    if !base_path.is_empty() {
        return Err(format!(
            "ApiEndpoint {api_endpoint:?} is not a host name (it has a path)"
        ));
    }
    Ok(Endpoint {
        scheme,
        host,
        port,
        base_path,
        signing_region,
        custom,
    })
}

/// Whether `host` has the form API Gateway's APIs are reached at ("Request format": "The format
/// is <API ID>.execute-api.<region>.amazonaws.com"; `.amazonaws.com.cn` in China).
fn is_api_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let rest = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"));
    let Some((id, region)) = rest.and_then(|r| r.split_once(".execute-api.")) else {
        return false;
    };
    let id_ok = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric());
    let region_ok = !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    id_ok && region_ok
}

/// The region in `<api-id>.execute-api.<region>.amazonaws.com` ("Request format": "The format
/// is <API ID>.execute-api.<region>.amazonaws.com").
fn api_region(api_endpoint: &str) -> Option<&str> {
    let host = api_endpoint.split(':').next()?;
    let (_, rest) = host.split_once(".execute-api.")?;
    let region = rest.split('.').next()?;
    (!region.is_empty()).then_some(region)
}

/// The answer, whatever its status.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// `IAM_ROLE`: signed for `execute-api` with Baton's credentials (or the Task's role).
async fn signed(
    config: &AwsConfig,
    endpoint: &Endpoint,
    request: Request,
    role_arn: Option<&str>,
) -> Result<Answer, Refused> {
    let transport = Transport::new(config).map_err(runtime)?;
    let source = CredentialSource::new(config).map_err(runtime)?;
    let credentials = match role_arn {
        Some(role) => source.assume(role, "baton", &endpoint.signing_region).await,
        None => source.for_endpoint(endpoint).await,
    }
    .map_err(runtime)?;
    let http = HttpRequest {
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body.into(),
        host_prefix: None,
    };
    let answer = transport
        .send(endpoint, SIGNING_NAME, &credentials, http)
        .await
        .map_err(|e| no_answer(e.to_string()))?;
    Ok(Answer {
        status: answer.status,
        headers: answer.headers,
        body: answer.body.to_vec(),
    })
}

/// `NO_AUTH`, `RESOURCE_POLICY`: sent as it is (the API's resource policy names the state
/// machine; nothing Baton signs would satisfy it).
async fn unsigned(
    config: &AwsConfig,
    endpoint: &Endpoint,
    request: Request,
) -> Result<Answer, Refused> {
    let url = endpoint.url(None, &request.path);
    let tls = if endpoint.scheme == "https" {
        Some(crate::client::tls_config(config.ca_file.as_deref()).map_err(runtime)?)
    } else {
        None
    };
    let call = crate::client::send(
        &request.method,
        &url,
        &request.headers,
        request.body,
        tls.as_ref(),
    );
    let timeout: Duration = config.timeout();
    let response = match tokio::time::timeout(timeout, call).await {
        Ok(Ok(r)) => r,
        Ok(Err(message)) => return Err(no_answer(message)),
        Err(_) => {
            return Err(no_answer(format!(
                "no answer from {url} within {} seconds",
                timeout.as_secs()
            )))
        }
    };
    let headers = response
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    Ok(Answer {
        status: response.status.as_u16(),
        headers,
        body: response.body.to_vec(),
    })
}

/// No answer: "If the HTTP status code is not available, then the error will be returned in
/// the format ApiGateway.<Exception>"; the exception is the one the other optimized
/// integrations name when no answer came (the AWS SDK for Java 1.x's `SdkClientException`).
fn no_answer(message: String) -> Refused {
    Refused::Failed((
        "ApiGateway.SdkClientException".into(),
        format!("Unable to execute HTTP request: {message}"),
    ))
}

fn runtime(message: String) -> Refused {
    Refused::Failed(("States.Runtime".into(), message))
}

/// The task's result: headers as lists of values, the body parsed when it is JSON.
fn shape(answer: &Answer) -> Value {
    let mut headers = Map::new();
    for (name, value) in &answer.headers {
        let value = Value::String(value.clone());
        // Spelled as the service sent them (the recordings: `Content-Type`, `X-Amz-Cf-Id`,
        // `x-amzn-RequestId`); HTTP libraries give them lower-cased.
        let name = super::v1::header_name(name).into_owned();
        match headers
            .entry(name)
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            Value::Array(values) => values.push(value),
            other => *other = Value::Array(vec![value]),
        }
    }
    let text = String::from_utf8_lossy(&answer.body);
    let body = match serde_json::from_str::<Value>(&text) {
        Ok(v) => v,
        Err(_) => Value::String(text.into_owned()),
    };
    let status = hyper::StatusCode::from_u16(answer.status).ok();
    json!({
        "Headers": headers,
        "ResponseBody": body,
        "StatusCode": answer.status,
        "StatusText": status.and_then(|s| s.canonical_reason()).unwrap_or(""),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_path_and_query() {
        let r = Request::from_params(&json!({
            "ApiEndpoint": "abc.execute-api.eu-west-1.amazonaws.com", "Method": "GET",
            "Stage": "prod", "Path": "/bills/a b",
            "QueryParameters": {"billId": ["1", "2&"], "x": []}
        }));
        assert_eq!(r.path, "/prod/bills/a%20b?billId=1&billId=2%26");
        assert!(is_api_host("abc123.execute-api.eu-west-1.amazonaws.com"));
        assert!(is_api_host(
            "abc123.execute-api.cn-north-1.amazonaws.com.cn"
        ));
        for other in [
            "169.254.169.254",
            "localhost:8080",
            "evil.example.com",
            "x.execute-api.eu-west-1.amazonaws.com.evil.example",
            "execute-api.us-east-1.amazonaws.com",
        ] {
            assert!(!is_api_host(other), "{other}");
        }
        assert_eq!(
            api_region("abc.execute-api.eu-west-1.amazonaws.com"),
            Some("eu-west-1")
        );
        assert_eq!(api_region("localhost"), None);
    }

    #[test]
    fn nulls_are_left_out_unless_allowed() {
        let params = json!({"ApiEndpoint": "h", "Method": "POST",
            "RequestBody": {"a": null, "b": [1, null], "c": {"d": null}}});
        let r = Request::from_params(&params);
        assert_eq!(String::from_utf8(r.body).unwrap(), r#"{"b":[1],"c":{}}"#);
        let mut params = params;
        params["AllowNullValues"] = json!(true);
        let r = Request::from_params(&params);
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            r#"{"a":null,"b":[1,null],"c":{"d":null}}"#
        );
    }
}
