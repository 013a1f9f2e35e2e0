//! Any text as a definition: parse (with comments), validate, build the model, and run what
//! validates under a virtual clock with a small history limit. Nothing may panic.
#![no_main]

use std::sync::Arc;

use baton_asl::model::StateMachine;
use baton_engine::driver::{run_to_end, NoTasks, VirtualClock};
use baton_engine::{Execution, ExecutionInfo, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(doc) = baton_asl::parse::parse(text, true) else { return };
    let diagnostics = baton_asl::validate::validate(&doc);
    if !baton_asl::validate::is_valid(&diagnostics) {
        return;
    }
    let Ok(machine) = StateMachine::from_value(&doc.value) else { return };
    // A small step budget, so that a definition whose expression never ends costs a fuzz
    // run little time.
    let budget = baton_asl::budget::Budget {
        time: std::time::Duration::from_millis(200),
        memory_bytes: 64 * 1024 * 1024,
    };
    let limits = Limits { max_history_events: 500, budget: Some(budget), ..Limits::default() };
    let mut execution = Execution::new(Arc::new(machine), limits);
    let info = ExecutionInfo::standard("aws", "us-east-1", "123456789012", "fuzz", "run");
    let input = serde_json::json!({"a": [1, 2, {"b": "c"}], "n": 3, "s": "x"});
    let mut clock = VirtualClock::starting_at(0);
    run_to_end(&mut execution, info, input, 1, &mut clock, &mut NoTasks);
});
