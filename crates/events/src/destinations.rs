//! API destinations and their connections (EventBridge User Guide, "API destinations" and
//! "Connections"): the resources as the store keeps them, and calling an API destination for a
//! delivery.
//!
//! A connection says how to authorize (Basic, an API key header, or OAuth client credentials)
//! and what to add to every request (`InvocationHttpParameters`); an API destination says
//! where (`InvocationEndpoint`, `HttpMethod`) and how often (`InvocationRateLimitPerSecond`).
//! Both are service resources of the account, stored under their ARN without the UUID EventBridge
//! appends (`…:connection/NAME`), so that a name is taken once; the full ARN is kept in the
//! body, and a target naming another UUID (a destination deleted and made again) names nothing.
//!
//! **What is reached.** The events crate makes no HTTP call itself: it builds the request and
//! hands it to an [`Outbound`] attached at startup ([`crate::Deliveries::attach_outbound`]),
//! which decides what may be reached (Baton's integrations allow exactly the URLs its HTTP task
//! may call). Without one, deliveries to API destinations fail at once, and say why.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use baton_store::{Op, ServiceResource, Store, WriteBatch};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::deliver::Failure;

/// The kinds of service resource kept here.
pub const CONNECTION: &str = "events:connection";
pub const API_DESTINATION: &str = "events:api-destination";

/// A connection that can authorize its requests.
pub const AUTHORIZED: &str = "AUTHORIZED";
/// One that cannot until `UpdateConnection` gives it parameters again: de-authorized by
/// `DeauthorizeConnection`, or by EventBridge when its credentials are refused (User Guide,
/// "De-authorizing connections").
pub const DEAUTHORIZED: &str = "DEAUTHORIZED";
/// Connections an account may have in a region (EventBridge quotas, "Connections: 3,000").
pub const CONNECTIONS_PER_REGION: usize = 3_000;
/// API destinations an account may have in a region (EventBridge quotas, "API destinations:
/// 3,000").
pub const API_DESTINATIONS_PER_REGION: usize = 3_000;
/// Invocations a second when a destination sets none (EventBridge quotas, "Rate of
/// invocations per API destination: Default 300 TPS").
pub const DEFAULT_RATE: u32 = 300;
/// How long a request to an API destination (or its authorization endpoint) may take
/// (User Guide, "API destinations": "maximum client execution timeout of 5 seconds").
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// An OAuth token is fetched again when it expires within this (User Guide, "Authorization
/// methods for connections": refreshed "if the token is about to expire").
const REFRESH_BEFORE: Duration = Duration::from_secs(60);
/// Tokens and throttles kept on a node, at most; past it, those not in use are forgotten.
const MAX_TOKENS: usize = 4_096;
const MAX_THROTTLES: usize = 8_192;
/// A token longer than this is refused (an answer is read up to 1 MiB).
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// What EventBridge sends with every request to an API destination (User Guide, "Headers
/// included in requests to API destinations"), but `Accept-Encoding`: answers are not
/// decompressed here. `Content-Type` may be replaced by the connection's or the target's
/// header parameters.
const USER_AGENT: &str = "Amazon/EventBridge/ApiDestinations";
const CONTENT_TYPE: &str = "application/json; charset=utf-8";
const RANGE: &str = "bytes=0-1048575";

/// Headers neither a connection nor a target may set: they frame the request (a second
/// `Content-Length` or `Host` would change how the endpoint reads it) or belong to the
/// connection between the two ends.
const FRAMING_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "expect",
];

// ---------------------------------------------------------------------------------------
// The resources

/// A connection as stored: the auth parameters with their secrets, in EventBridge's member
/// names. `DescribeConnection` answers [`describe_connection`], which leaves the secrets out.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Connection {
    pub name: String,
    pub connection_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub connection_state: String,
    pub authorization_type: String,
    pub auth_parameters: AuthParameters,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_identifier: Option<String>,
    /// Epoch seconds.
    pub creation_time: f64,
    pub last_modified_time: f64,
    pub last_authorized_time: f64,
}

/// `AuthParameters` of CreateConnection and UpdateConnection (every member optional: an update
/// gives only what changes).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AuthParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth_parameters: Option<BasicAuth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_auth_parameters: Option<ApiKeyAuth>,
    #[serde(
        rename = "OAuthParameters",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub oauth_parameters: Option<OAuth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_http_parameters: Option<HttpParams>,
    /// Private APIs through VPC Lattice, which Baton does not reach: refused by the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connectivity_parameters: Option<Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct BasicAuth {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ApiKeyAuth {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_value: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct OAuth {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_parameters: Option<OAuthClient>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_method: Option<String>,
    #[serde(
        rename = "OAuthHttpParameters",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub oauth_http_parameters: Option<HttpParams>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct OAuthClient {
    #[serde(rename = "ClientID", default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(
        rename = "ClientSecret",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub client_secret: Option<String>,
}

/// `ConnectionHttpParameters`: what a connection adds to each request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct HttpParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_parameters: Option<Vec<Param>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_string_parameters: Option<Vec<Param>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_parameters: Option<Vec<Param>>,
}

/// A header, query string or body parameter of a connection.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Param {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_value_secret: Option<bool>,
}

impl HttpParams {
    fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        pairs(&self.header_parameters)
    }
    fn query(&self) -> impl Iterator<Item = (&str, &str)> {
        pairs(&self.query_string_parameters)
    }
    fn body(&self) -> impl Iterator<Item = (&str, &str)> {
        pairs(&self.body_parameters)
    }
}

fn pairs(list: &Option<Vec<Param>>) -> impl Iterator<Item = (&str, &str)> {
    list.iter()
        .flatten()
        .filter_map(|p| Some((p.key.as_deref()?, p.value.as_deref().unwrap_or_default())))
}

/// An API destination as stored; its members are those `DescribeApiDestination` answers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ApiDestination {
    pub name: String,
    pub api_destination_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub api_destination_state: String,
    pub connection_arn: String,
    pub invocation_endpoint: String,
    pub http_method: String,
    pub invocation_rate_limit_per_second: u32,
    pub creation_time: f64,
    pub last_modified_time: f64,
}

/// A target's `HttpParameters` (PutTargets): what one rule adds to the requests it makes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct HttpParameters {
    #[serde(default)]
    pub path_parameter_values: Option<Vec<String>>,
    #[serde(default)]
    pub header_parameters: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub query_string_parameters: Option<BTreeMap<String, String>>,
}

