//! Any text as a JSONata expression, evaluated under a small step budget with the allocator
//! `baton` runs on: every evaluation ends, within the budget's time and memory (libFuzzer's
//! `-timeout` and `-rss_limit_mb` catch one that does not), whatever the expression does.
#![no_main]

use std::time::Duration;

use baton_asl::budget::{self, Budget};
use baton_asl::jsonata::{JsonataEnv, JsonataTemplate, States};
use baton_asl::vars::{NoVars, SeededEntropy};
use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOCATOR: baton_alloc::Budgeted = baton_alloc::Budgeted;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let template = serde_json::Value::String(format!("{{% {text} %}}"));
    let Ok(t) = JsonataTemplate::parse(&template) else { return };
    let states = serde_json::json!({"input": {"a": [1, 2, 3], "s": "x"}, "context": {}});
    let mut entropy = SeededEntropy::new(1);
    let _guard = budget::enter(Budget {
        time: Duration::from_millis(200),
        memory_bytes: 64 * 1024 * 1024,
    });
    let _ = t.eval("Output", &JsonataEnv { states: States::of(&states), vars: &NoVars }, &mut entropy);
});
