//! Service resources: the resources of the services Baton serves beside Step Functions
//! (EventBridge's buses and rules, …), kept as JSON. The store keys and versions them; their
//! service gives the body its meaning, so a new kind of resource needs no new table.

/// One resource of another service, keyed by (`kind`, `arn`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceResource {
    /// What it is, named by its service: `events:bus`, `events:rule`, …
    pub kind: String,
    pub arn: String,
    /// The account that owns it (listings are per account).
    pub account: String,
    /// The resource as JSON text.
    pub body: String,
    /// 1 when created, one more at each replacement: a replacement names the version it
    /// read, so of two racing writers (on one node or several) exactly one wins.
    pub version: u64,
}
