//! Resource names: the characters and lengths AWS allows for state machines, executions and
//! activities, and for aliases.

use baton_api::names::*;

#[test]
fn resource_names_follow_aws_rules() {
    let long = "a".repeat(80);
    let too_long = "a".repeat(81);
    let mut cases: Vec<(String, bool)> = vec![
        ("orders".into(), true),
        ("order-2024_v1.final".into(), true),
        ("日本語の名前".into(), true),
        ("é".repeat(80), true),
        (long, true),
        (too_long, false),
        (String::new(), false),
        ("\u{a0}nbsp".into(), false),
        ("a\u{2028}b".into(), false),
        ("a\u{fffe}".into(), false),
        ("a\u{10ffff}".into(), false),
    ];
    // The characters LocalStack recorded AWS refusing for activities, one at a time.
    for c in " <>{}[]?*\"#%\\^|~`$&,;:/\u{0}\u{1f}\u{7f}\u{9f}".chars() {
        cases.push((format!("activity{c}name"), false));
    }
    for (name, valid) in cases {
        assert_eq!(is_valid_name(&name), valid, "{name:?}");
        let chars_ok = name.chars().all(is_name_char);
        assert_eq!(check_name(&name).is_ok(), chars_ok, "{name:?}");
        if !chars_ok {
            let error = check_name(&name).unwrap_err();
            assert_eq!(error.code(), "InvalidName");
            assert_eq!(
                error.message(),
                Some(format!("Invalid Name: '{name}'").as_str())
            );
        }
    }
}

#[test]
fn alias_names_follow_the_model_pattern() {
    let cases = [
        ("prod", true),
        ("v1.2-beta_3", true),
        ("1.2", true),
        ("123", false),
        ("", false),
        ("has space", false),
        ("日本", false),
    ];
    for (name, valid) in cases {
        assert_eq!(is_valid_alias_name(name), valid, "{name:?}");
    }
    assert!(!is_valid_alias_name(&"a".repeat(81)));
}

#[test]
fn logging_friendly_names() {
    let cases = [("orders-1_a", true), ("orders.v1", false), ("é", false)];
    for (name, friendly) in cases {
        assert_eq!(is_logging_friendly(name), friendly, "{name:?}");
    }
}
