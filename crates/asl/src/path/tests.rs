//! Tables for the JSONPath dialect: what parses, what each form selects, what a miss says.
//! Expected values follow the AWS documentation's path examples and the behaviour of Jayway
//! JsonPath 2.0.0, the library whose messages AWS quotes.

use serde_json::{json, Map, Value};

use super::*;

fn store() -> Value {
    json!({
        "store": {
            "book": [
                {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95},
                {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99},
                {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99},
                {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99}
            ],
            "bicycle": {"color": "red", "price": 19.95}
        },
        "expensive": 10
    })
}

/// The example document of the AWS "Reference Paths" section.
fn aws_doc() -> Value {
    json!({
        "foo": 123,
        "bar": ["a", "b", "c"],
        "car": {"cdr": true},
        "jar": [{"a": 1}, {"a": 5}, {"a": 2}, {"a": 7}, {"a": 3}]
    })
}

fn eval_on(path: &str, doc: &Value) -> Result<Value, PathFailure> {
    let p = Path::parse(path).unwrap_or_else(|e| panic!("{path} should parse: {e}"));
    let vars = Map::new();
    let env = Env {
        input: doc,
        context: &Value::Null,
        vars: &vars,
    };
    p.eval(&env)
}

#[test]
fn parse_accepts_and_rejects_like_aws() {
    // (text, Some((root, definite)) when accepted)
    let table: Vec<(&str, Option<(Root, bool)>)> = vec![
        ("$", Some((Root::Input, true))),
        ("$.a", Some((Root::Input, true))),
        ("$.a.b[0]", Some((Root::Input, true))),
        ("$['a']['b']", Some((Root::Input, true))),
        ("$.abc.['def ghi']", Some((Root::Input, true))),
        ("$['a', 'b']", Some((Root::Input, true))),
        ("$.a[(@.length-1)]", Some((Root::Input, true))),
        ("$.a[-1]", Some((Root::Input, true))),
        ("$.a[*]", Some((Root::Input, false))),
        ("$.a.*", Some((Root::Input, false))),
        ("$..a", Some((Root::Input, false))),
        ("$.a[1:]", Some((Root::Input, false))),
        ("$.a[:2]", Some((Root::Input, false))),
        ("$.a[1:3]", Some((Root::Input, false))),
        ("$.a[0,1]", Some((Root::Input, false))),
        ("$.a[?(@.x > 1)]", Some((Root::Input, false))),
        ("$.a[?(@.x)]", Some((Root::Input, false))),
        ("$.a.length()", Some((Root::Input, true))),
        ("$$", Some((Root::Context, true))),
        ("$$.Execution.Input", Some((Root::Context, true))),
        ("$$.Map.Item.Value", Some((Root::Context, true))),
        ("$myVar", Some((Root::Variable("myVar".into()), true))),
        (
            "$my_var.field[0]",
            Some((Root::Variable("my_var".into()), true)),
        ),
        ("$x[*]", Some((Root::Variable("x".into()), false))),
        ("", None),
        ("a.b", None),
        ("$.", None),
        ("$..", None),
        ("$.a..", None),
        ("$.a b", None),
        ("$$abc", None),
        ("$my-var", None),
        ("$.a[?]", None),
        ("$.a[1-2]", None),
        ("$.a[?(@.x[*])]", None),
        ("$.a[?(@.x ~ 1)]", None),
        ("$.a[(@.count-1)]", None),
    ];
    for (text, want) in table {
        let got = Path::parse(text).map(|p| (p.root().clone(), p.is_definite()));
        match want {
            Some(w) => assert_eq!(
                got.as_ref().ok(),
                Some(&w),
                "Path::parse({text:?}) = {got:?}"
            ),
            None => assert!(
                got.is_err(),
                "Path::parse({text:?}) should fail, got {got:?}"
            ),
        }
    }
}

