//! Any text as an intrinsic function call, evaluated against a fixed document.
#![no_main]

use baton_asl::intrinsics::Intrinsic;
use baton_asl::vars::{Env, NoVars, SeededEntropy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let doc = serde_json::json!({"a": [1, 2, 2, "x"], "n": 3, "s": "a,b", "j": "{\"k\": 1}", "o": {"p": 1}});
    let context = serde_json::json!({});
    if let Ok(i) = Intrinsic::parse(text) {
        let mut entropy = SeededEntropy::new(1);
        let _ = i.eval(&Env { input: &doc, context: &context, vars: &NoVars }, &mut entropy);
    }
});
