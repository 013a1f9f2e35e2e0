//! ValidateStateMachineDefinition: every diagnostic of a definition, as CreateStateMachine would
//! judge it for the given type, filtered by severity and capped at `maxResults`.

use baton_api::model::*;
use baton_api::{ApiError, RequestContext};
use baton_asl::validate::{Diagnostic, Severity};

use super::machines::store_type;
use crate::{definition, Runtime};

/// AWS's default and largest `maxResults`.
const MAX_DIAGNOSTICS: usize = 100;

fn api_severity(s: Severity) -> ValidateStateMachineDefinitionSeverity {
    match s {
        Severity::Error => ValidateStateMachineDefinitionSeverity::Error,
        Severity::Warning => ValidateStateMachineDefinitionSeverity::Warning,
    }
}

/// Whether a diagnostic is at least as severe as the requested minimum.
fn at_least(d: &Diagnostic, minimum: ValidateStateMachineDefinitionSeverity) -> bool {
    match minimum {
        ValidateStateMachineDefinitionSeverity::Error => d.severity == Severity::Error,
        ValidateStateMachineDefinitionSeverity::Warning => true,
    }
}

pub(crate) async fn validate_state_machine_definition(
    _rt: &Runtime,
    _ctx: &RequestContext,
    input: ValidateStateMachineDefinitionInput,
) -> Result<ValidateStateMachineDefinitionOutput, ApiError> {
    let diagnostics = definition::diagnose(&input.definition, store_type(input.r#type));
    let result = if definition::has_errors(&diagnostics) {
        ValidateStateMachineDefinitionResultCode::Fail
    } else {
        ValidateStateMachineDefinitionResultCode::Ok
    };
    let minimum = input
        .severity
        .unwrap_or(ValidateStateMachineDefinitionSeverity::Error);
    let limit = match input.max_results {
        Some(n) if n > 0 => (n as usize).min(MAX_DIAGNOSTICS),
        _ => MAX_DIAGNOSTICS,
    };
    let shown: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| at_least(d, minimum))
        .collect();
    let truncated = shown.len() > limit;
    Ok(ValidateStateMachineDefinitionOutput {
        result,
        diagnostics: shown
            .into_iter()
            .take(limit)
            .map(|d| ValidateStateMachineDefinitionDiagnostic {
                severity: api_severity(d.severity),
                code: d.code.to_string(),
                message: d.message.clone(),
                location: d.location.clone(),
            })
            .collect(),
        truncated: Some(truncated),
    })
}