#[test]
fn normalized_form_is_jaywayss_bracket_notation() {
    let table = [
        ("$", "$"),
        ("$.a.b[0]", "$['a']['b'][0]"),
        ("$.abc.['def ghi']", "$['abc']['def ghi']"),
        ("$['a','b']", "$['a', 'b']"),
        ("$..a[*]", "$..['a'][*]"),
        ("$.a[1:]", "$['a'][1:]"),
        ("$.a[:2]", "$['a'][:2]"),
        ("$.a[1:3]", "$['a'][1:3]"),
        ("$.a[0,2]", "$['a'][0,2]"),
        ("$.a[(@.length-1)]", "$['a'][@.size()-1]"),
        ("$.a[?(@.x)]", "$['a'][?]"),
        ("$$.Execution.Input", "$['Execution']['Input']"),
        ("$v.x", "$['x']"),
    ];
    for (text, want) in table {
        let p = Path::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(p.normalized(), want, "normalized({text})");
    }
}

#[test]
fn definite_paths_select_one_value() {
    let doc = aws_doc();
    let table = [
        ("$", doc.clone()),
        ("$.foo", json!(123)),
        ("$.bar", json!(["a", "b", "c"])),
        ("$.car.cdr", json!(true)),
        ("$['car']['cdr']", json!(true)),
        ("$.bar[1]", json!("b")),
        ("$.jar[3].a", json!(7)),
        ("$.bar[(@.length-1)]", json!("c")),
        ("$.bar[(@.size()-3)]", json!("a")),
        ("$['foo', 'car']", json!({"foo": 123, "car": {"cdr": true}})),
        ("$['foo', 'missing']", json!({"foo": 123})),
    ];
    for (path, want) in table {
        assert_eq!(eval_on(path, &doc), Ok(want), "{path}");
    }
    let spaced = json!({"abc": {"def ghi": 1, "a.b": 2}});
    assert_eq!(eval_on("$.abc.['def ghi']", &spaced), Ok(json!(1)));
    assert_eq!(eval_on("$.abc['a.b']", &spaced), Ok(json!(2)));
}

#[test]
fn definite_misses_fail_with_jaywayss_messages() {
    let table: Vec<(Value, &str, PathFailure)> = vec![
        (
            json!({"int-literal": 0}),
            "$.NoSuchInputPath",
            PathFailure::NoResults {
                normalized: "$['NoSuchInputPath']".into(),
            },
        ),
        (
            json!({"a": {"b": 1}}),
            "$.a.c",
            PathFailure::NoResults {
                normalized: "$['a']['c']".into(),
            },
        ),
        (
            json!({}),
            "$.no.such.result.path",
            PathFailure::NotFound {
                message: "Missing property in path $['no']".into(),
            },
        ),
        (
            json!({"a": "text"}),
            "$.a.b",
            PathFailure::NotFound {
                message: "Property ['b'] not found in path $['a']".into(),
            },
        ),
        (
            json!({"a": [1]}),
            "$.a[5]",
            PathFailure::NotFound {
                message: "Index out of bounds when evaluating path $['a'][5]".into(),
            },
        ),
        // No negative indexes in this JsonPath version: `[(@.length-1)]` is the way.
        (
            json!({"array": [{"name": "x"}]}),
            "$.array[-1].name",
            PathFailure::NotFound {
                message: "Index out of bounds when evaluating path $['array'][-1]".into(),
            },
        ),
        (
            json!({"a": null}),
            "$.a[0]",
            PathFailure::NotFound {
                message: "The path $['a'] is null".into(),
            },
        ),
        (
            json!({"a": {"x": 1, "y": [2, "z"]}}),
            "$.a[0].b",
            PathFailure::Invalid {
                message: "Filter: [0]['b'] can only be applied to arrays. Current context is: {x=1, y=[2, z]}".into(),
            },
        ),
        (
            json!({"a": {"v": 1}, "b": {"v": 2}}),
            "$['a', 'b'].v",
            PathFailure::Invalid {
                message: "Multi properties can only be used as path leafs: $['a', 'b']".into(),
            },
        ),
        (
            json!({"Jobs": [0, 1]}),
            "$.Jobs.sum()",
            PathFailure::NotFound {
                message: "Property ['sum()'] not found in path $['Jobs']".into(),
            },
        ),
    ];
    for (doc, path, want) in table {
        assert_eq!(eval_on(path, &doc), Err(want), "{path} on {doc}");
    }
}

