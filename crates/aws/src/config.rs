//! `baton.toml`'s `[aws]` table: where AWS services are reached, with which credentials, and
//! which of their actions a state machine may call.
//!
//! ```toml
//! [aws]
//! region = "eu-west-1"
//! # Every service at one endpoint (an emulator), unless `endpoints` names the service.
//! endpoint_url = "http://127.0.0.1:4566"
//! endpoints = { dynamodb = "http://127.0.0.1:5000", sqs = "http://127.0.0.1:9324" }
//! # Static keys; without them the profile, then the AWS SDK's default chain.
//! access_key_id = "AKIA..."
//! secret_access_key_env = "BATON_AWS_SECRET"
//! profile = "baton"
//! # Nothing is allowed unless listed here.
//! allow = ["dynamodb:GetItem", "dynamodb:PutItem", "sqs:Send*", "states:StartExecution"]
//! # A Task's `Credentials.RoleArn` is assumed through STS only when this is true.
//! assume_role = true
//! models = ["/opt/botocore-data"]
//! ca_file = "/etc/ssl/corp-root.pem"
//! timeout_seconds = 60
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// A value that is never shown: `Debug` prints `"<redacted>"`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for signing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_owned())
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

/// The default of `timeout_seconds`.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 60;
/// The default of `connect_timeout_seconds`.
pub const DEFAULT_CONNECT_TIMEOUT_SECONDS: u64 = 10;

/// `baton.toml`'s `[aws]`.
#[derive(Debug, Deserialize, Default, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    /// One endpoint for every service (`http://127.0.0.1:4566`), like the AWS SDKs'
    /// `AWS_ENDPOINT_URL`; a service named in `endpoints` goes to its own.
    pub endpoint_url: Option<String>,
    /// The region services are called in; see [`AwsConfig::region`] for the fallbacks.
    pub region: Option<String>,
    /// Static keys: used before any profile or the default chain.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
    /// The name of an environment variable holding the secret access key, instead of
    /// `secret_access_key` in the file.
    pub secret_access_key_env: Option<String>,
    pub session_token: Option<Secret>,
    /// A profile of the shared `config` and `credentials` files.
    pub profile: Option<String>,
    /// An endpoint per service, keyed by the service's name in Step Functions' resource ARNs
    /// (`dynamodb`, `sqs`, `sfn`), or its endpoint prefix (`states`), or its key in the shared
    /// `config` file's `services` section (`api_gateway`).
    #[serde(default)]
    pub endpoints: BTreeMap<String, String>,
    /// IAM-style action patterns a state machine may call (`dynamodb:*`, `sqs:SendMessage`,
    /// `dynamodb:Get*`, `*`). Empty: nothing is allowed.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Folders of service models in botocore's layout (`<service>/<version>/service-2.json`).
    #[serde(default)]
    pub models: Vec<PathBuf>,
    /// Whether a Task's `Credentials: {"RoleArn": ...}` is assumed through STS's AssumeRole
    /// with Baton's own credentials. When false (the default) such a Task fails: Baton never
    /// calls with a role the operator did not agree to hand to definitions.
    #[serde(default)]
    pub assume_role: bool,
    /// A PEM file of certificate authorities trusted besides the system's.
    pub ca_file: Option<PathBuf>,
    /// The longest one HTTP attempt may take, connecting and reading the answer included
    /// (default 60).
    pub timeout_seconds: Option<u64>,
    /// The longest connecting may take (default 10).
    pub connect_timeout_seconds: Option<u64>,
}

impl AwsConfig {
    /// Reads `[aws]`'s TOML text (the table's contents).
    pub fn from_toml(text: &str) -> Result<AwsConfig, String> {
        let config: AwsConfig = toml::from_str(text).map_err(|e| format!("[aws]: {e}"))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what deserialising cannot: settings that exclude each other, URLs, patterns.
    pub fn validate(&self) -> Result<(), String> {
        if self.secret_access_key.is_some() && self.secret_access_key_env.is_some() {
            return Err(
                "[aws]: secret_access_key and secret_access_key_env are both set; keep one".into(),
            );
        }
        let has_secret = self.secret_access_key.is_some() || self.secret_access_key_env.is_some();
        if self.access_key_id.is_some() != has_secret {
            return Err("[aws]: access_key_id needs secret_access_key (or secret_access_key_env), and the other way round".into());
        }
        if self.session_token.is_some() && self.access_key_id.is_none() {
            return Err("[aws]: session_token needs access_key_id and secret_access_key".into());
        }
        if let Some(url) = &self.endpoint_url {
            crate::endpoint::parse_url(url).map_err(|e| format!("[aws] endpoint_url: {e}"))?;
        }
        for (service, url) in &self.endpoints {
            crate::endpoint::parse_url(url)
                .map_err(|e| format!("[aws.endpoints] {service}: {e}"))?;
        }
        for pattern in &self.allow {
            if pattern != "*" && !pattern.contains(':') {
                return Err(format!(
                    "[aws] allow: {pattern:?} is not an action pattern (`service:Action`, with `*` and `?` wildcards, or `*`)"
                ));
            }
        }
        if self.timeout_seconds == Some(0) || self.connect_timeout_seconds == Some(0) {
            return Err("[aws]: timeouts are at least 1 second".into());
        }
        Ok(())
    }

    /// Whether a state machine may call `operation` (the model's name, `SendMessage`) of the
    /// service whose IAM prefix (the model's signing name: `dynamodb`, `sqs`, `states`) is
    /// `iam_prefix`.
    ///
    /// Patterns are matched as IAM matches a policy's `Action`: the whole `prefix:Action`,
    /// case-insensitively, `*` standing for any run of characters and `?` for any one ("IAM
    /// JSON policy elements: Action", AWS Identity and Access Management User Guide: "You can
    /// use wildcards (`*` or `?`) as part of the action name"; "Action names are not case
    /// sensitive" in "Actions, resources, and condition keys"). No entry: nothing is allowed.
    pub fn allowed(&self, iam_prefix: &str, operation: &str) -> bool {
        let action = format!("{iam_prefix}:{operation}");
        self.allow
            .iter()
            .any(|pattern| baton_auth::keys::wildcard_match(pattern.as_bytes(), action.as_bytes()))
    }

    /// The region services are called in: `region`, else the AWS SDKs' `AWS_REGION`, else
    /// `AWS_DEFAULT_REGION` (the variable Step Functions Local reads), read through `env`.
    pub fn region(&self, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        self.region
            .clone()
            .or_else(|| env("AWS_REGION"))
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
    }

    /// One attempt's timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS))
    }

    /// Connecting's timeout (never longer than one attempt's).
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(
            self.connect_timeout_seconds
                .unwrap_or(DEFAULT_CONNECT_TIMEOUT_SECONDS),
        )
        .min(self.timeout())
    }
}