impl HttpParameters {
    /// The target's `HttpParameters` member, if it has one; `Err` when it is not of the
    /// model's shape.
    pub fn of(target: &crate::model::Target) -> Result<HttpParameters, String> {
        match target.other.get("HttpParameters") {
            None | Some(Value::Null) => Ok(HttpParameters::default()),
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|e| format!("HttpParameters is not valid: {e}")),
        }
    }
}

/// `arn:aws:events:<region>:<account>:connection/<name>/<uuid>`.
pub fn connection_arn(region: &str, account: &str, name: &str, id: &str) -> String {
    format!("arn:aws:events:{region}:{account}:connection/{name}/{id}")
}

/// `arn:aws:events:<region>:<account>:api-destination/<name>/<uuid>`.
pub fn api_destination_arn(region: &str, account: &str, name: &str, id: &str) -> String {
    format!("arn:aws:events:{region}:{account}:api-destination/{name}/{id}")
}

/// Where a connection named `name` is stored.
pub fn connection_key(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:events:{region}:{account}:connection/{name}")
}

/// Where an API destination named `name` is stored.
pub fn api_destination_key(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:events:{region}:{account}:api-destination/{name}")
}

/// The region, account and name of an `arn:aws:events:…:<resource>/<name>/<uuid>` ARN whose
/// resource type is `resource` (`connection`, `api-destination`), when it is one.
pub fn parse_arn<'a>(arn: &'a str, resource: &str) -> Option<(&'a str, &'a str, &'a str)> {
    let parts = baton_api::arn::parts(arn)?;
    if parts.service != "events" {
        return None;
    }
    let rest = parts.resource.strip_prefix(resource)?.strip_prefix('/')?;
    let (name, id) = rest.split_once('/')?;
    let id_ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !crate::model::valid_name(name, 64, false) || !id_ok {
        return None;
    }
    Some((parts.region, parts.account, name))
}

/// Whether `arn` names an API destination (a target delivered here).
pub fn is_api_destination(arn: &str) -> bool {
    parse_arn(arn, "api-destination").is_some()
}

/// What `DescribeConnection` answers: everything but the secrets (API reference,
/// DescribeConnection: the `AuthParameters` "that do not include secrets").
pub fn describe_connection(c: &Connection) -> Value {
    let mut auth = serde_json::Map::new();
    let a = &c.auth_parameters;
    if let Some(basic) = &a.basic_auth_parameters {
        auth.insert(
            "BasicAuthParameters".into(),
            json!({"Username": basic.username}),
        );
    }
    if let Some(key) = &a.api_key_auth_parameters {
        auth.insert(
            "ApiKeyAuthParameters".into(),
            json!({"ApiKeyName": key.api_key_name}),
        );
    }
    if let Some(oauth) = &a.oauth_parameters {
        let mut o = json!({
            "ClientParameters": {
                "ClientID": oauth.client_parameters.as_ref().and_then(|c| c.client_id.clone()),
            },
            "AuthorizationEndpoint": oauth.authorization_endpoint,
            "HttpMethod": oauth.http_method,
        });
        if let Some(p) = &oauth.oauth_http_parameters {
            o["OAuthHttpParameters"] = public_params(p);
        }
        auth.insert("OAuthParameters".into(), o);
    }
    if let Some(p) = &a.invocation_http_parameters {
        auth.insert("InvocationHttpParameters".into(), public_params(p));
    }
    let mut out = json!({
        "ConnectionArn": c.connection_arn,
        "Name": c.name,
        "ConnectionState": c.connection_state,
        "AuthorizationType": c.authorization_type,
        "AuthParameters": auth,
        "CreationTime": c.creation_time,
        "LastModifiedTime": c.last_modified_time,
        "LastAuthorizedTime": c.last_authorized_time,
    });
    if let Some(d) = &c.description {
        out["Description"] = json!(d);
    }
    if let Some(k) = &c.kms_key_identifier {
        out["KmsKeyIdentifier"] = json!(k);
    }
    out
}

/// A connection as `ListConnections` lists it.
pub fn list_connection(c: &Connection) -> Value {
    json!({
        "ConnectionArn": c.connection_arn,
        "Name": c.name,
        "ConnectionState": c.connection_state,
        "AuthorizationType": c.authorization_type,
        "CreationTime": c.creation_time,
        "LastModifiedTime": c.last_modified_time,
        "LastAuthorizedTime": c.last_authorized_time,
    })
}

/// Parameters with the values marked `IsValueSecret` left out (their key stays).
fn public_params(p: &HttpParams) -> Value {
    let list = |l: &Option<Vec<Param>>| -> Value {
        Value::Array(
            l.iter()
                .flatten()
                .map(|p| {
                    let secret = p.is_value_secret.unwrap_or(false);
                    let mut v = json!({"Key": p.key, "IsValueSecret": secret});
                    if !secret {
                        v["Value"] = json!(p.value);
                    }
                    v
                })
                .collect(),
        )
    };
    let mut out = serde_json::Map::new();
    for (member, l) in [
        ("HeaderParameters", &p.header_parameters),
        ("QueryStringParameters", &p.query_string_parameters),
        ("BodyParameters", &p.body_parameters),
    ] {
        if l.is_some() {
            out.insert(member.into(), list(l));
        }
    }
    Value::Object(out)
}

/// An API destination as `ListApiDestinations` lists it (no `Description`).
pub fn list_api_destination(d: &ApiDestination) -> Value {
    let mut v = serde_json::to_value(d).expect("an API destination serialises");
    if let Some(o) = v.as_object_mut() {
        o.remove("Description");
    }
    v
}

// ---------------------------------------------------------------------------------------
// What goes out

/// One HTTP request to make.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundRequest {
    pub method: String,
    /// `http://` or `https://`, with its query.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// How long the whole exchange may take.
    pub timeout: Duration,
}

/// What the endpoint answered. The body is read up to a bound (the rest is not read).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl OutboundResponse {
    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why no answer came.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboundError {
    /// The URL may not be reached from this node: trying again changes nothing.
    Refused(String),
    /// No answer (cannot connect, TLS, timed out, the connection broke).
    Failed(String),
}