#[test]
fn indefinite_paths_select_lists() {
    let doc = store();
    let table = [
        (
            "$.store.book[*].author",
            json!([
                "Nigel Rees",
                "Evelyn Waugh",
                "Herman Melville",
                "J. R. R. Tolkien"
            ]),
        ),
        (
            "$..author",
            json!([
                "Nigel Rees",
                "Evelyn Waugh",
                "Herman Melville",
                "J. R. R. Tolkien"
            ]),
        ),
        ("$.store..price", json!([8.95, 12.99, 8.99, 22.99, 19.95])),
        ("$..book[2].title", json!(["Moby Dick"])),
        ("$..book[-1:].title", json!(["The Lord of the Rings"])),
        ("$.store.book[0,1].price", json!([8.95, 12.99])),
        ("$.store.book[:2].price", json!([8.95, 12.99])),
        ("$.store.book[1:3].price", json!([12.99, 8.99])),
        ("$.store.book[-2:].price", json!([8.99, 22.99])),
        ("$.store.book[:-3].price", json!([8.95])),
        (
            "$.store.book[2:].isbn",
            json!(["0-553-21311-3", "0-395-19395-8"]),
        ),
        // Elements without the member are skipped under a wildcard.
        (
            "$.store.book[*].isbn",
            json!(["0-553-21311-3", "0-395-19395-8"]),
        ),
        ("$.store.bicycle.*", json!(["red", 19.95])),
        ("$.store.bicycle[*]", json!(["red", 19.95])),
        ("$.store.book[5:].price", json!([])),
    ];
    for (path, want) in table {
        assert_eq!(eval_on(path, &doc), Ok(want), "{path}");
    }
}

#[test]
fn indefinite_paths_on_missing_input_select_nothing() {
    // Recorded on AWS (base-json-path-array-wildcard-or-slice-with-no-input cases).
    let empty = json!({});
    for path in [
        "$[*]",
        "$.items[*]",
        "$.items[1:]",
        "$.item.items[1:]",
        "$.item.items[:1]",
        "$.items[:1].itemValue",
    ] {
        assert_eq!(eval_on(path, &empty), Ok(json!([])), "{path}");
    }
}

#[test]
fn no_path_applies_to_a_null_document() {
    for path in ["$", "$.a", "$[*]", "$..a"] {
        let failure = eval_on(path, &Value::Null).unwrap_err();
        assert_eq!(failure, PathFailure::NullInput, "{path}");
        assert_eq!(
            failure.to_string(),
            "Unable to apply Path transformation to null or empty input."
        );
    }
}

#[test]
fn indefinite_paths_still_fail_where_jayway_does() {
    let doc = json!({"a": {"x": 1}, "b": {}});
    assert_eq!(
        eval_on("$.*.x", &doc),
        Err(PathFailure::NoResults {
            normalized: "$['b']['x']".into()
        })
    );
}

#[test]
fn filters_compare_like_jayway() {
    let doc = store();
    let table = [
        (
            "$.store.book[?(@.price < 10)].title",
            json!(["Sayings of the Century", "Moby Dick"]),
        ),
        (
            "$.store.book[?(@.price <= $['expensive'])].price",
            json!([8.95, 8.99]),
        ),
        (
            "$.store.book[?(@.price > 20)].author",
            json!(["J. R. R. Tolkien"]),
        ),
        (
            "$.store.book[?(@.price >= 12.99)].price",
            json!([12.99, 22.99]),
        ),
        (
            "$.store.book[?(@.category == 'reference')].author",
            json!(["Nigel Rees"]),
        ),
        (
            "$.store.book[?(@.category != 'fiction')].author",
            json!(["Nigel Rees"]),
        ),
        (
            "$..book[?(@.isbn)].title",
            json!(["Moby Dick", "The Lord of the Rings"]),
        ),
        ("$..book[?(!@.isbn)].price", json!([8.95, 12.99])),
        ("$..book[?(@.author =~ /.*REES/i)].price", json!([8.95])),
        ("$..book[?(@.author =~ /.*Rees/)].price", json!([8.95])),
        (
            "$..book[?(@.price < 10 && @.category == 'fiction')].title",
            json!(["Moby Dick"]),
        ),
        (
            "$..book[?(@.price > 20 || @.category == 'reference')].price",
            json!([8.95, 22.99]),
        ),
        ("$..[?(@.color == 'red')].price", json!([19.95])),
    ];
    for (path, want) in table {
        assert_eq!(eval_on(path, &doc), Ok(want), "{path}");
    }
    // The example of AWS's path documentation.
    assert_eq!(
        eval_on("$.jar[?(@.a >= 5)]", &aws_doc()),
        Ok(json!([{"a": 5}, {"a": 7}]))
    );
}

