//! Request bodies to operation inputs, as AWS's JSON 1.0 front end does it: JSON syntax and
//! member types first (`SerializationException`), then every model constraint at once
//! (`ValidationException`); and outputs to response bodies.

mod coerce;
mod constraints;

use serde::Serialize;
use serde_json::Value;

use crate::{ApiError, OperationInput, Violations};

/// Decodes `body` as the input of `T`'s operation and checks it against the model.
///
/// `null` members count as absent and unknown members are ignored, as on AWS. A fractional
/// number for an integer member is truncated, and an out-of-range one narrowed, as AWS's Java
/// front end does.
pub fn decode_input<T: OperationInput>(body: &[u8]) -> Result<T, ApiError> {
    // AWS answers an unreadable body with a bare `SerializationException`, no message; one
    // nested past the limit gets the limit's own message, which says what to change.
    let mut value: Value = crate::json::from_slice(body).map_err(|e| match e {
        crate::json::Error::TooDeep { .. } => ApiError::SerializationException {
            message: Some(e.to_string()),
        },
        crate::json::Error::Syntax(_) => ApiError::SerializationException { message: None },
    })?;
    let shape = T::OPERATION.input_shape();
    if value.is_null() {
        value = Value::Object(Default::default());
    }
    coerce::coerce(shape, &mut value).map_err(|message| ApiError::SerializationException {
        message: Some(message),
    })?;
    check(shape, &value)?;
    serde_json::from_value(value).map_err(|e| ApiError::SerializationException {
        message: Some(e.to_string()),
    })
}

/// Checks an input built in code against the model's constraints, as a request would be.
pub fn validate<T: OperationInput>(input: &T) -> Result<(), ApiError> {
    let value = serde_json::to_value(input).map_err(|e| ApiError::internal(e.to_string()))?;
    check(T::OPERATION.input_shape(), &value)
}

fn check(shape: &crate::schema::Shape, value: &Value) -> Result<(), ApiError> {
    let violations = constraints::check(shape, value);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ApiError::ConstraintViolations(Violations(violations)))
    }
}

/// The response body for an output: members that are `None` are left out, as AWS does.
pub fn encode_output<T: Serialize>(output: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(output).map_err(|e| ApiError::internal(format!("encoding the output: {e}")))
}
