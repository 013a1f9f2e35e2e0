//! Parameters Step Functions refuses before it calls a service: the Task state fails with
//! `States.Runtime` and "The Parameters '…' could not be used to start the Task: […]", no
//! `TaskScheduled` is recorded, and no Retry or Catch sees the failure. The check is pure, so
//! that a mocked Task (`baton run --mock-config`, `baton serve` with a mock configuration) is
//! refused exactly as a called one: Step Functions Local's mocks replace the call, not the
//! validation that comes before it (recorded from AWS in the conformance corpus's
//! `services-invoke-with-headers-singlestringheader`, whose test case mocks nothing and whose
//! execution fails right after `TaskStateEntered`).

use baton_engine::resource_kind;
use serde_json::{Map, Value};

/// The fields of `arn:aws:states:::apigateway:invoke` ("Create API Gateway REST APIs with Step
/// Functions", AWS Step Functions developer guide, "Request format": `ApiEndpoint` and `Method`
/// required; `Headers`, `Stage`, `Path`, `QueryParameters`, `RequestBody`, `AuthType`,
/// `AllowNullValues` optional).
pub const API_GATEWAY_FIELDS: [&str; 9] = [
    "ApiEndpoint",
    "Method",
    "Headers",
    "Stage",
    "Path",
    "QueryParameters",
    "RequestBody",
    "AuthType",
    "AllowNullValues",
];

/// `Method`'s values (same page: "The HTTP method, which must be one of the following").
pub const API_GATEWAY_METHODS: [&str; 7] =
    ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

/// `AuthType`'s values (same page: "The allowed values are: NO_AUTH, IAM_ROLE,
/// RESOURCE_POLICY"; `NO_AUTH` is the default).
pub const API_GATEWAY_AUTH_TYPES: [&str; 3] = ["NO_AUTH", "IAM_ROLE", "RESOURCE_POLICY"];

/// Header names `apigateway:invoke` does not send (same page: "For security considerations,
/// the following HTTP header keys are not currently permitted: Anything prefixed with
/// X-Forwarded, X-Amz or X-Amzn. Authorization, Connection, Content-md5, Expect, Host,
/// Max-Forwards, Proxy-Authenticate, Server, TE, Transfer-Encoding, Trailer, Upgrade, Via,
/// Www-Authenticate").
const API_GATEWAY_REFUSED_HEADERS: [&str; 14] = [
    "authorization",
    "connection",
    "content-md5",
    "expect",
    "host",
    "max-forwards",
    "proxy-authenticate",
    "server",
    "te",
    "transfer-encoding",
    "trailer",
    "upgrade",
    "via",
    "www-authenticate",
];

/// The prefixes of the same list.
const API_GATEWAY_REFUSED_PREFIXES: [&str; 3] = ["x-forwarded", "x-amz", "x-amzn"];

/// Whether `apigateway:invoke` refuses to send the header `name`.
pub fn api_gateway_refuses_header(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    API_GATEWAY_REFUSED_HEADERS.contains(&name.as_str())
        || API_GATEWAY_REFUSED_PREFIXES
            .iter()
            .any(|p| name.starts_with(p))
}

/// The cause Step Functions gives when `params` cannot start a task, `reason` being what is
/// wrong (recorded: "The Parameters '<json>' could not be used to start the Task: [The value of
/// the field 'Headers' has an invalid format]").
pub fn rejection(params: &Value, reason: &str) -> String {
    format!("The Parameters '{params}' could not be used to start the Task: [{reason}]")
}

/// Checks the effective parameters of a Task whose resource is `resource` (in an execution of
/// `region`) before any call; `Err` is the cause the state fails with. Resources without a
/// check here pass.
pub fn validate(resource: &str, region: &str, params: &Value) -> Result<(), String> {
    let kind = resource_kind(resource, region);
    let action = kind.resource.resource.as_str();
    let action = action.strip_suffix(".waitForTaskToken").unwrap_or(action);
    match (kind.resource.resource_type.as_str(), action) {
        ("apigateway", "invoke") => {
            api_gateway(params).map_err(|reason| rejection(params, &reason))
        }
        (resource_type, action) => match resource_type.strip_prefix("aws-sdk:") {
            Some(service) if service != "s3" => {
                aws_sdk(service, action, params).map_err(|reason| rejection(params, &reason))
            }
            _ => Ok(()),
        },
    }
}

/// An `aws-sdk:*` Task's parameters against its operation's input, for the services whose
/// model is built into Baton (the same answer on every machine, so a replay decides as the
/// first run did); other services are checked when the call is made.
fn aws_sdk(service: &str, action: &str, params: &Value) -> Result<(), String> {
    static REGISTRY: std::sync::OnceLock<baton_aws::registry::Registry> =
        std::sync::OnceLock::new();
    let registry = REGISTRY.get_or_init(baton_aws::registry::Registry::builtin_only);
    let Ok(model) = registry.service(service) else {
        return Ok(());
    };
    let Some(op) = model.operation_for_action(action) else {
        return Ok(());
    };
    match baton_aws::protocol::serialize(&model.model, op, params) {
        Err(e @ baton_aws::protocol::ParamError::UnknownField(_))
        | Err(e @ baton_aws::protocol::ParamError::InvalidFormat(_))
        | Err(e @ baton_aws::protocol::ParamError::NotAnObject) => Err(e.to_string()),
        _ => Ok(()),
    }
}