#[test]
fn filter_literals_follow_javas_safe_compare() {
    let doc = json!({"items": [
        {"v": 1, "s": "1", "b": true, "n": null, "o": {}},
        {"v": 2, "s": "two", "b": false, "n": "null"},
        {"v": 3, "s": "3", "b": "true"}
    ]});
    let table = [
        // Unquoted literals are strings; a string compared with a number is read as a number.
        ("$.items[?(@.v == 1)].v", json!([1])),
        ("$.items[?(@.v == '2')].v", json!([2])),
        ("$.items[?(@.s == 1)].v", json!([1])),
        // `true` matches the Boolean and, as a string, the string "true".
        ("$.items[?(@.b == true)].v", json!([1, 3])),
        ("$.items[?(@.b == 'TRUE')].v", json!([1])),
        // Strings compared with strings: lexicographically.
        ("$.items[?(@.s > '2')].v", json!([2, 3])),
        // `null` and the string "null" are both nullish.
        ("$.items[?(@.n == null)].v", json!([1, 2])),
        // Existence is false for a null member.
        ("$.items[?(@.n)].v", json!([2])),
        // A string against a Boolean reads the string as a Boolean ("1" is false).
        ("$.items[?(@.b > 1)].v", json!([1, 3])),
        // Incomparable types make the criteria false, even for `!=`.
        ("$.items[?(@.o != 'x')].v", json!([])),
        ("$.items[?(@.o == 'x')].v", json!([])),
    ];
    for (path, want) in table {
        assert_eq!(eval_on(path, &doc), Ok(want), "{path}");
    }
}

#[test]
fn roots_select_input_context_or_variable() {
    let input = json!({"a": 1});
    let context = json!({"Execution": {"Input": {"x": "in"}}, "Map": {"Item": {"Index": 2}}});
    let mut vars = Map::new();
    vars.insert("myVar".into(), json!({"field": ["first", "second"]}));
    vars.insert("n".into(), json!(5));
    vars.insert("nothing".into(), Value::Null);
    let env = Env {
        input: &input,
        context: &context,
        vars: &vars,
    };
    let table = [
        ("$", Ok(json!({"a": 1}))),
        ("$.a", Ok(json!(1))),
        ("$$.Execution.Input.x", Ok(json!("in"))),
        ("$$.Map.Item.Index", Ok(json!(2))),
        ("$myVar.field[0]", Ok(json!("first"))),
        ("$myVar.field[*]", Ok(json!(["first", "second"]))),
        ("$n", Ok(json!(5))),
        ("$nothing", Ok(Value::Null)),
        ("$nothing.x", Err(PathFailure::NullInput)),
        (
            "$nope",
            Err(PathFailure::UndefinedVariable {
                name: "nope".into(),
            }),
        ),
        (
            "$myVar.missing",
            Err(PathFailure::NoResults {
                normalized: "$['missing']".into(),
            }),
        ),
    ];
    for (text, want) in table {
        let p = Path::parse(text).unwrap();
        assert_eq!(p.eval(&env), want, "{text}");
    }
}

