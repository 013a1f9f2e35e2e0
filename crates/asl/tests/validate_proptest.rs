//! Parsing and validation never panic, whatever the text or the JSON, and always describe a
//! refused definition.

use baton_asl::parse::{parse, Document};
use baton_asl::validate::{
    invalid_definition_message, is_valid, validate_with, MachineType, Options,
};
use proptest::prelude::*;
use serde_json::{Map, Number, Value};

/// Field names and values of the States Language, so that generated JSON reaches deep into the
/// validator instead of stopping at the first missing field.
const KEYS: &[&str] = &[
    "StartAt",
    "States",
    "Type",
    "Next",
    "End",
    "Default",
    "Choices",
    "Variable",
    "Condition",
    "And",
    "Or",
    "Not",
    "StringEquals",
    "NumericEqualsPath",
    "IsPresent",
    "TimestampEquals",
    "Branches",
    "ItemProcessor",
    "Iterator",
    "ProcessorConfig",
    "Mode",
    "ExecutionType",
    "Resource",
    "Parameters",
    "Arguments",
    "Output",
    "Assign",
    "InputPath",
    "OutputPath",
    "ResultPath",
    "ResultSelector",
    "ItemsPath",
    "Items",
    "ItemSelector",
    "Retry",
    "Catch",
    "ErrorEquals",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "JitterStrategy",
    "TimeoutSeconds",
    "HeartbeatSeconds",
    "Seconds",
    "Timestamp",
    "SecondsPath",
    "Error",
    "ErrorPath",
    "Cause",
    "QueryLanguage",
    "Credentials",
    "RoleArn",
    "Label",
    "ItemReader",
    "ReaderConfig",
    "ItemBatcher",
    "ResultWriter",
    "MaxConcurrency",
    "x.$",
    "states",
    "A",
    "B",
];
const STRINGS: &[&str] = &[
    "A",
    "B",
    "Pass",
    "Task",
    "Choice",
    "Wait",
    "Succeed",
    "Fail",
    "Parallel",
    "Map",
    "JSONata",
    "JSONPath",
    "DISTRIBUTED",
    "INLINE",
    "STANDARD",
    "States.ALL",
    "$",
    "$.a",
    "$$.Map.Item",
    "$x",
    "States.Format('{}', $.a)",
    "{% $states.input %}",
    "{% 1 + %}",
    "2016-03-14T01:59:00Z",
    "arn:aws:states:::lambda:invoke",
    "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
    "",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::String),
        prop::sample::select(STRINGS).prop_map(|s| Value::String(s.to_string())),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(6, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        prop::sample::select(KEYS).prop_map(str::to_string),
                        ".{0,6}"
                    ],
                    inner
                ),
                0..8
            )
            .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Text made mostly of JSON's punctuation, so that it often gets far into the parser.
fn json_ish_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(
            &[
                "{",
                "}",
                "[",
                "]",
                ":",
                ",",
                "\"",
                "\\",
                "/",
                "*",
                "//",
                "/*",
                "*/",
                "\n",
                "\r",
                " ",
                "true",
                "nul",
                "-",
                "0",
                "1.5e",
                "\"States\"",
                "\"\\u12\"",
                "é",
                "\u{0}",
            ][..]
        )
        .prop_map(str::to_string),
        ".{0,3}",
    ];
    prop::collection::vec(piece, 0..64).prop_map(|v| v.concat())
}

fn check(doc: &Document) {
    for machine_type in [MachineType::Standard, MachineType::Express] {
        let diags = validate_with(doc, &Options { machine_type });
        for d in &diags {
            assert!(!d.message.is_empty());
            assert!(d.line >= 1 && d.column >= 1);
        }
        assert_eq!(
            invalid_definition_message(&diags).is_none(),
            is_valid(&diags)
        );
    }
}

fn check_text(text: &str) {
    for comments in [false, true] {
        match parse(text, comments) {
            Ok(doc) => check(&doc),
            Err(d) => {
                assert!(!d.message.is_empty());
                assert!(invalid_definition_message(&[d]).is_some());
            }
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_text(text in ".{0,200}") {
        check_text(&text);
    }

    #[test]
    fn json_like_text(text in json_ish_text()) {
        check_text(&text);
    }

    #[test]
    fn arbitrary_json(value in json()) {
        let text = serde_json::to_string_pretty(&value).unwrap_or_default();
        check_text(&text);
        check(&Document::from_value(value));
    }

    #[test]
    fn definition_shaped_json(states in prop::collection::vec((prop::sample::select(STRINGS), json()), 0..5),
                              start in prop::sample::select(STRINGS)) {
        let states: Map<String, Value> =
            states.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let value = serde_json::json!({"StartAt": start, "States": states});
        check(&Document::from_value(value.clone()));
        check_text(&value.to_string());
    }
}
