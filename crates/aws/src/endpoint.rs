//! Which URL a service is reached at, and which region signs for it.
//!
//! The first of these that is set wins:
//!
//! 1. `[aws.endpoints]`, keyed by the service's name in Step Functions' resource ARNs
//!    (`dynamodb`, `sfn`), its endpoint prefix (`states`) or its key in the shared `config`
//!    file's `services` section (`api_gateway`);
//! 2. the AWS SDKs' service-specific variable `AWS_ENDPOINT_URL_<SERVICE>`, `<SERVICE>` being
//!    the model's `serviceId` upper-cased with spaces replaced by underscores
//!    (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_API_GATEWAY`: "Service-specific
//!    endpoints" and "Identifiers for service-specific endpoints", AWS SDKs and Tools Reference
//!    Guide);
//! 3. Step Functions Local's variables, for the services it has them for (`LAMBDA_ENDPOINT`,
//!    `BATCH_ENDPOINT`, `DYNAMODB_ENDPOINT`, `ECS_ENDPOINT`, `GLUE_ENDPOINT`,
//!    `SAGE_MAKER_ENDPOINT`, `SQS_ENDPOINT`, `SNS_ENDPOINT`, `STEP_FUNCTIONS_ENDPOINT`: "Setting
//!    configuration options for Step Functions Local", AWS Step Functions Developer Guide), so
//!    that a setup made for Step Functions Local works unchanged;
//! 4. `[aws] endpoint_url`, then the AWS SDKs' `AWS_ENDPOINT_URL` (same guide);
//! 5. AWS's own endpoint: `https://{endpointPrefix}.{region}.amazonaws.com`
//!    (`.amazonaws.com.cn` in the China regions); services with one global endpoint (IAM,
//!    Route 53, CloudFront, …) at that endpoint, signed in the partition's first region
//!    (`us-east-1`, `cn-north-1`, `us-gov-west-1`). STS is regional, as the SDKs now default to.
//!
//! Endpoints from 1–4 are "custom". An operation's host prefix (`data-`, `{AccountId}.`) is
//! put before AWS's own host names only: botocore injects it into custom endpoints too unless
//! told `inject_host_prefix=False`, but the custom endpoints Baton is pointed at are emulators
//! and proxies on loopback addresses or plain host names (`http://127.0.0.1:5000`,
//! `http://localstack:4566`), where a prefixed name (`data-127.0.0.1`, `data-localstack`) does
//! not resolve, and which serve every operation at the one address they were given.

use hyper::http::Uri;

use crate::config::AwsConfig;
use crate::model::Metadata;

/// Where one service is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `http` or `https`.
    pub scheme: String,
    /// The host name or address, without a port (`dynamodb.eu-west-1.amazonaws.com`,
    /// `127.0.0.1`, `[::1]`).
    pub host: String,
    /// The port when the URL gave one.
    pub port: Option<u16>,
    /// A path every request's path is put after (`/proxy`), without a trailing `/`; usually
    /// empty.
    pub base_path: String,
    /// The region SigV4 signs in.
    pub signing_region: String,
    /// Configured rather than AWS's own: no host prefix is put before it.
    pub custom: bool,
}

impl Endpoint {
    /// The host (with the operation's host prefix, unless custom) and port, as `Host` carries
    /// them.
    pub fn authority(&self, host_prefix: Option<&str>) -> String {
        let mut authority = String::new();
        if let Some(prefix) = host_prefix.filter(|_| !self.custom) {
            authority.push_str(prefix);
        }
        authority.push_str(&self.host);
        if let Some(port) = self.port {
            authority.push(':');
            authority.push_str(&port.to_string());
        }
        authority
    }

    /// The whole URL of a request whose path and query is `path` (starting with `/`).
    pub fn url(&self, host_prefix: Option<&str>, path: &str) -> String {
        format!(
            "{}://{}{}{}",
            self.scheme,
            self.authority(host_prefix),
            self.base_path,
            path
        )
    }

    /// The endpoint itself, as configured or resolved (`https://sqs.eu-west-1.amazonaws.com`).
    pub fn base_url(&self) -> String {
        self.url(None, "")
    }

    /// The port connections go to.
    pub fn effective_port(&self) -> u16 {
        self.port
            .unwrap_or(if self.scheme == "https" { 443 } else { 80 })
    }
}

