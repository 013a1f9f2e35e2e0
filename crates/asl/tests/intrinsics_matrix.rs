//! The intrinsic functions' numeric arguments, one table: each value class (integer,
//! non-integer, huge, negative, zero, numeric string, empty string, null, boolean, array,
//! object, missing) for each integer parameter, with what Baton answers and the rule it
//! follows. The rules, and where they come from:
//!
//! * **A non-integer is rounded to the nearest integer** where AWS's documentation says so:
//!   `States.ArrayRange` (every argument), `States.ArrayPartition` (the size),
//!   `States.MathRandom` (the bounds) and `States.MathAdd` ("If you specify a non-integer
//!   value …, Step Functions will round it off to the nearest integer"), a half upward, as
//!   Java's `Math.round(double)` rounds. Elsewhere (`States.ArrayGetItem`'s index,
//!   `States.MathRandom`'s seed), where AWS documents nothing, it is truncated toward zero as
//!   Java's casts do. A huge number saturates, as both do.
//! * **Anything that is not a JSON number is refused** (`Invalid arguments in …`): the
//!   functions type-check their arguments' JSON node types; AWS gives no conversion from
//!   strings (the recorded `States.MathAdd` and `States.ArrayGetItem` cases with strings fail).
//! * **`States.MathAdd` and `States.MathRandom` work in Java `int`s**: an argument or a sum
//!   outside 32 bits is refused (`States.MathAdd`), and `States.MathRandom`'s bounds saturate
//!   to `int` before `java.util.Random.nextInt(end - start)`, which must be positive.
//! * **`States.ArrayRange` builds at most 1,000 items** and needs a non-zero step (AWS's
//!   documented limit); `States.ArrayPartition` needs a chunk size of at least 1;
//!   `States.ArrayGetItem` refuses a negative index and one past the end (an empty array
//!   gives `null`, as recorded).

use baton_asl::intrinsics::Intrinsic;
use baton_asl::vars::{Env, SeededEntropy};
use serde_json::{json, Map, Value};

/// The input every row reads its argument from (`$.v`), one per class.
fn input(class: &str) -> Value {
    let v = match class {
        "integer" => json!(3),
        "non-integer" => json!(2.7),
        "negative non-integer" => json!(-2.7),
        "huge" => json!(1e300),
        "negative" => json!(-4),
        "zero" => json!(0),
        "numeric string" => json!("3"),
        "empty string" => json!(""),
        "null" => json!(null),
        "boolean" => json!(true),
        "array" => json!([1]),
        "object" => json!({"a": 1}),
        "missing" => return json!({}),
        other => panic!("no class {other}"),
    };
    json!({ "v": v })
}

/// `Ok(result)` or `Err(part of the cause)`.
fn eval(call: &str, input: &Value) -> Result<Value, String> {
    let intrinsic = Intrinsic::parse(call).map_err(|e| format!("{e:?}"))?;
    let vars = Map::new();
    let context = json!({});
    let env = Env {
        input,
        context: &context,
        vars: &vars,
    };
    intrinsic
        .eval(&env, &mut SeededEntropy::new(7))
        .map_err(|f| f.cause)
}