/// Who makes the HTTP requests of API destinations, and decides what may be reached.
#[async_trait]
pub trait Outbound: Send + Sync {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError>;
}

// ---------------------------------------------------------------------------------------
// Building requests

/// The request a delivery makes to `dest` through `conn`: the endpoint with its `*` path
/// wildcards filled from the target's `PathParameterValues` (in order), its query string
/// with the target's and then the connection's query parameters, the headers EventBridge
/// adds, the target's and then the connection's header parameters ("In case of any conflicting
/// keys, values from the Connection take precedence", API reference, `HttpParameters`), the
/// connection's authorization (`token` for OAuth), and `input` as the body with the
/// connection's body parameters added when it is a JSON object.
pub fn build_request(
    dest: &ApiDestination,
    conn: &Connection,
    http: &HttpParameters,
    input: &str,
    token: Option<&str>,
) -> Result<OutboundRequest, String> {
    let invocation = conn.auth_parameters.invocation_http_parameters.as_ref();
    let values = http.path_parameter_values.as_deref().unwrap_or_default();
    let mut url = fill_path(&dest.invocation_endpoint, values)?;

    let mut query: Vec<(&str, &str)> = http
        .query_string_parameters
        .iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for (k, v) in invocation.into_iter().flat_map(HttpParams::query) {
        query.retain(|(key, _)| *key != k);
        query.push((k, v));
    }
    append_query(&mut url, &query);

    let mut headers: Vec<(String, String)> = Vec::new();
    set_header(&mut headers, "User-Agent", USER_AGENT);
    set_header(&mut headers, "Content-Type", CONTENT_TYPE);
    set_header(&mut headers, "Range", RANGE);
    for (k, v) in http.header_parameters.iter().flatten() {
        check_header(k, v)?;
        set_header(&mut headers, k, v);
    }
    for (k, v) in invocation.into_iter().flat_map(HttpParams::headers) {
        check_header(k, v)?;
        set_header(&mut headers, k, v);
    }
    let auth = &conn.auth_parameters;
    match conn.authorization_type.as_str() {
        "BASIC" => {
            let basic = auth.basic_auth_parameters.as_ref();
            let user = basic.and_then(|b| b.username.as_deref());
            let password = basic.and_then(|b| b.password.as_deref());
            let (Some(user), Some(password)) = (user, password) else {
                return Err("the connection has no Basic username and password".into());
            };
            let credentials = base64(format!("{user}:{password}").as_bytes());
            set_header(
                &mut headers,
                "Authorization",
                &format!("Basic {credentials}"),
            );
        }
        "API_KEY" => {
            let key = auth.api_key_auth_parameters.as_ref();
            let name = key.and_then(|k| k.api_key_name.as_deref());
            let value = key.and_then(|k| k.api_key_value.as_deref());
            let (Some(name), Some(value)) = (name, value) else {
                return Err("the connection has no API key name and value".into());
            };
            check_header(name, value)?;
            set_header(&mut headers, name, value);
        }
        "OAUTH_CLIENT_CREDENTIALS" => {
            let Some(token) = token else {
                return Err("no OAuth token for the connection".into());
            };
            set_header(&mut headers, "Authorization", &format!("Bearer {token}"));
        }
        other => return Err(format!("authorization type {other} is not served")),
    }

    // RFC 9110 §9.3.1, §9.3.2: a GET or HEAD request's content has no meaning.
    let body = if matches!(dest.http_method.as_str(), "GET" | "HEAD") {
        Vec::new()
    } else {
        with_body_parameters(input, invocation).into_bytes()
    };
    Ok(OutboundRequest {
        method: dest.http_method.clone(),
        url,
        headers,
        body,
        timeout: TIMEOUT,
    })
}

/// `input` with the connection's body parameters as members when it is a JSON object (the
/// connection's win); as it is otherwise.
fn with_body_parameters(input: &str, params: Option<&HttpParams>) -> String {
    let mut body = params.into_iter().flat_map(HttpParams::body).peekable();
    if body.peek().is_none() {
        return input.to_string();
    }
    match serde_json::from_str::<Value>(input) {
        Ok(Value::Object(mut map)) => {
            for (k, v) in body {
                map.insert(k.to_string(), Value::String(v.to_string()));
            }
            Value::Object(map).to_string()
        }
        _ => input.to_string(),
    }
}

/// The request for an OAuth access token (RFC 6749 §4.4.2, the client credentials grant): the
/// client's id and secret as Basic authorization (§2.3.1), `grant_type=client_credentials` and
/// the `OAuthHttpParameters` body parameters as a form (in the query for GET), with their
/// header and query string parameters.
pub fn token_request(conn: &Connection) -> Result<OutboundRequest, String> {
    let Some(oauth) = &conn.auth_parameters.oauth_parameters else {
        return Err("the connection has no OAuthParameters".into());
    };
    let client = oauth.client_parameters.as_ref();
    let id = client.and_then(|c| c.client_id.as_deref());
    let secret = client.and_then(|c| c.client_secret.as_deref());
    let (Some(endpoint), Some(method), Some(id), Some(secret)) = (
        oauth.authorization_endpoint.as_deref(),
        oauth.http_method.as_deref(),
        id,
        secret,
    ) else {
        return Err("the connection's OAuthParameters are incomplete".into());
    };
    let params = oauth.oauth_http_parameters.as_ref();
    let mut form: Vec<(&str, &str)> = params.into_iter().flat_map(HttpParams::body).collect();
    if !form.iter().any(|(k, _)| *k == "grant_type") {
        form.insert(0, ("grant_type", "client_credentials"));
    }
    let mut query: Vec<(&str, &str)> = params.into_iter().flat_map(HttpParams::query).collect();
    let mut url = endpoint.to_string();
    let mut headers = Vec::new();
    set_header(&mut headers, "User-Agent", USER_AGENT);
    set_header(&mut headers, "Accept", "application/json");
    let body = if method == "GET" {
        query.extend(form);
        Vec::new()
    } else {
        set_header(
            &mut headers,
            "Content-Type",
            "application/x-www-form-urlencoded",
        );
        encode_pairs(&form).into_bytes()
    };
    append_query(&mut url, &query);
    for (k, v) in params.into_iter().flat_map(HttpParams::headers) {
        check_header(k, v)?;
        set_header(&mut headers, k, v);
    }
    let credentials = base64(format!("{id}:{secret}").as_bytes());
    set_header(
        &mut headers,
        "Authorization",
        &format!("Basic {credentials}"),
    );
    Ok(OutboundRequest {
        method: method.to_string(),
        url,
        headers,
        body,
        timeout: TIMEOUT,
    })
}

