//! One table per intrinsic function: results from the AWS documentation's examples, and the
//! failures AWS reports for bad arguments.

use serde_json::{json, Map, Value};

use super::*;
use crate::vars::SeededEntropy;

enum Want {
    Value(Value),
    /// The reason after `There was an error while evaluating the intrinsic function: <call>.`
    Fails(&'static str),
}
use Want::{Fails, Value as Is};

fn run(expr: &str, input: &Value) -> Result<Value, Failure> {
    let call = Intrinsic::parse(expr).unwrap_or_else(|e| panic!("{expr} should parse: {e}"));
    let context = json!({"Execution": {"Input": input}});
    let mut vars = Map::new();
    vars.insert("greeting".into(), json!("Hello"));
    let env = Env {
        input,
        context: &context,
        vars: &vars,
    };
    call.eval(&env, &mut SeededEntropy::new(42))
}

fn check(table: Vec<(&str, Value, Want)>) {
    for (expr, input, want) in table {
        let got = run(expr, &input);
        match want {
            Is(v) => assert_eq!(got, Ok(v), "{expr} on {input}"),
            Fails(reason) => {
                let f = got.expect_err(expr);
                assert_eq!(f.error, ErrorName::Runtime, "{expr}");
                assert_eq!(
                    f.cause,
                    format!(
                        "There was an error while evaluating the intrinsic function: {expr}. {reason}"
                    ),
                    "{expr} on {input}"
                );
            }
        }
    }
}

const INVALID_FORMAT: &str = "Invalid arguments in States.Format";

#[test]
fn parse_accepts_the_call_grammar() {
    let table = [
        ("States.Array()", true),
        ("States.Array( $.a , $.b )", true),
        ("States.Array('a', 1, -2.5, 1e3, true, false, null)", true),
        (
            "States.Format('{}', States.Array(States.Array($$.x)))",
            true,
        ),
        ("States.StringSplit('Hello\nWorld', '\n')", true),
        ("States.Format('It\\'s \\{\\} {}', $.a)", true),
        ("States.Hash($.a[?(@.x == 'a,b')], 'MD5')", true),
        ("States.Format($greeting)", true),
        ("States.UUID()", true),
        // Only \' \{ \} \\ are escapes (AWS rejects this definition).
        (
            "States.StringToJson('{\"text\":\"An \\\"escaped double quote\\\" here\"}')",
            false,
        ),
        ("States.Array($.a) trailing", false),
        ("States.Array(", false),
        ("States.Array(1.)", false),
        ("States.Array(.5)", false),
        ("States.Array(01)", false),
        ("States.Array($.a,)", false),
        ("States.Array([1,2])", false),
        ("States.Nope(1)", false),
        ("States.format('x')", false),
        ("States.Array('unterminated)", false),
        ("States.Array($.a b)", false),
        ("Format('x')", false),
    ];
    for (text, ok) in table {
        assert_eq!(
            Intrinsic::parse(text).is_ok(),
            ok,
            "Intrinsic::parse({text:?})"
        );
    }
}

#[test]
fn looks_like_call_spots_intrinsics() {
    for (text, want) in [
        ("States.Array()", true),
        ("  States.UUID()", true),
        ("$.States", false),
        ("States", false),
    ] {
        assert_eq!(Intrinsic::looks_like_call(text), want, "{text}");
    }
}

#[test]
fn format() {
    check(vec![
        (
            "States.Format('Hello, my name is {}.', $.name)",
            json!({"name": "Arnav", "template": "Hello, my name is {}."}),
            Is(json!("Hello, my name is Arnav.")),
        ),
        (
            "States.Format($.template, $.name)",
            json!({"name": "Arnav", "template": "Hello, my name is {}."}),
            Is(json!("Hello, my name is Arnav.")),
        ),
        (
            "States.Format('Your name is {}, we are in the year {}', $.name, 2020)",
            json!({"name": "Foo"}),
            Is(json!("Your name is Foo, we are in the year 2020")),
        ),
        (
            "States.Format('{}|{}|{}|{}|{}', $.nil, $.bool, $.int, $.frac, $.whole)",
            json!({"nil": null, "bool": false, "int": -1, "frac": 1.1, "whole": 1.0}),
            Is(json!("null|false|-1|1.1|1.0")),
        ),
        (
            "States.Format('fst={} snd={}.', $.a, $.b)",
            json!({"a": {"Arg1": 1, "Arg2": []}, "b": ["x", {"y": null}]}),
            Is(json!("fst={Arg1=1, Arg2=[]} snd=[x, {y=null}].")),
        ),
        (
            "States.Format('It\\'s \\{\\} {}', 'x')",
            json!({}),
            Is(json!("It's {} x")),
        ),
        ("States.Format('no placeholders')", json!({}), Is(json!("no placeholders"))),
        ("States.Format('{}{}', 'a', 'b')", json!({}), Is(json!("ab"))),
        (
            "States.Format('{} {}', $.a)",
            json!({"a": "x"}),
            Fails("Invalid arguments in States.Format: number of arguments do not match the occurrences of {}."),
        ),
        (
            "States.Format('{}', $.a, $.a)",
            json!({"a": "x"}),
            Fails("Invalid arguments in States.Format: number of arguments do not match the occurrences of {}."),
        ),
        (
            "States.Format('Hello {', $.a)",
            json!({"a": "x"}),
            Fails("Invalid template in States.Format: matching '}' not found for '{'."),
        ),
        (
            "States.Format('}')",
            json!({}),
            Fails("Invalid template in States.Format: matching '{' not found for '}'."),
        ),
        ("States.Format($.t, $.a)", json!({"t": 123, "a": 1}), Fails(INVALID_FORMAT)),
        ("States.Format()", json!({}), Fails(INVALID_FORMAT)),
    ]);
}

#[test]
fn json_conversions() {
    check(vec![
        (
            "States.StringToJson($.someString)",
            json!({"someString": "{\"number\": 20}"}),
            Is(json!({"number": 20})),
        ),
        (
            "States.StringToJson($.s)",
            json!({"s": "[1, \"two\", null]"}),
            Is(json!([1, "two", null])),
        ),
        (
            "States.StringToJson($.s)",
            json!({"s": "{not json"}),
            Fails("Invalid arguments in States.StringToJson"),
        ),
        (
            "States.StringToJson($.s)",
            json!({"s": {"a": 1}}),
            Fails("Invalid arguments in States.StringToJson"),
        ),
        (
            "States.JsonToString($.someJson)",
            json!({"someJson": {"name": "Foo", "year": 2020}}),
            Is(json!("{\"name\":\"Foo\",\"year\":2020}")),
        ),
        (
            "States.JsonToString($.v)",
            json!({"v": "HelloWorld"}),
            Is(json!("\"HelloWorld\"")),
        ),
        (
            "States.JsonToString($.v)",
            json!({"v": null}),
            Is(json!("null")),
        ),
        (
            "States.JsonToString($.v)",
            json!({"v": 1.1}),
            Is(json!("1.1")),
        ),
        (
            "States.JsonToString($.a, $.b)",
            json!({"a": 1, "b": 2}),
            Fails("Invalid arguments in States.JsonToString"),
        ),
        (
            "States.JsonMerge($.json1, $.json2, false)",
            json!({"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}}),
            Is(json!({"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3})),
        ),
        (
            "States.JsonMerge($.a, $.b, true)",
            json!({"a": {}, "b": {}}),
            Fails("Invalid arguments in States.JsonMerge"),
        ),
        (
            "States.JsonMerge($.a, $.b, false)",
            json!({"a": [], "b": {}}),
            Fails("Invalid arguments in States.JsonMerge"),
        ),
    ]);
}

#[test]
fn array_construction_and_access() {
    check(vec![
        (
            "States.Array('Foo', 2020, $.someJson, null)",
            json!({"someJson": {"random": "abcdefg"}}),
            Is(json!(["Foo", 2020, {"random": "abcdefg"}, null])),
        ),
        ("States.Array()", json!({}), Is(json!([]))),
        (
            "States.Array(1, States.Array(2, 3))",
            json!({}),
            Is(json!([1, [2, 3]])),
        ),
        (
            "States.ArrayGetItem($.inputArray, $.index)",
            json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9], "index": 5}),
            Is(json!(6)),
        ),
        (
            "States.ArrayGetItem($.a, 1.2)",
            json!({"a": [10, 20, 30]}),
            Is(json!(20)),
        ),
        (
            "States.ArrayGetItem($.a, 999)",
            json!({"a": []}),
            Is(json!(null)),
        ),
        (
            "States.ArrayGetItem($.a, 3)",
            json!({"a": [10, 20, 30]}),
            Fails("Invalid arguments in States.ArrayGetItem"),
        ),
        (
            "States.ArrayGetItem($.a, -1)",
            json!({"a": [10, 20, 30]}),
            Fails("Invalid arguments in States.ArrayGetItem"),
        ),
        (
            "States.ArrayGetItem($.a, '1')",
            json!({"a": [10, 20, 30]}),
            Fails("Invalid arguments in States.ArrayGetItem"),
        ),
        (
            "States.ArrayGetItem('not-array', 0)",
            json!({}),
            Fails("Invalid arguments in States.ArrayGetItem"),
        ),
        (
            "States.ArrayLength($.inputArray)",
            json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]}),
            Is(json!(9)),
        ),
        (
            "States.ArrayLength($.s)",
            json!({"s": "abc"}),
            Fails("Invalid arguments in States.ArrayLength"),
        ),
    ]);
}

