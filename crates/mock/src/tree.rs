//! A JSON tree that keeps every object member, duplicates included, so the validator can reject
//! a key given twice instead of silently keeping the last one as `serde_json::Value` does.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// One JSON value. Objects are member lists in document order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tree {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Tree>),
    Object(Vec<(String, Tree)>),
}

/// The JSON type of a value, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    Null,
    Boolean,
    Number,
    String,
    Array,
    Object,
}

impl fmt::Display for JsonKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsonKind::Null => "null",
            JsonKind::Boolean => "a boolean",
            JsonKind::Number => "a number",
            JsonKind::String => "a string",
            JsonKind::Array => "an array",
            JsonKind::Object => "an object",
        })
    }
}

impl Tree {
    pub(crate) fn kind(&self) -> JsonKind {
        match self {
            Tree::Null => JsonKind::Null,
            Tree::Bool(_) => JsonKind::Boolean,
            Tree::Number(_) => JsonKind::Number,
            Tree::String(_) => JsonKind::String,
            Tree::Array(_) => JsonKind::Array,
            Tree::Object(_) => JsonKind::Object,
        }
    }

    /// The first member name that occurs twice anywhere in this value, with the JSON Pointer
    /// of the object holding it. Iterative, so a deep payload cannot exhaust the stack (the
    /// parser already caps nesting at 128 levels, but this walk does not rely on it).
    pub(crate) fn first_duplicate(&self, base: &str) -> Option<(String, String)> {
        let mut stack: Vec<(String, &Tree)> = vec![(base.to_owned(), self)];
        while let Some((path, node)) = stack.pop() {
            match node {
                Tree::Object(members) => {
                    if let Some(dup) = duplicate_name(members) {
                        return Some((path, dup.to_owned()));
                    }
                    for (k, v) in members.iter().rev() {
                        stack.push((pointer_push(&path, k), v));
                    }
                }
                Tree::Array(items) => {
                    for (i, v) in items.iter().enumerate().rev() {
                        stack.push((pointer_push(&path, &i.to_string()), v));
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Converts to a `serde_json::Value` (object members in document order). Callers check
    /// for duplicates first; if one slipped through, the last member wins as in serde_json.
    /// Iterative for the same reason as `first_duplicate`.
    pub(crate) fn into_value(self) -> Value {
        enum Frame {
            Array(Vec<Value>, std::vec::IntoIter<Tree>),
            Object(
                Map<String, Value>,
                std::vec::IntoIter<(String, Tree)>,
                String,
            ),
        }
        let mut stack: Vec<Frame> = Vec::new();
        let mut next = Some(self);
        loop {
            // Descend into `next`, or finish a leaf and hand it to the enclosing frame.
            let mut done: Option<Value> = None;
            if let Some(node) = next.take() {
                match node {
                    Tree::Null => done = Some(Value::Null),
                    Tree::Bool(b) => done = Some(Value::Bool(b)),
                    Tree::Number(n) => done = Some(Value::Number(n)),
                    Tree::String(s) => done = Some(Value::String(s)),
                    Tree::Array(items) => stack.push(Frame::Array(
                        Vec::with_capacity(items.len()),
                        items.into_iter(),
                    )),
                    Tree::Object(members) => stack.push(Frame::Object(
                        Map::new(),
                        members.into_iter(),
                        String::new(),
                    )),
                }
            }
            // Feed a finished value upwards until some frame needs another child.
            loop {
                let Some(frame) = stack.last_mut() else {
                    return done.unwrap_or(Value::Null);
                };
                match frame {
                    Frame::Array(out, rest) => {
                        if let Some(v) = done.take() {
                            out.push(v);
                        }
                        if let Some(child) = rest.next() {
                            next = Some(child);
                            break;
                        }
                    }
                    Frame::Object(out, rest, key) => {
                        if let Some(v) = done.take() {
                            out.insert(std::mem::take(key), v);
                        }
                        if let Some((k, child)) = rest.next() {
                            *key = k;
                            next = Some(child);
                            break;
                        }
                    }
                }
                done = match stack.pop() {
                    Some(Frame::Array(out, _)) => Some(Value::Array(out)),
                    Some(Frame::Object(out, _, _)) => Some(Value::Object(out)),
                    None => None,
                };
            }
        }
    }
}

fn duplicate_name(members: &[(String, Tree)]) -> Option<&str> {
    let mut seen = std::collections::HashSet::with_capacity(members.len());
    members
        .iter()
        .map(|(k, _)| k.as_str())
        .find(|k| !seen.insert(*k))
}

/// Appends one reference token to a JSON Pointer (RFC 6901 escaping).
pub(crate) fn pointer_push(base: &str, token: &str) -> String {
    let mut out = String::with_capacity(base.len() + token.len() + 1);
    out.push_str(base);
    out.push('/');
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Tree, E> {
        Ok(Tree::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Tree, E> {
        Ok(Tree::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Tree, E> {
        Ok(Tree::Number(v.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Tree, E> {
        Number::from_f64(v)
            .map(Tree::Number)
            .ok_or_else(|| E::custom("number is not finite"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Tree, E> {
        Ok(Tree::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Tree, E> {
        Ok(Tree::String(v))
    }

    fn visit_unit<E>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }

    fn visit_none<E>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Tree::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
        let mut members = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Tree>()? {
            members.push((k, v));
        }
        Ok(Tree::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> Tree {
        serde_json::from_str(text).expect("test input is valid JSON")
    }

    #[test]
    fn into_value_matches_serde_json() {
        let cases = [
            "null",
            "true",
            "-3",
            "18446744073709551615",
            "1.5e300",
            r#""s""#,
            "[]",
            "{}",
            r#"{"a":[1,{"b":[[],{}]},"x"],"c":{"d":null},"e":0.1}"#,
            r#"[[[[[1]]]],{"z":1,"a":2}]"#,
        ];
        for text in cases {
            let expected: Value = serde_json::from_str(text).expect("valid");
            let got = tree(text).into_value();
            assert_eq!(got, expected, "{text}");
            // Member order is kept, which Value equality does not check.
            assert_eq!(got.to_string(), expected.to_string(), "{text}");
        }
    }

    #[test]
    fn finds_duplicates_with_their_pointer() {
        let cases: [(&str, Option<(&str, &str)>); 5] = [
            (r#"{"a":1,"b":2}"#, None),
            (r#"{"a":1,"a":2}"#, Some(("", "a"))),
            (r#"{"x":[{"k":1},{"k":1,"k":2}]}"#, Some(("/x/1", "k"))),
            (r#"{"a/b":{"~":0,"~":1}}"#, Some(("/a~1b", "~"))),
            (r#"[1,[2,{"q":{}}]]"#, None),
        ];
        for (text, expected) in cases {
            let got = tree(text).first_duplicate("");
            let expected = expected.map(|(p, k)| (p.to_owned(), k.to_owned()));
            assert_eq!(got, expected, "{text}");
        }
    }
}
