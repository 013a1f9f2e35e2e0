//! The caller's account and region, as the transport found them, for every operation.

/// Who is calling and where: the account the request acts in and the region it was sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// The 12-digit account id that owns the resources the request names or creates.
    pub account_id: String,
    /// The region, e.g. `us-east-1`.
    pub region: String,
    /// The id the response carries in `x-amzn-RequestId`.
    pub request_id: String,
    /// The trace the request belongs to, from its `X-Amzn-Trace-Id` or `traceparent`
    /// header: executions it starts continue it.
    pub trace_header: Option<String>,
}

impl RequestContext {
    /// A context for `account_id` in `region`, with an empty request id.
    pub fn new(account_id: impl Into<String>, region: impl Into<String>) -> Self {
        Self {
            account_id: account_id.into(),
            region: region.into(),
            request_id: String::new(),
            trace_header: None,
        }
    }

    /// The ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`, …).
    pub fn partition(&self) -> &'static str {
        crate::arn::partition_of(&self.region)
    }
}