#[test]
fn eval_ref_borrows_definite_values() {
    let input = json!({"big": {"nested": [1, 2, 3]}});
    let vars = Map::new();
    let env = Env {
        input: &input,
        context: &Value::Null,
        vars: &vars,
    };
    for text in ["$.big", "$['big']['nested']", "$.big.nested[(@.length-1)]"] {
        let got = Path::parse(text).unwrap().eval_ref(&env).unwrap();
        assert!(matches!(got, Cow::Borrowed(_)), "{text} should borrow");
    }
}

#[test]
fn invalid_path_cause_quotes_path_and_message() {
    let p = Path::parse("$.NoSuchInputPath").unwrap();
    let failure = p.apply(&json!({"int-literal": 0})).unwrap_err();
    assert_eq!(
        p.invalid_path_cause(&failure),
        "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']"
    );
}

#[test]
fn reference_paths_parse_only_names_and_indexes() {
    let table = [
        ("$", true),
        ("$.a", true),
        ("$.a.b.c", true),
        ("$['a b'].c", true),
        ("$.arr[2]", true),
        ("$$.a", false),
        ("$myVar", false),
        ("$.a[*]", false),
        ("$..a", false),
        ("$.a[-1]", false),
        ("$.a[1:2]", false),
        ("$['a','b']", false),
        ("$.a[?(@.x)]", false),
        ("a", false),
    ];
    for (text, ok) in table {
        assert_eq!(
            ReferencePath::parse(text).is_ok(),
            ok,
            "ReferencePath::parse({text})"
        );
    }
}

#[test]
fn reference_paths_set_values() {
    let v = json!("result");
    let table: Vec<(&str, Value, Result<Value, PathFailure>)> = vec![
        ("$", json!({"x": 1}), Ok(json!("result"))),
        ("$.a", json!({"x": 1}), Ok(json!({"x": 1, "a": "result"}))),
        ("$.a", json!({"a": {"old": 1}}), Ok(json!({"a": "result"}))),
        (
            "$.a.b.c",
            json!({}),
            Ok(json!({"a": {"b": {"c": "result"}}})),
        ),
        (
            "$.a.b",
            json!({"a": {"k": 1}}),
            Ok(json!({"a": {"k": 1, "b": "result"}})),
        ),
        (
            "$.arr[1]",
            json!({"arr": [0, 0]}),
            Ok(json!({"arr": [0, "result"]})),
        ),
        (
            "$.arr[0].x",
            json!({"arr": [{}]}),
            Ok(json!({"arr": [{"x": "result"}]})),
        ),
        (
            "$.a.b",
            json!({"a": "str"}),
            Err(PathFailure::ReferenceMismatch {
                path: "$.a.b".into(),
                input: r#"{"a":"str"}"#.into(),
            }),
        ),
        (
            "$.partitioned",
            json!("{\"min_size\":10000}"),
            Err(PathFailure::ReferenceMismatch {
                path: "$.partitioned".into(),
                input: r#""{\"min_size\":10000}""#.into(),
            }),
        ),
        (
            "$.arr[5]",
            json!({"arr": [0]}),
            Err(PathFailure::ReferenceMismatch {
                path: "$.arr[5]".into(),
                input: r#"{"arr":[0]}"#.into(),
            }),
        ),
        (
            "$.a.b[0]",
            json!({}),
            Err(PathFailure::ReferenceMismatch {
                path: "$.a.b[0]".into(),
                input: "{}".into(),
            }),
        ),
    ];
    for (path, target, want) in table {
        let rp = ReferencePath::parse(path).unwrap();
        assert_eq!(
            rp.set(target.clone(), v.clone()),
            want,
            "{path} on {target}"
        );
    }
}

#[test]
fn reference_mismatch_is_a_result_path_match_failure() {
    let f = ReferencePath::parse("$.partitioned")
        .unwrap()
        .set(json!("{\"min_size\":10000}"), json!(1))
        .unwrap_err();
    assert_eq!(f.error_name(), ErrorName::ResultPathMatchFailure);
    assert_eq!(
        f.to_string(),
        r#"Unable to apply ReferencePath $.partitioned to input "{\"min_size\":10000}""#
    );
    let miss = Path::parse("$.x").unwrap().apply(&json!({})).unwrap_err();
    assert_eq!(miss.error_name(), ErrorName::Runtime);
}
