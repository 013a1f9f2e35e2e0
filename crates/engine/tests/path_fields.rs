//! The `*Path` fields that read a number from the state's input, one table: each value class
//! (integer, zero, non-integer, integral double, huge, negative, numeric string, padded
//! numeric string, other string, empty string, null, boolean, array, object, missing) for
//! each field, with what the execution does. The rules, and where they come from:
//!
//! * **Counts** (`MaxConcurrencyPath`, `ToleratedFailureCountPath`, `MaxItemsPerBatchPath`,
//!   `MaxInputBytesPerBatchPath`, the `ItemReader`'s `MaxItemsPath`, `TimeoutSecondsPath`,
//!   `HeartbeatSecondsPath`): the node's text
//!   (a string's own text, anything else as Jackson writes it) read with Java's
//!   `Integer.parseInt`, so `"2"` counts and `2.0`, `" 2"` and numbers past a Java `int` do
//!   not: "The …Path field refers to value "…" which is not a valid integer: $.v", the
//!   recorded AWS cause for a string and for an object. A negative count is refused after
//!   parsing.
//! * **`ToleratedFailurePercentagePath`**: the text read with Java's `Float.parseFloat`
//!   (which trims whitespace), then "ToleratedFailurePercentage must be between 0 and 100."
//!   outside that range (recorded for 100.1).
//! * **`SecondsPath`**: an integral JSON number within a Java `long`; the recorded causes
//!   for 1.5, -1.5 and -1 ("cannot be parsed as a long value", "references a negative
//!   value").
//! * **`TimestampPath`**: an ISO-8601 offset date-time string; anything else is quoted with
//!   the same cause.
//! * **A path that selects nothing** fails with Jayway's "No results for path" (the counts)
//!   or "does not reference an input value" (the Wait fields, recorded).

mod support;

use serde_json::{json, Value};
use support::run;

/// The value at `$.v` for each class (`missing` leaves it out).
fn input(class: &str) -> Value {
    let v = match class {
        "integer" => json!(2),
        "zero" => json!(0),
        "non-integer" => json!(1.5),
        "integral double" => json!(2.0),
        "huge" => json!(3_000_000_000u64),
        "negative" => json!(-1),
        "numeric string" => json!("2"),
        "padded numeric string" => json!(" 2"),
        "string" => json!("NoNumber"),
        "empty string" => json!(""),
        "null" => json!(null),
        "boolean" => json!(true),
        "array" => json!([1]),
        "object" => json!({}),
        "missing" => return json!({"items": [1, 2]}),
        other => panic!("no class {other}"),
    };
    json!({"items": [1, 2], "v": v})
}

/// What the execution does: succeeds, or fails with `States.Runtime` and a cause holding this.
#[derive(Clone, Copy)]
enum Expect {
    Succeeds,
    Fails(&'static str),
}
use Expect::{Fails, Succeeds};

const NOT_INT: &str = "which is not a valid integer: $.v";
const NO_RESULTS: &str = "Invalid path '$.v' : No results for path: $['v']";

/// `Integer.parseInt` of the node's text, then a refusal of a negative count.
fn count_rows(negative: &'static str) -> Vec<(&'static str, Expect)> {
    vec![
        ("integer", Succeeds),
        ("zero", Succeeds),
        ("non-integer", Fails(NOT_INT)),
        ("integral double", Fails(NOT_INT)),
        ("huge", Fails(NOT_INT)),
        ("negative", Fails(negative)),
        ("numeric string", Succeeds),
        ("padded numeric string", Fails(NOT_INT)),
        ("string", Fails(NOT_INT)),
        ("empty string", Fails(NOT_INT)),
        ("null", Fails(NOT_INT)),
        ("boolean", Fails(NOT_INT)),
        ("array", Fails(NOT_INT)),
        ("object", Fails(NOT_INT)),
        ("missing", Fails(NO_RESULTS)),
    ]
}

fn map(mode: &str, fields: Value) -> Value {
    let mut m = json!({"Type": "Map", "ItemsPath": "$.items", "End": true,
        "ItemProcessor": {"ProcessorConfig": {"Mode": mode, "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}});
    if let (Some(m), Value::Object(more)) = (m.as_object_mut(), fields) {
        m.extend(more);
    }
    json!({"StartAt": "M", "States": {"M": m}})
}

fn task(field: &str) -> Value {
    json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke", field: "$.v",
        "Parameters": {"FunctionName": "f", "Payload": {}}, "End": true}}})
}

fn wait(field: &str) -> Value {
    json!({"StartAt": "W", "States": {"W": {"Type": "Wait", field: "$.v", "End": true}}})
}

type Table = Vec<(&'static str, Value, Vec<(&'static str, Expect)>)>;