#[test]
fn array_partition() {
    check(vec![
        (
            "States.ArrayPartition($.inputArray,4)",
            json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]}),
            Is(json!([[1, 2, 3, 4], [5, 6, 7, 8], [9]])),
        ),
        (
            "States.ArrayPartition($.a, 10)",
            json!({"a": [1, 2, 3]}),
            Is(json!([[1, 2, 3]])),
        ),
        (
            "States.ArrayPartition($.a, 3)",
            json!({"a": []}),
            Is(json!([])),
        ),
        (
            // A non-integer size is rounded to the nearest integer (AWS's documentation).
            "States.ArrayPartition($.a, 2.6)",
            json!({"a": [1, 2, 3, 4, 5]}),
            Is(json!([[1, 2, 3], [4, 5]])),
        ),
        (
            "States.ArrayPartition($.a, 0)",
            json!({"a": [1]}),
            Fails("Invalid arguments in States.ArrayPartition"),
        ),
        // 0.6 rounds to 1 (0.4 would round to 0 and be refused).
        (
            "States.ArrayPartition($.a, 0.6)",
            json!({"a": [1]}),
            Is(json!([[1]])),
        ),
        (
            "States.ArrayPartition($.a, 0.4)",
            json!({"a": [1]}),
            Fails("Invalid arguments in States.ArrayPartition"),
        ),
        (
            "States.ArrayPartition($.a, -1)",
            json!({"a": [1]}),
            Fails("Invalid arguments in States.ArrayPartition"),
        ),
        (
            "States.ArrayPartition('not-array', 2)",
            json!({}),
            Fails("Invalid arguments in States.ArrayPartition"),
        ),
        (
            "States.ArrayPartition($.a)",
            json!({"a": [1]}),
            Fails("Invalid arguments in States.ArrayPartition"),
        ),
    ]);
}