/// A URL's parts: scheme, host, port, base path. Only `http` and `https`; no user info, query
/// or fragment.
pub fn parse_url(url: &str) -> Result<(String, String, Option<u16>, String), String> {
    let uri: Uri = url
        .parse()
        .map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    let scheme = match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("http") => "http",
        Some(s) if s.eq_ignore_ascii_case("https") => "https",
        Some(s) => return Err(format!("{url:?}: the scheme is {s}, not http or https")),
        None => return Err(format!("{url:?} has no scheme (http:// or https://)")),
    };
    let authority = uri
        .authority()
        .ok_or_else(|| format!("{url:?} has no host"))?;
    if authority.as_str().contains('@') {
        return Err(format!(
            "{url:?}: user information in an endpoint is not supported"
        ));
    }
    if authority.host().is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    if uri.query().is_some() || url.contains('#') {
        return Err(format!("{url:?}: an endpoint has no query or fragment"));
    }
    let path = uri.path().trim_end_matches('/').to_owned();
    Ok((
        scheme.to_owned(),
        authority.host().to_ascii_lowercase(),
        authority.port_u16(),
        path,
    ))
}

fn custom(url: &str, region: &str, origin: &str) -> Result<Endpoint, String> {
    let (scheme, host, port, base_path) = parse_url(url).map_err(|e| format!("{origin}: {e}"))?;
    Ok(Endpoint {
        scheme,
        host,
        port,
        base_path,
        signing_region: region.to_owned(),
        custom: true,
    })
}

/// `AWS_ENDPOINT_URL_<SERVICE>`'s name for a model's `serviceId`.
pub fn service_env_var(service_id: &str) -> String {
    let mut name = String::from("AWS_ENDPOINT_URL_");
    for c in service_id.chars() {
        name.push(if c == ' ' {
            '_'
        } else {
            c.to_ascii_uppercase()
        });
    }
    name
}

/// The service's key in the shared `config` file's `services` section (`api_gateway`).
fn config_file_key(service_id: &str) -> String {
    service_id.to_ascii_lowercase().replace(' ', "_")
}

/// Step Functions Local's variable for the service, where it has one.
pub fn step_functions_local_var(service_id: &str) -> Option<&'static str> {
    Some(match service_id {
        "Lambda" => "LAMBDA_ENDPOINT",
        "Batch" => "BATCH_ENDPOINT",
        "DynamoDB" => "DYNAMODB_ENDPOINT",
        "ECS" => "ECS_ENDPOINT",
        "Glue" => "GLUE_ENDPOINT",
        "SageMaker" => "SAGE_MAKER_ENDPOINT",
        "SQS" => "SQS_ENDPOINT",
        "SNS" => "SNS_ENDPOINT",
        "SFN" => "STEP_FUNCTIONS_ENDPOINT",
        _ => return None,
    })
}

/// The endpoint of the service `meta` describes, named `sfn_name` in Step Functions' resource
/// ARNs, in `region`. `env` reads an environment variable (`|name| std::env::var(name).ok()`).
pub fn resolve(
    config: &AwsConfig,
    env: &dyn Fn(&str) -> Option<String>,
    meta: &Metadata,
    sfn_name: &str,
    region: &str,
) -> Result<Endpoint, String> {
    let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let keys = [
        sfn_name.to_owned(),
        meta.endpoint_prefix.clone(),
        config_file_key(&meta.service_id),
    ];
    for key in &keys {
        if let Some((name, url)) = config
            .endpoints
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
        {
            return custom(url, region, &format!("[aws.endpoints] {name}"));
        }
    }
    let var = service_env_var(&meta.service_id);
    if let Some(url) = env(&var) {
        return custom(url.trim(), region, &var);
    }
    if let Some(var) = step_functions_local_var(&meta.service_id) {
        if let Some(url) = env(var) {
            return custom(url.trim(), region, var);
        }
    }
    if let Some(url) = &config.endpoint_url {
        return custom(url, region, "[aws] endpoint_url");
    }
    if let Some(url) = env("AWS_ENDPOINT_URL") {
        return custom(url.trim(), region, "AWS_ENDPOINT_URL");
    }
    aws_endpoint(meta, region)
}

/// AWS's own endpoint of the service in `region`.
pub fn aws_endpoint(meta: &Metadata, region: &str) -> Result<Endpoint, String> {
    if region.is_empty()
        || !region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(format!(
            "{region:?} is not a region; set [aws] region or AWS_REGION"
        ));
    }
    let china = region.starts_with("cn-");
    let govcloud = region.starts_with("us-gov-");
    let suffix = if china {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    let prefix = &meta.endpoint_prefix;
    let global = meta.global_endpoint.is_some() && prefix != "sts";
    let (host, signing_region) = if global && china {
        (format!("{prefix}.cn-north-1.{suffix}"), "cn-north-1")
    } else if global && govcloud {
        (format!("{prefix}.us-gov.{suffix}"), "us-gov-west-1")
    } else if let Some(host) = meta.global_endpoint.as_deref().filter(|_| global) {
        (host.to_ascii_lowercase(), "us-east-1")
    } else {
        (format!("{prefix}.{region}.{suffix}"), region)
    };
    Ok(Endpoint {
        scheme: "https".into(),
        host,
        port: None,
        base_path: String::new(),
        signing_region: signing_region.to_owned(),
        custom: false,
    })
}