fn table() -> Table {
    const MINUS_ONE: &str = "got '-1' instead.";
    let percentage_invalid = "which is not a valid float: $.v";
    let out_of_range = "ToleratedFailurePercentage must be between 0 and 100.";
    let not_long = "The SecondsPath parameter cannot be parsed as a long value";
    let not_iso = "does not reference a valid ISO-8601 extended offset date-time format string";
    vec![
        (
            "MaxConcurrencyPath",
            map("INLINE", json!({"MaxConcurrencyPath": "$.v"})),
            count_rows("Expected non-negative integer for MaxConcurrency, got '-1' instead."),
        ),
        (
            "ToleratedFailureCountPath",
            map("DISTRIBUTED", json!({"ToleratedFailureCountPath": "$.v"})),
            count_rows("ToleratedFailureCount cannot be negative."),
        ),
        (
            "MaxItemsPerBatchPath",
            map(
                "DISTRIBUTED",
                json!({"ItemBatcher": {"MaxItemsPerBatchPath": "$.v"}}),
            ),
            count_rows(MINUS_ONE),
        ),
        (
            "MaxInputBytesPerBatchPath",
            map(
                "DISTRIBUTED",
                json!({"ItemBatcher": {"MaxInputBytesPerBatchPath": "$.v"}}),
            ),
            count_rows(MINUS_ONE),
        ),
        (
            "ItemReader MaxItemsPath",
            json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
                "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSON", "MaxItemsPath": "$.v"},
                    "Parameters": {"Bucket": "b", "Key": "k"}},
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED",
                    "ExecutionType": "STANDARD"},
                    "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}),
            count_rows(MINUS_ONE),
        ),
        (
            "TimeoutSecondsPath",
            task("TimeoutSecondsPath"),
            count_rows(MINUS_ONE),
        ),
        (
            "HeartbeatSecondsPath",
            task("HeartbeatSecondsPath"),
            count_rows(MINUS_ONE),
        ),
        (
            "ToleratedFailurePercentagePath",
            map(
                "DISTRIBUTED",
                json!({"ToleratedFailurePercentagePath": "$.v"}),
            ),
            vec![
                ("integer", Succeeds),
                ("zero", Succeeds),
                ("non-integer", Succeeds),
                ("integral double", Succeeds),
                ("huge", Fails(out_of_range)),
                ("negative", Fails(out_of_range)),
                ("numeric string", Succeeds),
                ("padded numeric string", Succeeds),
                ("string", Fails(percentage_invalid)),
                ("empty string", Fails(percentage_invalid)),
                ("null", Fails(percentage_invalid)),
                ("boolean", Fails(percentage_invalid)),
                ("array", Fails(percentage_invalid)),
                ("object", Fails(percentage_invalid)),
                ("missing", Fails(NO_RESULTS)),
            ],
        ),
        (
            "SecondsPath",
            wait("SecondsPath"),
            vec![
                ("integer", Succeeds),
                ("zero", Succeeds),
                ("non-integer", Fails(not_long)),
                ("integral double", Fails(not_long)),
                ("huge", Succeeds),
                ("negative", Fails("references a negative value: $.v == -1")),
                ("numeric string", Fails(not_long)),
                ("padded numeric string", Fails(not_long)),
                ("string", Fails(not_long)),
                ("empty string", Fails(not_long)),
                ("null", Fails(not_long)),
                ("boolean", Fails(not_long)),
                ("array", Fails(not_long)),
                ("object", Fails(not_long)),
                (
                    "missing",
                    Fails("The SecondsPath parameter does not reference an input value: $.v"),
                ),
            ],
        ),
        (
            "TimestampPath",
            wait("TimestampPath"),
            vec![
                ("integer", Fails(not_iso)),
                ("zero", Fails(not_iso)),
                ("non-integer", Fails(not_iso)),
                ("integral double", Fails(not_iso)),
                ("huge", Fails(not_iso)),
                ("negative", Fails(not_iso)),
                ("numeric string", Fails(not_iso)),
                ("padded numeric string", Fails(not_iso)),
                ("string", Fails("format string: $.v == NoNumber")),
                ("empty string", Fails(not_iso)),
                ("null", Fails("format string: $.v == null")),
                ("boolean", Fails(not_iso)),
                ("array", Fails("format string: $.v == [1]")),
                ("object", Fails("format string: $.v == {}")),
                (
                    "missing",
                    Fails("The TimestampPath parameter does not reference an input value: $.v"),
                ),
            ],
        ),
    ]
}