#[test]
fn array_contains_and_unique() {
    check(vec![
        (
            "States.ArrayContains($.inputArray, $.lookingFor)",
            json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9], "lookingFor": 5}),
            Is(json!(true)),
        ),
        (
            "States.ArrayContains($.a, $.b)",
            json!({"a": [[1, 2, 3], 2], "b": [1, 2, 3]}),
            Is(json!(true)),
        ),
        (
            "States.ArrayContains($.a, $.b)",
            json!({"a": [{"1": 2, "2": []}], "b": {"1": 2, "2": []}}),
            Is(json!(true)),
        ),
        (
            "States.ArrayContains($.a, null)",
            json!({"a": [1, null]}),
            Is(json!(true)),
        ),
        (
            "States.ArrayContains($.a, $.b)",
            json!({"a": [], "b": []}),
            Is(json!(false)),
        ),
        (
            "States.ArrayContains($.a, false)",
            json!({"a": [0, 1]}),
            Is(json!(false)),
        ),
        // AWS compares printed forms: member order matters, `true` finds "true".
        (
            "States.ArrayContains($.a, $.b)",
            json!({"a": [{"a": 1, "b": 2}], "b": {"b": 2, "a": 1}}),
            Is(json!(false)),
        ),
        (
            "States.ArrayContains($.a, true)",
            json!({"a": ["true"]}),
            Is(json!(true)),
        ),
        (
            "States.ArrayContains('x', 'x')",
            json!({}),
            Fails("Invalid arguments in States.ArrayContains"),
        ),
        (
            "States.ArrayUnique($.inputArray)",
            json!({"inputArray": [1, 2, 3, 3, 3, 3, 3, 3, 4]}),
            Is(json!([1, 2, 3, 4])),
        ),
        (
            "States.ArrayUnique($.a)",
            json!({"a": [{"x": 1, "y": 2}, {"y": 2, "x": 1}, [null], [null], "1", 1, 1.0]}),
            Is(json!([{"x": 1, "y": 2}, [null], "1", 1, 1.0])),
        ),
        (
            "States.ArrayUnique($.a)",
            json!({"a": {}}),
            Fails("Invalid arguments in States.ArrayUnique"),
        ),
    ]);
}