#[test]
fn integer_arguments_by_class() {
    let invalid = |f: &str| Err(format!("Invalid arguments in {f}"));
    let missing = Err("could not be found in the input".to_string());
    // (call with `$.v` as the argument under test, class, expected)
    let table: Vec<(&str, &str, Result<Value, String>)> = vec![
        // States.ArrayRange(start, end, step): the end under test.
        (
            "States.ArrayRange(1, $.v, 1)",
            "integer",
            Ok(json!([1, 2, 3])),
        ),
        (
            "States.ArrayRange(1, $.v, 1)",
            "non-integer",
            Ok(json!([1, 2, 3])),
        ),
        (
            "States.ArrayRange(-5, $.v, 1)",
            "negative non-integer",
            Ok(json!([-5, -4, -3])),
        ),
        (
            "States.ArrayRange(1, $.v, 1)",
            "huge",
            invalid("States.ArrayRange"),
        ),
        ("States.ArrayRange(1, $.v, 1)", "negative", Ok(json!([]))),
        ("States.ArrayRange(1, $.v, 1)", "zero", Ok(json!([]))),
        (
            "States.ArrayRange(1, $.v, 1)",
            "numeric string",
            invalid("States.ArrayRange"),
        ),
        (
            "States.ArrayRange(1, $.v, 1)",
            "empty string",
            invalid("States.ArrayRange"),
        ),
        (
            "States.ArrayRange(1, $.v, 1)",
            "null",
            invalid("States.ArrayRange"),
        ),
        (
            "States.ArrayRange(1, $.v, 1)",
            "boolean",
            invalid("States.ArrayRange"),
        ),
        (
            "States.ArrayRange(1, $.v, 1)",
            "array",
            invalid("States.ArrayRange"),
        ),
        (
            "States.ArrayRange(1, $.v, 1)",
            "object",
            invalid("States.ArrayRange"),
        ),
        ("States.ArrayRange(1, $.v, 1)", "missing", missing.clone()),
        // The step: zero is refused; a fraction rounds (2.7 → 3).
        (
            "States.ArrayRange(1, 5, $.v)",
            "zero",
            invalid("States.ArrayRange"),
        ),
        (
            "States.ArrayRange(1, 9, $.v)",
            "non-integer",
            Ok(json!([1, 4, 7])),
        ),
        (
            "States.ArrayRange(5, 1, $.v)",
            "negative",
            Ok(json!([5, 1])),
        ),
        // States.ArrayPartition(array, size).
        (
            "States.ArrayPartition(States.Array(1, 2, 3, 4, 5), $.v)",
            "integer",
            Ok(json!([[1, 2, 3], [4, 5]])),
        ),
        (
            "States.ArrayPartition(States.Array(1, 2, 3, 4, 5), $.v)",
            "non-integer",
            Ok(json!([[1, 2, 3], [4, 5]])),
        ),
        (
            "States.ArrayPartition(States.Array(1, 2, 3, 4, 5), $.v)",
            "zero",
            invalid("States.ArrayPartition"),
        ),
        (
            "States.ArrayPartition(States.Array(1, 2, 3, 4, 5), $.v)",
            "negative",
            invalid("States.ArrayPartition"),
        ),
        (
            "States.ArrayPartition(States.Array(1, 2, 3, 4, 5), $.v)",
            "huge",
            Ok(json!([[1, 2, 3, 4, 5]])),
        ),
        (
            "States.ArrayPartition(States.Array(1, 2, 3, 4, 5), $.v)",
            "numeric string",
            invalid("States.ArrayPartition"),
        ),
        (
            "States.ArrayPartition(States.Array(1, 2, 3, 4, 5), $.v)",
            "null",
            invalid("States.ArrayPartition"),
        ),
        // States.ArrayGetItem(array, index).
        (
            "States.ArrayGetItem(States.Array(10, 20, 30), $.v)",
            "zero",
            Ok(json!(10)),
        ),
        (
            "States.ArrayGetItem(States.Array(10, 20, 30), $.v)",
            "non-integer",
            Ok(json!(30)),
        ),
        (
            "States.ArrayGetItem(States.Array(10, 20, 30), $.v)",
            "integer",
            invalid("States.ArrayGetItem"),
        ),
        (
            "States.ArrayGetItem(States.Array(10, 20, 30), $.v)",
            "negative",
            invalid("States.ArrayGetItem"),
        ),
        (
            "States.ArrayGetItem(States.Array(10, 20, 30), $.v)",
            "huge",
            invalid("States.ArrayGetItem"),
        ),
        (
            "States.ArrayGetItem(States.Array(10, 20, 30), $.v)",
            "numeric string",
            invalid("States.ArrayGetItem"),
        ),
        (
            "States.ArrayGetItem(States.Array(10, 20, 30), $.v)",
            "boolean",
            invalid("States.ArrayGetItem"),
        ),
        (
            "States.ArrayGetItem(States.Array(), $.v)",
            "integer",
            Ok(json!(null)),
        ),
        // States.MathAdd(a, b): Java ints.
        ("States.MathAdd($.v, 1)", "integer", Ok(json!(4))),
        ("States.MathAdd($.v, 1)", "non-integer", Ok(json!(4))),
        (
            "States.MathAdd($.v, 1)",
            "negative non-integer",
            Ok(json!(-2)),
        ),
        ("States.MathAdd($.v, 1)", "negative", Ok(json!(-3))),
        ("States.MathAdd($.v, 1)", "zero", Ok(json!(1))),
        ("States.MathAdd($.v, 1)", "huge", invalid("States.MathAdd")),
        (
            "States.MathAdd($.v, 2147483647)",
            "integer",
            invalid("States.MathAdd"),
        ),
        (
            "States.MathAdd($.v, 1)",
            "numeric string",
            invalid("States.MathAdd"),
        ),
        (
            "States.MathAdd($.v, 1)",
            "empty string",
            invalid("States.MathAdd"),
        ),
        ("States.MathAdd($.v, 1)", "null", invalid("States.MathAdd")),
        (
            "States.MathAdd($.v, 1)",
            "boolean",
            invalid("States.MathAdd"),
        ),
        ("States.MathAdd($.v, 1)", "array", invalid("States.MathAdd")),
        (
            "States.MathAdd($.v, 1)",
            "object",
            invalid("States.MathAdd"),
        ),
        ("States.MathAdd($.v, 1)", "missing", missing.clone()),
        // States.MathRandom(start, end[, seed]): seeded, so the result is Java's: start +
        // `new Random(42).nextInt(end - start)` by java.util.Random's documented algorithm
        // (nextInt(7) is 1; a 2.7 start rounds to 3, so that is 3 + 1 as well).
        ("States.MathRandom($.v, 10, 42)", "integer", Ok(json!(4))),
        (
            "States.MathRandom($.v, 10, 42)",
            "non-integer",
            Ok(json!(4)),
        ),
        (
            "States.MathRandom(0, $.v, 42)",
            "zero",
            invalid("States.MathRandom"),
        ),
        (
            "States.MathRandom(0, $.v, 42)",
            "negative",
            invalid("States.MathRandom"),
        ),
        (
            "States.MathRandom($.v, 10, 42)",
            "numeric string",
            invalid("States.MathRandom"),
        ),
        (
            "States.MathRandom($.v, 10, 42)",
            "null",
            invalid("States.MathRandom"),
        ),
    ];
    let mut wrong = Vec::new();
    for (call, class, expected) in &table {
        let got = eval(call, &input(class));
        let ok = match (&got, expected) {
            (Ok(g), Ok(e)) => g == e,
            (Err(g), Err(e)) => g.contains(e.as_str()),
            _ => false,
        };
        if !ok {
            wrong.push(format!(
                "{call} with {class}: expected {expected:?}, got {got:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// `States.StringToJson` by the class of its text. AWS reads the text with Jackson's
/// `ObjectMapper.readTree` and its default features: no content (empty or whitespace) is a
/// missing node, written `null`; one root value is read and what follows a complete value is
/// not; a number or literal that runs into other characters is one malformed token; an
/// integer token is an integer node (`-0` is `0`), a fraction a double; and anything that is
/// not a string is refused before parsing.
#[test]
fn string_to_json_by_class_of_text() {
    let invalid = || Err("Invalid arguments in States.StringToJson".to_string());
    let table: Vec<(Value, Result<Value, String>)> = vec![
        (json!(""), Ok(json!(null))),
        (json!(" "), Ok(json!(null))),
        (json!("\n\t"), Ok(json!(null))),
        (json!("null"), Ok(json!(null))),
        (json!("-0"), Ok(json!(0))),
        (json!("1"), Ok(json!(1))),
        (json!("1.1"), Ok(json!(1.1))),
        (json!("true"), Ok(json!(true))),
        (json!("\"HelloWorld\""), Ok(json!("HelloWorld"))),
        (
            json!("[1, 2, \"HelloWorld\"]"),
            Ok(json!([1, 2, "HelloWorld"])),
        ),
        (
            json!("{\"Arg1\": 1, \"Arg2\": []}"),
            Ok(json!({"Arg1": 1, "Arg2": []})),
        ),
        (json!("  {\"a\": -0}  "), Ok(json!({"a": 0}))),
        (json!("1 2"), Ok(json!(1))),
        (json!("{} trailing"), Ok(json!({}))),
        (json!("1x"), invalid()),
        (json!("{"), invalid()),
        (json!("{'a': 1}"), invalid()),
        (json!("NaN"), invalid()),
        (json!(1), invalid()),
        (json!(null), invalid()),
        (json!({"a": 1}), invalid()),
        (json!(["[]"]), invalid()),
    ];
    let mut failures = Vec::new();
    for (text, want) in table {
        let got = eval("States.StringToJson($.v)", &json!({ "v": text }));
        let ok = match (&got, &want) {
            (Ok(g), Ok(w)) => g == w,
            (Err(g), Err(w)) => g.contains(w.as_str()),
            _ => false,
        };
        if !ok {
            failures.push(format!("{text}: {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    // `-0` is the integer zero, without the sign a double would keep.
    let zero = eval("States.StringToJson($.v)", &json!({"v": "-0"})).unwrap();
    assert!(zero.is_u64(), "{zero:?}");
}
