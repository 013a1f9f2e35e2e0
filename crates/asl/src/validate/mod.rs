//! Validation of a definition: every structural rule of the Amazon States Language, all
//! diagnostics in one pass, each with a stable code, a JSON pointer and a line:column.

use serde::Serialize;

use crate::parse::Document;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable code, e.g. `MISSING_TRANSITION_TARGET`, `SCHEMA_VALIDATION_FAILED`.
    pub code: &'static str,
    pub severity: Severity,
    /// JSON pointer to the offending value (`/States/A/Next`).
    pub pointer: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// Every diagnostic for `doc`, in document order.
pub fn validate(doc: &Document) -> Vec<Diagnostic> {
    let _ = doc;
    unimplemented!()
}