#[test]
fn array_range() {
    let thousand: Vec<i64> = (1..=1000).collect();
    check(vec![
        (
            "States.ArrayRange(1, 9, 2)",
            json!({}),
            Is(json!([1, 3, 5, 7, 9])),
        ),
        (
            "States.ArrayRange(0, 10, 3)",
            json!({}),
            Is(json!([0, 3, 6, 9])),
        ),
        (
            "States.ArrayRange(5, 1, -2)",
            json!({}),
            Is(json!([5, 3, 1])),
        ),
        ("States.ArrayRange(3, 3, -1)", json!({}), Is(json!([3]))),
        ("States.ArrayRange(5, 1, 1)", json!({}), Is(json!([]))),
        // Non-integers are rounded to the nearest integer (AWS's documentation), as Java's
        // `Math.round`: 1.6 → 2 and 1.4 → 1; 5.4 → 5, −0.6 → −1, −2.4 → −2.
        ("States.ArrayRange(1.6, 1.4, 1)", json!({}), Is(json!([]))),
        (
            "States.ArrayRange(5.4, -0.6, -2.4)",
            json!({}),
            Is(json!([5, 3, 1, -1])),
        ),
        (
            "States.ArrayRange(1, 1000, 1)",
            json!({}),
            Is(json!(thousand)),
        ),
        (
            "States.ArrayRange(1, 1001, 1)",
            json!({}),
            Fails("Invalid arguments in States.ArrayRange"),
        ),
        (
            "States.ArrayRange(1, 10, 0)",
            json!({}),
            Fails("Invalid arguments in States.ArrayRange"),
        ),
        (
            "States.ArrayRange(1, 10, 0.49)",
            json!({}),
            Fails("Invalid arguments in States.ArrayRange"),
        ),
        (
            "States.ArrayRange('a', 5, 1)",
            json!({}),
            Fails("Invalid arguments in States.ArrayRange"),
        ),
        (
            "States.ArrayRange(1, 5)",
            json!({}),
            Fails("Invalid arguments in States.ArrayRange"),
        ),
    ]);
}

