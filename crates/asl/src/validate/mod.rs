//! Validation of a definition: every structural rule of the Amazon States Language, all
//! diagnostics in one pass, each with a stable code, a JSON pointer and a line:column.
//!
//! Codes are AWS's (`SCHEMA_VALIDATION_FAILED`, `MISSING_TRANSITION_TARGET`, …) and so are the
//! messages wherever AWS's wording is known; `location` is AWS's form of the place
//! (`/States/A/Catch[0]`), `pointer` the RFC 6901 pointer used for line and column.

mod choice;
mod ctx;
mod fields;
pub use fields::state_fields;
mod machine;
mod map;
mod retry;
mod states;
mod syntax;
mod task;
mod values;
mod warnings;

use serde::Serialize;

use crate::parse::{self, Document};

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
    /// Where AWS says the problem is (`/States/A/Catch[0]/Next`, `/` for the root), or `None`
    /// where AWS gives no location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl Diagnostic {
    /// The diagnostic as AWS writes it inside an `InvalidDefinition` message:
    /// `CODE: message at /location`, where a diagnostic without a location reads `at null`.
    pub fn aws_text(&self) -> String {
        let location = self.location.as_deref().unwrap_or("null");
        format!("{}: {} at {}", self.code, self.message, location)
    }
}

/// The type of state machine the definition is for: Express machines refuse some resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MachineType {
    #[default]
    Standard,
    Express,
}

/// What the definition is validated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    pub machine_type: MachineType,
}

/// Every diagnostic for `doc` as a STANDARD state machine, in document order.
pub fn validate(doc: &Document) -> Vec<Diagnostic> {
    validate_with(doc, &Options::default())
}

/// Every diagnostic for `doc`, in document order.
pub fn validate_with(doc: &Document, options: &Options) -> Vec<Diagnostic> {
    let mut cx = ctx::Ctx::new(doc, options);
    machine::check_definition(&mut cx, &doc.value);
    cx.finish()
}

/// Every diagnostic for a definition that is a single state, as the TestState API takes one:
/// the state's own rules, without the transitions (its `Next` names a state that is not there).
pub fn validate_state(doc: &Document, options: &Options) -> Vec<Diagnostic> {
    let mut cx = ctx::Ctx::new(doc, options);
    machine::check_lone_state(&mut cx, &doc.value);
    cx.finish()
}

/// Parses and validates definition text: the JSON syntax error alone if there is one,
/// otherwise every diagnostic.
pub fn validate_text(text: &str, allow_comments: bool, options: &Options) -> Vec<Diagnostic> {
    match parse::parse(text, allow_comments) {
        Ok(doc) => validate_with(&doc, options),
        Err(d) => vec![d],
    }
}

/// True when none of `diagnostics` is an error.
pub fn is_valid(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().all(|d| d.severity != Severity::Error)
}

/// The message of the `InvalidDefinition` error that `CreateStateMachine` and
/// `UpdateStateMachine` return, or `None` when no diagnostic is an error.
///
/// AWS joins the errors with `, ` inside one pair of quotes:
/// `Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: B at
/// /States/A/Next, MISSING_TRANSITION_TARGET: State "C" is not reachable. at /States/C'`.
pub fn invalid_definition_message(diagnostics: &[Diagnostic]) -> Option<String> {
    let errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(Diagnostic::aws_text)
        .collect();
    if errors.is_empty() {
        return None;
    }
    Some(format!(
        "Invalid State Machine Definition: '{}'",
        errors.join(", ")
    ))
}
