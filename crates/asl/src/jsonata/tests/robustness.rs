//! No input makes the compiler or the template walk panic.

use proptest::prelude::*;
use serde_json::json;

use crate::jsonata::engine::{Engine, JsonataEvaluator};
use crate::jsonata::{JsonataExpr, JsonataTemplate};

proptest! {
    #[test]
    fn compiling_any_string_never_panics(s in "\\PC{0,80}") {
        let _ = Engine::compile(&s);
        let _ = JsonataExpr::parse(&format!("{{% {s} %}}"));
        let _ = JsonataTemplate::parse(&json!({"k": [s.clone(), format!("{{%{s}%}}")]}));
    }

    #[test]
    fn compiling_jsonata_like_text_never_panics(
        s in "[$a-z0-9 .,:;=<>!?&|~^%#@*/+\\-()\\[\\]{}'\"`\\\\λ]{0,80}"
    ) {
        let _ = Engine::compile(&s);
    }
}

#[test]
fn deeply_nested_expressions_are_refused_or_compiled_without_overflow() {
    for depth in [100, 10_000] {
        for (open, close) in [("(", ")"), ("[", "]"), ("{'a':", "}"), ("-", "")] {
            let text = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            let _ = Engine::compile(&text);
        }
    }
}
