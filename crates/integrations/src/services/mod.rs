//! AWS services a Task calls on AWS or any compatible endpoint, through `baton_aws`:
//!
//! * `sdk` — `arn:aws:states:::aws-sdk:<service>:<action>`, any service with a model;
//! * `optimized` — the optimized integrations (`dynamodb:putItem`, `sqs:sendMessage`, …);
//! * `sync` — `.sync` on them: the started work described until it ends;
//! * `v1` — the optimized integrations' shapes and error names.
//!
//! What a definition may call is what `[aws] allow` lists; anything else fails the task with
//! `States.Runtime` before a request is sent.

pub(crate) mod apigateway;
mod optimized;
mod sdk;
mod sync;
pub(crate) mod v1;

use std::sync::Arc;

use baton_aws::client::Client;
use baton_aws::config::AwsConfig;
use baton_runtime::integration::SyncProgress;
use serde_json::Value;

use crate::Failure;

/// Why a call gave no result.
#[derive(Debug)]
pub(crate) enum Refused {
    /// The task fails with this error and cause.
    Failed(Failure),
    /// The parameters could not start the task: no request was made, and the state fails with
    /// `States.Runtime` and this cause, which no Retry or Catch sees.
    Rejected(String),
}

impl From<Failure> for Refused {
    fn from(f: Failure) -> Refused {
        Refused::Failed(f)
    }
}

/// AWS's cause when parameters do not fit the operation's input, recorded from AWS
/// (`services-invoke-with-headers-singlestringheader`: "The Parameters '…' could not be used
/// to start the Task: [The value of the field 'Headers' has an invalid format]").
pub(crate) fn rejected(params: &Value, reason: &dyn std::fmt::Display) -> Refused {
    Refused::Rejected(format!(
        "The Parameters '{params}' could not be used to start the Task: [{reason}]"
    ))
}

/// The AWS client of the configuration.
pub(crate) struct Services {
    client: Arc<Client>,
}

impl Services {
    pub(crate) fn new(config: &AwsConfig) -> Result<Services, String> {
        Ok(Services {
            client: Arc::new(Client::new(config.clone())?),
        })
    }

    /// Whether `resource_type:action` (suffix included) is an optimized integration Baton can
    /// call on AWS.
    pub(crate) fn serves(resource_type: &str, action: &str) -> bool {
        let (base, _) = split_pattern(action);
        optimized::service_of(resource_type, base).is_some()
    }

    /// Whether `[aws] allow` lets the optimized integration `resource_type:action` (pattern
    /// suffix included) be called on AWS.
    pub(crate) fn allows(&self, resource_type: &str, action: &str) -> bool {
        let (base, _) = split_pattern(action);
        let Some(name) = optimized::service_of(resource_type, base) else {
            return false;
        };
        let Ok(service) = self.client.service(name) else {
            return false;
        };
        service
            .operation_for_action(base)
            .is_some_and(|op| self.client.allowed(&service, &op.name))
    }

    /// The `allow` entry the optimized integration `resource_type:action` needs
    /// (`dynamodb:PutItem`).
    pub(crate) fn action_name(&self, resource_type: &str, action: &str) -> String {
        let (base, _) = split_pattern(action);
        let operation = baton_aws::names::operation_name(base);
        let prefix = optimized::service_of(resource_type, base)
            .and_then(|name| self.client.service(name).ok())
            .map(|s| s.model.metadata.signing_name().to_string())
            .unwrap_or_else(|| resource_type.to_string());
        format!("{prefix}:{operation}")
    }

    /// Whether an endpoint is configured for Step Functions' service `name` alone
    /// (`[aws.endpoints]`, `AWS_ENDPOINT_URL_<SERVICE>`, Step Functions Local's variable), as
    /// opposed to one for every service.
    pub(crate) fn has_own_endpoint(&self, name: &str) -> bool {
        let Ok(service) = self.client.service(name) else {
            return false;
        };
        let meta = &service.model.metadata;
        let keys = [name, meta.endpoint_prefix.as_str()];
        let env = |var: &str| std::env::var(var).is_ok_and(|v| !v.trim().is_empty());
        self.client
            .config()
            .endpoints
            .keys()
            .any(|k| keys.iter().any(|n| k.eq_ignore_ascii_case(n)))
            || env(&baton_aws::endpoint::service_env_var(&meta.service_id))
            || baton_aws::endpoint::step_functions_local_var(&meta.service_id).is_some_and(env)
    }