#[test]
fn encoding_and_hashing() {
    let long = "a".repeat(10_001);
    check(vec![
        (
            "States.Base64Encode($.input)",
            json!({"input": "Data to encode"}),
            Is(json!("RGF0YSB0byBlbmNvZGU=")),
        ),
        ("States.Base64Encode($.s)", json!({"s": "héllo ✓"}), Is(json!("aMOpbGxvIOKckw=="))),
        ("States.Base64Encode($.s)", json!({"s": ""}), Is(json!(""))),
        (
            "States.Base64Encode($.s)",
            json!({"s": long}),
            Fails("Invalid arguments in States.Base64Encode"),
        ),
        (
            "States.Base64Decode($.base64)",
            json!({"base64": "RGF0YSB0byBlbmNvZGU="}),
            Is(json!("Data to encode")),
        ),
        ("States.Base64Decode($.b)", json!({"b": "aMOpbGxvIOKckw"}), Is(json!("héllo ✓"))),
        (
            "States.Base64Decode($.b)",
            json!({"b": "not base64!"}),
            Fails("Invalid arguments in States.Base64Decode"),
        ),
        (
            "States.Hash($.Data, $.Algorithm)",
            json!({"Data": "input data", "Algorithm": "SHA-1"}),
            Is(json!("aaff4a450a104cd177d28d18d74485e8cae074b7")),
        ),
        ("States.Hash('hello', 'MD5')", json!({}), Is(json!("5d41402abc4b2a76b9719d911017c592"))),
        (
            "States.Hash('hello', 'SHA-256')",
            json!({}),
            Is(json!("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")),
        ),
        (
            "States.Hash('hello', 'SHA-384')",
            json!({}),
            Is(json!("59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f")),
        ),
        (
            "States.Hash('hello', 'SHA-512')",
            json!({}),
            Is(json!("9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043")),
        ),
        ("States.Hash('data', 'sha-256')", json!({}), Fails("Invalid arguments in States.Hash")),
        ("States.Hash('data', 123)", json!({}), Fails("Invalid arguments in States.Hash")),
        ("States.Hash('hello')", json!({}), Fails("Invalid arguments in States.Hash")),
        ("States.Hash($.s, 'MD5')", json!({"s": long}), Fails("Invalid arguments in States.Hash")),
    ]);
}

#[test]
fn math() {
    check(vec![
        (
            "States.MathAdd($.value1, $.step)",
            json!({"value1": 111, "step": -1}),
            Is(json!(110)),
        ),
        // Rounded to the nearest integer (AWS's documentation of States.MathAdd), a half
        // upward as Java's `Math.round` rounds it.
        ("States.MathAdd(1.9, 2)", json!({}), Is(json!(4))),
        ("States.MathAdd(2.5, 0)", json!({}), Is(json!(3))),
        ("States.MathAdd(-2.5, 0)", json!({}), Is(json!(-2))),
        ("States.MathAdd(-2.6, 0)", json!({}), Is(json!(-3))),
        (
            "States.MathAdd(0.49999999999999994, 0)",
            json!({}),
            Is(json!(0)),
        ),
        (
            "States.MathAdd(2147483647, 1)",
            json!({}),
            Fails("Invalid arguments in States.MathAdd"),
        ),
        (
            "States.MathAdd($.a, $.b)",
            json!({"a": 1, "b": "NOT A NUMBER"}),
            Fails("Invalid arguments in States.MathAdd"),
        ),
        // Seeded draws are `start + new java.util.Random(seed).nextInt(end - start)`.
        ("States.MathRandom(-5, 5, 42)", json!({}), Is(json!(-5))),
        ("States.MathRandom(0, 7, 1)", json!({}), Is(json!(4))),
        ("States.MathRandom(1, 10, -10)", json!({}), Is(json!(1))),
        ("States.MathRandom(1, 10, 0)", json!({}), Is(json!(7))),
        (
            "States.MathRandom(0, 1048576, 123456789)",
            json!({}),
            Is(json!(696294)),
        ),
        (
            "States.MathRandom(0, 2147483647, 7)",
            json!({}),
            Is(json!(1569164236)),
        ),
        (
            "States.MathRandom(1, 1)",
            json!({}),
            Fails("Invalid arguments in States.MathRandom"),
        ),
        (
            "States.MathRandom(10, 5)",
            json!({}),
            Fails("Invalid arguments in States.MathRandom"),
        ),
        // The bounds round to 1 and 2: one number to draw from. 1.4 and 1.45 both round to 1,
        // which leaves none.
        ("States.MathRandom(1.4, 1.6)", json!({}), Is(json!(1))),
        (
            "States.MathRandom(1.4, 1.45)",
            json!({}),
            Fails("Invalid arguments in States.MathRandom"),
        ),
        (
            "States.MathRandom('a', 10)",
            json!({}),
            Fails("Invalid arguments in States.MathRandom"),
        ),
        (
            "States.MathRandom(1, 10, null)",
            json!({}),
            Fails("Invalid arguments in States.MathRandom"),
        ),
        (
            "States.MathRandom(1)",
            json!({}),
            Fails("Invalid arguments in States.MathRandom"),
        ),
    ]);
}