#[test]
fn every_path_field_by_value_class() {
    let mut failures = Vec::new();
    let mut cells = 0;
    for (field, definition, rows) in table() {
        assert_eq!(rows.len(), 15, "{field}: one row per value class");
        for (class, expect) in rows {
            cells += 1;
            let outcome = run(&definition, input(class));
            let got = format!(
                "{} {:?} {:?}",
                outcome.status.as_str(),
                outcome.error,
                outcome.cause
            );
            let ok = match expect {
                Succeeds => outcome.status.as_str() == "SUCCEEDED",
                Fails(cause) => {
                    outcome.status.as_str() == "FAILED"
                        && outcome.error.as_deref() == Some("States.Runtime")
                        && outcome.cause.as_deref().is_some_and(|c| c.contains(cause))
                }
            };
            if !ok {
                failures.push(format!("{field} × {class}: {got}"));
            }
        }
    }
    assert_eq!(cells, 10 * 15);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The value each count cause quotes: the string's own text, or the node as Jackson writes it.
#[test]
fn count_causes_quote_the_value_as_jackson_writes_it() {
    let definition = map("INLINE", json!({"MaxConcurrencyPath": "$.v"}));
    for (class, quoted) in [
        ("non-integer", "\"1.5\""),
        ("integral double", "\"2.0\""),
        ("padded numeric string", "\" 2\""),
        ("string", "\"NoNumber\""),
        ("array", "\"[1]\""),
        ("object", "\"{}\""),
    ] {
        let cause = run(&definition, input(class)).cause.unwrap_or_default();
        assert!(
            cause.ends_with(&format!(
                "The MaxConcurrencyPath field refers to value {quoted} which is not a valid integer: $.v"
            )),
            "{class}: {cause}"
        );
    }
}

/// `MaxInputBytesPerBatch` closes a batch before its JSON text would pass the limit, and
/// `MaxItemsPerBatch` as well where it is lower.
#[test]
fn batches_stay_within_their_byte_limit() {
    // Each item is `"xxxxxxxx"` (10 bytes); `{"Items":[]}` is 12 bytes; a comma is 1.
    let items: Vec<Value> = (0..5).map(|_| json!("xxxxxxxx")).collect();
    let batches = |batcher: Value| {
        let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map",
            "ItemsPath": "$.items", "ItemBatcher": batcher, "End": true,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
        let outcome = run(&definition, json!({"items": items}));
        assert_eq!(outcome.status.as_str(), "SUCCEEDED", "{outcome:?}");
        let output: Value = serde_json::from_str(outcome.output.as_deref().unwrap()).unwrap();
        output
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                let text = serde_json::to_string(b).unwrap();
                (b["Items"].as_array().unwrap().len(), text.len())
            })
            .collect::<Vec<_>>()
    };
    // 12 + 10 + 11 = 33 bytes for two items; a third would make 44.
    assert_eq!(
        batches(json!({"MaxInputBytesPerBatch": 40})),
        [(2, 33), (2, 33), (1, 22)]
    );
    assert_eq!(
        batches(json!({"MaxInputBytesPerBatch": 44})),
        [(3, 44), (2, 33)]
    );
    assert_eq!(
        batches(json!({"MaxInputBytesPerBatch": 1000, "MaxItemsPerBatch": 2})),
        [(2, 33), (2, 33), (1, 22)]
    );
    // An item larger than the limit travels alone.
    assert_eq!(
        batches(json!({"MaxInputBytesPerBatch": 5})),
        [(1, 22), (1, 22), (1, 22), (1, 22), (1, 22)]
    );
}
