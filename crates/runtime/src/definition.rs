//! Definitions: checked as AWS checks them when a state machine is created or updated, and
//! parsed once per revision for the executions that run them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use baton_api::ApiError;
use baton_asl::model::StateMachine;
use baton_asl::validate::{self, Diagnostic, Severity};
use baton_store::MachineType;

/// The validator's machine type for a store's.
pub(crate) fn validate_type(machine_type: MachineType) -> validate::MachineType {
    match machine_type {
        MachineType::Standard => validate::MachineType::Standard,
        MachineType::Express => validate::MachineType::Express,
    }
}

/// Every diagnostic for `text` as a definition of this type (strict JSON, as the API takes it).
pub(crate) fn diagnose(text: &str, machine_type: MachineType) -> Vec<Diagnostic> {
    match baton_asl::parse::parse(text, false) {
        Err(d) => vec![d],
        Ok(doc) => {
            let mut diagnostics = validate::validate_with(
                &doc,
                &validate::Options {
                    machine_type: validate_type(machine_type),
                },
            );
            // AWS SDK integrations' fields, checked against their services' models.
            diagnostics.extend(crate::sdk_parameters::diagnose(text));
            diagnostics
        }
    }
}

/// Checks `text` as `CreateStateMachine` does: `InvalidDefinition` with AWS's message when it
/// has errors; the machine otherwise.
pub(crate) fn check(text: &str, machine_type: MachineType) -> Result<StateMachine, ApiError> {
    let diagnostics = diagnose(text, machine_type);
    // The message is AWS's whole text, `Invalid State Machine Definition: '…'` included.
    if let Some(message) = validate::invalid_definition_message(&diagnostics) {
        return Err(ApiError::InvalidDefinition { message });
    }
    build(text)
}

/// Builds the model of a definition known to be valid.
fn build(text: &str) -> Result<StateMachine, ApiError> {
    // Validated already, so nested at most 1,000 levels: past serde_json's own limit of 128.
    let value: serde_json::Value = baton_api::json::from_str(text)
        .map_err(|e| ApiError::invalid_definition(&format!("Invalid JSON: {e}")))?;
    StateMachine::from_value(&value).map_err(|e| ApiError::invalid_definition(&e.to_string()))
}

/// Whether any diagnostic is an error.
pub(crate) fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity == Severity::Error)
}

/// Parsed machines by (state machine ARN, revision id).
#[derive(Default)]
pub(crate) struct Cache {
    machines: Mutex<HashMap<(String, String), Arc<StateMachine>>>,
}

impl Cache {
    /// The machine of this revision, parsed at most once.
    pub fn get(
        &self,
        state_machine_arn: &str,
        revision_id: &str,
        definition: &str,
    ) -> Result<Arc<StateMachine>, ApiError> {
        let key = (state_machine_arn.to_string(), revision_id.to_string());
        if let Some(m) = self.machines.lock().expect("cache").get(&key) {
            return Ok(m.clone());
        }
        let machine = Arc::new(build(definition)?);
        self.machines
            .lock()
            .expect("cache")
            .insert(key, machine.clone());
        Ok(machine)
    }
}
