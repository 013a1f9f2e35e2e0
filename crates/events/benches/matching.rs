//! What matching one event against 1,000 rules costs: each rule's pattern tests the source,
//! the detail type and two detail fields (a value list and a numeric range), as rules
//! usually do; all but one miss, and only on their last field.

use baton_events::pattern::Pattern;
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;

fn patterns(n: usize) -> Vec<Pattern> {
    (0..n)
        .map(|i| {
            let kind = if i == n - 1 {
                "order".to_string()
            } else {
                format!("other-{i}")
            };
            Pattern::from_value(&json!({
                "source": ["shop.orders"],
                "detail-type": ["Order Placed", "Order Updated"],
                "detail": {
                    "total": [{"numeric": [">", 100, "<=", 10000]}],
                    "kind": [kind, {"prefix": "urgent-"}],
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
    let rules = patterns(1000);
    c.bench_function("one event against 1,000 rules", |b| {
        b.iter(|| rules.iter().filter(|p| p.matches(&event)).count())
    });
    let one = &rules[999];
    c.bench_function("one event against one rule", |b| {
        b.iter(|| one.matches(&event))
    });
}

criterion_group!(benches, matching);
criterion_main!(benches);
