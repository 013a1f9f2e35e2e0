//! Reading a Choice rule object into an expression tree: which operator it uses, the type of
//! its operand, the `StringMatches` pattern.

use serde_json::{Map, Value};

use crate::path::Path;

use super::timestamp::{is_rfc3339, parse_timestamp, Timestamp};

/// Rules nest through `And`/`Or`/`Not`; deeper than this is refused.
const MAX_DEPTH: usize = 64;

/// Members a rule may carry that are not part of its Boolean expression.
const IGNORED: [&str; 4] = ["Next", "Comment", "Assign", "Output"];

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Test(Box<(Path, Test)>),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Test {
    Compare {
        kind: Kind,
        cmp: Cmp,
        operand: Operand,
    },
    Matches(Pattern),
    Is {
        check: TypeCheck,
        expect: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    String,
    Numeric,
    Boolean,
    Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cmp {
    Eq,
    Lt,
    Gt,
    Le,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TypeCheck {
    Null,
    Present,
    Numeric,
    String,
    Boolean,
    Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Operand {
    Literal(Value),
    /// A timestamp literal, read once.
    Timestamp(Timestamp),
    Path(Path),
}

/// A `StringMatches` pattern: `*` matches any run of characters; `\*` is a literal star
/// and `\\` a literal backslash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pattern {
    /// `None` is a `*`.
    parts: Vec<Option<char>>,
}

impl Pattern {
    fn parse(text: &str) -> Pattern {
        let mut parts = Vec::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.peek() {
                    Some(&next @ ('*' | '\\')) => {
                        chars.next();
                        parts.push(Some(next));
                    }
                    _ => parts.push(Some('\\')),
                },
                '*' => parts.push(None),
                c => parts.push(Some(c)),
            }
        }
        Pattern { parts }
    }

    /// Wildcard matching without backtracking blow-up: on a mismatch, retry from the most
    /// recent `*` one character further on.
    pub(super) fn matches(&self, s: &str) -> bool {
        let text: Vec<char> = s.chars().collect();
        let (mut p, mut t) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            match self.parts.get(p) {
                Some(Some(c)) if *c == text[t] => {
                    p += 1;
                    t += 1;
                }
                Some(None) => {
                    star = Some((p, t));
                    p += 1;
                }
                _ => match star {
                    Some((sp, st)) => {
                        p = sp + 1;
                        t = st + 1;
                        star = Some((sp, st + 1));
                    }
                    None => return false,
                },
            }
        }
        self.parts[p.min(self.parts.len())..]
            .iter()
            .all(Option::is_none)
    }
}

const COMPARISONS: [(&str, Kind, Cmp); 16] = [
    ("StringEquals", Kind::String, Cmp::Eq),
    ("StringLessThan", Kind::String, Cmp::Lt),
    ("StringGreaterThan", Kind::String, Cmp::Gt),
    ("StringLessThanEquals", Kind::String, Cmp::Le),
    ("StringGreaterThanEquals", Kind::String, Cmp::Ge),
    ("NumericEquals", Kind::Numeric, Cmp::Eq),
    ("NumericLessThan", Kind::Numeric, Cmp::Lt),
    ("NumericGreaterThan", Kind::Numeric, Cmp::Gt),
    ("NumericLessThanEquals", Kind::Numeric, Cmp::Le),
    ("NumericGreaterThanEquals", Kind::Numeric, Cmp::Ge),
    ("BooleanEquals", Kind::Boolean, Cmp::Eq),
    ("TimestampEquals", Kind::Timestamp, Cmp::Eq),
    ("TimestampLessThan", Kind::Timestamp, Cmp::Lt),
    ("TimestampGreaterThan", Kind::Timestamp, Cmp::Gt),
    ("TimestampLessThanEquals", Kind::Timestamp, Cmp::Le),
    ("TimestampGreaterThanEquals", Kind::Timestamp, Cmp::Ge),
];

const TYPE_CHECKS: [(&str, TypeCheck); 6] = [
    ("IsNull", TypeCheck::Null),
    ("IsPresent", TypeCheck::Present),
    ("IsNumeric", TypeCheck::Numeric),
    ("IsString", TypeCheck::String),
    ("IsBoolean", TypeCheck::Boolean),
    ("IsTimestamp", TypeCheck::Timestamp),
];

