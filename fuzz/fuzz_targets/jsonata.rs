//! Any text as a JSONata expression in a template, evaluated with `$states`.
#![no_main]

use baton_asl::jsonata::{JsonataEnv, JsonataTemplate, States};
use baton_asl::vars::{NoVars, SeededEntropy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let template = serde_json::Value::String(format!("{{% {text} %}}"));
    let Ok(t) = JsonataTemplate::parse(&template) else { return };
    let states = serde_json::json!({"input": {"a": [1, 2, 3], "s": "x"}, "context": {}});
    let mut entropy = SeededEntropy::new(1);
    let _ = t.eval("Output", &JsonataEnv { states: States::of(&states), vars: &NoVars }, &mut entropy);
});
