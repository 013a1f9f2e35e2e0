//! Shared by the field tables (`path_fields.rs`, `jsonata_fields.rs`): one execution run to its
//! end in virtual time, every task answered at once.

use std::sync::Arc;

use baton_asl::model::StateMachine;
use baton_engine::driver::{run_to_end, TaskHandler, TaskReply, VirtualClock};
use baton_engine::{Execution, ExecutionInfo, Limits, Outcome, TaskPurpose, TaskRequest};
use serde_json::{json, Value};

/// Every task succeeds at once; an item reader reads two items.
pub struct Succeed;

impl TaskHandler for Succeed {
    fn run(&mut self, request: &TaskRequest) -> TaskReply {
        match request.purpose {
            TaskPurpose::ItemReader { .. } => TaskReply::Succeeded(json!([1, 2])),
            _ => TaskReply::Succeeded(json!("done")),
        }
    }
}

/// Runs `definition` on `input` to its end.
pub fn run(definition: &Value, input: Value) -> Outcome {
    let machine = StateMachine::from_value(definition).expect("model");
    let mut execution = Execution::new(Arc::new(machine), Limits::default());
    let mut clock = VirtualClock::starting_at(1_700_000_000_000);
    let info = ExecutionInfo::standard("aws", "us-east-1", "123456789012", "m", "e");
    run_to_end(&mut execution, info, input, 7, &mut clock, &mut Succeed)
}
