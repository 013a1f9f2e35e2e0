//! What matching one event against 1,000 rules costs: each rule's pattern tests the source,
//! the detail type and two detail fields (a value list and a numeric range), as rules
//! usually do; all but one miss, and only on their last field. Once with a `prefix` beside
//! each rule's values, which leaves the index nothing to file the rules under (every rule is
//! tested), once with exact values only (the index finds the one rule to test).

use baton_event_patterns::index::RuleIndex;
use baton_event_patterns::pattern::Pattern;
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;

fn patterns(n: usize, with_prefix: bool) -> Vec<Pattern> {
    (0..n)
        .map(|i| {
            let kind = if i == n - 1 {
                "order".to_string()
            } else {
                format!("other-{i}")
            };
            let kinds = if with_prefix {
                json!([kind, {"prefix": "urgent-"}])
            } else {
                json!([kind])
            };
            Pattern::from_value(&json!({
                "source": ["shop.orders"],
                "detail-type": ["Order Placed", "Order Updated"],
                "detail": {
                    "total": [{"numeric": [">", 100, "<=", 10000]}],
                    "kind": kinds,
                },
            }))
            .expect("a valid pattern")
        })
        .collect()
}

fn matching(c: &mut Criterion) {
    let event = json!({
        "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "Order Placed", "source": "shop.orders", "account": "111111111111",
        "time": "2026-12-07T12:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"order": "o-1", "total": 250, "kind": "order",
            "lines": [{"sku": "a", "n": 1}, {"sku": "b", "n": 2}]},
    });
    let rules = patterns(1000, true);
    c.bench_function("one event against 1,000 rules, each tested", |b| {
        b.iter(|| rules.iter().filter(|p| p.matches(&event)).count())
    });
    let one = &rules[999];
    c.bench_function("one event against one rule", |b| {
        b.iter(|| one.matches(&event))
    });
    let index = RuleIndex::build(patterns(1000, false), |p: &Pattern| Some(p));
    assert_eq!(index.candidates(&event).len(), 1);
    c.bench_function("one event against 1,000 rules, through the index", |b| {
        b.iter(|| {
            index
                .candidates(&event)
                .into_iter()
                .filter(|p| p.matches(&event))
                .count()
        })
    });
}

criterion_group!(benches, matching);
criterion_main!(benches);