    /// `AWS_ENDPOINT_URL_<SERVICE>` and the URL for each service `[aws]` sends to an endpoint
    /// of its own choosing (`[aws.endpoints]`, `[aws] endpoint_url`): the built-in services
    /// and those `[aws.endpoints]` names. Step Functions, S3 and Lambda stay Baton's (processes
    /// get `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_S3`).
    pub(crate) fn process_endpoints(&self) -> Vec<(String, String)> {
        let config = self.client.config();
        let mut names: Vec<String> = baton_aws::registry::builtin_services()
            .map(str::to_string)
            .collect();
        names.extend(config.endpoints.keys().cloned());
        names.sort();
        names.dedup();
        let none = |_: &str| None;
        let mut out = Vec::new();
        for name in names {
            if matches!(name.as_str(), "sfn" | "s3" | "lambda") {
                continue;
            }
            let Ok(service) = self.client.service(&name) else {
                continue;
            };
            let meta = &service.model.metadata;
            let region = config.region.as_deref().unwrap_or("us-east-1");
            match baton_aws::endpoint::resolve(config, &none, meta, &name, region) {
                Ok(endpoint) if endpoint.custom => out.push((
                    baton_aws::endpoint::service_env_var(&meta.service_id),
                    endpoint.base_url(),
                )),
                _ => {}
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// `aws-sdk:sfn:<action>`: Baton itself, in process.
    pub(crate) async fn sfn_in_process(
        &self,
        nested: &crate::nested::Nested,
        info: &baton_engine::ExecutionInfo,
        resource: &str,
        action: &str,
        params: &Value,
    ) -> Result<Value, Refused> {
        sdk::call_in_process(&self.client, nested, info, resource, action, params).await
    }

    /// `aws-sdk:<service>:<action>`.
    pub(crate) async fn sdk(
        &self,
        resource: &str,
        service: &str,
        action: &str,
        params: &Value,
        region: &str,
        credentials: Option<&Value>,
    ) -> Result<Value, Refused> {
        let action = action.strip_suffix(".waitForTaskToken").unwrap_or(action);
        sdk::call(
            &self.client,
            resource,
            service,
            action,
            params,
            region,
            role_arn(credentials),
        )
        .await
    }

    /// `apigateway:invoke` (`apigateway`).
    pub(crate) async fn api_gateway(
        &self,
        params: &Value,
        region: &str,
        credentials: Option<&Value>,
    ) -> Result<Value, Refused> {
        apigateway::invoke(self, params, region, role_arn(credentials)).await
    }

    /// An optimized integration: `action` with its pattern (`submitJob.sync`). A `.sync`
    /// call's start answer goes to `progress.submitted`; with `progress.resumed`, the work it
    /// names is only waited for.
    pub(crate) async fn optimized(
        &self,
        resource_type: &str,
        action: &str,
        params: &Value,
        region: &str,
        credentials: Option<&Value>,
        progress: SyncProgress,
    ) -> Result<Value, Refused> {
        let (base, pattern) = split_pattern(action);
        let role = role_arn(credentials);
        let version = match pattern {
            Pattern::Sync(version) => version,
            Pattern::None => {
                let called =
                    optimized::call(&self.client, resource_type, base, params, region, role)
                        .await?;
                return Ok(called.output);
            }
        };
        let (service, started) = match progress.resumed {
            Some(started) => {
                let name = optimized::service_of(resource_type, base).unwrap_or(resource_type);
                let service = self
                    .client
                    .service(name)
                    .map_err(|e| Refused::Failed(("States.Runtime".into(), e.to_string())))?;
                (service, started)
            }
            None => {
                let called =
                    optimized::call(&self.client, resource_type, base, params, region, role)
                        .await?;
                if let Some(submitted) = &progress.submitted {
                    let _ = submitted.send(called.output.clone());
                }
                (called.service, called.output)
            }
        };
        Ok(sync::wait(
            &self.client,
            resource_type,
            &service,
            &started,
            params,
            region,
            role,
            version,
        )
        .await?)
    }
}

enum Pattern {
    None,
    Sync(sync::Version),
}

/// `submitJob.sync` → (`submitJob`, sync); `.waitForTaskToken` is the runtime's to wait for.
fn split_pattern(action: &str) -> (&str, Pattern) {
    if let Some(base) = action.strip_suffix(".sync:2") {
        return (base, Pattern::Sync(sync::Version::Two));
    }
    if let Some(base) = action.strip_suffix(".sync") {
        return (base, Pattern::Sync(sync::Version::One));
    }
    let base = action.strip_suffix(".waitForTaskToken").unwrap_or(action);
    (base, Pattern::None)
}

/// A Task's `Credentials.RoleArn`.
fn role_arn(credentials: Option<&Value>) -> Option<&str> {
    credentials?.get("RoleArn")?.as_str()
}
