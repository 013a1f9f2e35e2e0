//! Robustness: parsing any text and evaluating any parsed expression against any JSON never
//! panics, and the results keep their documented shape.

use baton_asl::choice::Condition;
use baton_asl::intrinsics::Intrinsic;
use baton_asl::path::{Path, PathFailure, ReferencePath};
use baton_asl::template::Template;
use baton_asl::vars::{Env, SeededEntropy};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "[a-c0-9 .'*$\\[\\]{}]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-c]{1,2}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Text made of the characters paths are built from, so parsing gets past the first check.
fn path_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\$[$a-c0-9.\\[\\]'*?()@=<>!&|,: ~/i-]{0,24}",
        "\\$(\\.[a-c*]|\\[[0-9:,*-]{1,4}\\]|\\['[a-c]'\\]|\\.\\.[a-c]|\\[\\?\\(@\\.[a-c] [<>=!]=? [0-9'a]{1,3}\\)\\]){0,5}",
        ".{0,20}",
    ]
}

const FUNCTIONS: [&str; 18] = [
    "Format",
    "StringToJson",
    "JsonToString",
    "Array",
    "ArrayPartition",
    "ArrayContains",
    "ArrayRange",
    "ArrayGetItem",
    "ArrayLength",
    "ArrayUnique",
    "Base64Encode",
    "Base64Decode",
    "Hash",
    "JsonMerge",
    "MathRandom",
    "MathAdd",
    "StringSplit",
    "UUID",
];

fn intrinsic_text() -> impl Strategy<Value = String> {
    let arg = prop_oneof![
        "'[a-c{}, ]{0,5}'",
        "-?[0-9]{1,3}(\\.[0-9])?",
        "\\$(\\.[a-c])*",
        Just("true".to_string()),
        Just("null".to_string()),
        Just("'SHA-256'".to_string()),
        Just("$.a[*]".to_string()),
    ];
    (
        prop::sample::select(FUNCTIONS.to_vec()),
        prop::collection::vec(arg, 0..4),
    )
        .prop_map(|(f, args)| format!("States.{f}({})", args.join(", ")))
}

fn env_for<'a>(input: &'a Value, context: &'a Value, vars: &'a Map<String, Value>) -> Env<'a> {
    Env {
        input,
        context,
        vars,
    }
}

proptest! {
    #[test]
    fn path_parse_never_panics(text in path_text()) {
        if let Ok(p) = Path::parse(&text) {
            let _ = p.normalized();
        }
    }

    #[test]
    fn path_eval_never_panics(text in path_text(), doc in json_value()) {
        if let Ok(p) = Path::parse(&text) {
            let vars: Map<String, Value> = [("a".to_string(), doc.clone())].into_iter().collect();
            let env = env_for(&doc, &doc, &vars);
            if let Ok(v) = p.eval(&env) {
                prop_assert!(p.is_definite() || v.is_array(), "{text} gave {v}");
            }
        }
    }

    #[test]
    fn reference_path_set_never_panics(text in path_text(), doc in json_value(), v in json_value()) {
        if let Ok(rp) = ReferencePath::parse(&text) {
            if let Ok(out) = rp.set(doc, v.clone()) {
                if rp.text().trim() == "$" {
                    prop_assert_eq!(out, v);
                }
            }
        }
    }

    #[test]
    fn timestamp_parsing_never_panics(text in "[0-9T:.+Zz -]{0,30}|.{0,30}") {
        let parsed = baton_asl::choice::parse_timestamp(&text);
        if baton_asl::choice::is_rfc3339(&text) {
            prop_assert!(parsed.is_some(), "{text} is RFC 3339 but did not parse");
        }
    }

    #[test]
    fn intrinsic_parse_never_panics(text in ".{0,40}") {
        let _ = Intrinsic::parse(&text);
    }

    #[test]
    fn intrinsic_eval_never_panics(text in intrinsic_text(), doc in json_value(), seed in any::<u64>()) {
        if let Ok(call) = Intrinsic::parse(&text) {
            let vars = Map::new();
            let env = env_for(&doc, &doc, &vars);
            let _ = call.eval(&env, &mut SeededEntropy::new(seed));
        }
    }

    #[test]
    fn choice_never_panics(
        op in prop::sample::select(vec![
            "StringEquals", "StringLessThan", "StringMatches", "NumericEquals",
            "NumericGreaterThanEqualsPath", "BooleanEquals", "TimestampLessThan",
            "TimestampEqualsPath", "IsNull", "IsPresent", "IsTimestamp", "StringGreaterThanPath",
        ]),
        variable in path_text(),
        operand in json_value(),
        doc in json_value(),
    ) {
        let rule = json!({"Not": {"And": [{"Variable": variable, op: operand}]}});
        if let Ok(c) = Condition::parse(&rule) {
            let vars = Map::new();
            let _ = c.eval(&env_for(&doc, &doc, &vars));
        }
        let _ = Condition::parse(&doc);
    }

    #[test]
    fn template_never_panics(template in json_value(), key_path in path_text(), doc in json_value()) {
        let mut t = template;
        if let Value::Object(m) = &mut t {
            m.insert("dyn.$".to_string(), Value::String(key_path));
        }
        if let Ok(parsed) = Template::parse(&t) {
            let vars = Map::new();
            let _ = parsed.eval(&env_for(&doc, &doc, &vars), &mut SeededEntropy::new(3));
        }
    }

    #[test]
    fn member_chains_select_what_they_name(doc in json_value()) {
        // Walk down the first member of every object and check `$['k1']['k2']...` finds it.
        let mut path = String::from("$");
        let mut node = &doc;
        while let Value::Object(m) = node {
            let Some((k, v)) = m.iter().next() else { break };
            path.push_str(&format!("['{k}']"));
            node = v;
        }
        let p = Path::parse(&path).unwrap();
        let vars = Map::new();
        let want = if doc.is_null() { Err(PathFailure::NullInput) } else { Ok(node.clone()) };
        prop_assert_eq!(p.eval(&env_for(&doc, &Value::Null, &vars)), want);
    }
}
