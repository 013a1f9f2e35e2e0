//! Loading a definition and running one execution to its end, in-process.

use std::sync::Arc;

use baton_asl::model::StateMachine;
use baton_asl::validate::{Diagnostic, MachineType, Options as ValidateOptions, Severity};
use baton_engine::driver::{run_to_end, Clock, VirtualClock};
use baton_engine::{Execution, ExecutionInfo, HistoryEvent, Limits, Outcome};
use baton_mock::MockSession;
use serde_json::Value;

use crate::local::{system_now, Integrated, Mocks, SystemClock};

/// Why a definition could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    Invalid(Vec<Diagnostic>),
    Model(baton_asl::model::ModelError),
}

/// Parses, validates (with the rules of `machine_type`) and builds a definition. Warnings are
/// returned alongside the machine.
pub fn load(
    text: &str,
    allow_comments: bool,
    machine_type: MachineType,
) -> Result<(StateMachine, Vec<Diagnostic>), LoadError> {
    let doc =
        baton_asl::parse::parse(text, allow_comments).map_err(|d| LoadError::Invalid(vec![d]))?;
    let diagnostics = baton_asl::validate::validate_with(&doc, &ValidateOptions { machine_type });
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        return Err(LoadError::Invalid(diagnostics));
    }
    let machine = StateMachine::from_value(&doc.value).map_err(LoadError::Model)?;
    Ok((machine, diagnostics))
}

/// How to run one execution.
pub struct Options {
    pub info: ExecutionInfo,
    pub input: Value,
    pub seed: u64,
    /// Virtual time: waits and back-off take no real time.
    pub virtual_time: bool,
    pub mocks: Option<MockSession>,
}

pub struct Executed {
    pub outcome: Outcome,
    pub history: Vec<HistoryEvent>,
    pub execution_arn: String,
}

pub fn execute(machine: StateMachine, options: Options) -> Executed {
    execute_with(machine, options, None)
}

/// As [`execute`], with tasks that have no mock served by `integrations`.
pub fn execute_with(
    machine: StateMachine,
    options: Options,
    integrations: Option<Integrated>,
) -> Executed {
    let mut execution = Execution::new(Arc::new(machine), Limits::default());
    let mut tasks = Mocks {
        session: options.mocks,
        integrations,
    };
    let start = system_now();
    let arn = options.info.execution_arn.clone();
    let outcome = if options.virtual_time {
        let mut clock = VirtualClock::starting_at(start);
        run_to_end(
            &mut execution,
            options.info,
            options.input,
            options.seed,
            &mut clock as &mut dyn Clock,
            &mut tasks,
        )
    } else {
        run_to_end(
            &mut execution,
            options.info,
            options.input,
            options.seed,
            &mut SystemClock,
            &mut tasks,
        )
    };
    Executed {
        outcome,
        history: execution.history().to_vec(),
        execution_arn: arn,
    }
}
