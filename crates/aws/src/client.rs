//! One call to an AWS service: the model found, the operation allowed, the parameters
//! serialised (or refused), the request signed and sent with retries, the answer parsed.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use crate::config::AwsConfig;
use crate::credentials::{CredentialSource, Env};
use crate::endpoint::{self, Endpoint};
use crate::protocol::{self, ParamError};
use crate::registry::{LookupError, Registry, Service};
use crate::transport::{RetryPolicy, Transport, TransportError};
use crate::{HttpResponse, ServiceError};

/// What to call.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// Step Functions' name of the service (`dynamodb`, `sfn`, `eventbridge`).
    pub service: &'a str,
    /// The model's operation name (`PutItem`).
    pub operation: &'a str,
    /// The input, with Step Functions' member names.
    pub params: &'a Value,
    pub region: &'a str,
    /// A role to assume for the call (a Task's `Credentials.RoleArn`).
    pub role_arn: Option<&'a str>,
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The output, with Step Functions' member names; timestamps ISO 8601.
    pub output: Value,
    pub response: HttpResponse,
    pub attempts: u32,
}

/// Why a call gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("{0}")]
    Lookup(#[from] LookupError),
    /// The operator's `[aws] allow` does not list the action.
    #[error("{action} is not allowed: add it to `allow` in baton.toml's [aws] table (e.g. allow = [\"{action}\"])")]
    NotAllowed { action: String },
    /// The parameters do not fit the operation's input.
    #[error("{0}")]
    Params(#[from] ParamError),
    /// No endpoint or no credentials.
    #[error("{0}")]
    Setup(String),
    /// The service answered with an error.
    #[error("{} ({})", .error.message.as_deref().unwrap_or(""), .error.code)]
    Service {
        service: Arc<Service>,
        error: ServiceError,
        attempts: u32,
    },
    /// No answer came.
    #[error("{error}")]
    Transport {
        service: Arc<Service>,
        error: TransportError,
        attempts: u32,
    },
}

/// The AWS client of one configuration.
pub struct Client {
    config: AwsConfig,
    registry: Registry,
    credentials: CredentialSource,
    transport: Transport,
    env: Env,
}

impl Client {
    /// A client reading the process's environment for endpoints and credentials.
    pub fn new(config: AwsConfig) -> Result<Client, String> {
        Client::with_env(config, Arc::new(|name: &str| std::env::var(name).ok()))
    }

    /// A client reading `env` for endpoint variables.
    pub fn with_env(config: AwsConfig, env: Env) -> Result<Client, String> {
        config.validate()?;
        let models: Vec<PathBuf> = config.models.clone();
        Ok(Client {
            registry: Registry::new(models),
            credentials: CredentialSource::with_env(&config, env.clone())?,
            transport: Transport::new(&config)?,
            config,
            env,
        })
    }

    pub fn config(&self) -> &AwsConfig {
        &self.config
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The model of `service` (Step Functions' name).
    pub fn service(&self, service: &str) -> Result<Arc<Service>, LookupError> {
        self.registry.service(service)
    }

    /// Whether the operator allows `operation` of `service`: `[aws] allow` matched against
    /// IAM's action name (`<signing name>:<Operation>`, `dynamodb:PutItem`).
    pub fn allowed(&self, service: &Service, operation: &str) -> bool {
        self.config
            .allowed(service.model.metadata.signing_name(), operation)
    }

    /// The IAM action name of `operation`, as `allow` lists it.
    pub fn action_name(service: &Service, operation: &str) -> String {
        format!("{}:{operation}", service.model.metadata.signing_name())
    }

    /// Where `service` is reached in `region`.
    pub fn endpoint(&self, service: &Service, region: &str) -> Result<Endpoint, String> {
        endpoint::resolve(
            &self.config,
            &*self.env,
            &service.model.metadata,
            &service.sfn_name,
            region,
        )
    }

    /// Calls one operation.
    pub async fn call(&self, call: Call<'_>) -> Result<Answer, CallError> {
        let service = self.registry.service(call.service)?;
        let Some(op) = service.model.operation(call.operation) else {
            return Err(CallError::Setup(format!(
                "the service {} has no operation {}",
                call.service, call.operation
            )));
        };
        if !self.allowed(&service, &op.name) {
            return Err(CallError::NotAllowed {
                action: Client::action_name(&service, &op.name),
            });
        }
        let request = protocol::serialize(&service.model, op, call.params)?;
        let endpoint = self
            .endpoint(&service, call.region)
            .map_err(CallError::Setup)?;
        let credentials = match call.role_arn {
            Some(role) => self.credentials.assume(role, "baton", call.region).await,
            None => self.credentials.for_endpoint(&endpoint).await,
        }
        .map_err(CallError::Setup)?;
        let signing_name = service.model.metadata.signing_name().to_string();
        let model = &service.model;
        let error_code =
            |answer: &HttpResponse| protocol::parse(model, op, answer).err().map(|e| e.code);
        let sent = self
            .transport
            .send_with_retries(
                &RetryPolicy::STANDARD,
                &endpoint,
                &signing_name,
                &credentials,
                request,
                &error_code,
            )
            .await;
        let attempts = sent.attempts;
        match sent.result {
            Ok(response) => match protocol::parse(&service.model, op, &response) {
                Ok(output) => Ok(Answer {
                    output,
                    response,
                    attempts,
                }),
                Err(error) => Err(CallError::Service {
                    service: service.clone(),
                    error,
                    attempts,
                }),
            },
            Err(error) => Err(CallError::Transport {
                service: service.clone(),
                error,
                attempts,
            }),
        }
    }
}
