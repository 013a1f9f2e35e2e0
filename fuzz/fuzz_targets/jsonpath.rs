//! Any text as a JSONPath and as a reference path, evaluated against a fixed document.
#![no_main]

use baton_asl::path::{Path, ReferencePath};
use baton_asl::vars::{Env, NoVars};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let doc = serde_json::json!({"a": [1, 2, {"b": "c", "d": [true, null]}], "n": 3.5, "s": "x", "o": {}});
    let context = serde_json::json!({"Execution": {"Id": "e"}, "Map": {"Item": {"Index": 0}}});
    if let Ok(p) = Path::parse(text) {
        let _ = p.eval(&Env { input: &doc, context: &context, vars: &NoVars });
    }
    if let Ok(r) = ReferencePath::parse(text) {
        let _ = r.set(doc.clone(), serde_json::json!({"r": 1}));
    }
});
