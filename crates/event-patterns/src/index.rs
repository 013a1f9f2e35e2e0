//! Which of many rules an event may match, found without testing each one. Most patterns
//! name a field whose value must be one of a few exact strings (`source`, `detail-type`, a
//! detail field); each rule is filed under one such field of its pattern, the one whose
//! values tell the bus's rules apart best, and an event is tested only against the rules
//! filed under the values it holds there, and those with no such field. The index only
//! narrows: every candidate is still matched in full, and an event whose shape the index
//! cannot read simply (an array or a dotted name on the way to a field) is tested against
//! every rule.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::pattern::Pattern;

/// A field used for filing (its names from the top), and the items filed under each of its
/// values.
type Field = (Vec<String>, HashMap<String, Vec<usize>>);

/// Items (rules) with their patterns, filed for lookup.
#[derive(Debug)]
pub struct RuleIndex<T> {
    items: Vec<T>,
    /// Items filed under no field: always candidates.
    always: Vec<usize>,
    fields: Vec<Field>,
}

impl<T> RuleIndex<T> {
    /// Files `items`; `pattern` gives each one's pattern (`None`: always a candidate).
    pub fn build(items: Vec<T>, pattern: impl Fn(&T) -> Option<&Pattern>) -> RuleIndex<T> {
        let required: Vec<Vec<(Vec<&str>, Vec<&str>)>> = items
            .iter()
            .map(|item| pattern(item).map_or_else(Vec::new, Pattern::required_strings))
            .collect();
        // How many distinct values each field takes across the items.
        let mut distinct: HashMap<&[&str], HashSet<&str>> = HashMap::new();
        for (path, values) in required.iter().flatten() {
            distinct
                .entry(path.as_slice())
                .or_default()
                .extend(values.iter().copied());
        }
        let mut always = Vec::new();
        let mut fields: Vec<Field> = Vec::new();
        for (i, candidates) in required.iter().enumerate() {
            let best = candidates
                .iter()
                .max_by_key(|(path, _)| distinct.get(path.as_slice()).map_or(0, HashSet::len));
            let Some((path, values)) = best else {
                always.push(i);
                continue;
            };
            let at = match fields.iter().position(|(p, _)| p == path) {
                Some(at) => at,
                None => {
                    fields.push((path.iter().map(|s| s.to_string()).collect(), HashMap::new()));
                    fields.len() - 1
                }
            };
            for value in values {
                fields[at].1.entry(value.to_string()).or_default().push(i);
            }
        }
        RuleIndex {
            items,
            always,
            fields,
        }
    }

    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The items `event` may match, each once.
    pub fn candidates(&self, event: &Value) -> Vec<&T> {
        let mut picked: Vec<usize> = self.always.clone();
        for (path, by_value) in &self.fields {
            let Some(values) = strings_at(event, path) else {
                return self.items.iter().collect();
            };
            for value in values {
                if let Some(found) = by_value.get(value) {
                    picked.extend_from_slice(found);
                }
            }
        }
        picked.sort_unstable();
        picked.dedup();
        picked.into_iter().map(|i| &self.items[i]).collect()
    }
}

/// The strings `event` holds at `path` (the value, or the strings of an array there); `None`
/// when the way there is not plain objects with plain names, which the index does not read.
fn strings_at<'a>(event: &'a Value, path: &[String]) -> Option<Vec<&'a str>> {
    let mut at = event;
    for name in path {
        match at {
            Value::Object(map) => {
                // A dotted name joins fields the way the pattern's path does.
                if map.keys().any(|k| k.contains('.')) {
                    return None;
                }
                match map.get(name) {
                    Some(v) => at = v,
                    None => return Some(Vec::new()),
                }
            }
            Value::Array(_) => return None,
            _ => return Some(Vec::new()),
        }
    }
    match at {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                match item {
                    Value::String(s) => out.push(s.as_str()),
                    Value::Array(_) => return None,
                    _ => {}
                }
            }
            Some(out)
        }
        _ => Some(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn index(patterns: &[Value]) -> RuleIndex<Pattern> {
        let compiled = patterns
            .iter()
            .map(|p| Pattern::from_value(p).unwrap())
            .collect();
        RuleIndex::build(compiled, |p| Some(p))
    }

    /// The candidates always include every rule that matches.
    fn agrees(index: &RuleIndex<Pattern>, event: &Value) {
        let candidates = index.candidates(event);
        for p in index.items() {
            if p.matches(event) {
                assert!(
                    candidates.iter().any(|c| std::ptr::eq(*c, p)),
                    "{p:?} matches {event} but is no candidate"
                );
            }
        }
    }

    #[test]
    fn rules_are_filed_under_the_field_that_tells_them_apart() {
        let mut patterns: Vec<Value> = (0..100)
            .map(|i| json!({"source": ["shop"], "detail": {"kind": [format!("k{i}")]}}))
            .collect();
        patterns.push(json!({"detail": {"n": [{"numeric": [">", 1]}]}}));
        patterns.push(json!({"$or": [{"source": ["a"]}, {"source": ["shop"]}]}));
        let index = index(&patterns);
        let event = json!({"source": "shop", "detail": {"kind": "k7", "n": 5}});
        // k7's rule and the two with no exact field, not the other 99.
        assert_eq!(index.candidates(&event).len(), 3);
        agrees(&index, &event);
        // An array of kinds: each is looked up.
        let event = json!({"source": "shop", "detail": {"kind": ["k1", "k2", "k1"], "n": 0}});
        assert_eq!(index.candidates(&event).len(), 4);
        agrees(&index, &event);
    }

    #[test]
    fn shapes_the_index_does_not_read_make_every_rule_a_candidate() {
        let patterns: Vec<Value> = (0..10)
            .map(|i| json!({"detail": {"kind": [format!("k{i}")]}}))
            .collect();
        let index = index(&patterns);
        for event in [
            json!({"detail.kind": "k3"}),
            json!({"detail": [{"kind": "k3"}]}),
            json!({"detail": {"kind": [["k3"]]}}),
        ] {
            assert_eq!(index.candidates(&event).len(), 10, "{event}");
            agrees(&index, &event);
        }
        let missing = json!({"detail": {"other": 1}});
        assert!(index.candidates(&missing).is_empty());
    }
}