pub(super) fn parse(rule: &Value, depth: usize) -> Result<Expr, String> {
    if depth > MAX_DEPTH {
        return Err("Choice rules are nested too deeply".to_string());
    }
    let Value::Object(map) = rule else {
        return Err("A Choice rule must be a JSON object".to_string());
    };
    if let Some(v) = map.get("And") {
        return Ok(Expr::And(parse_list("And", v, depth)?));
    }
    if let Some(v) = map.get("Or") {
        return Ok(Expr::Or(parse_list("Or", v, depth)?));
    }
    if let Some(v) = map.get("Not") {
        return Ok(Expr::Not(Box::new(parse(v, depth + 1)?)));
    }
    parse_test(map)
}

fn parse_list(name: &str, v: &Value, depth: usize) -> Result<Vec<Expr>, String> {
    match v {
        Value::Array(items) if !items.is_empty() => {
            items.iter().map(|r| parse(r, depth + 1)).collect()
        }
        _ => Err(format!(
            "'{name}' must be a non-empty array of Choice rules"
        )),
    }
}

fn parse_test(map: &Map<String, Value>) -> Result<Expr, String> {
    let variable = match map.get("Variable") {
        Some(Value::String(s)) => Path::parse(s).map_err(|e| {
            format!("The value for the field 'Variable' must be a valid JSONPath: {e}")
        })?,
        Some(_) => return Err("The value for the field 'Variable' must be a string".to_string()),
        None => return Err("A Choice rule needs 'Variable', 'And', 'Or' or 'Not'".to_string()),
    };
    let mut found: Option<Test> = None;
    for (key, value) in map {
        if key == "Variable" || IGNORED.contains(&key.as_str()) {
            continue;
        }
        let test = parse_operator(key, value)?;
        if found.is_some() {
            return Err(format!(
                "A Choice rule must have exactly one comparison operator; found another: '{key}'"
            ));
        }
        found = Some(test);
    }
    let test = found.ok_or_else(|| "A Choice rule needs a comparison operator".to_string())?;
    Ok(Expr::Test(Box::new((variable, test))))
}

fn parse_operator(key: &str, value: &Value) -> Result<Test, String> {
    if let Some((_, check)) = TYPE_CHECKS.iter().find(|(name, _)| *name == key) {
        let expect = value
            .as_bool()
            .ok_or_else(|| format!("The value for the field '{key}' must be a boolean"))?;
        return Ok(Test::Is {
            check: *check,
            expect,
        });
    }
    if key == "StringMatches" {
        let text = value.as_str().ok_or_else(|| {
            "The value for the field 'StringMatches' must be a string".to_string()
        })?;
        return Ok(Test::Matches(Pattern::parse(text)));
    }
    let (base, by_path) = match key.strip_suffix("Path") {
        Some(base) => (base, true),
        None => (key, false),
    };
    let (kind, cmp) = COMPARISONS
        .iter()
        .find(|(name, _, _)| *name == base)
        .map(|(_, k, c)| (*k, *c))
        .ok_or_else(|| format!("Unknown field in a Choice rule: '{key}'"))?;
    let operand = if by_path {
        let text = value
            .as_str()
            .ok_or_else(|| format!("The value for the field '{key}' must be a string"))?;
        Operand::Path(Path::parse(text).map_err(|e| {
            format!("The value for the field '{key}' must be a valid JSONPath: {e}")
        })?)
    } else {
        literal(key, kind, value)?
    };
    Ok(Test::Compare { kind, cmp, operand })
}

fn literal(key: &str, kind: Kind, value: &Value) -> Result<Operand, String> {
    let ok = match kind {
        Kind::String => value.is_string(),
        Kind::Numeric => value.is_number(),
        Kind::Boolean => value.is_boolean(),
        Kind::Timestamp => {
            let t = value
                .as_str()
                .filter(|s| is_rfc3339(s))
                .and_then(parse_timestamp)
                .ok_or_else(|| {
                    format!("String does not match RFC3339 timestamp at field '{key}'")
                })?;
            return Ok(Operand::Timestamp(t));
        }
    };
    if !ok {
        let want = match kind {
            Kind::String => "a string",
            Kind::Numeric => "a number",
            _ => "a boolean",
        };
        return Err(format!("The value for the field '{key}' must be {want}"));
    }
    Ok(Operand::Literal(value.clone()))
}
