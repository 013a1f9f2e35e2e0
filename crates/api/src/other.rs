//! Other AWS JSON services answered on the same `POST /` as Step Functions, told apart by the
//! prefix of `X-Amz-Target` (CloudWatch Logs' `Logs_20140328.<Operation>`, …).

use async_trait::async_trait;

use crate::RequestContext;

/// An error of another service, as its AWS JSON protocol answers it: the status, the code
/// (the body's `__type` and the `x-amzn-ErrorType` header) and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl ServiceError {
    /// A client error (HTTP 400), the status of every modelled error of these services.
    pub fn client(code: &str, message: impl Into<String>) -> Self {
        Self {
            status: 400,
            code: code.to_string(),
            message: message.into(),
        }
    }
}

/// A service spoken in AWS JSON 1.0 or 1.1 beside Step Functions.
#[async_trait]
pub trait JsonService: Send + Sync {
    /// What precedes `.<Operation>` in `X-Amz-Target`.
    fn target_prefix(&self) -> &'static str;
    /// The service's signing name (the credential scope's service, the IAM action prefix).
    fn signing_name(&self) -> &'static str;
    /// The content type of its responses: AWS JSON 1.1 unless the service says otherwise.
    fn content_type(&self) -> &'static str {
        "application/x-amz-json-1.1"
    }
    /// Every operation it serves.
    fn operations(&self) -> &'static [&'static str];
    /// The operation of this name, if the service has it (an unknown one is
    /// `UnknownOperationException`).
    fn operation(&self, name: &str) -> Option<&'static str> {
        self.operations().iter().find(|op| **op == name).copied()
    }
    /// Answers `operation` with `body` (the request's JSON, `{}` when it was empty): the
    /// response body, or the error.
    async fn call(
        &self,
        ctx: &RequestContext,
        operation: &str,
        body: &[u8],
    ) -> Result<Vec<u8>, ServiceError>;
}

/// The members of a JSON request, read as the AWS JSON protocols type them: a member of the
/// wrong JSON type is `SerializationException`, as AWS's deserialiser answers it; a required
/// member missing is a model violation under the service's own code (`ValidationException`,
/// CloudWatch Logs' `InvalidParameterException`).
#[derive(Debug, Clone, Copy)]
pub struct Members<'a> {
    members: &'a serde_json::Map<String, serde_json::Value>,
    /// The code the service answers model violations with.
    violation: &'static str,
}

impl<'a> Members<'a> {
    pub fn new(
        members: &'a serde_json::Map<String, serde_json::Value>,
        violation: &'static str,
    ) -> Self {
        Self { members, violation }
    }

    /// A request body as a JSON object.
    pub fn parse(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, ServiceError> {
        match serde_json::from_slice(body) {
            Ok(serde_json::Value::Object(m)) => Ok(m),
            Ok(_) => Err(ServiceError::client(
                "SerializationException",
                "the request body must be a JSON object",
            )),
            Err(e) => Err(ServiceError::client(
                "SerializationException",
                e.to_string(),
            )),
        }
    }

    pub fn get(&self, member: &str) -> Option<&'a serde_json::Value> {
        self.members.get(member).filter(|v| !v.is_null())
    }

    pub fn contains(&self, member: &str) -> bool {
        self.get(member).is_some()
    }

    fn wrong_type(member: &str, what: &str) -> ServiceError {
        ServiceError::client("SerializationException", format!("{member} must be {what}"))
    }

    pub fn text(&self, member: &str) -> Result<Option<&'a str>, ServiceError> {
        match self.get(member) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Self::wrong_type(member, "a string")),
        }
    }

    /// A string member that must be there (`member` as the model names it in messages).
    pub fn required(&self, member: &str, model_name: &str) -> Result<&'a str, ServiceError> {
        self.text(member)?
            .ok_or_else(|| self.constraint("null", model_name, "Member must not be null"))
    }

    pub fn number(&self, member: &str) -> Result<Option<i64>, ServiceError> {
        match self.get(member) {
            None => Ok(None),
            Some(serde_json::Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| Self::wrong_type(member, "an integer")),
            Some(_) => Err(Self::wrong_type(member, "a number")),
        }
    }

    pub fn flag(&self, member: &str) -> Result<Option<bool>, ServiceError> {
        match self.get(member) {
            None => Ok(None),
            Some(serde_json::Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(Self::wrong_type(member, "a boolean")),
        }
    }

    /// A model violation as AWS words one: "1 validation error detected: Value '…' at '…'
    /// failed to satisfy constraint: …".
    pub fn constraint(&self, value: &str, member: &str, rule: &str) -> ServiceError {
        ServiceError::client(
            self.violation,
            format!(
                "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {rule}"
            ),
        )
    }
}

/// A request to a REST-JSON service: its method, its path split into decoded segments, its
/// query's pairs (decoded, in order) and its body.
#[derive(Debug, Clone, Copy)]
pub struct RestRequest<'a> {
    pub method: &'a str,
    pub segments: &'a [String],
    pub query: &'a [(String, String)],
    pub body: &'a [u8],
}

impl RestRequest<'_> {
    /// The first value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of query parameter `name` (a list member: `TagKeys=a&TagKeys=b`).
    pub fn query_all(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// A service spoken in REST-JSON on paths of its own beside Step Functions (EventBridge
/// Scheduler's `/schedules`, …). Errors travel as REST-JSON errors do: the status, the code in
/// `x-amzn-ErrorType` and `{"Message": …}`.
#[async_trait]
pub trait RestService: Send + Sync {
    /// The service's signing name.
    fn signing_name(&self) -> &'static str;
    /// The first path segments it answers (`schedules`, `schedule-groups`, `tags`).
    fn roots(&self) -> &'static [&'static str];
    /// Answers the request: the response body (status 200), or the error.
    async fn call(
        &self,
        ctx: &RequestContext,
        request: RestRequest<'_>,
    ) -> Result<serde_json::Value, ServiceError>;
}
