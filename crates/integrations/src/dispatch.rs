//! `Resources`: one Task resource to the module that serves it. Only what the configuration
//! names is reachable; any other resource fails the task (see the README's "Task resources and
//! the trust model").

use std::path::PathBuf;
use std::sync::Weak;

use async_trait::async_trait;
use baton_api::StepFunctions;
use baton_engine::history::TaskFamily;
use baton_engine::{resource_kind, ExecutionInfo, TaskPurpose, TaskRequest};
use baton_runtime::integration::{Integrations, SyncProgress, TaskResult};
use serde_json::{json, Value};

use crate::batch::{self, Batch};
use crate::config::Config;
use crate::ecs::{Ecs, Mode};
use crate::functions::{CallContext, Functions};
use crate::glue::{self, Glue};
use crate::http::Http;
use crate::nested::{self, Nested};
use crate::process::Outcome;
use crate::services::{Refused, Services};
use crate::storage::Storage;
use crate::Failure;

/// Where Baton keeps what its integrations produce, and how processes reach it.
#[derive(Debug, Clone)]
pub struct Environment {
    /// `AWS_ENDPOINT_URL` for the processes Baton starts (`baton serve`'s address).
    pub endpoint_url: Option<String>,
    /// `AWS_ENDPOINT_URL_S3` for the processes Baton starts (`baton serve`'s S3 endpoint).
    /// `None`: the `[storage] endpoint` when one is configured.
    pub s3_endpoint_url: Option<String>,
    /// The data folder: ECS logs go to `<data>/logs/ecs/`, function stderr to
    /// `<data>/logs/functions/`, buckets to `<data>/storage/` unless `[storage] root` or
    /// `[storage] endpoint` says.
    pub data_dir: PathBuf,
}

/// The folder the buckets are in when they are local: `[storage] root`, else `<data>/storage`.
pub fn local_root(config: &Config, data_dir: &std::path::Path) -> PathBuf {
    config
        .storage
        .root
        .clone()
        .unwrap_or_else(|| data_dir.join("storage"))
}

/// The configured Task resources.
pub struct Resources {
    functions: Functions,
    ecs: Ecs,
    batch: Batch,
    glue: Glue,
    storage: Storage,
    http: Http,
    nested: Nested,
    /// The node's EventBridge, for `events:putEvents` that `[aws]` does not send elsewhere.
    events: crate::events::LocalEvents,
    /// AWS services through their models (`[aws]`); why not when the configuration cannot
    /// make a client.
    services: Result<Services, String>,
    /// The region AWS services are called in when set (`[aws] region`, `AWS_REGION`,
    /// `AWS_DEFAULT_REGION`); else the execution's.
    aws_region: Option<String>,
    /// `AWS_ENDPOINT_URL_<SERVICE>` for started processes: where `[aws]` sends services.
    service_endpoints: std::sync::Arc<Vec<(String, String)>>,
    endpoint_url: Option<String>,
    s3_endpoint_url: Option<String>,
    /// `[[auth.keys]]`, for the keys processes are given.
    keys: Option<std::sync::Arc<baton_auth::Keys>>,
}

impl Resources {
    pub fn new(config: &Config, environment: Environment) -> Resources {
        let logs = environment.data_dir.join("logs");
        let storage = match (
            &config.storage.endpoint,
            local_root(config, &environment.data_dir),
        ) {
            (Some(endpoint), _) => Storage::remote(endpoint),
            (None, root) => Storage::new(root),
        };
        // Processes see the buckets Task states see: on an external endpoint, that one.
        let s3_endpoint_url = environment
            .s3_endpoint_url
            .or_else(|| storage.endpoint_url().map(str::to_string));
        let jobs = std::sync::Arc::new(tokio::sync::Semaphore::new(
            crate::process::MAX_JOB_PROCESSES,
        ));
        let services = Services::new(&config.aws);
        let service_endpoints = std::sync::Arc::new(
            services
                .as_ref()
                .map(Services::process_endpoints)
                .unwrap_or_default(),
        );
        Resources {
            functions: Functions::new(config, Some(logs.join("functions")))
                .with_runtime_dir(environment.data_dir.join("lambda")),
            ecs: Ecs::new(config, logs.join("ecs")).with_slots(jobs.clone()),
            batch: Batch::new(config, logs.join("batch"), jobs.clone()),
            glue: Glue::new(config, logs.join("glue"), jobs),
            storage,
            http: Http::new(config),
            nested: Nested::default(),
            events: Default::default(),
            services,
            service_endpoints,
            aws_region: config.aws.region(&|name| std::env::var(name).ok()),
            endpoint_url: environment.endpoint_url,
            s3_endpoint_url,
            keys: config.auth.clone().map(std::sync::Arc::new),
        }
    }

