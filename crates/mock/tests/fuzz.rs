//! Property tests: `parse` never panics on any text, and the lookup of a generated valid file
//! agrees with a plain linear search over what was generated.

use baton_mock::{MockConfig, MockResponse, ParseError};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Fragments that steer random text towards the parser's interesting paths.
fn near_json() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(",".to_owned()),
        Just(":".to_owned()),
        Just("\"StateMachines\"".to_owned()),
        Just("\"MockedResponses\"".to_owned()),
        Just("\"TestCases\"".to_owned()),
        Just("\"Return\"".to_owned()),
        Just("\"Throw\"".to_owned()),
        Just("\"Error\"".to_owned()),
        Just("\"Cause\"".to_owned()),
        Just("\"0\"".to_owned()),
        Just("\"1-2\"".to_owned()),
        Just("\"3-1\"".to_owned()),
        Just("null".to_owned()),
        Just("1e999".to_owned()),
        Just("-0".to_owned()),
        "\"[a-zA-Z0-9 ~/-]{0,6}\"",
        "[ -~]{0,3}",
    ];
    prop::collection::vec(token, 0..60).prop_map(|t| t.concat())
}

/// One attempt table: disjoint ranges with random gaps between them, each with an outcome.
fn table() -> impl Strategy<Value = Vec<((u32, u32), Value)>> {
    let outcome = prop_oneof![
        any::<i64>().prop_map(|n| json!({"Return": n})),
        "[a-z]{0,5}".prop_map(|s| json!({"Return": {"s": s}})),
        Just(json!({"Return": null})),
        Just(json!({"Throw": {}})),
        ("[A-Za-z.]{1,8}", proptest::option::of("[ -~]{0,8}")).prop_map(|(e, c)| match c {
            Some(c) => json!({"Throw": {"Error": e, "Cause": c}}),
            None => json!({"Throw": {"Error": e}}),
        }),
    ];
    prop::collection::vec((0u32..4, 0u32..4, outcome), 0..6).prop_map(|spans| {
        let mut next = 0u32;
        spans
            .into_iter()
            .map(|(gap, len, outcome)| {
                let start = next + gap;
                let end = start + len;
                next = end + 1;
                ((start, end), outcome)
            })
            .collect()
    })
}

fn expected(entry: &Value) -> MockResponse {
    if let Some(v) = entry.get("Return") {
        return MockResponse::Return(v.clone());
    }
    let throw = entry.get("Throw");
    let text = |k: &str| {
        throw
            .and_then(|t| t.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    MockResponse::Throw {
        error: text("Error"),
        cause: text("Cause"),
    }
}

fn key(start: u32, end: u32) -> String {
    if start == end {
        start.to_string()
    } else {
        format!("{start}-{end}")
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_never_panics_on_any_text(text in any::<String>()) {
        let _ = MockConfig::parse(&text);
    }

    #[test]
    fn parse_never_panics_on_near_json(text in near_json()) {
        let _ = MockConfig::parse(&text);
    }

    #[test]
    fn generated_tables_look_up_like_a_linear_search(
        table in table(),
        reversed in any::<bool>(),
    ) {
        let mut entries: Vec<(String, Value)> = table
            .iter()
            .map(|((s, e), v)| (key(*s, *e), v.clone()))
            .collect();
        // Key order in the file must not matter.
        if reversed {
            entries.reverse();
        }
        let responses: Map<String, Value> = entries.into_iter().collect();
        let file = json!({
            "StateMachines": {"SM": {"TestCases": {"Case": {"State": "R"}}}},
            "MockedResponses": {"R": responses},
        });
        let config = MockConfig::parse(&file.to_string()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let case = config.test_case("SM", "Case").map_err(|e| TestCaseError::fail(e.to_string()))?;
        let last = table.last().map_or(0, |((_, e), _)| *e);
        for attempt in 0..=last + 2 {
            let want = table
                .iter()
                .find(|((s, e), _)| *s <= attempt && attempt <= *e)
                .map(|(_, v)| expected(v));
            let got = case.response("State", attempt).ok();
            prop_assert_eq!(got, want, "attempt {}", attempt);
        }
    }

    #[test]
    fn any_two_overlapping_ranges_are_rejected(a in 0u32..50, b in 0u32..50, c in 0u32..50, d in 0u32..50) {
        let (r1, r2) = ((a.min(b), a.max(b)), (c.min(d), c.max(d)));
        prop_assume!(key(r1.0, r1.1) != key(r2.0, r2.1));
        let overlap = r1.0 <= r2.1 && r2.0 <= r1.1;
        let file = json!({
            "StateMachines": {},
            "MockedResponses": {"R": {
                key(r1.0, r1.1): {"Return": 1},
                key(r2.0, r2.1): {"Return": 2},
            }},
        });
        let got = MockConfig::parse(&file.to_string());
        prop_assert_eq!(
            matches!(got, Err(ParseError::OverlappingAttempts { .. })),
            overlap,
            "{:?} {:?}: {:?}", r1, r2, got
        );
    }
}
