//! The EventBridge event pattern language: the examples of the EventBridge User
//! Guide ("Event pattern syntax", "Comparison operators", "Content filtering",
//! "Arrays", "Matching null values and empty strings"), edge cases, and the
//! refusals EventBridge answers with `InvalidEventPatternException`.

use baton_event_patterns::pattern::{Pattern, PatternError};
use serde_json::{json, Value};

fn compile(text: &str) -> Pattern {
    Pattern::parse(text).unwrap_or_else(|e| panic!("pattern {text} refused: {}", e.message()))
}

fn matches(pattern: &str, event: Value) -> bool {
    compile(pattern).matches(&event)
}

/// The reason EventBridge would give, without the common prefix.
fn refusal(pattern: &str) -> String {
    match Pattern::parse(pattern) {
        Ok(_) => panic!("pattern {pattern} was accepted"),
        Err(e) => e
            .message()
            .strip_prefix("Event pattern is not valid. Reason: ")
            .unwrap_or_else(|| panic!("message without the EventBridge prefix: {}", e.message()))
            .to_owned(),
    }
}

/// The sample EC2 event of "Event pattern syntax".
fn ec2_event(state: &str) -> Value {
    json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "EC2 Instance State-change Notification",
        "source": "aws.ec2",
        "account": "111122223333",
        "time": "2017-12-22T18:43:48Z",
        "region": "us-west-1",
        "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
        "detail": {"instance-id": "i-1234567890abcdef0", "state": state}
    })
}

fn detail(fields: Value) -> Value {
    json!({"source": "test", "detail-type": "test", "detail": fields})
}

// ---------------------------------------------------------------------------
// API shape
// ---------------------------------------------------------------------------

#[test]
fn pattern_is_clone_debug_send_sync() {
    fn assert_traits<T: Clone + std::fmt::Debug + Send + Sync>() {}
    assert_traits::<Pattern>();
    assert_traits::<PatternError>();
    let p = compile(r#"{"source": ["aws.ec2"]}"#);
    let copy = p.clone();
    assert!(copy.matches(&ec2_event("running")));
    assert!(!format!("{p:?}").is_empty());
}

#[test]
fn from_value_accepts_the_same_patterns_as_parse() {
    let v = json!({"source": ["aws.ec2"], "detail": {"state": ["terminated"]}});
    let p = Pattern::from_value(&v).unwrap();
    assert!(p.matches(&ec2_event("terminated")));
    assert!(!p.matches(&ec2_event("running")));
    let e = Pattern::from_value(&json!({"source": []})).unwrap_err();
    assert_eq!(
        e.message(),
        "Event pattern is not valid. Reason: Empty arrays are not allowed"
    );
}

#[test]
fn pattern_error_displays_its_message() {
    let e = Pattern::parse("[]").unwrap_err();
    assert_eq!(e.to_string(), e.message());
    assert_eq!(
        e.message(),
        "Event pattern is not valid. Reason: Filter is not an object"
    );
}

#[test]
fn events_that_are_not_objects_match_nothing() {
    let p = compile(r#"{"detail": {"x": [{"exists": false}]}}"#);
    assert!(p.matches(&json!({})));
    assert!(!p.matches(&json!([])));
    assert!(!p.matches(&json!("event")));
    assert!(!p.matches(&Value::Null));
}

// ---------------------------------------------------------------------------
// Structure: "Event pattern syntax"
// ---------------------------------------------------------------------------

#[test]
fn doc_ec2_termination_pattern_matches_only_terminated_instances() {
    let p = r#"{
        "source": ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
        "detail": {"state": ["terminated"]}
    }"#;
    assert!(matches(p, ec2_event("terminated")));
    assert!(!matches(p, ec2_event("running")));
}

#[test]
fn all_pattern_fields_must_match() {
    let p = r#"{"source": ["aws.ec2"], "detail-type": ["Other"]}"#;
    assert!(!matches(p, ec2_event("running")));
    let p = r#"{"Location": ["New York"], "Day": ["Monday"]}"#;
    assert!(matches(p, json!({"Location": "New York", "Day": "Monday"})));
    assert!(!matches(
        p,
        json!({"Location": "New York", "Day": "Tuesday"})
    ));
}

#[test]
fn doc_multiple_values_are_alternatives() {
    let p = r#"{"source": ["aws.ec2", "aws.fargate"]}"#;
    assert!(matches(p, json!({"source": "aws.ec2"})));
    assert!(matches(p, json!({"source": "aws.fargate"})));
    assert!(!matches(p, json!({"source": "aws.s3"})));
}

#[test]
fn fields_missing_from_the_event_do_not_match() {
    let p = r#"{"detail": {"state": ["terminated"]}}"#;
    assert!(!matches(p, json!({"source": "aws.ec2"})));
    assert!(!matches(p, json!({"detail": {}})));
    assert!(!matches(p, json!({"detail": "terminated"})));
}

#[test]
fn fields_must_have_the_same_nesting() {
    let p = r#"{"detail": {"state": ["terminated"]}}"#;
    assert!(!matches(p, json!({"state": "terminated"})));
    assert!(!matches(
        p,
        json!({"detail": {"inner": {"state": "terminated"}}})
    ));
}

#[test]
fn doc_macie_nested_value_matching() {
    let p = r#"{
        "source": ["aws.macie"],
        "detail-type": ["Macie Finding"],
        "detail": {"severity": {"score": [1]}, "count": [2]}
    }"#;
    let event = |score: i64, count: i64| {
        json!({"source": "aws.macie", "detail-type": "Macie Finding",
               "detail": {"severity": {"score": score, "description": "Low"}, "count": count}})
    };
    assert!(matches(p, event(1, 2)));
    assert!(!matches(p, event(2, 2)));
    assert!(!matches(p, event(1, 3)));
}

#[test]
fn string_matching_is_exact_and_case_sensitive() {
    let p = r#"{"source": ["aws.ec2"]}"#;
    assert!(!matches(p, json!({"source": "AWS.EC2"})));
    assert!(!matches(p, json!({"source": "aws.ec2 "})));
    assert!(!matches(p, json!({"Source": "aws.ec2"})));
}

