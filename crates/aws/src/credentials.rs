//! The credentials Baton signs with, and the roles it assumes for a Task's
//! `Credentials: {"RoleArn": ...}`.
//!
//! Baton's own credentials come from, the first that is set:
//!
//! 1. `[aws] access_key_id` with `secret_access_key` (or `secret_access_key_env`) and
//!    `session_token`;
//! 2. `[aws] profile`: that profile of the shared `config` and `credentials` files (static keys,
//!    `role_arn` with `source_profile`, `credential_process`, web identity);
//! 3. the AWS SDK's default chain (`aws-config`): `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`,
//!    `AWS_PROFILE` or the default profile, web identity (`AWS_WEB_IDENTITY_TOKEN_FILE`), the
//!    ECS container endpoint and the EC2 instance metadata service. SSO profiles are not read.
//!
//! Temporary credentials are kept until five minutes before they expire, then fetched again.
//!
//! When none of these has credentials and the service's endpoint is a custom one (an emulator
//! such as moto, LocalStack or DynamoDB Local, which accept any key), Baton signs with the
//! placeholder pair [`PLACEHOLDER_ACCESS_KEY_ID`]/`test`, so that a local setup needs no keys.
//! For AWS's own endpoints it fails, saying where it looked.
//!
//! Assumed roles: with `[aws] assume_role = true`, a role is assumed through STS's AssumeRole
//! with Baton's own credentials, STS being reached like any other service (so
//! `[aws.endpoints] sts = "http://127.0.0.1:5000"` sends it to a local stand-in). Each role's
//! credentials are kept per role, session name and region until five minutes before they
//! expire. With `assume_role` false (the default) a Task naming a role fails without calling
//! STS.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use tokio::sync::{Mutex, OnceCell};

use crate::config::{AwsConfig, Secret};
use crate::endpoint::{self, Endpoint};
use crate::model::Metadata;

/// The access key id signed with on a custom endpoint when no credentials are configured.
pub const PLACEHOLDER_ACCESS_KEY_ID: &str = "test";
const PLACEHOLDER_SECRET: &str = "test";

/// Credentials fetched again this long before they expire.
const REFRESH_BEFORE: Duration = Duration::from_secs(5 * 60);

/// A key pair and, for temporary credentials, a session token. `Debug` shows the access key id
/// only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    /// When temporary credentials stop working.
    pub expiry: Option<SystemTime>,
}

impl Credentials {
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Credentials {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: Secret::new(secret_access_key),
            session_token: session_token.map(Secret::new),
            expiry: None,
        }
    }

    /// The placeholder pair signed with on custom endpoints when nothing is configured.
    pub fn placeholder() -> Credentials {
        Credentials::new(PLACEHOLDER_ACCESS_KEY_ID, PLACEHOLDER_SECRET, None)
    }

    fn fresh(&self, now: SystemTime) -> bool {
        match self.expiry {
            None => true,
            Some(expiry) => expiry > now + REFRESH_BEFORE,
        }
    }

    fn from_sdk(c: &aws_credential_types::Credentials) -> Credentials {
        Credentials {
            access_key_id: c.access_key_id().to_owned(),
            secret_access_key: Secret::new(c.secret_access_key()),
            session_token: c.session_token().map(Secret::new),
            expiry: c.expiry(),
        }
    }

    fn to_sdk(&self) -> aws_credential_types::Credentials {
        aws_credential_types::Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.expose().to_owned(),
            self.session_token.as_ref().map(|t| t.expose().to_owned()),
            self.expiry,
            "baton",
        )
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expiry", &self.expiry)
            .finish()
    }
}

pub type Env = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

enum Source {
    Static(Credentials),
    /// `[aws] profile`, or the default chain when `None`.
    Chain(Option<String>),
}

/// Where Baton's credentials come from, and the roles assumed with them.
pub struct CredentialSource {
    config: AwsConfig,
    env: Env,
    source: Source,
    region: Option<String>,
    provider: OnceCell<SharedCredentialsProvider>,
    cached: Mutex<Option<Credentials>>,
    roles: Mutex<HashMap<(String, String, String), Credentials>>,
}

impl fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Static(_) => "[aws] keys".to_owned(),
            Source::Chain(Some(profile)) => format!("profile {profile}"),
            Source::Chain(None) => "default chain".to_owned(),
        };
        f.debug_struct("CredentialSource")
            .field("source", &source)
            .finish_non_exhaustive()
    }
}

impl CredentialSource {
    /// From `[aws]`, reading the process's environment.
    pub fn new(config: &AwsConfig) -> Result<CredentialSource, String> {
        CredentialSource::with_env(config, Arc::new(|name: &str| std::env::var(name).ok()))
    }

    /// From `[aws]`, reading variables through `env` (`secret_access_key_env`, and the
    /// endpoint variables STS is resolved with). The default chain itself reads the process's
    /// environment.
    pub fn with_env(config: &AwsConfig, env: Env) -> Result<CredentialSource, String> {
        let source = match &config.access_key_id {
            Some(key) => {
                let secret =
                    match (&config.secret_access_key, &config.secret_access_key_env) {
                        (Some(secret), _) => secret.clone(),
                        (None, Some(var)) => Secret::new(env(var).ok_or_else(|| {
                            format!("[aws] secret_access_key_env: the variable {var} is not set")
                        })?),
                        (None, None) => return Err(
                            "[aws] access_key_id needs secret_access_key or secret_access_key_env"
                                .into(),
                        ),
                    };
                Source::Static(Credentials {
                    access_key_id: key.clone(),
                    secret_access_key: secret,
                    session_token: config.session_token.clone(),
                    expiry: None,
                })
            }
            None => Source::Chain(config.profile.clone()),
        };
        Ok(CredentialSource {
            config: config.clone(),
            region: config.region.clone(),
            env,
            source,
            provider: OnceCell::new(),
            cached: Mutex::new(None),
            roles: Mutex::new(HashMap::new()),
        })
    }