    /// Gives nested executions (`states:startExecution`) the service to start children on:
    /// the runtime these resources serve, once it is open. Held weakly (the runtime owns the
    /// resources); the first call wins.
    pub fn attach(&self, service: Weak<dyn StepFunctions>) {
        self.nested.attach(service);
    }

    /// Gives `events:putEvents` the node's own EventBridge, for when `[aws]` does not allow
    /// it on another endpoint. Held weakly; the first call wins.
    pub fn attach_events(&self, service: Weak<dyn baton_api::JsonService>) {
        self.events.attach(service);
    }

    /// The buckets `aws-sdk:s3` tasks use, which the S3 endpoint serves too when they are in a
    /// local folder.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The configured functions (Lambda's API serves them).
    pub(crate) fn function_set(&self) -> &Functions {
        &self.functions
    }

    /// What a call made in `account` and `region` gives the processes it starts.
    pub(crate) fn call_context(&self, region: &str, account: &str) -> CallContext {
        CallContext {
            region: region.to_string(),
            account: account.to_string(),
            endpoint_url: self.endpoint_url.clone(),
            s3_endpoint_url: self.s3_endpoint_url.clone(),
            service_endpoints: self.service_endpoints.clone(),
            keys: self.keys.clone(),
            trace: None,
        }
    }

    /// The log file of the ECS task `id`.
    pub fn ecs_log(&self, id: &str) -> PathBuf {
        self.ecs.log_path(id)
    }

    /// The log file of the Batch job `id` (its `JobId`).
    pub fn batch_log(&self, id: &str) -> PathBuf {
        self.batch.log_path(id)
    }

    /// The log file of the Glue job run `id` (its `JobRunId`).
    pub fn glue_log(&self, id: &str) -> PathBuf {
        self.glue.log_path(id)
    }