/// The access token of a token endpoint's answer (RFC 6749 §5.1) and how long it lasts, if it
/// says (`expires_in`, a number or a numeric string).
pub fn parse_token(body: &[u8]) -> Result<(String, Option<Duration>), String> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| "the authorization endpoint did not answer JSON".to_string())?;
    let token = v
        .get("access_token")
        .and_then(Value::as_str)
        .ok_or("the authorization endpoint's answer has no access_token")?;
    if token.is_empty()
        || token.len() > MAX_TOKEN_BYTES
        || !token.bytes().all(|b| (0x21..0x7f).contains(&b))
    {
        return Err("the authorization endpoint's access_token is not a usable token".into());
    }
    let expires = match v.get("expires_in") {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|s| s.is_finite() && *s >= 0.0)
    .map(|s| Duration::from_secs_f64(s.min(1e9)));
    Ok((token.to_string(), expires))
}

/// `endpoint` with each `*` of its path replaced by the next of `values`, percent-encoded so
/// that a value stays one path segment (User Guide, "API destinations": path wildcards filled
/// from the target's `PathParameterValues`). Values beyond the wildcards are not used.
pub fn fill_path(endpoint: &str, values: &[String]) -> Result<String, String> {
    let Some((path_start, path_end)) = path_span(endpoint) else {
        return Err(format!("{endpoint} is not an http:// or https:// URL"));
    };
    let wildcards = endpoint[path_start..path_end].matches('*').count();
    if wildcards == 0 {
        return Ok(endpoint.to_string());
    }
    if values.len() < wildcards {
        return Err(format!(
            "the endpoint has {wildcards} path wildcard(s) (*) and the target's \
             HttpParameters.PathParameterValues has {} value(s)",
            values.len()
        ));
    }
    let mut out = String::with_capacity(endpoint.len() + 64);
    out.push_str(&endpoint[..path_start]);
    let mut next = values.iter();
    for c in endpoint[path_start..path_end].chars() {
        if c == '*' {
            let value = next.next().map(String::as_str).unwrap_or_default();
            if value.trim().is_empty() || value == "." || value == ".." {
                return Err(format!(
                    "the path parameter value {value:?} is not a segment"
                ));
            }
            out.push_str(&percent(value));
        } else {
            out.push(c);
        }
    }
    out.push_str(&endpoint[path_end..]);
    Ok(out)
}

/// Where the path of an `http(s)://authority/path?query#fragment` URL starts and ends.
fn path_span(url: &str) -> Option<(usize, usize)> {
    let after_scheme = if url.starts_with("https://") {
        8
    } else if url.starts_with("http://") {
        7
    } else {
        return None;
    };
    let rest = &url[after_scheme..];
    let start = after_scheme + rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let end = start + url[start..].find(['?', '#']).unwrap_or(url.len() - start);
    Some((start, end))
}

/// The authority (`host[:port]`, with any userinfo) of an http(s) URL.
pub fn authority(url: &str) -> Option<&str> {
    let (start, _) = path_span(url)?;
    let scheme = if url.starts_with("https://") { 8 } else { 7 };
    Some(&url[scheme..start])
}

/// `url` without its query and fragment, for messages and logs: query parameters may be a
/// connection's secrets.
pub fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

fn append_query(url: &mut String, pairs: &[(&str, &str)]) {
    if pairs.is_empty() {
        return;
    }
    // A fragment is never sent: the query goes before it.
    let fragment = url.find('#').map(|i| url.split_off(i));
    url.push(if url.contains('?') { '&' } else { '?' });
    url.push_str(&encode_pairs(pairs));
    if let Some(f) = fragment {
        url.push_str(&f);
    }
}