    async fn provider(&self, profile: Option<&str>) -> SharedCredentialsProvider {
        self.provider
            .get_or_init(|| async {
                let region = self.region.clone().map(aws_config::Region::new);
                match profile {
                    Some(name) => {
                        let conf = aws_config::provider_config::ProviderConfig::without_region()
                            .with_region(region);
                        SharedCredentialsProvider::new(
                            aws_config::profile::ProfileFileCredentialsProvider::builder()
                                .configure(&conf)
                                .profile_name(name)
                                .build(),
                        )
                    }
                    None => {
                        let mut chain =
                            aws_config::default_provider::credentials::DefaultCredentialsChain::builder();
                        chain.set_region(region);
                        SharedCredentialsProvider::new(chain.build().await)
                    }
                }
            })
            .await
            .clone()
    }

    /// Baton's own credentials; an error says where they were looked for.
    pub async fn get(&self) -> Result<Credentials, String> {
        let profile = match &self.source {
            Source::Static(credentials) => return Ok(credentials.clone()),
            Source::Chain(profile) => profile.as_deref(),
        };
        let mut cached = self.cached.lock().await;
        if let Some(credentials) = cached.as_ref().filter(|c| c.fresh(SystemTime::now())) {
            return Ok(credentials.clone());
        }
        let provider = self.provider(profile).await;
        let found = provider.provide_credentials().await.map_err(|e| {
            let where_ = match profile {
                Some(name) => format!("profile {name} of the shared config and credentials files"),
                None => "[aws] access_key_id, AWS_ACCESS_KEY_ID, the shared config and credentials files, web identity, the ECS container and EC2 instance metadata".to_owned(),
            };
            format!("no AWS credentials: looked in {where_}: {}", error_chain(&e))
        })?;
        let credentials = Credentials::from_sdk(&found);
        *cached = Some(credentials.clone());
        Ok(credentials)
    }

    /// The credentials to sign a request to `endpoint` with: Baton's own, or, when there are
    /// none and the endpoint is a custom one, the placeholder pair.
    pub async fn for_endpoint(&self, endpoint: &Endpoint) -> Result<Credentials, String> {
        match self.get().await {
            Ok(credentials) => Ok(credentials),
            Err(_) if endpoint.custom => {
                tracing::debug!(
                    endpoint = %endpoint.base_url(),
                    "no AWS credentials found; signing with placeholder keys for a custom endpoint"
                );
                Ok(Credentials::placeholder())
            }
            Err(e) => Err(e),
        }
    }

    /// STS's endpoint in `region`, resolved like any other service's.
    pub fn sts_endpoint(&self, region: &str) -> Result<Endpoint, String> {
        endpoint::resolve(&self.config, &*self.env, &sts_metadata(), "sts", region)
    }

    /// The credentials of role `role_arn`, assumed through STS's AssumeRole as session
    /// `session_name` in `region`.
    pub async fn assume(
        &self,
        role_arn: &str,
        session_name: &str,
        region: &str,
    ) -> Result<Credentials, String> {
        if !self.config.assume_role {
            return Err(format!(
                "the Task's Credentials name the role {role_arn}, but assuming roles is off; set [aws] assume_role = true to let state machines assume roles"
            ));
        }
        let key = (
            role_arn.to_owned(),
            session_name.to_owned(),
            region.to_owned(),
        );
        let mut roles = self.roles.lock().await;
        if let Some(credentials) = roles.get(&key).filter(|c| c.fresh(SystemTime::now())) {
            return Ok(credentials.clone());
        }
        let sts = self.sts_endpoint(region)?;
        let base = self.for_endpoint(&sts).await?;
        let sdk_config = aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_owned()))
            .endpoint_url(sts.base_url())
            .time_source(aws_smithy_async::time::SystemTimeSource::new())
            .sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new())
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .connect_timeout(self.config.connect_timeout())
                    .operation_attempt_timeout(self.config.timeout())
                    .build(),
            )
            .build();
        let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
            .session_name(session_name)
            .region(aws_config::Region::new(region.to_owned()))
            .configure(&sdk_config)
            .build_from_provider(base.to_sdk())
            .await;
        let assumed = provider.provide_credentials().await.map_err(|e| {
            format!(
                "assuming {role_arn} through STS at {}: {}",
                sts.base_url(),
                error_chain(&e)
            )
        })?;
        let credentials = Credentials::from_sdk(&assumed);
        roles.insert(key, credentials.clone());
        Ok(credentials)
    }
}

/// STS's model metadata, as far as resolving its endpoint needs.
fn sts_metadata() -> Metadata {
    Metadata {
        protocol: "query".into(),
        protocols: vec!["query".into()],
        json_version: None,
        target_prefix: None,
        service_id: "STS".into(),
        signing_name: Some("sts".into()),
        endpoint_prefix: "sts".into(),
        api_version: "2011-06-15".into(),
        xml_namespace: None,
        signature_version: Some("v4".into()),
        global_endpoint: Some("sts.amazonaws.com".into()),
    }
}

/// An error and its sources, on one line.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}