    async fn call(
        &self,
        info: &ExecutionInfo,
        request: &TaskRequest,
        progress: SyncProgress,
    ) -> Result<Value, Refused> {
        let kind = resource_kind(&request.resource, &info.region);
        let mut cx = self.call_context(&kind.resource.region, &info.account);
        cx.trace = request.trace.as_deref().copied();
        let input = &request.input;
        // A region the resource's ARN names wins; else `[aws]`'s; else the execution's.
        let named = request.resource.split(':').nth(3).filter(|r| !r.is_empty());
        let region = named
            .or(self.aws_region.as_deref())
            .unwrap_or(&kind.resource.region);
        let credentials = request.credentials.as_ref();
        match kind.resource.family {
            TaskFamily::Lambda => {
                if !self.functions.serves(&request.resource) && self.aws_allows("lambda", "invoke")
                {
                    let params = json!({ "FunctionName": request.resource, "Payload": input });
                    let answer = self
                        .services()?
                        .optimized(
                            "lambda",
                            "invoke",
                            &params,
                            region,
                            credentials,
                            SyncProgress::default(),
                        )
                        .await?;
                    return Ok(answer.get("Payload").cloned().unwrap_or(Value::Null));
                }
                return Ok(self
                    .functions
                    .invoke_arn(&cx, &request.resource, input)
                    .await?);
            }
            // Activities are taken by workers; they never reach the integrations.
            TaskFamily::Activity => return Err(no_handler(request).into()),
            TaskFamily::Integration => {}
        }
        let resource_type = kind.resource.resource_type.as_str();
        let action = kind.resource.resource.as_str();
        let base = action.strip_suffix(".waitForTaskToken").unwrap_or(action);
        if resource_type == "aws-sdk:sfn" {
            return self
                .services()?
                .sfn_in_process(&self.nested, info, &request.resource, base, input)
                .await;
        }
        if (resource_type, base) == ("apigateway", "invoke") {
            if let Err(cause) =
                baton_runtime::parameters::validate(&request.resource, region, input)
            {
                return Err(Refused::Rejected(cause));
            }
            return self
                .services()?
                .api_gateway(input, region, credentials)
                .await;
        }
        if let Some(service) = resource_type.strip_prefix("aws-sdk:") {
            if service != "s3" {
                return self
                    .services()?
                    .sdk(
                        &request.resource,
                        service,
                        action,
                        input,
                        region,
                        credentials,
                    )
                    .await;
            }
        }
        // Served here when configured here; on AWS otherwise, when `[aws] allow` lets it.
        let remote = match (resource_type, base) {
            ("lambda", "invoke") => {
                let name = input
                    .get("FunctionName")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                !self.functions.serves(name)
            }
            ("ecs", "runTask" | "runTask.sync") => !self.ecs.serves(input),
            ("states", _) => self.remote_step_functions(),
            // Tried here first: see below.
            ("batch" | "glue", _) => false,
            _ => Services::serves(resource_type, base),
        };
        if remote && self.aws_allows(resource_type, base) {
            return self
                .aws(resource_type, action, input, region, credentials, progress)
                .await;
        }
        // EventBridge that `[aws]` does not send elsewhere is the node's own.
        if (resource_type, base) == ("events", "putEvents") && self.events.available() {
            return Ok(self
                .events
                .put_events(&info.account, &kind.resource.region, input)
                .await?);
        }
        let result = match (resource_type, base) {
            ("lambda", "invoke") => self.functions.invoke_service(&cx, input).await,
            ("ecs", "runTask") => self.ecs.run_task(&cx, input, Mode::Start).await,
            ("ecs", "runTask.sync") => self.ecs.run_task(&cx, input, Mode::Sync).await,
            ("batch", "submitJob" | "submitJob.sync") => {
                let mode = match base {
                    "submitJob" => batch::Mode::Submit,
                    _ => batch::Mode::Sync,
                };
                match self.batch.submit_job(&cx, input, mode).await {
                    Outcome::NotConfigured(_) if self.aws_allows(resource_type, base) => {
                        return self
                            .aws(resource_type, action, input, region, credentials, progress)
                            .await
                    }
                    outcome => outcome.into_result(),
                }
            }
            ("glue", "startJobRun" | "startJobRun.sync") => {
                let mode = match base {
                    "startJobRun" => glue::Mode::Start,
                    _ => glue::Mode::Sync,
                };
                match self.glue.start_job_run(&cx, input, mode).await {
                    Outcome::NotConfigured(_) if self.aws_allows(resource_type, base) => {
                        return self
                            .aws(resource_type, action, input, region, credentials, progress)
                            .await
                    }
                    outcome => outcome.into_result(),
                }
            }
            ("aws-sdk:s3", action) => self.storage.s3_action(action, input).await,
            ("http", "invoke") => self.http.invoke(input, cx.trace).await,
            ("states", "startExecution") => {
                let mode = nested::Mode::Start;
                self.nested
                    .start_execution(info, input, mode, progress)
                    .await
            }
            ("states", "startExecution.sync") => {
                let mode = nested::Mode::Sync;
                self.nested
                    .start_execution(info, input, mode, progress)
                    .await
            }
            ("states", "startExecution.sync:2") => {
                let mode = nested::Mode::Sync2;
                self.nested
                    .start_execution(info, input, mode, progress)
                    .await
            }
            // An AWS service Baton could call, but `[aws] allow` does not list it.
            _ if Services::serves(resource_type, base) && self.services.is_ok() => {
                let action = self
                    .services
                    .as_ref()
                    .map(|s| s.action_name(resource_type, base))
                    .unwrap_or_default();
                Err((
                    "States.Runtime".into(),
                    format!(
                        "{}: {action} is not allowed: add it to `allow` in baton.toml's [aws] table",
                        baton_runtime::integration::unconfigured_cause(request)
                    ),
                ))
            }
            _ => Err(no_handler(request)),
        };
        Ok(result?)
    }

    /// An optimized integration on AWS.
    async fn aws(
        &self,
        resource_type: &str,
        action: &str,
        input: &Value,
        region: &str,
        credentials: Option<&Value>,
        progress: SyncProgress,
    ) -> Result<Value, Refused> {
        self.services()?
            .optimized(resource_type, action, input, region, credentials, progress)
            .await
    }

