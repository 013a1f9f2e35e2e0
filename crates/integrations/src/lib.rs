//! Task resources for the runtime (`baton_runtime::integration::Integrations`): what a Task
//! state's `Resource` reaches on this machine. A definition can only reach what the operator
//! configured (`config`); anything else fails the task as AWS fails an unknown resource.
//!
//! * `config` — `baton.toml` and `BATON_*` variables: functions, ECS task definitions, Batch
//!   job definitions, Glue jobs, object storage, HTTP connections.
//! * `functions` — Lambda function ARNs and `arn:aws:states:::lambda:invoke` as local commands
//!   (event JSON on stdin, result on stdout) or HTTP endpoints.
//! * `ecs` — `arn:aws:states:::ecs:runTask(.sync)` as local processes.
//! * `batch` — `arn:aws:states:::batch:submitJob(.sync)`: Batch job definitions as local
//!   processes.
//! * `glue` — `arn:aws:states:::glue:startJobRun(.sync)`: Glue jobs as local processes.
//! * `process` — what ECS tasks, Batch jobs and Glue runs share: logs, starting the command,
//!   the overrides a configuration admits, the SDK metadata of an answer.
//! * `storage` — buckets in a local folder or on an S3-compatible endpoint; the `aws-sdk:s3`
//!   actions, the Distributed Map's item reader and result writer.
//! * `s3_endpoint` — S3's REST protocol over the same buckets, for programs using an AWS SDK.
//! * `http` — `arn:aws:states:::http:invoke`, with connections' authentication.
//! * `destinations` — the HTTP client of EventBridge API destinations, reaching what the HTTP
//!   task may reach.
//! * `lambda_api` — Lambda's API on Baton's port (`baton_server::lambda`) over the functions.
//! * `lambda_remote` — functions on another Lambda Invoke API (`LAMBDA_ENDPOINT`).
//! * `nested` — `arn:aws:states:::states:startExecution(.sync, .sync:2)`: child executions.
//! * `client` — one HTTP/1.1 exchange, for URL functions and the HTTP task.
//! * `services` — AWS services on AWS or any compatible endpoint: `aws-sdk:*` and the optimized
//!   integrations (`[aws]`).
//! * `dispatch` — one resource to its module.

pub mod batch;
mod client;
pub mod config;
pub mod destinations;
mod dispatch;
pub mod ecs;
mod events;
pub mod functions;
pub mod glue;
pub mod http;
mod lambda_api;
mod lambda_remote;
pub mod nested;
pub mod process;
pub mod s3_endpoint;
mod services;
pub mod storage;

pub use dispatch::{local_root, Environment, Resources};

/// How a call failed: the error name Retry and Catch match, and the cause.
pub type Failure = (String, String);

/// Milliseconds since the Unix epoch, as ECS and Lambda write times.
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
