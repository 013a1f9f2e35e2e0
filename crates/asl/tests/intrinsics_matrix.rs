//! The intrinsic functions by argument and value class, three tables: the numeric arguments
//! (this header), `States.StringToJson`'s text, and every other argument
//! (`every_other_argument_by_value_class`). The numeric arguments: each value class (integer,
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

/// Records in `wrong` a result other than `expected` (a value, or a cause that contains the
/// expected part).
fn check(
    call: &str,
    class: &str,
    got: &Result<Value, String>,
    expected: &Result<Value, String>,
    wrong: &mut Vec<String>,
) {
    let ok = match (got, expected) {
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
        check(call, class, &got, expected, &mut wrong);
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

/// The other intrinsics' arguments by value class: for each argument of each function, every
/// class of value read from the input (`$.v`), with what AWS answers. The rules, and their
/// sources (AWS's "Intrinsic functions" page and the Java types the service works in):
///
/// * **Typed arguments are checked by JSON node type, with no conversion**: a string where the
///   page names a string (`States.Format`'s template, `States.StringSplit`'s two arguments,
///   `States.Base64Encode`/`Decode`'s input, `States.Hash`'s algorithm), an array where it
///   names an array (`States.ArrayContains`' first, `States.ArrayLength`, `States.ArrayUnique`),
///   objects and a `false` for `States.JsonMerge` ("Deep merge isn't supported"). Anything
///   else is `Invalid arguments in States.…`.
/// * **Untyped arguments take any value** (`States.Array`, `States.JsonToString`,
///   `States.Format`'s values, `States.ArrayContains`' looked-for value, `States.Hash`'s
///   data), written as Java writes them where text is needed: Jackson's JSON for
///   `States.JsonToString` (`1.0E300`), `String.valueOf` of the Java value for
///   `States.Format` and `States.Hash` (`[1, a, 1]`, `{a=1}`, `null`).
/// * **Java's library decides the edge values**: `java.util.StringTokenizer` splits on any
///   delimiter character and drops empty pieces (no delimiter: the whole string; an empty
///   string: nothing); `java.util.Base64`'s decoder refuses a length or character outside
///   the alphabet; the algorithm names are Java's `MessageDigest` names AWS lists.
/// * **A path that matches nothing** fails every function alike: "The JsonPath argument for
///   the field '$.v' could not be found in the input '{}'".
#[test]
fn every_other_argument_by_value_class() {
    let classes: [(&str, Value); 12] = [
        ("integer", json!(3)),
        ("non-integer", json!(2.7)),
        ("huge", json!(1e300)),
        ("negative", json!(-4)),
        ("zero", json!(0)),
        ("numeric string", json!("3")),
        ("empty string", json!("")),
        ("string", json!("a,b")),
        ("null", json!(null)),
        ("boolean", json!(true)),
        ("array", json!([1, "a", 1])),
        ("object", json!({"a": 1})),
    ];
    // What each call answers for the classes it accepts; every other class is refused.
    type Accepts = Vec<(&'static str, Value)>;
    let strings = |a: Value, b: Value, c: Value| -> Accepts {
        vec![("numeric string", a), ("empty string", b), ("string", c)]
    };
    let every = |values: [Value; 12]| -> Accepts {
        [
            "integer",
            "non-integer",
            "huge",
            "negative",
            "zero",
            "numeric string",
            "empty string",
            "string",
            "null",
            "boolean",
            "array",
            "object",
        ]
        .into_iter()
        .zip(values)
        .collect()
    };
    let table: Vec<(&str, &str, Accepts)> = vec![
        (
            "States.Format($.v)",
            "States.Format",
            strings(json!("3"), json!(""), json!("a,b")),
        ),
        (
            "States.Format('x{}y', $.v)",
            "States.Format",
            every([
                json!("x3y"),
                json!("x2.7y"),
                json!("x1.0E300y"),
                json!("x-4y"),
                json!("x0y"),
                json!("x3y"),
                json!("xy"),
                json!("xa,by"),
                json!("xnully"),
                json!("xtruey"),
                json!("x[1, a, 1]y"),
                json!("x{a=1}y"),
            ]),
        ),
        (
            "States.JsonToString($.v)",
            "States.JsonToString",
            every([
                json!("3"),
                json!("2.7"),
                json!("1.0E300"),
                json!("-4"),
                json!("0"),
                json!("\"3\""),
                json!("\"\""),
                json!("\"a,b\""),
                json!("null"),
                json!("true"),
                json!("[1,\"a\",1]"),
                json!("{\"a\":1}"),
            ]),
        ),
        (
            "States.Array($.v)",
            "States.Array",
            every([
                json!([3]),
                json!([2.7]),
                json!([1e300]),
                json!([-4]),
                json!([0]),
                json!(["3"]),
                json!([""]),
                json!(["a,b"]),
                json!([null]),
                json!([true]),
                json!([[1, "a", 1]]),
                json!([{"a": 1}]),
            ]),
        ),
        (
            "States.ArrayContains($.v, 1)",
            "States.ArrayContains",
            vec![("array", json!(true))],
        ),
        (
            "States.ArrayContains(States.Array(1, 'a'), $.v)",
            "States.ArrayContains",
            // Nothing here prints as `1` or `a`.
            every(std::array::from_fn(|_| json!(false))),
        ),
        (
            "States.ArrayLength($.v)",
            "States.ArrayLength",
            vec![("array", json!(3))],
        ),
        (
            "States.ArrayUnique($.v)",
            "States.ArrayUnique",
            vec![("array", json!([1, "a"]))],
        ),
        (
            "States.Base64Encode($.v)",
            "States.Base64Encode",
            strings(json!("Mw=="), json!(""), json!("YSxi")),
        ),
        // "3" is one character, no whole 4-character unit; ',' is outside the alphabet.
        (
            "States.Base64Decode($.v)",
            "States.Base64Decode",
            vec![("empty string", json!(""))],
        ),
        (
            "States.Hash($.v, 'MD5')",
            "States.Hash",
            every([
                json!("eccbc87e4b5ce2fe28308fd9f2a7baf3"), // "3"
                json!("23cb05d4a2e5bf28363909d92cd244e2"), // "2.7"
                json!("26e3d6e4abe01cef41ec688fcb9eaf42"), // "1.0E300"
                json!("0267aaf632e87a63288a08331f22c7c3"), // "-4"
                json!("cfcd208495d565ef66e7dff9f98764da"), // "0"
                json!("eccbc87e4b5ce2fe28308fd9f2a7baf3"), // "3"
                json!("d41d8cd98f00b204e9800998ecf8427e"), // ""
                json!("b345e1dc09f20fdefdea469f09167892"), // "a,b"
                json!("37a6259cc0c1dae299a7866489dff0bd"), // "null"
                json!("b326b5062b2f0e69046810717534cb09"), // "true"
                json!("8b72658b65e154b7312cbb0659fdd81d"), // "[1, a, 1]"
                json!("055524e8a3618ce3fa9b3bd7d233be87"), // "{a=1}"
            ]),
        ),
        ("States.Hash('x', $.v)", "States.Hash", vec![]),
        (
            "States.JsonMerge($.v, States.StringToJson('{}'), false)",
            "States.JsonMerge",
            vec![("object", json!({"a": 1}))],
        ),
        (
            "States.JsonMerge(States.StringToJson('{}'), $.v, false)",
            "States.JsonMerge",
            vec![("object", json!({"a": 1}))],
        ),
        (
            "States.JsonMerge(States.StringToJson('{}'), States.StringToJson('{}'), $.v)",
            "States.JsonMerge",
            vec![],
        ),
        (
            "States.StringSplit($.v, ',')",
            "States.StringSplit",
            strings(json!(["3"]), json!([]), json!(["a", "b"])),
        ),
        (
            "States.StringSplit('a,b', $.v)",
            "States.StringSplit",
            strings(json!(["a,b"]), json!(["a,b"]), json!([])),
        ),
    ];
    let mut wrong = Vec::new();
    let mut cells = 0;
    for (call, name, accepts) in &table {
        for (class, value) in &classes {
            cells += 1;
            let expected = match accepts.iter().find(|(c, _)| c == class) {
                Some((_, v)) => Ok(v.clone()),
                None => Err(format!("Invalid arguments in {name}")),
            };
            let got = eval(call, &json!({ "v": value }));
            check(call, class, &got, &expected, &mut wrong);
        }
        let missing = eval(call, &json!({}));
        let cause =
            "The JsonPath argument for the field '$.v' could not be found in the input '{}'";
        if !missing.as_ref().is_err_and(|c| c.ends_with(cause)) {
            wrong.push(format!("{call} with nothing at $.v: {missing:?}"));
        }
        cells += 1;
    }
    assert_eq!(cells, 17 * 13);
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}