    /// The AWS client, or why the configuration has none.
    fn services(&self) -> Result<&Services, Refused> {
        self.services.as_ref().map_err(|why| {
            Refused::Failed((
                "States.Runtime".into(),
                format!("baton.toml's [aws] cannot be used: {why}"),
            ))
        })
    }

    /// Whether `[aws] allow` lets the optimized integration `resource_type:action` be called.
    fn aws_allows(&self, resource_type: &str, action: &str) -> bool {
        self.services
            .as_ref()
            .is_ok_and(|s| s.allows(resource_type, action))
    }

    /// Whether `states:startExecution` goes to another Step Functions endpoint: one configured
    /// for Step Functions alone (`[aws.endpoints] sfn`, `AWS_ENDPOINT_URL_SFN`,
    /// `STEP_FUNCTIONS_ENDPOINT`). Otherwise children start on this Baton.
    fn remote_step_functions(&self) -> bool {
        self.services
            .as_ref()
            .is_ok_and(|s| s.has_own_endpoint("sfn"))
    }
}

/// A resource Baton does not serve: `States.Runtime`, as `baton run` answers a task without a
/// mock and as Step Functions Local answers a resource it cannot call.
fn no_handler(request: &TaskRequest) -> Failure {
    (
        "States.Runtime".into(),
        format!(
            "{}: Baton serves the Lambda functions, ECS task definitions, Batch job definitions and Glue jobs named in its configuration, the aws-sdk:s3 actions, http:invoke, states:startExecution, and the AWS services its [aws] table allows",
            baton_runtime::integration::unconfigured_cause(request)
        ),
    )
}

#[async_trait]
impl Integrations for Resources {
    async fn invoke(
        &self,
        info: &ExecutionInfo,
        request: &TaskRequest,
        callback: bool,
    ) -> TaskResult {
        match &request.purpose {
            TaskPurpose::State => {}
            TaskPurpose::ItemReader { reader_config } => {
                let items = self
                    .storage
                    .item_reader(&request.resource, &request.input, reader_config)
                    .await;
                return answer(items.map(Value::Array));
            }
            TaskPurpose::ResultWriter(export) => {
                return answer(self.storage.result_writer(&request.input, export).await);
            }
        }
        let kind = resource_kind(&request.resource, &info.region);
        let resource_type = kind.resource.resource_type.as_str();
        let action = kind.resource.resource.as_str();
        let served = matches!(
            (kind.resource.family, resource_type),
            (TaskFamily::Lambda, _)
                | (
                    _,
                    "lambda"
                        | "ecs"
                        | "batch"
                        | "glue"
                        | "aws-sdk:s3"
                        | "http"
                        | "states"
                        | "apigateway"
                )
        ) || (self.services.is_ok()
            && (resource_type.starts_with("aws-sdk:")
                || (Services::serves(resource_type, action)
                    && self.aws_allows(resource_type, action))));
        // A callback to a service Baton does not serve still waits for its token: a worker
        // may send it (the token is in the history's TaskScheduled parameters).
        if callback && !served {
            return TaskResult::AwaitingCallback;
        }
        let result = self.call(info, request, SyncProgress::default()).await;
        task_result(result, callback)
    }

    async fn invoke_sync(
        &self,
        info: &ExecutionInfo,
        request: &TaskRequest,
        progress: SyncProgress,
    ) -> TaskResult {
        if !matches!(request.purpose, TaskPurpose::State) {
            return self.invoke(info, request, false).await;
        }
        task_result(self.call(info, request, progress).await, false)
    }
}

/// A call's outcome as the task's.
fn task_result(result: Result<Value, Refused>, callback: bool) -> TaskResult {
    match result {
        Ok(output) if callback => TaskResult::Submitted(output),
        Ok(output) => TaskResult::Succeeded(output),
        Err(Refused::Failed((error, cause))) => TaskResult::Failed {
            error: Some(error),
            cause: Some(cause),
        },
        Err(Refused::Rejected(cause)) => TaskResult::Rejected(cause),
    }
}

/// A storage result as a task's.
fn answer(result: Result<Value, Failure>) -> TaskResult {
    match result {
        Ok(output) => TaskResult::Succeeded(output),
        Err((error, cause)) => TaskResult::Failed {
            error: Some(error),
            cause: Some(cause),
        },
    }
}
