//! jsonata-core's messages reworded as jsonata-js 2.0.6 words them, and numbers written as
//! JavaScript writes them.

use crate::jsonata::backend::messages::{js_number, normalize, template};
use crate::jsonata::JsonataError;

#[test]
fn messages_take_jsonata_js_wording() {
    // (jsonata-core text, code, message)
    let cases: Vec<(&str, Option<&str>, &str)> = vec![
        ("T0410: Argument 2 must be Number", Some("T0410"), "Argument 2 must be Number"),
        ("T1006: Attempted to invoke a non-function: $randomSeeded", Some("T1006"), "Attempted to invoke a non-function"),
        ("Invalid syntax: T1006: Attempted to invoke a non-function", Some("T1006"), "Attempted to invoke a non-function"),
        ("Parse error: S0207: Unexpected end of expression", Some("S0207"), "Unexpected end of expression"),
        ("T2001: The left side of the - operator must evaluate to a number", Some("T2001"), "The left side of the \"-\" operator must evaluate to a number"),
        ("T2002: The right side of the * operator must evaluate to a number", Some("T2002"), "The right side of the \"*\" operator must evaluate to a number"),
        ("T0410: Argument 2 of function $join does not match function signature (expected String)", Some("T0410"), "Argument 2 of function \"join\" does not match function signature"),
        ("T0412: Argument 1 of function $join must be an array of String", Some("T0412"), "Argument 1 of function \"join\" must be an array of \"strings\""),
        ("D3030: Cannot convert 'x y' to number", Some("D3030"), "Unable to cast value to a number: \"x y\""),
        ("D1001: Number out of range: inf", Some("D1001"), "Number out of range: null"),
        ("D3060: The sqrt function cannot be applied to a negative number: -4", Some("D3060"), "The sqrt function cannot be applied to a negative number: -4"),
        ("D1009: Multiple key definitions evaluate to same key: a", Some("D1009"), "Multiple key definitions evaluate to same key: \"a\""),
        ("D3100: Radix must be between 2 and 36, got 1", Some("D3100"), "The radix of the formatBase function must be between 2 and 36.  It was given 1"),
        ("D3141: custom message", Some("D3141"), "custom message"),
        ("T2003: Left operand of range operator must be an integer", Some("T2003"), "The left side of the range operator (..) must evaluate to an integer"),
        // A code jsonata-js 2.0.6 does not have, and text without a code, are kept.
        ("U1001: Stack overflow error: too deep", Some("U1001"), "Stack overflow error: too deep"),
        ("something else", None, "something else"),
        // Inserts jsonata-core does not carry in a known form keep its wording.
        ("T0410: Argument count mismatch: expected 0, got 1", Some("T0410"), "Argument count mismatch: expected 0, got 1"),
    ];
    for (raw, code, message) in cases {
        assert_eq!(
            normalize(raw, None),
            JsonataError::new(code, message),
            "{raw}"
        );
    }
}

#[test]
fn argument_errors_name_the_function_the_expression_calls() {
    // (jsonata-core text, the expression's only call, message)
    let cases: Vec<(&str, &str, &str)> = vec![
        (
            "T0410: Argument 2 must be Number",
            "substring",
            "Argument 2 of function \"substring\" does not match function signature",
        ),
        (
            "T0410: Argument count mismatch: expected 1, got 2",
            "count",
            "Argument 2 of function \"count\" does not match function signature",
        ),
        (
            "T0410: Argument count mismatch: expected 1, got 4",
            "match",
            "Argument 4 of function \"match\" does not match function signature",
        ),
        (
            "T0410: Argument count mismatch: expected 0, got 2",
            "uppercase",
            "Argument 2 of function \"uppercase\" does not match function signature",
        ),
        (
            "T0410: Argument count mismatch: expected 1, got 4",
            "substring",
            "Argument 4 of function \"substring\" does not match function signature",
        ),
        (
            "T0410: Argument count mismatch: expected 3, got 1",
            "pad",
            "Argument 2 of function \"pad\" does not match function signature",
        ),
        (
            "T0412: Argument 1 must be an array of Number",
            "sum",
            "Argument 1 of function \"sum\" must be an array of \"numbers\"",
        ),
        (
            "T0411: Context value at argument 1 does not match function signature (expected s)",
            "trim",
            "Context value is not a compatible type with argument 1 of function \"trim\"",
        ),
        // A name in the text wins over the call.
        (
            "T0410: Argument 1 of function lowercase does not match function signature",
            "map",
            "Argument 1 of function \"lowercase\" does not match function signature",
        ),
    ];
    for (raw, call, message) in cases {
        assert_eq!(normalize(raw, Some(call)).message, message, "{raw}");
    }
}

#[test]
fn the_catalog_is_jsonata_2_0_6() {
    assert_eq!(
        template("T1006"),
        Some("Attempted to invoke a non-function")
    );
    assert_eq!(
        template("D2014"),
        Some("The size of the sequence allocated by the range operator (..) must not exceed 1e6.  Attempted to allocate {{value}}.")
    );
    assert_eq!(template("D1011"), None);
}

#[test]
fn numbers_are_written_as_javascript_writes_them() {
    let cases: Vec<(f64, &str)> = vec![
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (-42.0, "-42"),
        (1.5, "1.5"),
        (0.1, "0.1"),
        (123456789.0, "123456789"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1.5e300, "1.5e+300"),
        (0.000001, "0.000001"),
        (1e-7, "1e-7"),
        (2.5e-8, "2.5e-8"),
        (5890840712243076.0, "5890840712243076"),
        (f64::INFINITY, "null"),
        (f64::NAN, "null"),
    ];
    for (n, text) in cases {
        assert_eq!(js_number(n), text, "{n}");
    }
}