fn encode_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent(k), percent(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`).
const ENCODED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encoding of everything but RFC 3986's unreserved characters (the HTTP task's
/// query strings use it too).
pub fn percent(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, ENCODED).to_string()
}

/// Sets `name` (replacing a header of that name in any case).
fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    headers.push((name.to_string(), value.to_string()));
}

/// Whether `name` is an HTTP field name (RFC 9110 §5.1, a token).
pub fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether `value` is a header value the model admits (`HeaderValue`: printable ASCII, spaces
/// and tabs; no line breaks).
pub fn is_header_value(value: &str) -> bool {
    value.len() <= 512
        && !value.trim_matches([' ', '\t']).is_empty()
        && value
            .bytes()
            .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

/// Whether a connection or a target may set header `name`.
pub fn is_framing_header(name: &str) -> bool {
    FRAMING_HEADERS.contains(&name.to_ascii_lowercase().as_str())
}

fn check_header(name: &str, value: &str) -> Result<(), String> {
    if !is_token(name) {
        return Err(format!("{name:?} is not a header name"));
    }
    if is_framing_header(name) {
        return Err(format!("the header {name} cannot be set"));
    }
    if !value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
    {
        return Err(format!("the value of header {name} is not printable ASCII"));
    }
    Ok(())
}

/// Standard base64 with padding (RFC 4648 §4), for Basic credentials.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// What an answer means

/// What an answer other than 2xx makes of the delivery (User Guide, "API destinations",
/// "API destination error codes": 401, 407, 409, 429 and 5xx are retried; other 1xx, 3xx and
/// 4xx are not). A `Retry-After` header lengthens the wait ("EventBridge chooses the more
/// conservative value between the defined retry policy and the Retry-After header"); a
/// negative one ends the retries.
pub(crate) fn judge(response: &OutboundResponse, url: &str) -> Failure {
    let status = response.status;
    let snippet = String::from_utf8_lossy(&response.body[..response.body.len().min(256)])
        .replace(['\r', '\n'], " ");
    let why = format!("{url} answered {status}: {snippet}");
    let retried = matches!(status, 401 | 407 | 409 | 429) || (500..600).contains(&status);
    if !retried {
        return Failure::Final(why);
    }
    match response.header("retry-after").map(retry_after) {
        Some(RetryAfter::Stop) => Failure::Final(format!("{why} (Retry-After is negative)")),
        Some(RetryAfter::Wait(wait)) => Failure::RetryAfter(why, wait),
        None | Some(RetryAfter::Unknown) => Failure::Retry(why),
    }
}

#[derive(Debug, PartialEq)]
enum RetryAfter {
    Wait(Duration),
    Stop,
    Unknown,
}

/// The longest `Retry-After` taken: an event is retried for 24 hours at most (User Guide,
/// "Event retry policy and using dead-letter queues"), so a longer wait ends its retries.
const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// A `Retry-After` value (RFC 9110 §10.2.3): delay seconds, or an HTTP date.
fn retry_after(value: &str) -> RetryAfter {
    let value = value.trim();
    if let Ok(secs) = value.parse::<i64>() {
        return if secs < 0 {
            RetryAfter::Stop
        } else {
            RetryAfter::Wait(Duration::from_secs(secs.unsigned_abs()).min(LONGEST_RETRY_AFTER))
        };
    }
    match chrono::DateTime::parse_from_rfc2822(value) {
        Ok(at) => {
            let ms = at
                .timestamp_millis()
                .saturating_sub(chrono::Utc::now().timestamp_millis())
                .max(0);
            RetryAfter::Wait(Duration::from_millis(ms.unsigned_abs()).min(LONGEST_RETRY_AFTER))
        }
        Err(_) => RetryAfter::Unknown,
    }
}

// ---------------------------------------------------------------------------------------
// Calling API destinations

/// An OAuth token as fetched.
struct Token {
    value: String,
    /// When it stops being used (`None`: until refused).
    until: Option<Instant>,
}

type TokenSlot = Arc<tokio::sync::Mutex<Option<Token>>>;

/// What a node keeps to call API destinations: the [`Outbound`] once attached, OAuth tokens
/// by connection (and version: an update fetches another), and when each destination may be
/// called next.
#[derive(Default)]
pub(crate) struct Invoker {
    outbound: OnceLock<Arc<dyn Outbound>>,
    tokens: Mutex<HashMap<String, TokenSlot>>,
    next_call: Mutex<HashMap<String, Instant>>,
}

/// A destination and its connection as read for a delivery, with the connection's version.
pub(crate) struct Resolved {
    pub destination: ApiDestination,
    pub connection: Connection,
    connection_version: u64,
}

impl Invoker {
    /// The first call wins.
    pub(crate) fn attach(&self, outbound: Arc<dyn Outbound>) {
        let _ = self.outbound.set(outbound);
    }

    /// The destination `arn` names and its connection, both of `account`; a final failure
    /// when either is gone (or was made again: another UUID).
    pub(crate) async fn resolve(
        &self,
        store: &dyn Store,
        arn: &str,
        account: &str,
    ) -> Result<Resolved, Failure> {
        let Some((region, owner, name)) = parse_arn(arn, "api-destination") else {
            return Err(Failure::Final(format!(
                "{arn} is not an API destination ARN"
            )));
        };
        if owner != account {
            return Err(Failure::Final(format!(
                "{arn} is not in the rule's account {account}"
            )));
        }
        let read = |kind: &'static str, key: String| async move {
            store
                .service_resource(kind, &key)
                .await
                .map_err(|e| Failure::Retry(format!("reading {key}: {e}")))
        };
        let key = api_destination_key(region, owner, name);
        let destination: ApiDestination = match read(API_DESTINATION, key).await? {
            Some(doc) => serde_json::from_str(&doc.body)
                .map_err(|e| Failure::Final(format!("the API destination {arn}: {e}")))?,
            None => {
                return Err(Failure::Final(format!(
                    "API destination {arn} does not exist"
                )))
            }
        };
        if destination.api_destination_arn != arn {
            return Err(Failure::Final(format!(
                "API destination {arn} does not exist"
            )));
        }
        let conn_arn = destination.connection_arn.clone();
        let Some((c_region, c_owner, c_name)) = parse_arn(&conn_arn, "connection") else {
            return Err(Failure::Final(format!(
                "{conn_arn} is not a connection ARN"
            )));
        };
        if c_owner != account {
            return Err(Failure::Final(format!(
                "{conn_arn} is not in the rule's account {account}"
            )));
        }
        let gone = || Failure::Final(format!("connection {conn_arn} does not exist"));
        let doc = read(CONNECTION, connection_key(c_region, c_owner, c_name))
            .await?
            .ok_or_else(gone)?;
        let connection: Connection = serde_json::from_str(&doc.body)
            .map_err(|e| Failure::Final(format!("the connection {conn_arn}: {e}")))?;
        if connection.connection_arn != conn_arn {
            return Err(gone());
        }
        if connection.connection_state != AUTHORIZED {
            return Err(Failure::Final(format!(
                "connection {conn_arn} is {}",
                connection.connection_state
            )));
        }
        Ok(Resolved {
            destination,
            connection,
            connection_version: doc.version,
        })
    }

    /// How long to wait before calling `dest`, taking its turn: calls to one destination are
    /// spaced by 1 / `InvocationRateLimitPerSecond` on this node ("Once the quota is met,
    /// future invocations to that API endpoint are throttled. The invocations will still
    /// occur, but are delayed", EventBridge quotas).
    pub(crate) fn reserve(&self, dest: &ApiDestination) -> Duration {
        let rate = dest.invocation_rate_limit_per_second.max(1);
        let interval = Duration::from_secs(1) / rate;
        let now = Instant::now();
        let mut next = self.next_call.lock().unwrap_or_else(|e| e.into_inner());
        if next.len() >= MAX_THROTTLES && !next.contains_key(&dest.api_destination_arn) {
            next.retain(|_, at| *at > now);
        }
        let at = next.entry(dest.api_destination_arn.clone()).or_insert(now);
        let slot = (*at).max(now);
        *at = slot + interval;
        slot - now
    }

    /// Calls the destination once with `input` as the body. Credentials the far end refuses
    /// de-authorize the connection in `store` (User Guide, "De-authorizing connections": an
    /// OAuth token that cannot be refreshed; a 401 or 407 answer to Basic or API key
    /// authorization).
    pub(crate) async fn invoke(
        &self,
        store: &dyn Store,
        resolved: &Resolved,
        target: &crate::model::Target,
        input: &str,
    ) -> Result<(), Failure> {
        let Some(outbound) = self.outbound.get() else {
            return Err(Failure::Final(
                "API destinations cannot be called: this node has no outbound HTTP client attached"
                    .into(),
            ));
        };
        let http = HttpParameters::of(target).map_err(Failure::Final)?;
        let conn = &resolved.connection;
        let oauth = conn.authorization_type == "OAUTH_CLIENT_CREDENTIALS";
        let token = if oauth {
            match self.token(&**outbound, resolved).await {
                Ok(token) => Some(token),
                Err(TokenError::Refused(why)) => {
                    deauthorize(store, resolved, &why).await;
                    return Err(Failure::Final(why));
                }
                Err(TokenError::Other(failure)) => return Err(failure),
            }
        } else {
            None
        };
        let request = build_request(&resolved.destination, conn, &http, input, token.as_deref())
            .map_err(Failure::Final)?;
        let url = without_query(&request.url).to_string();
        let response = match outbound.send(request).await {
            Ok(r) => r,
            Err(OutboundError::Refused(why)) => return Err(Failure::Final(why)),
            // Timed out or no answer: retried (User Guide, "API destinations": "EventBridge
            // retries timed out requests").
            Err(OutboundError::Failed(why)) => return Err(Failure::Retry(why)),
        };
        if (200..300).contains(&response.status) {
            return Ok(());
        }
        // OAuth tokens are refreshed "when a 401 or 407 response is returned" (User Guide,
        // "Authorization methods for connections").
        if matches!(response.status, 401 | 407) {
            match &token {
                Some(token) => self.forget_token(resolved, token).await,
                None => {
                    let why = format!("{url} answered {}", response.status);
                    deauthorize(store, resolved, &why).await;
                }
            }
        }
        Err(judge(&response, &url))
    }

    fn token_slot(&self, key: &str) -> TokenSlot {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        if tokens.len() >= MAX_TOKENS && !tokens.contains_key(key) {
            // Those no delivery holds now; fetched again when next needed.
            tokens.retain(|_, slot| Arc::strong_count(slot) > 1);
        }
        tokens.entry(key.to_string()).or_default().clone()
    }

    fn token_key(resolved: &Resolved) -> String {
        format!(
            "{}#{}",
            resolved.connection.connection_arn, resolved.connection_version
        )
    }

    /// The connection's token: the one fetched before while it lasts, else a new one from the
    /// authorization endpoint (one fetch at a time per connection).
    async fn token(
        &self,
        outbound: &dyn Outbound,
        resolved: &Resolved,
    ) -> Result<String, TokenError> {
        let slot = self.token_slot(&Self::token_key(resolved));
        let mut held = slot.lock().await;
        if let Some(t) = held.as_ref() {
            if t.until.is_none_or(|u| u > Instant::now() + REFRESH_BEFORE) {
                return Ok(t.value.clone());
            }
        }
        let other = |failure| TokenError::Other(failure);
        let request = token_request(&resolved.connection).map_err(|e| other(Failure::Final(e)))?;
        let url = without_query(&request.url).to_string();
        let response = match outbound.send(request).await {
            Ok(r) => r,
            // Not the connection's fault: what this node may reach.
            Err(OutboundError::Refused(why)) => return Err(other(Failure::Final(why))),
            Err(OutboundError::Failed(why)) => {
                return Err(other(Failure::Retry(format!(
                    "fetching an OAuth token: {why}"
                ))))
            }
        };
        if !(200..300).contains(&response.status) {
            let status = response.status;
            let why = format!("the authorization endpoint {url} answered {status}");
            // Credentials it refuses stay refused until the connection is updated; a busy or
            // failing endpoint may answer later.
            return Err(if status == 429 || (500..600).contains(&status) {
                other(Failure::Retry(why))
            } else {
                TokenError::Refused(why)
            });
        }
        let (value, lasts) = parse_token(&response.body).map_err(TokenError::Refused)?;
        *held = Some(Token {
            value: value.clone(),
            until: lasts.map(|d| Instant::now() + d),
        });
        Ok(value)
    }

    /// Forgets `token` (refused by the endpoint), unless another was fetched since.
    async fn forget_token(&self, resolved: &Resolved, token: &str) {
        let slot = self.token_slot(&Self::token_key(resolved));
        let mut held = slot.lock().await;
        if held.as_ref().is_some_and(|t| t.value == token) {
            *held = None;
        }
    }
}

/// Why no OAuth token was had.
enum TokenError {
    /// The authorization endpoint refused the connection's credentials, or answered no
    /// usable token: the connection is de-authorized.
    Refused(String),
    /// Anything else, the connection not at fault.
    Other(Failure),
}

/// Marks the connection of `resolved` DEAUTHORIZED, if it is still the version the delivery
/// read: an update made since brought other credentials, which this answer does not judge.
async fn deauthorize(store: &dyn Store, resolved: &Resolved, why: &str) {
    let c = &resolved.connection;
    let Some((region, account, name)) = parse_arn(&c.connection_arn, "connection") else {
        return;
    };
    let mut changed = c.clone();
    changed.connection_state = DEAUTHORIZED.into();
    changed.last_modified_time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| (d.as_millis() as f64 / 1000.0).floor());
    let Ok(body) = serde_json::to_string(&changed) else {
        return;
    };
    let version = resolved.connection_version;
    let resource = ServiceResource {
        kind: CONNECTION.into(),
        arn: connection_key(region, account, name),
        account: account.to_string(),
        body,
        version: version + 1,
    };
    let batch = WriteBatch::new().with(Op::PutServiceResource {
        resource,
        expected: Some(version),
    });
    match store.commit(batch).await {
        Ok(()) => tracing::warn!(connection = %c.connection_arn, why, "connection de-authorized"),
        Err(baton_store::Error::Conflict { .. } | baton_store::Error::NotFound { .. }) => {}
        Err(e) => {
            tracing::warn!(connection = %c.connection_arn, error = %e, "could not de-authorize the connection")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn destination(endpoint: &str, method: &str) -> ApiDestination {
        ApiDestination {
            name: "hook".into(),
            api_destination_arn: "arn:aws:events:us-east-1:111111111111:api-destination/hook/abc"
                .into(),
            description: None,
            api_destination_state: "ACTIVE".into(),
            connection_arn: "arn:aws:events:us-east-1:111111111111:connection/c/def".into(),
            invocation_endpoint: endpoint.into(),
            http_method: method.into(),
            invocation_rate_limit_per_second: 10,
            creation_time: 0.0,
            last_modified_time: 0.0,
        }
    }

    fn connection(kind: &str, auth: AuthParameters) -> Connection {
        Connection {
            name: "c".into(),
            connection_arn: "arn:aws:events:us-east-1:111111111111:connection/c/def".into(),
            description: None,
            connection_state: "AUTHORIZED".into(),
            authorization_type: kind.into(),
            auth_parameters: auth,
            kms_key_identifier: None,
            creation_time: 0.0,
            last_modified_time: 0.0,
            last_authorized_time: 0.0,
        }
    }

    fn param(key: &str, value: &str, secret: bool) -> Param {
        Param {
            key: Some(key.into()),
            value: Some(value.into()),
            is_value_secret: Some(secret),
        }
    }

    fn api_key(name: &str, value: &str) -> AuthParameters {
        AuthParameters {
            api_key_auth_parameters: Some(ApiKeyAuth {
                api_key_name: Some(name.into()),
                api_key_value: Some(value.into()),
            }),
            ..Default::default()
        }
    }

    fn header<'a>(r: &'a OutboundRequest, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn base64_pads_as_rfc_4648_says() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
    }

    #[test]
    fn path_wildcards_take_the_values_in_order_each_one_segment() {
        let values = vec!["orders".to_string(), "a b/../c?d".to_string()];
        assert_eq!(
            fill_path("https://h.example/v1/*/items/*?x=*", &values).unwrap(),
            "https://h.example/v1/orders/items/a%20b%2F..%2Fc%3Fd?x=*"
        );
        assert_eq!(
            fill_path("http://127.0.0.1:8080/plain", &[]).unwrap(),
            "http://127.0.0.1:8080/plain"
        );
        assert!(fill_path("https://h.example/*/*", &values[..1]).is_err());
        assert!(fill_path("https://h.example/*", &["..".to_string()]).is_err());
        assert!(fill_path("https://h.example/*", &[" ".to_string()]).is_err());
        // A host has no wildcards: only the path's are filled.
        assert_eq!(
            fill_path("https://*.example/x", &values).unwrap(),
            "https://*.example/x"
        );
        assert!(fill_path("ftp://h/*", &values).is_err());
    }

    #[test]
    fn the_request_has_the_targets_and_the_connections_parameters() {
        let mut auth = api_key("x-api-key", "k-123");
        auth.invocation_http_parameters = Some(HttpParams {
            header_parameters: Some(vec![
                param("X-Team", "from-connection", false),
                param("X-Secret", "s", true),
            ]),
            query_string_parameters: Some(vec![param("mode", "conn", false)]),
            body_parameters: Some(vec![param("added", "yes", true)]),
        });
        let conn = connection("API_KEY", auth);
        let http = HttpParameters {
            path_parameter_values: Some(vec!["o-1".into()]),
            header_parameters: Some(BTreeMap::from([
                ("x-team".to_string(), "from-target".to_string()),
                ("X-Rule".to_string(), "r".to_string()),
            ])),
            query_string_parameters: Some(BTreeMap::from([
                ("mode".to_string(), "target".to_string()),
                ("q".to_string(), "a&b".to_string()),
            ])),
        };
        let dest = destination("http://127.0.0.1:9/orders/*", "PUT");
        let r = build_request(&dest, &conn, &http, r#"{"id":1}"#, None).unwrap();
        assert_eq!(r.method, "PUT");
        assert_eq!(r.url, "http://127.0.0.1:9/orders/o-1?q=a%26b&mode=conn");
        assert_eq!(header(&r, "x-api-key"), Some("k-123"));
        // The connection's value wins over the target's.
        assert_eq!(header(&r, "X-Team"), Some("from-connection"));
        assert_eq!(header(&r, "X-Secret"), Some("s"));
        assert_eq!(header(&r, "X-Rule"), Some("r"));
        assert_eq!(header(&r, "User-Agent"), Some(USER_AGENT));
        assert_eq!(header(&r, "Content-Type"), Some(CONTENT_TYPE));
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body, json!({"id": 1, "added": "yes"}));
        assert_eq!(r.timeout, TIMEOUT);
    }

    #[test]
    fn basic_and_oauth_set_the_authorization_header() {
        let conn = connection(
            "BASIC",
            AuthParameters {
                basic_auth_parameters: Some(BasicAuth {
                    username: Some("user".into()),
                    password: Some("pass".into()),
                }),
                ..Default::default()
            },
        );
        let dest = destination("https://h.example/hook", "POST");
        let plain = HttpParameters::default();
        let r = build_request(&dest, &conn, &plain, "\"text\"", None).unwrap();
        assert_eq!(header(&r, "Authorization"), Some("Basic dXNlcjpwYXNz"));
        assert_eq!(r.body, b"\"text\"");

        let oauth = connection("OAUTH_CLIENT_CREDENTIALS", AuthParameters::default());
        assert!(build_request(&dest, &oauth, &plain, "{}", None).is_err());
        let r = build_request(&dest, &oauth, &plain, "{}", Some("tok")).unwrap();
        assert_eq!(header(&r, "Authorization"), Some("Bearer tok"));

        // GET carries no body; a header may replace the content type.
        let get = destination("https://h.example/hook", "GET");
        let typed = HttpParameters {
            header_parameters: Some(BTreeMap::from([(
                "content-type".to_string(),
                "application/cloudevents+json".to_string(),
            )])),
            ..Default::default()
        };
        let r = build_request(&get, &conn, &typed, "{}", None).unwrap();
        assert!(r.body.is_empty());
        assert_eq!(
            header(&r, "Content-Type"),
            Some("application/cloudevents+json")
        );
    }

    #[test]
    fn framing_headers_and_line_breaks_are_refused() {
        let conn = connection("API_KEY", api_key("x-api-key", "k"));
        let dest = destination("https://h.example/hook", "POST");
        for (name, value) in [
            ("Host", "other.example"),
            ("content-length", "0"),
            ("Transfer-Encoding", "chunked"),
            ("X-Ok", "a\r\nX-Injected: 1"),
            ("Bad Name", "v"),
        ] {
            let http = HttpParameters {
                header_parameters: Some(BTreeMap::from([(name.to_string(), value.to_string())])),
                ..Default::default()
            };
            assert!(
                build_request(&dest, &conn, &http, "{}", None).is_err(),
                "{name}: {value}"
            );
        }
    }

    #[test]
    fn the_token_request_is_a_client_credentials_grant() {
        let conn = connection(
            "OAUTH_CLIENT_CREDENTIALS",
            AuthParameters {
                oauth_parameters: Some(OAuth {
                    client_parameters: Some(OAuthClient {
                        client_id: Some("id".into()),
                        client_secret: Some("secret".into()),
                    }),
                    authorization_endpoint: Some("https://auth.example/token?v=1".into()),
                    http_method: Some("POST".into()),
                    oauth_http_parameters: Some(HttpParams {
                        header_parameters: Some(vec![param("X-Tenant", "t", false)]),
                        query_string_parameters: Some(vec![param("realm", "r", false)]),
                        body_parameters: Some(vec![param("audience", "api://x", true)]),
                    }),
                }),
                ..Default::default()
            },
        );
        let r = token_request(&conn).unwrap();
        assert_eq!(r.method, "POST");
        assert_eq!(r.url, "https://auth.example/token?v=1&realm=r");
        assert_eq!(
            String::from_utf8(r.body.clone()).unwrap(),
            "grant_type=client_credentials&audience=api%3A%2F%2Fx"
        );
        assert_eq!(header(&r, "Authorization"), Some("Basic aWQ6c2VjcmV0"));
        assert_eq!(
            header(&r, "Content-Type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(header(&r, "X-Tenant"), Some("t"));

        let (token, lasts) =
            parse_token(br#"{"access_token":"abc","token_type":"Bearer","expires_in":3600}"#)
                .unwrap();
        assert_eq!(token, "abc");
        assert_eq!(lasts, Some(Duration::from_secs(3600)));
        assert_eq!(
            parse_token(br#"{"access_token":"abc","expires_in":"60"}"#)
                .unwrap()
                .1,
            Some(Duration::from_secs(60))
        );
        assert!(parse_token(br#"{"token":"abc"}"#).is_err());
        assert!(parse_token(b"{\"access_token\":\"a\\r\\nb\"}").is_err());
        assert!(parse_token(b"not json").is_err());
    }

    #[test]
    fn answers_are_retried_as_eventbridge_retries_them() {
        let answer = |status: u16, retry: Option<&str>| OutboundResponse {
            status,
            headers: retry
                .map(|r| vec![("Retry-After".to_string(), r.to_string())])
                .unwrap_or_default(),
            body: b"nope".to_vec(),
        };
        for status in [401, 407, 409, 429, 500, 503] {
            assert!(
                matches!(judge(&answer(status, None), "u"), Failure::Retry(_)),
                "{status}"
            );
        }
        for status in [301, 400, 403, 404, 413] {
            assert!(
                matches!(judge(&answer(status, None), "u"), Failure::Final(_)),
                "{status}"
            );
        }
        assert!(matches!(
            judge(&answer(429, Some("7")), "u"),
            Failure::RetryAfter(_, d) if d == Duration::from_secs(7)
        ));
        assert!(matches!(
            judge(&answer(503, Some("-1")), "u"),
            Failure::Final(_)
        ));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            RetryAfter::Wait(Duration::ZERO)
        );
        assert_eq!(retry_after("soon"), RetryAfter::Unknown);
        assert_eq!(
            retry_after("99999999999999"),
            RetryAfter::Wait(LONGEST_RETRY_AFTER)
        );
    }

    #[test]
    fn arns_name_a_resource_and_its_uuid() {
        let arn = "arn:aws:events:us-east-1:111111111111:api-destination/hook/0f-12";
        assert_eq!(
            parse_arn(arn, "api-destination"),
            Some(("us-east-1", "111111111111", "hook"))
        );
        assert!(is_api_destination(arn));
        assert!(parse_arn(arn, "connection").is_none());
        assert!(!is_api_destination(
            "arn:aws:events:us-east-1:111111111111:api-destination/hook"
        ));
        assert!(!is_api_destination(
            "arn:aws:events:us-east-1:111111111111:event-bus/default"
        ));
        assert_eq!(
            authority("https://user@h.example:8443/x?y"),
            Some("user@h.example:8443")
        );
        assert_eq!(authority("http://h.example"), Some("h.example"));
        assert_eq!(
            without_query("https://h.example/x?key=secret#f"),
            "https://h.example/x"
        );
    }

    #[test]
    fn describe_leaves_the_secrets_out() {
        let mut auth = AuthParameters {
            oauth_parameters: Some(OAuth {
                client_parameters: Some(OAuthClient {
                    client_id: Some("id".into()),
                    client_secret: Some("very-secret".into()),
                }),
                authorization_endpoint: Some("https://auth.example/token".into()),
                http_method: Some("POST".into()),
                oauth_http_parameters: Some(HttpParams {
                    body_parameters: Some(vec![param("aud", "hidden-aud", true)]),
                    ..Default::default()
                }),
            }),
            ..Default::default()
        };
        auth.invocation_http_parameters = Some(HttpParams {
            header_parameters: Some(vec![
                param("X-Shown", "visible", false),
                param("X-Hidden", "hidden-value", true),
            ]),
            ..Default::default()
        });
        let described = describe_connection(&connection("OAUTH_CLIENT_CREDENTIALS", auth));
        let text = described.to_string();
        assert!(
            !text.contains("very-secret") && !text.contains("hidden"),
            "{text}"
        );
        assert!(text.contains("visible"));
        assert_eq!(
            described["AuthParameters"]["OAuthParameters"]["ClientParameters"]["ClientID"],
            "id"
        );
        assert_eq!(
            described["AuthParameters"]["InvocationHttpParameters"]["HeaderParameters"][1],
            json!({"Key": "X-Hidden", "IsValueSecret": true})
        );
    }

    #[test]
    fn calls_to_a_destination_are_spaced_by_its_rate() {
        let invoker = Invoker::default();
        let dest = destination("https://h.example/x", "POST");
        assert_eq!(invoker.reserve(&dest), Duration::ZERO);
        let second = invoker.reserve(&dest);
        let third = invoker.reserve(&dest);
        // 10 a second: 100 ms apart.
        assert!(second > Duration::from_millis(90) && second <= Duration::from_millis(100));
        assert!(third > Duration::from_millis(190) && third <= Duration::from_millis(200));
        let mut other = dest.clone();
        other.api_destination_arn.push('x');
        assert_eq!(invoker.reserve(&other), Duration::ZERO);
    }
}