#[test]
fn exact_values_match_only_their_own_json_type() {
    assert!(matches(r#"{"x": [true]}"#, json!({"x": true})));
    assert!(!matches(r#"{"x": [true]}"#, json!({"x": "true"})));
    assert!(!matches(r#"{"x": [false]}"#, json!({"x": true})));
    assert!(!matches(r#"{"x": ["5"]}"#, json!({"x": 5})));
    assert!(!matches(r#"{"x": [5]}"#, json!({"x": "5"})));
}

#[test]
fn numbers_match_by_numeric_value() {
    // EventBridge's TestEventPattern answers true for [300] against 300.0.
    let p = r#"{"number": [300]}"#;
    assert!(matches(p, json!({"number": 300})));
    assert!(matches(p, json!({"number": 300.0})));
    assert!(matches(r#"{"number": [3.0e2]}"#, json!({"number": 300})));
    assert!(!matches(p, json!({"number": 300.5})));
    assert!(!matches(p, json!({"number": 301})));
}

#[test]
fn large_integers_match_exactly() {
    let p = r#"{"account": [123456789012]}"#;
    assert!(matches(p, json!({"account": 123456789012u64})));
    assert!(!matches(p, json!({"account": 123456789013u64})));
    let p = r#"{"n": [9007199254740993]}"#;
    assert!(matches(p, json!({"n": 9007199254740993u64})));
    assert!(!matches(p, json!({"n": 9007199254740992u64})));
}

#[test]
fn last_duplicate_key_wins() {
    // "if you include a key more than once the last reference will be the one used".
    let p = r#"{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}"#;
    assert!(matches(p, detail(json!({"location": "eu-west"}))));
    assert!(!matches(p, detail(json!({"location": "us-east"}))));
}

#[test]
fn dot_joined_pattern_keys_equal_nested_keys() {
    // "when EventBridge compiles event patterns, it uses the dot (.) as the joining character".
    let p = r#"{"detail": {"state.status": ["running"]}}"#;
    assert!(matches(
        p,
        json!({"detail": {"state": {"status": "running"}}})
    ));
    assert!(!matches(
        p,
        json!({"detail": {"state": {"status": "stopped"}}})
    ));
}

#[test]
fn dot_joined_event_keys_equal_nested_keys() {
    let p = r#"{"detail": {"state": {"status": ["running"]}}}"#;
    assert!(matches(p, json!({"detail": {"state.status": "running"}})));
    assert!(matches(p, json!({"detail.state.status": "running"})));
    assert!(!matches(
        p,
        json!({"detail": {"state.status": {"status": "running"}}})
    ));
    assert!(!matches(p, json!({"detail": {"states.status": "running"}})));
}

#[test]
fn dotted_and_nested_forms_of_one_path_take_the_last() {
    let p = r#"{"detail": {"state": ["a"]}, "detail.state": ["b"]}"#;
    assert!(matches(p, detail(json!({"state": "b"}))));
    assert!(!matches(p, detail(json!({"state": "a"}))));
}

#[test]
fn a_field_can_carry_values_and_subfields() {
    let p = r#"{"a": [{"exists": false}], "a.b": [1]}"#;
    assert!(matches(p, json!({"a": {"b": 1}})));
    assert!(!matches(p, json!({"a": {"b": 2}})));
}

#[test]
fn empty_string_and_null_are_distinct() {
    let event = json!({"detail": {"eventVersion": "", "responseElements": null}});
    assert!(matches(
        r#"{"detail": {"eventVersion": [""]}}"#,
        event.clone()
    ));
    assert!(matches(
        r#"{"detail": {"responseElements": [null]}}"#,
        event.clone()
    ));
    assert!(!matches(
        r#"{"detail": {"eventVersion": [null]}}"#,
        event.clone()
    ));
    assert!(!matches(
        r#"{"detail": {"responseElements": [""]}}"#,
        event.clone()
    ));
    assert!(!matches(r#"{"detail": {"missing": [null]}}"#, event));
}

#[test]
fn a_json_string_in_the_event_is_not_parsed() {
    let p = r#"{"detail": {"my-key": ["my-value"]}}"#;
    assert!(!matches(p, json!({"detail": "{\"my-key\": \"my-value\"}"})));
}

// ---------------------------------------------------------------------------
// Arrays: "Arrays in Amazon EventBridge event patterns"
// ---------------------------------------------------------------------------

const RESOURCES_PATTERN: &str = r#"{"resources": [
    "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
    "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
    "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"
]}"#;

#[test]
fn doc_array_fields_match_when_the_intersection_is_not_empty() {
    let event = json!({"resources": [
        "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate",
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"
    ]});
    assert!(matches(RESOURCES_PATTERN, event));
}

#[test]
fn array_fields_without_a_common_value_do_not_match() {
    let event = json!({"resources": [
        "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate"
    ]});
    assert!(!matches(RESOURCES_PATTERN, event));
}

#[test]
fn empty_event_arrays_hold_no_value() {
    assert!(!matches(
        r#"{"resources": [null]}"#,
        json!({"resources": []})
    ));
    assert!(!matches(
        r#"{"resources": [{"exists": true}]}"#,
        json!({"resources": []})
    ));
    assert!(matches(
        r#"{"resources": [{"exists": false}]}"#,
        json!({"resources": []})
    ));
}

#[test]
fn operators_apply_to_each_array_element() {
    assert!(matches(
        r#"{"x": [{"prefix": "b"}]}"#,
        json!({"x": ["apple", "banana"]})
    ));
    assert!(matches(
        r#"{"x": [{"numeric": [">", 10]}]}"#,
        json!({"x": [1, 2, 30]})
    ));
    assert!(!matches(
        r#"{"x": [{"numeric": [">", 10]}]}"#,
        json!({"x": [1, 2, 3]})
    ));
}

#[test]
fn nested_arrays_in_the_event_are_flattened() {
    assert!(matches(
        r#"{"x": ["deep"]}"#,
        json!({"x": [["a", ["deep"]], "b"]})
    ));
    let p = r#"{"employees": {"firstName": ["Anna"]}}"#;
    let event = json!({"employees": [
        [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}],
        [{"firstName": "Peter", "lastName": "Jones"}]
    ]});
    assert!(matches(p, event));
}

#[test]
fn fields_below_an_array_of_objects_match_within_one_element() {
    let event = json!({"employees": [
        {"firstName": "John", "lastName": "Doe"},
        {"firstName": "Anna", "lastName": "Smith"},
        {"firstName": "Peter", "lastName": "Jones"}
    ]});
    assert!(matches(
        r#"{"employees": {"firstName": ["Anna"]}}"#,
        event.clone()
    ));
    assert!(matches(
        r#"{"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}"#,
        event.clone()
    ));
    assert!(!matches(
        r#"{"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}"#,
        event
    ));
}

#[test]
fn exists_false_below_an_array_needs_an_element_without_the_field() {
    let p = r#"{"a": {"b": [{"exists": false}]}}"#;
    assert!(matches(p, json!({"a": [{"b": 1}, {"c": 2}]})));
    assert!(!matches(p, json!({"a": [{"b": 1}]})));
    assert!(!matches(p, json!({"a": [{"b": 1}, 5]})));
    assert!(matches(p, json!({"a": []})));
    assert!(matches(p, json!({"a": [5, "x"]})));
}

#[test]
fn exists_sees_fields_inside_arrays_of_objects() {
    let p = r#"{"detail": {"automations": {"id": [{"exists": true}]}}}"#;
    let event =
        detail(json!({"automations": [{"key1": "value1"}, {"id": "x"}, {"key2": "value2"}]}));
    assert!(matches(p, event));
    assert!(!matches(
        p,
        detail(json!({"automations": [{"key1": "value1"}]}))
    ));
}

// ---------------------------------------------------------------------------
// Prefix and suffix
// ---------------------------------------------------------------------------

#[test]
fn doc_prefix_matches_the_start_of_strings() {
    let p = r#"{"time": [{"prefix": "2017-10-02"}]}"#;
    assert!(matches(p, json!({"time": "2017-10-02T18:43:48Z"})));
    assert!(!matches(p, json!({"time": "2017-10-03T18:43:48Z"})));
    assert!(!matches(p, json!({"time": "2017-10-0"})));
    let p = r#"{"Region": [{"prefix": "us-"}]}"#;
    assert!(matches(p, json!({"Region": "us-east-1"})));
    assert!(!matches(p, json!({"Region": "eu-west-1"})));
}

#[test]
fn prefix_matches_only_strings() {
    let p = r#"{"x": [{"prefix": "12"}]}"#;
    assert!(!matches(p, json!({"x": 123})));
    assert!(!matches(p, json!({"x": null})));
    assert!(matches(p, json!({"x": "123"})));
}

#[test]
fn empty_prefix_and_suffix_match_every_string() {
    assert!(matches(
        r#"{"source": [{"prefix": ""}]}"#,
        json!({"source": "anything"})
    ));
    assert!(matches(
        r#"{"source": [{"suffix": ""}]}"#,
        json!({"source": ""})
    ));
    assert!(!matches(
        r#"{"source": [{"prefix": ""}]}"#,
        json!({"source": 1})
    ));
    assert!(!matches(r#"{"source": [{"prefix": ""}]}"#, json!({})));
}

#[test]
fn doc_prefix_ignoring_case() {
    let p = r#"{"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}"#;
    assert!(matches(p, detail(json!({"service": "EventBridge"}))));
    assert!(matches(p, detail(json!({"service": "EVENTBUS"}))));
    assert!(matches(p, detail(json!({"service": "eventb"}))));
    assert!(!matches(p, detail(json!({"service": "Event"}))));
    assert!(!matches(p, detail(json!({"service": "MyEventBridge"}))));
}

#[test]
fn doc_suffix_matches_the_end_of_strings() {
    let p = r#"{"FileName": [{"suffix": ".png"}]}"#;
    assert!(matches(p, json!({"FileName": "image.png"})));
    assert!(!matches(p, json!({"FileName": "image.PNG"})));
    assert!(!matches(p, json!({"FileName": "image.png.txt"})));
    assert!(!matches(p, json!({"FileName": 5})));
}

#[test]
fn doc_suffix_ignoring_case() {
    let p = r#"{"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}}"#;
    assert!(matches(p, detail(json!({"FileName": "image.PNG"}))));
    assert!(matches(p, detail(json!({"FileName": "image.Png"}))));
    assert!(!matches(p, detail(json!({"FileName": "image.jpg"}))));
    let p = r#"{"service": [{"suffix": {"equals-ignore-case": "tbridge"}}]}"#;
    assert!(matches(p, json!({"service": "EvenTBRIDGE"})));
}

#[test]
fn ignore_case_folds_non_ascii_letters() {
    let p = r#"{"name": [{"equals-ignore-case": "ÉCOLE"}]}"#;
    assert!(matches(p, json!({"name": "école"})));
    let p = r#"{"name": [{"suffix": {"equals-ignore-case": "STRASSE Ä"}}]}"#;
    assert!(matches(p, json!({"name": "Hauptstrasse ä"})));
    let p = r#"{"name": [{"prefix": {"equals-ignore-case": "ÖL"}}]}"#;
    assert!(matches(p, json!({"name": "ölfeld"})));
    assert!(!matches(p, json!({"name": "olfeld"})));
}

// ---------------------------------------------------------------------------
// Equals-ignore-case
// ---------------------------------------------------------------------------

#[test]
fn doc_equals_ignore_case() {
    let p =
        r#"{"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]}"#;
    assert!(matches(p, ec2_event("running")));
    assert!(!matches(
        p,
        json!({"detail-type": "EC2 Instance State-change"})
    ));
    let p = r#"{"Name": [{"equals-ignore-case": "alice"}]}"#;
    assert!(matches(p, json!({"Name": "Alice"})));
    assert!(matches(p, json!({"Name": "ALICE"})));
    assert!(!matches(p, json!({"Name": "Alicia"})));
}

#[test]
fn equals_ignore_case_empty_string_matches_only_empty() {
    let p = r#"{"detail": {"value": [{"equals-ignore-case": ""}]}}"#;
    assert!(matches(p, detail(json!({"value": ""}))));
    assert!(!matches(p, detail(json!({"value": " "}))));
}

// ---------------------------------------------------------------------------
// Anything-but
// ---------------------------------------------------------------------------

#[test]
fn doc_anything_but_a_string() {
    let p = r#"{"detail": {"state": [{"anything-but": "initializing"}]}}"#;
    assert!(matches(p, detail(json!({"state": "running"}))));
    assert!(!matches(p, detail(json!({"state": "initializing"}))));
}

#[test]
fn doc_anything_but_a_number() {
    let p = r#"{"detail": {"x-limit": [{"anything-but": 123}]}}"#;
    assert!(matches(p, detail(json!({"x-limit": 456}))));
    assert!(!matches(p, detail(json!({"x-limit": 123}))));
    assert!(!matches(p, detail(json!({"x-limit": 123.0}))));
    let p = r#"{"detail": {"x-limit": [{"anything-but": 0}]}}"#;
    assert!(matches(p, detail(json!({"x-limit": 789}))));
}

#[test]
fn doc_anything_but_a_list_of_strings() {
    let p = r#"{"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}"#;
    assert!(matches(p, detail(json!({"state": "running"}))));
    assert!(!matches(p, detail(json!({"state": "stopped"}))));
    assert!(!matches(p, detail(json!({"state": "overloaded"}))));
}

#[test]
fn doc_anything_but_a_list_of_numbers() {
    let p = r#"{"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}"#;
    assert!(matches(p, detail(json!({"x-limit": 150}))));
    assert!(!matches(p, detail(json!({"x-limit": 200}))));
    assert!(!matches(p, detail(json!({"x-limit": 300.0}))));
}

#[test]
fn doc_anything_but_prefix() {
    let p = r#"{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}"#;
    assert!(matches(p, detail(json!({"state": "running"}))));
    assert!(!matches(p, detail(json!({"state": "initializing"}))));
    let p = r#"{"Region": [{"anything-but": {"prefix": "us-"}}]}"#;
    assert!(matches(p, json!({"Region": "eu-west-1"})));
    assert!(!matches(p, json!({"Region": "us-east-1"})));
}

#[test]
fn anything_but_a_list_of_prefixes() {
    let p = r#"{"detail": {"state": [{"anything-but": {"prefix": ["init", "test"]}}]}}"#;
    assert!(matches(p, detail(json!({"state": "running"}))));
    assert!(!matches(p, detail(json!({"state": "testing"}))));
    assert!(!matches(p, detail(json!({"state": "initializing"}))));
}

#[test]
fn doc_anything_but_suffix() {
    let p = r#"{"FileName": [{"anything-but": {"suffix": ".png"}}]}"#;
    assert!(matches(p, json!({"FileName": "image.jpg"})));
    assert!(!matches(p, json!({"FileName": "image.png"})));
    let p = r#"{"detail": {"instance-id": [{"anything-but": {"suffix": ["1234", "6789"]}}]}}"#;
    assert!(matches(p, detail(json!({"instance-id": "i-5555"}))));
    assert!(!matches(p, detail(json!({"instance-id": "i-6789"}))));
}

#[test]
fn doc_anything_but_ignoring_case() {
    let p = r#"{"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}"#;
    assert!(matches(p, json!({"state": "running"})));
    assert!(!matches(p, json!({"state": "INITIALIZING"})));
    assert!(!matches(p, json!({"state": "Initializing"})));
    let p = r#"{"detail": {"state": [{"anything-but": {"equals-ignore-case": ["Stopped", "OverLoaded"]}}]}}"#;
    assert!(matches(p, detail(json!({"state": "running"}))));
    assert!(!matches(p, detail(json!({"state": "STOPPED"}))));
    assert!(!matches(p, detail(json!({"state": "overloaded"}))));
}

#[test]
fn doc_anything_but_wildcard() {
    let p = r#"{"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}"#;
    assert!(matches(p, json!({"FilePath": "/usr/bin/tool"})));
    assert!(!matches(p, json!({"FilePath": "/usr/lib/libc.so"})));
    let p = r#"{"detail": {"state": [{"anything-but": {"wildcard": ["*/bin/*.jar", "*/bin/*.class"]}}]}}"#;
    assert!(matches(p, detail(json!({"state": "/opt/bin/app.war"}))));
    assert!(!matches(p, detail(json!({"state": "/opt/bin/app.jar"}))));
    assert!(!matches(p, detail(json!({"state": "/opt/bin/Main.class"}))));
}

#[test]
fn anything_but_empty_wildcard_excludes_only_the_empty_string() {
    let p = r#"{"detail": {"FilePath": [{"anything-but": {"wildcard": ""}}]}}"#;
    assert!(matches(p, detail(json!({"FilePath": "dir/init/file"}))));
    assert!(!matches(p, detail(json!({"FilePath": ""}))));
}

#[test]
fn anything_but_does_not_match_a_missing_field() {
    for p in [
        r#"{"detail": {"state": [{"anything-but": "initializing"}]}}"#,
        r#"{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}"#,
        r#"{"detail": {"state": [{"anything-but": {"wildcard": "*/dir/*"}}]}}"#,
        r#"{"detail": {"state": [{"anything-but": [1, 2]}]}}"#,
    ] {
        assert!(!matches(p, detail(json!({}))), "{p}");
        assert!(!matches(p, json!({"source": "x"})), "{p}");
    }
}

#[test]
fn anything_but_matches_values_of_another_type() {
    // As EventBridge answers: null and numbers are "anything but" a string.
    let p = r#"{"detail": {"state": [{"anything-but": "initializing"}]}}"#;
    assert!(matches(p, detail(json!({"state": null}))));
    assert!(matches(p, detail(json!({"state": 12}))));
    let p = r#"{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}"#;
    assert!(matches(p, detail(json!({"state": 12}))));
    assert!(matches(p, detail(json!({"state": null}))));
    let p = r#"{"detail": {"state": [{"anything-but": {"equals-ignore-case": ["a", "b"]}}]}}"#;
    assert!(matches(p, detail(json!({"state": null}))));
    let p = r#"{"detail": {"FilePath": [{"anything-but": {"wildcard": "*/dir/*"}}]}}"#;
    assert!(matches(p, detail(json!({"FilePath": 123}))));
    let p = r#"{"x": [{"anything-but": [100, 200]}]}"#;
    assert!(matches(p, json!({"x": "100"})));
}

#[test]
fn anything_but_matches_an_array_holding_another_value() {
    let p = r#"{"x": [{"anything-but": [100, 500]}]}"#;
    assert!(matches(p, json!({"x": [100, 50]})));
    assert!(!matches(p, json!({"x": [100, 500]})));
}

// ---------------------------------------------------------------------------
// Numeric
// ---------------------------------------------------------------------------

const DOC_NUMERIC: &str = r#"{"detail": {
    "c-count": [{"numeric": [">", 0, "<=", 5]}],
    "d-count": [{"numeric": ["<", 10]}],
    "x-limit": [{"numeric": ["=", 3.018e2]}]
}}"#;

#[test]
fn doc_numeric_matching_all_fields_true() {
    assert!(matches(
        DOC_NUMERIC,
        detail(json!({"c-count": 5, "d-count": 3, "x-limit": 301.8}))
    ));
    assert!(matches(
        DOC_NUMERIC,
        detail(json!({"c-count": 3, "d-count": 9, "x-limit": 301.8}))
    ));
    assert!(!matches(
        DOC_NUMERIC,
        detail(json!({"c-count": 42, "d-count": 9, "x-limit": 301.8}))
    ));
    assert!(!matches(
        DOC_NUMERIC,
        detail(json!({"c-count": 3, "d-count": 10, "x-limit": 301.8}))
    ));
    assert!(!matches(
        DOC_NUMERIC,
        detail(json!({"c-count": 3, "d-count": 9, "x-limit": 301.9}))
    ));
}

#[test]
fn numeric_range_boundaries_are_open_or_closed_as_written() {
    let p = r#"{"n": [{"numeric": [">", 0, "<=", 5]}]}"#;
    assert!(!matches(p, json!({"n": 0})));
    assert!(matches(p, json!({"n": 0.000001})));
    assert!(matches(p, json!({"n": 5})));
    assert!(!matches(p, json!({"n": 5.000001})));
    let p = r#"{"n": [{"numeric": [">=", 0, "<", 5]}]}"#;
    assert!(matches(p, json!({"n": 0})));
    assert!(!matches(p, json!({"n": 5})));
    assert!(matches(p, json!({"n": 4.999999})));
    assert!(matches(
        r#"{"n": [{"numeric": [">=", 10]}]}"#,
        json!({"n": 10})
    ));
    assert!(!matches(
        r#"{"n": [{"numeric": [">", 10]}]}"#,
        json!({"n": 10})
    ));
    assert!(matches(
        r#"{"n": [{"numeric": ["<=", -1]}]}"#,
        json!({"n": -1})
    ));
    assert!(!matches(
        r#"{"n": [{"numeric": ["<", -1]}]}"#,
        json!({"n": -1})
    ));
}

#[test]
fn doc_numeric_equals_and_ranges_of_the_operator_table() {
    assert!(matches(
        r#"{"Price": [{"numeric": ["=", 100]}]}"#,
        json!({"Price": 100.0})
    ));
    assert!(!matches(
        r#"{"Price": [{"numeric": ["=", 100]}]}"#,
        json!({"Price": 100.5})
    ));
    let p = r#"{"Price": [{"numeric": [">", 10, "<=", 20]}]}"#;
    assert!(matches(p, json!({"Price": 20})));
    assert!(!matches(p, json!({"Price": 10})));
}

#[test]
fn numeric_matches_only_json_numbers() {
    let p = r#"{"number": [{"numeric": [">", 100]}]}"#;
    assert!(matches(p, json!({"number": 101.0})));
    assert!(!matches(p, json!({"number": "101"})));
    assert!(!matches(p, json!({"number": null})));
    assert!(!matches(p, json!({"number": true})));
    assert!(!matches(p, json!({})));
}

#[test]
fn numeric_matching_is_limited_to_five_billion() {
    let p = r#"{"n": [{"numeric": [">", 0]}]}"#;
    assert!(matches(p, json!({"n": 5_000_000_000u64})));
    assert!(!matches(p, json!({"n": 5_000_000_001u64})));
    let p = r#"{"n": [{"numeric": ["<", 0]}]}"#;
    assert!(matches(p, json!({"n": -5.0e9})));
    assert!(!matches(p, json!({"n": -5.1e9})));
    assert!(Pattern::parse(r#"{"n": [{"numeric": ["<=", 5e9]}]}"#).is_ok());
    assert!(Pattern::parse(r#"{"n": [{"numeric": [">=", -5e9]}]}"#).is_ok());
    assert_eq!(
        refusal(r#"{"n": [{"numeric": ["<", 5000000001]}]}"#),
        "Value must be between -5.0E9 and 5.0E9, inclusive"
    );
    assert_eq!(
        refusal(r#"{"n": [{"numeric": [">", -6e9]}]}"#),
        "Value must be between -5.0E9 and 5.0E9, inclusive"
    );
}

#[test]
fn numeric_bounds_keep_six_decimals() {
    assert!(Pattern::parse(r#"{"n": [{"numeric": ["=", 0.000001]}]}"#).is_ok());
    assert!(matches(
        r#"{"n": [{"numeric": ["=", 1.123456]}]}"#,
        json!({"n": 1.123456})
    ));
    assert_eq!(
        refusal(r#"{"n": [{"numeric": ["=", 0.0000001]}]}"#),
        "Only values upto 6 decimals are supported"
    );
    assert_eq!(
        refusal(r#"{"n": [{"numeric": [">", 1.1234567]}]}"#),
        "Only values upto 6 decimals are supported"
    );
}

#[test]
fn several_numeric_ranges_in_one_field_are_alternatives() {
    let p = r#"{"n": [{"numeric": ["<", 0]}, {"numeric": [">", 100]}]}"#;
    assert!(matches(p, json!({"n": -1})));
    assert!(matches(p, json!({"n": 101})));
    assert!(!matches(p, json!({"n": 50})));
}

// ---------------------------------------------------------------------------
// IP address (cidr)
// ---------------------------------------------------------------------------

#[test]
fn doc_cidr_matches_ipv4_addresses_in_the_block() {
    let p = r#"{"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}}"#;
    assert!(matches(p, detail(json!({"sourceIPAddress": "10.0.0.0"}))));
    assert!(matches(p, detail(json!({"sourceIPAddress": "10.0.0.255"}))));
    assert!(!matches(p, detail(json!({"sourceIPAddress": "10.0.1.0"}))));
    assert!(!matches(
        p,
        detail(json!({"sourceIPAddress": "9.255.255.255"}))
    ));
}

#[test]
fn cidr_ignores_values_that_are_not_ip_addresses() {
    let p = r#"{"ip": [{"cidr": "10.0.0.0/8"}]}"#;
    assert!(!matches(p, json!({"ip": 123})));
    assert!(!matches(p, json!({"ip": "10.0.0"})));
    assert!(!matches(p, json!({"ip": "10.0.0.256"})));
    assert!(!matches(p, json!({"ip": "host.example"})));
    assert!(!matches(p, json!({"ip": "::1"})));
    assert!(matches(p, json!({"ip": ["192.168.0.1", "10.9.8.7"]})));
}

#[test]
fn cidr_matches_ipv6_addresses_in_the_block() {
    let p = r#"{"detail": {"sourceIPAddress": [{"cidr": "2001:db8:1234:1a00::/64"}]}}"#;
    assert!(matches(
        p,
        detail(json!({"sourceIPAddress": "2001:0db8:1234:1a00:0000:0000:0000:0000"}))
    ));
    assert!(matches(
        p,
        detail(json!({"sourceIPAddress": "2001:db8:1234:1a00:ffff:ffff:ffff:ffff"}))
    ));
    assert!(matches(
        p,
        detail(json!({"sourceIPAddress": "2001:DB8:1234:1A00::1"}))
    ));
    assert!(!matches(
        p,
        detail(json!({"sourceIPAddress": "2001:0db8:123f:1a01:0000:0000:0000:0000"}))
    ));
    assert!(!matches(p, detail(json!({"sourceIPAddress": "10.0.0.1"}))));
}

#[test]
fn cidr_with_zero_mask_bits_matches_every_address_of_its_family() {
    assert!(matches(
        r#"{"ip": [{"cidr": "0.0.0.0/0"}]}"#,
        json!({"ip": "203.0.113.9"})
    ));
    assert!(matches(
        r#"{"ip": [{"cidr": "::/0"}]}"#,
        json!({"ip": "fe80::1"})
    ));
    assert!(matches(
        r#"{"ip": [{"cidr": "10.1.2.3/31"}]}"#,
        json!({"ip": "10.1.2.2"})
    ));
    assert!(!matches(
        r#"{"ip": [{"cidr": "10.1.2.3/31"}]}"#,
        json!({"ip": "10.1.2.4"})
    ));
}

// ---------------------------------------------------------------------------
// Exists
// ---------------------------------------------------------------------------

#[test]
fn doc_exists_true_matches_events_with_the_field() {
    let p = r#"{"detail": {"state": [{"exists": true}]}}"#;
    let with_state = json!({
        "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
        "account": "123456789012", "time": "2015-11-11T21:29:54Z", "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
        "detail": {"instance-id": "i-abcd1111", "state": "pending"}
    });
    assert!(matches(p, with_state));
    let without_state = json!({
        "detail-type": ["EC2 Instance State-change Notification"],
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341"],
        "detail": {"c-count": {"c1": 100}}
    });
    assert!(!matches(p, without_state));
}

#[test]
fn exists_false_matches_a_missing_field() {
    let p = r#"{"detail": {"c-count": [{"exists": false}]}}"#;
    assert!(matches(
        p,
        detail(json!({"state": ["initializing", "running"]}))
    ));
    assert!(!matches(p, detail(json!({"c-count": 5}))));
    assert!(!matches(p, detail(json!({"c-count": null}))));
    assert!(!matches(p, detail(json!({"c-count": ""}))));
}

#[test]
fn exists_works_on_leaf_nodes_only() {
    // "Exists matching only works on leaf nodes. It does not work on intermediate nodes."
    let event = detail(json!({"state": "running", "c-count": {"c1": 100}}));
    assert!(matches(
        r#"{"detail": {"c-count": [{"exists": false}]}}"#,
        event.clone()
    ));
    assert!(!matches(
        r#"{"detail": {"c-count": [{"exists": true}]}}"#,
        event.clone()
    ));
    assert!(matches(
        r#"{"detail": {"c-count": {"c1": [{"exists": true}]}}}"#,
        event
    ));
    let dynamodb = json!({"dynamodb": {"presentKey": {"S": "test123"}}});
    assert!(!matches(
        r#"{"dynamodb": {"presentKey": [{"exists": true}]}}"#,
        dynamodb.clone()
    ));
    assert!(matches(
        r#"{"dynamodb": {"presentKey": {"S": [{"exists": true}]}}}"#,
        dynamodb
    ));
}

#[test]
fn exists_false_matches_when_a_parent_is_missing_or_not_an_object() {
    let p = r#"{"detail": {"level1": {"level2": [{"exists": false}]}}}"#;
    assert!(matches(p, json!({"source": "x"})));
    assert!(matches(p, detail(json!({"level1": "scalar"}))));
    assert!(matches(p, detail(json!({"level1": {"other": 1}}))));
    assert!(!matches(p, detail(json!({"level1": {"level2": "here"}}))));
    let deep = r#"{"detail": {"level1": {"level2": {"level3": {"level4": [{"exists": false}]}}}}}"#;
    assert!(!matches(
        deep,
        detail(json!({"level1": {"level2": {"level3": {"level4": "l4 value"}}}}))
    ));
}

#[test]
fn exists_false_combined_with_other_values_is_an_alternative() {
    let p = r#"{"dynamodb": {"NewImage": {"homemade": {"S": [{"anything-but": ["roses"]}, {"exists": false}]}}}}"#;
    assert!(matches(
        p,
        json!({"dynamodb": {"NewImage": {"homemade": {"S": "ABCD"}}}})
    ));
    assert!(matches(
        p,
        json!({"dynamodb": {"NewImage": {"homemade": {"N": "789"}}}})
    ));
    assert!(matches(
        p,
        json!({"dynamodb": {"NewImage": {"purchased": {"N": "789"}}}})
    ));
    assert!(!matches(
        p,
        json!({"dynamodb": {"NewImage": {"homemade": {"S": "roses"}}}})
    ));
}

#[test]
fn exists_true_matches_null_values() {
    assert!(matches(r#"{"x": [{"exists": true}]}"#, json!({"x": null})));
}

// ---------------------------------------------------------------------------
// Wildcard
// ---------------------------------------------------------------------------

#[test]
fn doc_wildcard_matches_any_run_of_characters() {
    let p = r#"{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}"#;
    assert!(matches(
        p,
        json!({"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/myEventBus"})
    ));
    assert!(matches(
        p,
        json!({"EventBusArn": "arn:aws:events:us-east-1::event-bus/"})
    ));
    assert!(!matches(
        p,
        json!({"EventBusArn": "arn:aws:events:us-west-2:123456789012:event-bus/myEventBus"})
    ));
    let p = r#"{"source": [{"wildcard": "Simple*Service"}]}"#;
    assert!(matches(p, json!({"source": "SimpleQueueService"})));
    assert!(matches(p, json!({"source": "SimpleService"})));
    assert!(!matches(p, json!({"source": "SimpleQueueServices"})));
}

#[test]
fn wildcard_handles_repeating_sequences() {
    let p = r#"{"FileName": [{"wildcard": "/Users/*/dir/dir/dir/dir/dir/doc.txt"}]}"#;
    assert!(matches(
        p,
        json!({"FileName": "/Users/ls_user/dir/dir/dir/dir/dir/doc.txt"})
    ));
    assert!(!matches(
        p,
        json!({"FileName": "/Users/ls_user/dir/dir/dir/dir/otherdir/doc.txt"})
    ));
    let p = r#"{"FileName": [{"wildcard": "/Users/*/doc.txt"}]}"#;
    assert!(matches(
        p,
        json!({"FileName": "/Users/ls_user/dir/dir/dir/dir/dir/doc.txt"})
    ));
    assert!(!matches(
        p,
        json!({"FileName": "/Users/ls_user/dir/notmatchingdoc.txt.bak"})
    ));
}

#[test]
fn wildcard_anchors_both_ends_without_overlap() {
    let p = r#"{"x": [{"wildcard": "ab*ba"}]}"#;
    assert!(matches(p, json!({"x": "abba"})));
    assert!(matches(p, json!({"x": "ab-ba"})));
    assert!(!matches(p, json!({"x": "aba"})));
    let p = r#"{"x": [{"wildcard": "*a*b*"}]}"#;
    assert!(matches(p, json!({"x": "xxaxxbxx"})));
    assert!(!matches(p, json!({"x": "xxbxxaxx"})));
    assert!(matches(r#"{"x": [{"wildcard": "*"}]}"#, json!({"x": ""})));
}

#[test]
fn empty_wildcard_matches_only_the_empty_string() {
    let p = r#"{"x": [{"wildcard": ""}]}"#;
    assert!(matches(p, json!({"x": ""})));
    assert!(!matches(p, json!({"x": "arn:aws:events"})));
}

#[test]
fn wildcard_matches_only_strings() {
    let p = r#"{"x": [{"wildcard": "1*"}]}"#;
    assert!(!matches(p, json!({"x": 12})));
    assert!(matches(p, json!({"x": "12"})));
}

#[test]
fn wildcard_escapes_match_literal_star_and_backslash() {
    // `\*` is a literal `*`, `\\` a literal `\` (JSON doubles each backslash).
    let star = r#"{"x": [{"wildcard": "a\\*b"}]}"#;
    assert!(matches(star, json!({"x": "a*b"})));
    assert!(!matches(star, json!({"x": "axb"})));
    let backslash = r#"{"x": [{"wildcard": "dir\\\\*"}]}"#;
    assert!(matches(backslash, json!({"x": "dir\\file"})));
    assert!(!matches(backslash, json!({"x": "dir/file"})));
    let both = r#"{"x": [{"wildcard": "\\**"}]}"#;
    assert!(matches(both, json!({"x": "*anything"})));
    assert!(!matches(both, json!({"x": "anything"})));
    let escaped_only =
        r#"{"escape_star": [{"wildcard": "\\*"}], "escape_backslash": [{"wildcard": "\\\\"}]}"#;
    assert!(matches(
        escaped_only,
        json!({"escape_star": "*", "escape_backslash": "\\"})
    ));
    assert!(!matches(
        escaped_only,
        json!({"escape_star": "x", "escape_backslash": "\\"})
    ));
}

#[test]
fn wildcard_matching_stays_fast_on_adversarial_values() {
    // A backtracking matcher takes exponential time on these.
    let p = compile(r#"{"x": [{"wildcard": "*a*a*a*a*b"}]}"#);
    let long = "a".repeat(200_000);
    let started = std::time::Instant::now();
    assert!(!p.matches(&json!({ "x": long })));
    assert!(p.matches(&json!({ "x": format!("{long}b") })));
    let p = compile(r#"{"x": [{"wildcard": "*a*aaab*z"}]}"#);
    assert!(!p.matches(&json!({ "x": format!("{long}z") })));
    assert!(p.matches(&json!({ "x": format!("{long}bz") })));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

// ---------------------------------------------------------------------------
// $or
// ---------------------------------------------------------------------------

const DOC_OR: &str = r#"{"detail": {"$or": [
    {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
    {"d-count": [{"numeric": ["<", 10]}]},
    {"x-limit": [{"numeric": ["=", 3.018e2]}]}
]}}"#;

#[test]
fn doc_or_matches_when_any_alternative_does() {
    assert!(matches(
        DOC_OR,
        detail(json!({"c-count": 3, "d-count": 99, "x-limit": 0}))
    ));
    assert!(matches(
        DOC_OR,
        detail(json!({"c-count": 0, "d-count": 0, "x-limit": 901.8}))
    ));
    assert!(matches(
        DOC_OR,
        detail(json!({"c-count": 0, "d-count": 10, "x-limit": 301.8}))
    ));
    assert!(!matches(
        DOC_OR,
        detail(json!({"c-count": 0, "d-count": 10, "x-limit": 901.8}))
    ));
}

#[test]
fn doc_or_across_top_level_fields() {
    let p = r#"{"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]}"#;
    assert!(matches(p, json!({"Location": "New York", "Day": "Sunday"})));
    assert!(matches(p, json!({"Location": "Paris", "Day": "Monday"})));
    assert!(!matches(p, json!({"Location": "Paris", "Day": "Sunday"})));
}

#[test]
fn or_is_anded_with_sibling_fields() {
    let p = r#"{"source": ["aws.cloudwatch"], "$or": [
        {"metricName": ["CPUUtilization", "ReadLatency"]},
        {"namespace": ["AWS/EC2", "AWS/ES"]}
    ]}"#;
    assert!(matches(
        p,
        json!({"source": "aws.cloudwatch", "namespace": "AWS/ES"})
    ));
    assert!(!matches(
        p,
        json!({"source": "aws.other", "namespace": "AWS/ES"})
    ));
    assert!(!matches(
        p,
        json!({"source": "aws.cloudwatch", "namespace": "AWS/S3"})
    ));
}

#[test]
fn parallel_or_groups_must_each_match() {
    let p = r#"{
        "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}],
        "detail": {"$or": [{"source": ["aws.cloudwatch"]}, {"detail-type": ["CloudWatch Alarm State Change"]}]}
    }"#;
    assert!(matches(
        p,
        json!({"namespace": "AWS/EC2", "detail": {"source": "aws.cloudwatch"}})
    ));
    assert!(!matches(
        p,
        json!({"namespace": "AWS/EC2", "detail": {"source": "aws.s3"}})
    ));
    assert!(!matches(
        p,
        json!({"namespace": "AWS/S3", "detail": {"source": "aws.cloudwatch"}})
    ));
}

#[test]
fn nested_or_inside_an_or_alternative() {
    let p = r#"{"source": ["aws.cloudwatch"], "$or": [
        {"metricName": ["CPUUtilization", "ReadLatency"]},
        {"metricType": ["MetricType"], "namespace": ["AWS/EC2", "AWS/ES"],
         "$or": [{"metricId": [1234]}, {"spaceId": [1000]}]},
        {"scope": ["Service"]}
    ]}"#;
    let base = |extra: Value| {
        let mut event =
            json!({"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/EC2"});
        if let (Some(event), Value::Object(extra)) = (event.as_object_mut(), extra) {
            event.extend(extra);
        }
        event
    };
    assert!(matches(p, base(json!({"spaceId": 1000}))));
    assert!(matches(p, base(json!({"metricId": 1234}))));
    assert!(!matches(p, base(json!({"metricId": 1}))));
    assert!(matches(
        p,
        json!({"source": "aws.cloudwatch", "scope": "Service"})
    ));
}

#[test]
fn or_alternatives_below_an_array_match_within_one_element() {
    let p = r#"{"items": {"kind": ["a"], "$or": [{"size": [1]}, {"color": ["red"]}]}}"#;
    assert!(matches(
        p,
        json!({"items": [{"kind": "b", "size": 1}, {"kind": "a", "color": "red"}]})
    ));
    assert!(!matches(
        p,
        json!({"items": [{"kind": "b", "size": 1}, {"kind": "a", "color": "blue"}]})
    ));
}

// ---------------------------------------------------------------------------
// The doc's complex example
// ---------------------------------------------------------------------------

#[test]
fn doc_complex_example_combining_operators() {
    let p = r#"{
        "time": [{"prefix": "2017-10-02"}],
        "detail": {
            "state": [{"anything-but": "initializing"}],
            "c-count": [{"numeric": [">", 0, "<=", 5]}],
            "d-count": [{"numeric": ["<", 10]}],
            "x-limit": [{"anything-but": [100, 200, 300]}],
            "source-ip": [{"cidr": "10.0.0.0/8"}]
        }
    }"#;
    let event = |state: &str, x_limit: f64| {
        json!({
            "time": "2017-10-02T16:24:49Z",
            "detail": {"c-count": 5, "d-count": 3, "x-limit": x_limit, "source-ip": "10.0.0.33", "state": state}
        })
    };
    assert!(matches(p, event("running", 301.8)));
    assert!(!matches(p, event("initializing", 301.8)));
    assert!(!matches(p, event("running", 300.0)));
}

// ---------------------------------------------------------------------------
// Refusals: InvalidEventPatternException
// ---------------------------------------------------------------------------

#[test]
fn refuses_text_that_is_not_json() {
    for text in [
        "",
        "this is not json",
        "{'bad': 'quotation'}",
        r#"{"not": closed mark""#,
        r#"{"a": [1]"#,
    ] {
        let e = Pattern::parse(text).unwrap_err();
        assert!(
            e.message()
                .starts_with("Event pattern is not valid. Reason: "),
            "{text}"
        );
    }
}

#[test]
fn refuses_a_pattern_that_is_not_an_object() {
    for text in [
        r#"["not", "a", "dict"]"#,
        "42",
        "null",
        r#""string""#,
        "true",
    ] {
        assert_eq!(refusal(text), "Filter is not an object", "{text}");
    }
}

#[test]
fn refuses_leaf_values_that_are_not_arrays() {
    assert_eq!(
        refusal(r#"{"int": 42}"#),
        r#""int" must be an object or an array"#
    );
    assert_eq!(
        refusal(r#"{"string": "my-value"}"#),
        r#""string" must be an object or an array"#
    );
    assert_eq!(
        refusal(r#"{"detail": {"slug": null}}"#),
        r#""slug" must be an object or an array"#
    );
}

#[test]
fn refuses_empty_arrays_and_objects() {
    assert_eq!(
        refusal(r#"{"resources": []}"#),
        "Empty arrays are not allowed"
    );
    assert_eq!(refusal("{}"), "Empty objects are not allowed");
    assert_eq!(
        refusal(r#"{"detail": {}}"#),
        "Empty objects are not allowed"
    );
}

#[test]
fn refuses_arrays_as_match_values() {
    assert_eq!(
        refusal(r#"{"x": [["nested"]]}"#),
        "Match value must be String, number, true, false, or null"
    );
}

#[test]
fn refuses_unknown_and_miscased_operators() {
    assert_eq!(
        refusal(r#"{"my_key": [{"EXISTS": true}]}"#),
        "Unrecognized match type EXISTS"
    );
    assert_eq!(
        refusal(r#"{"equal": [{"NUMERIC": ["=", 5]}]}"#),
        "Unrecognized match type NUMERIC"
    );
    assert_eq!(
        refusal(r#"{"x": [{"contains": "a"}]}"#),
        "Unrecognized match type contains"
    );
    assert_eq!(refusal(r#"{"x": [{}]}"#), "Match expression name not found");
}

#[test]
fn refuses_more_than_one_operator_in_an_expression() {
    assert_eq!(
        refusal(r#"{"x": [{"prefix": "a", "suffix": "b"}]}"#),
        "Only one key allowed in match expression"
    );
    assert_eq!(
        refusal(r#"{"x": [{"exists": true, "prefix": "b"}]}"#),
        "Only one key allowed in match expression"
    );
    assert_eq!(
        refusal(r#"{"x": [{"numeric": [">", 1], "prefix": "b"}]}"#),
        "Too many elements in numeric expression"
    );
}

#[test]
fn refuses_prefix_and_suffix_values_that_are_not_strings() {
    assert_eq!(
        refusal(r#"{"time": [{"prefix": 123}]}"#),
        "prefix match pattern must be a string"
    );
    assert_eq!(
        refusal(r#"{"time": [{"prefix": ["2022-07-13"]}]}"#),
        "prefix match pattern must be a string"
    );
    assert_eq!(
        refusal(r#"{"FileName": [{"suffix": 123}]}"#),
        "suffix match pattern must be a string"
    );
    assert_eq!(
        refusal(r#"{"FileName": [{"suffix": [".png"]}]}"#),
        "suffix match pattern must be a string"
    );
    assert_eq!(
        refusal(r#"{"x": [{"prefix": {}}]}"#),
        "Prefix expression name not found"
    );
    assert_eq!(
        refusal(r#"{"x": [{"suffix": {"wildcard": "a"}}]}"#),
        "Unsupported suffix pattern: wildcard"
    );
    assert_eq!(
        refusal(r#"{"x": [{"prefix": {"equals-ignore-case": 1}}]}"#),
        "equals-ignore-case match pattern must be a string"
    );
}

#[test]
fn refuses_equals_ignore_case_values_that_are_not_strings() {
    for p in [
        r#"{"detail-type": [{"equals-ignore-case": ["ec2 instance state-change notification"]}]}"#,
        r#"{"detail-type": [{"equals-ignore-case": {"prefix": "ec2"}}]}"#,
        r#"{"detail-type": [{"equals-ignore-case": 5}]}"#,
    ] {
        assert_eq!(
            refusal(p),
            "equals-ignore-case match pattern must be a string",
            "{p}"
        );
    }
}

#[test]
fn refuses_malformed_anything_but() {
    assert_eq!(
        refusal(r#"{"x": [{"anything-but": null}]}"#),
        "Value of anything-but must be an array or single string/number value."
    );
    assert_eq!(
        refusal(r#"{"x": [{"anything-but": true}]}"#),
        "Value of anything-but must be an array or single string/number value."
    );
    assert_eq!(
        refusal(r#"{"x": [{"anything-but": ["stopped", null]}]}"#),
        "Inside anything but list, start|null|boolean is not supported."
    );
    assert_eq!(
        refusal(r#"{"x": [{"anything-but": ["a", 1]}]}"#),
        "Inside anything but list, either all values are number or string, mixed type is not supported"
    );
    assert_eq!(
        refusal(r#"{"x": [{"anything-but": []}]}"#),
        "Inside anything but list, either all values are number or string, mixed type is not supported"
    );
    assert_eq!(
        refusal(r#"{"x": [{"anything-but": {}}]}"#),
        "Anything-But expression name not found"
    );
    assert_eq!(
        refusal(r#"{"x": [{"anything-but": {"numeric": [">", 1]}}]}"#),
        "Unsupported anything-but pattern: numeric"
    );
    assert_eq!(
        refusal(r#"{"x": [{"anything-but": {"prefix": "a", "suffix": "b"}}]}"#),
        "Too many elements in numeric expression"
    );
}

#[test]
fn refuses_anything_but_operands_of_the_wrong_type() {
    let cases = [
        (r#"{"x": [{"anything-but": {"prefix": 123}}]}"#, "prefix/suffix match pattern must be a string"),
        (r#"{"x": [{"anything-but": {"prefix": [123, "test"]}}]}"#, "prefix/suffix match pattern must be a string"),
        (r#"{"x": [{"anything-but": {"suffix": [null, ".txt"]}}]}"#, "prefix/suffix match pattern must be a string"),
        (r#"{"x": [{"anything-but": {"prefix": ""}}]}"#, "Null prefix/suffix not allowed"),
        (r#"{"x": [{"anything-but": {"suffix": ""}}]}"#, "Null prefix/suffix not allowed"),
        (
            r#"{"x": [{"anything-but": {"equals-ignore-case": 123}}]}"#,
            "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
        ),
        (
            r#"{"x": [{"anything-but": {"equals-ignore-case": [123, 456]}}]}"#,
            "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
        ),
        (r#"{"x": [{"anything-but": {"wildcard": 123}}]}"#, "wildcard match pattern must be a string"),
        (r#"{"x": [{"anything-but": {"wildcard": [123, "*/dir/*"]}}]}"#, "wildcard match pattern must be a string"),
        (
            r#"{"x": [{"anything-but": {"prefix": {"equals-ignore-case": "file"}}}]}"#,
            "Value of anything-but must be an array or single string/number value.",
        ),
        (
            r#"{"x": [{"anything-but": {"wildcard": "a**"}}]}"#,
            "Consecutive wildcard characters at pos 2",
        ),
    ];
    for (pattern, reason) in cases {
        assert_eq!(refusal(pattern), reason, "{pattern}");
    }
}

#[test]
fn refuses_malformed_numeric_expressions() {
    let cases = [
        (
            r#"{"c": [{"numeric": 10}]}"#,
            "Value of numeric must be an array.",
        ),
        (
            r#"{"c": [{"numeric": []}]}"#,
            "Invalid member in numeric match: ]",
        ),
        (
            r#"{"c": [{"numeric": [5, ">"]}]}"#,
            "Invalid member in numeric match: 5",
        ),
        (
            r#"{"c": [{"numeric": ["!=", 5]}]}"#,
            "Unrecognized numeric range operator: !=",
        ),
        (
            r#"{"c": [{"numeric": ["=", "5"]}]}"#,
            "Value of equals must be numeric",
        ),
        (
            r#"{"c": [{"numeric": [">"]}]}"#,
            "Value of > must be numeric",
        ),
        (
            r#"{"c": [{"numeric": [">", 0, "<"]}]}"#,
            "Value of < must be numeric",
        ),
        (
            r#"{"c": [{"numeric": [">", 0, ">", 0]}]}"#,
            "Bad numeric range operator: >",
        ),
        (
            r#"{"c": [{"numeric": [">", 0, 5]}]}"#,
            "Bad value in numeric range: 5",
        ),
        (
            r#"{"c": [{"numeric": [">", 0, "<", 5, "<", 6]}]}"#,
            "Too many terms in numeric range expression",
        ),
        (
            r#"{"c": [{"numeric": ["=", 5, ">", 6]}]}"#,
            "Too many elements in numeric expression",
        ),
        (
            r#"{"c": [{"numeric": ["<", 5, ">", 0]}]}"#,
            "Too many elements in numeric expression",
        ),
        (
            r#"{"c": [{"numeric": [">", 5, "<", 5]}]}"#,
            "Bottom must be less than top",
        ),
        (
            r#"{"c": [{"numeric": [">=", 6, "<=", 5]}]}"#,
            "Bottom must be less than top",
        ),
    ];
    for (pattern, reason) in cases {
        assert_eq!(refusal(pattern), reason, "{pattern}");
    }
}

#[test]
fn refuses_malformed_exists() {
    for p in [
        r#"{"x": [{"exists": "true"}]}"#,
        r#"{"x": [{"exists": null}]}"#,
        r#"{"x": [{"exists": 1}]}"#,
    ] {
        assert_eq!(
            refusal(p),
            "exists match pattern must be either true or false.",
            "{p}"
        );
    }
}

#[test]
fn refuses_malformed_cidr() {
    let cases = [
        (
            r#"{"ip": [{"cidr": ["bad-type"]}]}"#,
            "prefix match pattern must be a string",
        ),
        (
            r#"{"ip": [{"cidr": "bad-filter"}]}"#,
            "Malformed CIDR, one '/' required",
        ),
        (
            r#"{"ip": [{"cidr": "10.0.0.0"}]}"#,
            "Malformed CIDR, one '/' required",
        ),
        (
            r#"{"ip": [{"cidr": "10.0.0.0/"}]}"#,
            "Malformed CIDR, one '/' required",
        ),
        (
            r#"{"ip": [{"cidr": "10.0.0.0/8/8"}]}"#,
            "Malformed CIDR, one '/' required",
        ),
        (
            r#"{"ip": [{"cidr": "bad-/64filter"}]}"#,
            "Malformed CIDR, mask bits must be an integer",
        ),
        (
            r#"{"ip": [{"cidr": "10.0.0.0/-1"}]}"#,
            "Malformed CIDR, mask bits must not be negative",
        ),
        (
            r#"{"ip": [{"cidr": "xx.11.xx/8"}]}"#,
            "Nonstandard IP address: xx.11.xx",
        ),
        (
            r#"{"ip": [{"cidr": "xxxx:db8:1234:1a00::/64"}]}"#,
            "Nonstandard IP address: xxxx:db8:1234:1a00::",
        ),
        (
            r#"{"ip": [{"cidr": "300.0.0.0/8"}]}"#,
            "Invalid IP address: 300.0.0.0",
        ),
        (
            r#"{"ip": [{"cidr": "1:2:3/64"}]}"#,
            "Invalid IP address: 1:2:3",
        ),
        (
            r#"{"ip": [{"cidr": "10.0.0.0/32"}]}"#,
            "IPv4 mask bits must be < 32",
        ),
        (
            r#"{"ip": [{"cidr": "::1/128"}]}"#,
            "IPv6 mask bits must be < 128",
        ),
    ];
    for (pattern, reason) in cases {
        assert_eq!(refusal(pattern), reason, "{pattern}");
    }
}

#[test]
fn refuses_malformed_wildcards() {
    assert_eq!(
        refusal(r#"{"x": [{"wildcard": 123}]}"#),
        "wildcard match pattern must be a string"
    );
    assert_eq!(
        refusal(r#"{"x": [{"wildcard": ["arn:aws:events:us-east-1:**:event-bus/*"]}]}"#),
        "wildcard match pattern must be a string"
    );
    assert_eq!(
        refusal(r#"{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:**:event-bus/*"}]}"#),
        "Consecutive wildcard characters at pos 26"
    );
    assert_eq!(
        refusal(r#"{"x": [{"wildcard": "a\\b"}]}"#),
        "Invalid escape character at pos 2"
    );
    assert_eq!(
        refusal(r#"{"x": [{"wildcard": "ab\\"}]}"#),
        "Invalid escape character at pos 3"
    );
    assert_eq!(
        refusal(r#"{"x": [{"wildcard": "\\\\**"}]}"#),
        "Consecutive wildcard characters at pos 3"
    );
}

#[test]
fn refuses_wildcards_that_are_too_complex() {
    let too_complex =
        "Rule is too complex - try using fewer wildcard characters or fewer repeating \
                       character sequences after a wildcard character";
    assert_eq!(
        refusal(r#"{"EventBusArn": [{"wildcard": "*:*:*:*:*:event-bus/*"}]}"#),
        too_complex
    );
    assert_eq!(
        refusal(
            r#"{"x": [{"wildcard": "*:stack/a/*"}, {"wildcard": "*:stack/b/*"}, {"wildcard": "*:stack/c/*"}, {"wildcard": "*:stack/d/*"}]}"#
        ),
        too_complex
    );
    assert!(Pattern::parse(
        r#"{"x": [{"wildcard": "*:stack/a/*"}, {"wildcard": "*:stack/b/*"}, {"wildcard": "*:stack/c/*"}]}"#
    )
    .is_ok());
    assert!(Pattern::parse(r#"{"x": [{"wildcard": "*:*:*:*:event-bus/*"}]}"#).is_ok());
    assert!(Pattern::parse(r#"{"x": [{"wildcard": "\\*\\*\\*\\*\\*\\*\\*"}]}"#).is_ok());
}

#[test]
fn refuses_malformed_or() {
    let cases = [
        (
            r#"{"$or": {"a": ["b"]}}"#,
            "It must be an Array followed with $or.",
        ),
        (
            r#"{"$or": [{"a": ["b"]}, "c"]}"#,
            "Only JSON object is allowed in array of $or relationship.",
        ),
        (
            r#"{"$or": [{"a": ["b"]}]}"#,
            "There must have at least 2 Objects in $or relationship.",
        ),
        (
            r#"{"$or": []}"#,
            "There must have at least 2 Objects in $or relationship.",
        ),
        (
            r#"{"$or": [{"a": ["b"]}, {}]}"#,
            "Empty objects are not allowed",
        ),
        (
            r#"{"$or": [{"numeric": [123]}, {"prefix": ["abc"]}]}"#,
            "numeric is Ruler reserved fieldName which cannot be used inside $or.",
        ),
        (
            r#"{"$or": [{"a": {"exists": [true]}}, {"b": ["c"]}]}"#,
            "exists is Ruler reserved fieldName which cannot be used inside $or.",
        ),
    ];
    for (pattern, reason) in cases {
        assert_eq!(refusal(pattern), reason, "{pattern}");
    }
    // Outside $or those names are ordinary fields.
    assert!(matches(
        r#"{"detail": {"prefix": ["x"]}}"#,
        detail(json!({"prefix": "x"}))
    ));
}

#[test]
fn refuses_or_over_1000_combinations() {
    let group = |name: &str, n: usize| {
        let alternatives: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"{name}{i}": [{i}]}}"#))
            .collect();
        format!("[{}]", alternatives.join(","))
    };
    // 10 x 10 x 10 = 1000 combinations: accepted.
    let at_limit = format!(
        r#"{{"a": {{"$or": {}}}, "b": {{"$or": {}}}, "c": {{"$or": {}}}}}"#,
        group("x", 10),
        group("y", 10),
        group("z", 10)
    );
    assert!(Pattern::parse(&at_limit).is_ok());
    // 10 x 10 x 11 = 1100: refused.
    let over = format!(
        r#"{{"a": {{"$or": {}}}, "b": {{"$or": {}}}, "c": {{"$or": {}}}}}"#,
        group("x", 10),
        group("y", 10),
        group("z", 11)
    );
    let reason = refusal(&over);
    assert!(
        reason.contains("1100") && reason.contains("1000"),
        "{reason}"
    );
}

#[test]
fn refuses_patterns_over_2048_characters() {
    let values: Vec<String> = (0..300).map(|i| format!("\"value-{i:04}\"")).collect();
    let big = format!(r#"{{"source": [{}]}}"#, values.join(","));
    assert!(big.chars().count() > 2048);
    let reason = refusal(&big);
    assert!(reason.contains("2048"), "{reason}");
    let value: Value = serde_json::from_str(&big).unwrap();
    assert!(Pattern::from_value(&value).is_err());

    // Exactly 2048 characters is within the quota.
    let mut text = String::from(r#"{"source": [""]}"#);
    let padding = "x".repeat(2048 - text.len());
    text.insert_str(13, &padding);
    assert_eq!(text.chars().count(), 2048);
    assert!(Pattern::parse(&text).is_ok());
    text.insert(13, 'y');
    assert!(Pattern::parse(&text).is_err());
}

#[test]
fn size_counts_characters_not_bytes() {
    let mut text = String::from(r#"{"source": [""]}"#);
    let padding = "é".repeat(2048 - text.len());
    text.insert_str(13, &padding);
    assert_eq!(text.chars().count(), 2048);
    assert!(text.len() > 2048);
    assert!(Pattern::parse(&text).is_ok());
}

#[test]
fn from_value_counts_the_compact_json_size() {
    // Whitespace in text counts; a parsed value is measured compact.
    let spaced = format!(r#"{{"source":{}["a"]}}"#, " ".repeat(3000));
    assert!(Pattern::parse(&spaced).is_err());
    let value: Value = serde_json::from_str(&spaced).unwrap();
    assert!(Pattern::from_value(&value).is_ok());
}

#[test]
fn deeply_nested_patterns_are_refused_without_crashing() {
    let depth = 5000;
    let text = format!("{}[1]{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
    assert!(Pattern::parse(&text).is_err());
    let mut value = json!([1]);
    for _ in 0..depth {
        let mut map = serde_json::Map::new();
        map.insert("a".to_owned(), value);
        value = Value::Object(map);
    }
    assert!(Pattern::from_value(&value).is_err());
    // Dropping a value this deep recurses in serde_json; leak it instead.
    std::mem::forget(value);
}

#[test]
fn never_panics_on_generated_patterns_and_events() {
    // A small deterministic generator of JSON values built from the pattern
    // vocabulary, so that many near-valid patterns are tried.
    struct Gen(u64);
    impl Gen {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
        fn value(&mut self, depth: u32) -> Value {
            const WORDS: &[&str] = &[
                "prefix",
                "suffix",
                "anything-but",
                "numeric",
                "exists",
                "cidr",
                "wildcard",
                "equals-ignore-case",
                "$or",
                "a",
                "b",
                "a.b",
                "",
                "*",
                "\\*",
                "10.0.0.0/8",
                "::/0",
                ">",
                "<=",
                "=",
                "a**b",
                "x\\",
                "é",
            ];
            let word = |g: &mut Gen| WORDS[g.next(WORDS.len() as u64) as usize].to_owned();
            match if depth == 0 {
                self.next(5)
            } else {
                self.next(8)
            } {
                0 => Value::Null,
                1 => Value::Bool(self.next(2) == 0),
                2 => json!(self.next(20) as i64 - 10),
                3 => json!(self.next(1000) as f64 / 7.0),
                4 => Value::String(word(self)),
                5 | 6 => {
                    let n = self.next(4);
                    let mut map = serde_json::Map::new();
                    for _ in 0..n {
                        map.insert(word(self), self.value(depth - 1));
                    }
                    Value::Object(map)
                }
                _ => {
                    let n = self.next(4);
                    Value::Array((0..n).map(|_| self.value(depth - 1)).collect())
                }
            }
        }
    }
    let mut g = Gen(42);
    let mut accepted = 0;
    for _ in 0..20_000 {
        let pattern = g.value(4);
        let event = g.value(4);
        match Pattern::from_value(&pattern) {
            Ok(p) => {
                accepted += 1;
                let _ = p.matches(&event);
                let _ = p.matches(&json!({"a": event}));
            }
            Err(e) => assert!(e
                .message()
                .starts_with("Event pattern is not valid. Reason: ")),
        }
        let _ = Pattern::parse(&pattern.to_string());
    }
    assert!(
        accepted > 0,
        "the generator should produce some valid patterns"
    );
}

// ---------------------------------------------------------------------------
// Many rules against one event
// ---------------------------------------------------------------------------

#[test]
fn a_thousand_compiled_rules_select_the_matching_ones() {
    let rules: Vec<Pattern> = (0..1000)
        .map(|i| {
            compile(&format!(
                r#"{{"source": ["app.{}"], "detail": {{"n": [{{"numeric": [">=", {i}]}}], "kind": [{{"prefix": {{"equals-ignore-case": "ORDER"}}}}]}}}}"#,
                i % 10
            ))
        })
        .collect();
    let event = json!({"source": "app.3", "detail-type": "x", "detail": {"n": 500, "kind": "order-created"}});
    let matched: Vec<usize> = rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.matches(&event))
        .map(|(i, _)| i)
        .collect();
    let expected: Vec<usize> = (0..=500).filter(|i| i % 10 == 3).collect();
    assert_eq!(matched, expected);
}