/// `apigateway:invoke`'s parameters, as "Request format" types them.
pub fn api_gateway(params: &Value) -> Result<(), String> {
    let Value::Object(fields) = params else {
        return Err("The Parameters must be a JSON object".into());
    };
    // A field the integration does not have: the words Step Functions gives for an unknown
    // field of a service integration's parameters.
    if let Some(name) = fields
        .keys()
        .find(|k| !API_GATEWAY_FIELDS.contains(&k.as_str()))
    {
        return Err(format!(
            "The field \"{name}\" is not supported by Step Functions"
        ));
    }
    let invalid = |field: &str| format!("The value of the field '{field}' has an invalid format");
    // Required ("Required request parameters"). Step Functions refuses a definition without
    // them when it is created; a value computed at run time that lacks one is worded here as
    // a value of the wrong format.
    match fields.get("ApiEndpoint") {
        Some(Value::String(s)) if !s.trim().is_empty() => {}
        _ => return Err(invalid("ApiEndpoint")),
    }
    match fields.get("Method") {
        Some(Value::String(m)) if API_GATEWAY_METHODS.contains(&m.as_str()) => {}
        _ => return Err(invalid("Method")),
    }
    for field in ["Stage", "Path"] {
        match fields.get(field) {
            None | Some(Value::Null) | Some(Value::String(_)) => {}
            Some(_) => return Err(invalid(field)),
        }
    }
    match fields.get("AuthType") {
        None | Some(Value::Null) => {}
        Some(Value::String(a)) if API_GATEWAY_AUTH_TYPES.contains(&a.as_str()) => {}
        Some(_) => return Err(invalid("AuthType")),
    }
    match fields.get("AllowNullValues") {
        None | Some(Value::Null) | Some(Value::Bool(_)) => {}
        Some(_) => return Err(invalid("AllowNullValues")),
    }
    // "HTTP headers allow a list of values associated with the same key", "Query strings
    // allow a list of values associated with the same key": a map of lists. A single string
    // where a list belongs is refused (recorded: `services-invoke-with-headers-
    // singlestringheader`).
    for field in ["Headers", "QueryParameters"] {
        match fields.get(field) {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) if lists_of_scalars(map) => {}
            Some(_) => return Err(invalid(field)),
        }
    }
    if let Some(Value::Object(headers)) = fields.get("Headers") {
        let refused: Vec<String> = headers
            .keys()
            .filter(|k| api_gateway_refuses_header(k))
            .map(|k| k.to_ascii_lowercase())
            .collect();
        if !refused.is_empty() {
            // The words Step Functions gives when it refuses such a definition ("The 'Headers'
            // field contains unsupported values: [authorization]").
            return Err(format!(
                "The 'Headers' field contains unsupported values: [{}]",
                refused.join(", ")
            ));
        }
    }
    Ok(())
}

/// Every value a list of strings, numbers or booleans (sent as their text).
fn lists_of_scalars(map: &Map<String, Value>) -> bool {
    map.values().all(|v| match v {
        Value::Array(items) => items
            .iter()
            .all(|i| matches!(i, Value::String(_) | Value::Number(_) | Value::Bool(_))),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RESOURCE: &str = "arn:aws:states:::apigateway:invoke";

    fn base() -> Value {
        json!({"ApiEndpoint": "abc.execute-api.us-east-1.amazonaws.com", "Method": "POST",
               "Stage": "prod", "Path": "x", "RequestBody": {"a": 1}})
    }

    #[test]
    fn a_single_string_header_is_refused_with_the_recorded_words() {
        let mut params = base();
        params["Headers"] = json!({"custom_header": "singleStringHeader"});
        let cause = validate(RESOURCE, "us-east-1", &params).unwrap_err();
        assert!(cause.starts_with("The Parameters '{"), "{cause}");
        assert!(
            cause.ends_with(
                "could not be used to start the Task: [The value of the field 'Headers' has an invalid format]"
            ),
            "{cause}"
        );
        params["Headers"] = json!({"custom_header": ["a", "b"]});
        assert!(validate(RESOURCE, "us-east-1", &params).is_ok());
        let callback = "arn:aws:states:::apigateway:invoke.waitForTaskToken";
        params["Headers"] = json!({"h": "x"});
        assert!(validate(callback, "us-east-1", &params).is_err());
    }

    #[test]
    fn unknown_fields_types_and_refused_headers() {
        let mut params = base();
        params["Foo"] = json!(1);
        assert!(validate(RESOURCE, "r", &params)
            .unwrap_err()
            .contains("[The field \"Foo\" is not supported by Step Functions]"));
        let mut params = base();
        params["Method"] = json!("TRACE");
        assert!(validate(RESOURCE, "r", &params).is_err());
        let mut params = base();
        params["QueryParameters"] = json!({"q": 1});
        assert!(validate(RESOURCE, "r", &params)
            .unwrap_err()
            .contains("'QueryParameters'"));
        let mut params = base();
        params["Headers"] = json!({"X-Amz-Date": ["x"], "Host": ["h"]});
        assert!(validate(RESOURCE, "r", &params)
            .unwrap_err()
            .contains("[The 'Headers' field contains unsupported values: [x-amz-date, host]]"));
        let mut params = base();
        params["AuthType"] = json!("IAM_AUTH");
        assert!(validate(RESOURCE, "r", &params).is_err());
        // Other resources are not checked here.
        assert!(validate("arn:aws:states:::lambda:invoke", "r", &json!("x")).is_ok());
    }
}