#[test]
fn math_random_draws_from_entropy_within_bounds() {
    let call = Intrinsic::parse("States.MathRandom($.start, $.end)").unwrap();
    let input = json!({"start": 12, "end": 44});
    let vars = Map::new();
    let env = Env {
        input: &input,
        context: &Value::Null,
        vars: &vars,
    };
    let mut entropy = SeededEntropy::new(9);
    let draws: Vec<i64> = (0..200)
        .map(|_| call.eval(&env, &mut entropy).unwrap().as_i64().unwrap())
        .collect();
    assert!(draws.iter().all(|d| (12..44).contains(d)), "{draws:?}");
    assert!(draws.iter().any(|d| *d != draws[0]), "draws should vary");
    let replay: Vec<i64> = {
        let mut again = SeededEntropy::new(9);
        (0..200)
            .map(|_| call.eval(&env, &mut again).unwrap().as_i64().unwrap())
            .collect()
    };
    assert_eq!(draws, replay, "the same entropy replays the same draws");
}

#[test]
fn string_split_and_uuid() {
    check(vec![
        (
            "States.StringSplit($.inputString, $.splitter)",
            json!({"inputString": "1,2,3,4,5", "splitter": ","}),
            Is(json!(["1", "2", "3", "4", "5"])),
        ),
        (
            "States.StringSplit('a,,b,', ',')",
            json!({}),
            Is(json!(["a", "b"])),
        ),
        (
            "States.StringSplit('a-b+c', '+-')",
            json!({}),
            Is(json!(["a", "b", "c"])),
        ),
        (
            "States.StringSplit('Hello\nWorld', '\n')",
            json!({}),
            Is(json!(["Hello", "World"])),
        ),
        (
            "States.StringSplit('abc', '')",
            json!({}),
            Is(json!(["abc"])),
        ),
        (
            "States.StringSplit(1, ',')",
            json!({}),
            Fails("Invalid arguments in States.StringSplit"),
        ),
        (
            "States.UUID(1)",
            json!({}),
            Fails("Invalid arguments in States.UUID"),
        ),
    ]);
    let uuid = run("States.UUID()", &json!({})).unwrap();
    let s = uuid.as_str().unwrap();
    assert_eq!(s.len(), 36);
    assert_eq!(s.as_bytes()[14], b'4', "version 4: {s}");
}

#[test]
fn paths_in_arguments_read_input_context_and_variables() {
    check(vec![
        (
            "States.Format('{} {}', $greeting, $$.Execution.Input.who)",
            json!({"who": "world"}),
            Is(json!("Hello world")),
        ),
        (
            "States.ArrayGetItem(States.StringSplit($.arn, ':'), States.MathAdd(States.ArrayLength(States.StringSplit($.arn, ':')), -1))",
            json!({"arn": "arn:aws:states:machine"}),
            Is(json!("machine")),
        ),
        (
            "States.Hash($.missing, 'SHA-256')",
            json!({}),
            Fails("The JsonPath argument for the field '$.missing' could not be found in the input '{}'"),
        ),
        (
            "States.Format('{}', $nope)",
            json!({"a": 1}),
            Fails("The JsonPath argument for the field '$nope' could not be found in the input '{\"a\":1}'"),
        ),
    ]);
}

#[test]
fn a_failing_nested_call_is_named_in_the_cause() {
    let f = run(
        "States.Array(1, States.ArrayLength($.s))",
        &json!({"s": "x"}),
    )
    .unwrap_err();
    assert_eq!(
        f.cause,
        "There was an error while evaluating the intrinsic function: States.ArrayLength($.s). Invalid arguments in States.ArrayLength"
    );
}
