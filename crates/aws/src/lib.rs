//! A generic AWS client driven by AWS's service models: what a Task's
//! `arn:aws:states:::aws-sdk:<service>:<action>` and the optimized integrations call. Nothing
//! else in Baton speaks to AWS by hand.
//!
//! * `model` — botocore's service model types.
//! * `names` — how Step Functions names services, actions, members and errors (the AWS SDK for
//!   Java 2.x's names).
//! * `registry` — the models built into Baton, and those of an installed botocore.
//! * `protocol` — a call's parameters to one HTTP request, and its answer back to JSON, in each
//!   protocol (`json`, `rest-json`, `rest-xml`, `query`, `ec2`); parameters the model refuses
//!   are refused before any request.
//! * `config` — `baton.toml`'s `[aws]`: endpoints, region, credentials, the allow-list.
//! * `endpoint` — which URL a service is reached at.
//! * `credentials` — static keys, profiles, the AWS SDK's default chain, assumed roles.
//! * `transport` — SigV4 and one pooled HTTP client.
//! * `client` — the above together: one call.
//! * `wire` — the request and answer between protocol and transport.

pub mod client;
pub mod config;
pub mod credentials;
pub mod endpoint;
pub mod model;
mod models;
pub mod names;
pub mod protocol;
pub mod registry;
pub mod transport;
pub mod wire;

pub use wire::{HttpRequest, HttpResponse, ServiceError};
