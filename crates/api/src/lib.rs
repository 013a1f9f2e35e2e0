//! The AWS Step Functions API as Rust types: every operation's input and output (`model`), the
//! one error type with AWS's codes (`ApiError`), input decoding and validation as AWS does them,
//! ARNs and resource names, and the `StepFunctions` trait that a runtime implements.
//!
//! The model, the constraint tables, the error codes and the trait are generated from botocore's
//! service model by `codegen/generate.py`; everything else is written by hand.

pub mod arn;
mod context;
mod decode;
pub mod error;
pub mod json;
pub mod model;
pub mod names;
mod other;
pub mod schema;
mod service;
mod timestamp;

pub use context::RequestContext;
pub use decode::{decode_input, encode_output, validate};
pub use error::{ApiError, Violation, ViolationValue, Violations};
pub use other::{JsonService, Members, RestRequest, RestService, ServiceError};
pub use service::{invoke, Operation, OperationInput, StepFunctions};
pub use timestamp::Timestamp;

/// The prefix of `X-Amz-Target` for this service (`AWSStepFunctions.<Operation>`).
pub const TARGET_PREFIX: &str = "AWSStepFunctions";
