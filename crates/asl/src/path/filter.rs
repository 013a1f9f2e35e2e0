//! Filter expressions `[?(<criteria> && <criteria> || ...)]` as Jayway JsonPath 2.0.0 parses
//! and applies them: string-split on `&&`/`||`, the operator found first in a fixed list wins,
//! unquoted literals stay strings and are compared through Java's `safeCompare`.

use std::borrow::Cow;
use std::cmp::Ordering;

use regex::Regex;
use serde_json::Value;

use super::compile::{compile, Compiled};
use super::eval::{Evaluator, JErr};
use super::java::{java_number, to_java_string};

/// A parsed filter: criteria combined with `&&` and `||` the way Jayway stacks them.
#[derive(Debug, Clone)]
pub(crate) struct Filter {
    root: Pred,
}

#[derive(Debug, Clone)]
enum Pred {
    Criteria(Box<Criteria>),
    And(Vec<Pred>),
    Or(Box<Pred>, Box<Pred>),
}

#[derive(Debug, Clone)]
enum Criteria {
    /// `[?(@.a)]`, `[?(!@.a)]`
    Exists { path: Compiled, expect: bool },
    Compare {
        left: Operand,
        op: CmpOp,
        right: Operand,
    },
}

#[derive(Debug, Clone)]
enum Operand {
    Path(Compiled),
    Str(String),
    Pattern(Regex),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Regex,
}

/// Searched in this order; the first one present anywhere in the criteria text wins.
const OPERATORS: [(&str, CmpOp); 7] = [
    ("==", CmpOp::Eq),
    (">=", CmpOp::Ge),
    ("<=", CmpOp::Le),
    ("!=", CmpOp::Ne),
    ("<", CmpOp::Lt),
    (">", CmpOp::Gt),
    ("=~", CmpOp::Regex),
];

fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

impl Pred {
    fn and(self, other: Pred) -> Pred {
        match self {
            Pred::And(mut all) => {
                all.push(other);
                Pred::And(all)
            }
            Pred::Or(left, right) => Pred::Or(left, Box::new(Pred::And(vec![*right, other]))),
            single => Pred::And(vec![single, other]),
        }
    }

    fn or(self, other: Pred) -> Pred {
        Pred::Or(Box::new(self), Box::new(other))
    }
}

impl Filter {
    /// `Filter.parse("[?(...)]")`.
    pub(crate) fn parse(text: &str, depth: usize) -> Result<Filter, String> {
        let f = java_trim(text);
        let f = f
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .ok_or_else(|| format!("Filter must start with '[' and end with ']'. {f}"))?;
        let f = java_trim(f)
            .strip_prefix('?')
            .ok_or_else(|| format!("Filter must start with '[?' and end with ']'. {f}"))?;
        let f = java_trim(f);
        let body = f
            .strip_prefix('(')
            .and_then(|s| s.strip_suffix(')'))
            .ok_or_else(|| format!("Filter must start with '[?(' and end with ')]'. {f}"))?;
        let body = java_trim(body);

        let mut operators: Vec<bool> = Vec::new(); // true = &&
        let mut criteria: Vec<Pred> = Vec::new();
        for piece in split_operators(body) {
            let piece = java_trim(piece);
            match piece {
                "&&" => operators.push(true),
                "||" => operators.push(false),
                _ => criteria.push(Pred::Criteria(Box::new(parse_criteria(
                    clean_criteria(piece)?,
                    depth,
                )?))),
            }
        }
        let invalid = || format!("Invalid operators {body}");
        let mut root = criteria.pop().ok_or_else(invalid)?;
        while let Some(is_and) = operators.pop() {
            let next = criteria.pop().ok_or_else(invalid)?;
            root = if is_and {
                root.and(next)
            } else {
                root.or(next)
            };
        }
        if !criteria.is_empty() {
            return Err(invalid());
        }
        Ok(Filter { root })
    }

    pub(crate) fn accept<'a>(&self, item: &'a Value, ev: &Evaluator<'a>) -> Result<bool, JErr> {
        apply(&self.root, item, ev)
    }
}

/// Java's `split("((?<=&&|\\|\\|)|(?=&&|\\|\\|))")`: cut before and after every `&&`/`||`,
/// never at position 0, dropping trailing empty pieces.
fn split_operators(s: &str) -> Vec<&str> {
    let bytes = s.as_bytes();
    let is_op = |at: usize| {
        bytes
            .get(at..at + 2)
            .is_some_and(|w| w == b"&&" || w == b"||")
    };
    let mut cuts = Vec::new();
    for p in 1..bytes.len() {
        if (p >= 2 && is_op(p - 2)) || is_op(p) {
            cuts.push(p);
        }
    }
    let mut pieces = Vec::new();
    let mut start = 0;
    for p in cuts {
        pieces.push(&s[start..p]);
        start = p;
    }
    pieces.push(&s[start..]);
    while pieces.last().is_some_and(|p| p.is_empty()) {
        pieces.pop();
    }
    pieces
}

/// Strips leading `[ ? ( space` and trailing `) space`.
fn clean_criteria(s: &str) -> Result<&str, String> {
    if s.is_empty() {
        return Err("String index out of range: 0".to_string());
    }
    let t = s.trim_start_matches(['[', '?', '(', ' ']);
    let t = t.trim_end_matches([')', ' ']);
    Ok(t)
}

fn parse_criteria(text: &str, depth: usize) -> Result<Criteria, String> {
    let found = OPERATORS
        .iter()
        .find_map(|(sym, op)| text.find(sym).map(|at| (at, sym.len(), *op)));
    let (left, op, right) = match found {
        Some((at, len, op)) => (
            java_trim(&text[..at]),
            Some(op),
            java_trim(&text[at + len..]),
        ),
        None => (java_trim(text), None, ""),
    };

    let mut exists_expect = true;
    let left_operand = if is_path(left) {
        let p = match left.strip_prefix('!') {
            Some(rest) => {
                exists_expect = false;
                rest
            }
            None => left,
        };
        let compiled = compile(p, depth)?;
        if !compiled.is_definite() {
            return Err(format!("the predicate path: {p} is not definite"));
        }
        Operand::Path(compiled)
    } else {
        literal_operand(left)?
    };
    let Some(op) = op else {
        return match left_operand {
            Operand::Path(path) => Ok(Criteria::Exists {
                path,
                expect: exists_expect,
            }),
            _ => Err("CriteriaType  can not be parsed".to_string()),
        };
    };
    let right_operand = if is_path(right) {
        if right.starts_with('!') {
            return Err(
                "Invalid negation! Can only be used for existence check e.g [?(!@.foo)]"
                    .to_string(),
            );
        }
        let compiled = compile(right, depth)?;
        if !compiled.is_definite() {
            return Err(format!("the predicate path: {right} is not definite"));
        }
        Operand::Path(compiled)
    } else {
        literal_operand(right)?
    };
    Ok(Criteria::Compare {
        left: left_operand,
        op,
        right: right_operand,
    })
}

fn is_path(s: &str) -> bool {
    s.starts_with('$') || s.starts_with('@') || s.starts_with("!@")
}

fn literal_operand(s: &str) -> Result<Operand, String> {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n > 0 && chars[0] == '\'' && chars[n - 1] == '\'' {
        if n < 2 {
            return Err("begin 1, end 0, length 1".to_string());
        }
        return Ok(Operand::Str(chars[1..n - 1].iter().collect()));
    }
    let is_pattern = n > 0
        && chars[0] == '/'
        && (chars[n - 1] == '/' || (n >= 2 && chars[n - 2] == '/' && chars[n - 1] == 'i'));
    if is_pattern {
        let last = s.rfind('/').unwrap_or(0);
        if last == 0 {
            return Err("begin 1, end 0".to_string());
        }
        let body = &s[1..last];
        let ignore_case = s.ends_with('i');
        let anchored = if ignore_case {
            format!("(?i)^(?:{body})$")
        } else {
            format!("^(?:{body})$")
        };
        return Regex::new(&anchored)
            .map(Operand::Pattern)
            .map_err(|e| e.to_string());
    }
    Ok(Operand::Str(s.to_string()))
}

/// A value as Java sees it inside a filter.
enum JVal<'a, 'f> {
    Null,
    Bool(bool),
    Num(Cow<'a, serde_json::Number>),
    Str(Cow<'a, str>),
    /// A string written in the filter.
    Lit(&'f str),
    /// An object or array from the document.
    Doc(&'a Value),
    Pattern(&'f Regex),
}

/// `safeCompare` failed: either the operands are incomparable (`ValueCompareException`, the
/// criteria is then false) or Java threw something the filter does not catch.
enum CmpErr {
    Incomparable,
    Hard(String),
}

fn apply<'a>(pred: &Pred, item: &'a Value, ev: &Evaluator<'a>) -> Result<bool, JErr> {
    match pred {
        Pred::Criteria(c) => eval_criteria(c, item, ev),
        Pred::And(all) => {
            for p in all {
                if !apply(p, item, ev)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Pred::Or(l, r) => Ok(apply(l, item, ev)? || apply(r, item, ev)?),
    }
}

fn eval_criteria<'a>(c: &Criteria, item: &'a Value, ev: &Evaluator<'a>) -> Result<bool, JErr> {
    match c {
        Criteria::Exists { path, expect } => {
            // Jayway applies even `$`-rooted existence checks to the current item.
            match ev.sub_value(path, item, true) {
                Ok(v) => Ok(if *expect { !v.is_null() } else { v.is_null() }),
                Err(JErr::NoResults(_) | JErr::NotFound(_)) => Ok(!*expect),
                Err(e) => Err(e),
            }
        }
        Criteria::Compare { left, op, right } => {
            let l = match operand_value(left, item, ev)? {
                Some(v) => v,
                None => return Ok(false),
            };
            let r = match operand_value(right, item, ev)? {
                Some(v) => v,
                None => return Ok(false),
            };
            // `criteriaType.eval(expected = right, model = left)`
            compare(*op, &r, &l)
        }
    }
}

/// `evaluateIfPath`: `None` when the path matched nothing (the criteria is then false).
fn operand_value<'a, 'f>(
    op: &'f Operand,
    item: &'a Value,
    ev: &Evaluator<'a>,
) -> Result<Option<JVal<'a, 'f>>, JErr> {
    Ok(Some(match op {
        Operand::Str(s) => JVal::Lit(s.as_str()),
        Operand::Pattern(p) => JVal::Pattern(p),
        Operand::Path(path) => {
            let doc = if path.is_root_path { ev.root() } else { item };
            match ev.sub_value(path, doc, false) {
                Ok(v) => match v {
                    Cow::Borrowed(b) => from_doc(b),
                    Cow::Owned(o) => owned_jval(o),
                },
                Err(JErr::NoResults(_) | JErr::NotFound(_)) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
    }))
}

fn from_doc<'a, 'f>(v: &'a Value) -> JVal<'a, 'f> {
    match v {
        Value::Null => JVal::Null,
        Value::Bool(b) => JVal::Bool(*b),
        Value::Number(n) => JVal::Num(Cow::Borrowed(n)),
        Value::String(s) => JVal::Str(Cow::Borrowed(s.as_str())),
        other => JVal::Doc(other),
    }
}

fn owned_jval<'a, 'f>(v: Value) -> JVal<'a, 'f> {
    match v {
        Value::Null => JVal::Null,
        Value::Bool(b) => JVal::Bool(b),
        Value::Number(n) => JVal::Num(Cow::Owned(n)),
        Value::String(s) => JVal::Str(Cow::Owned(s)),
        // A merged multi-property result cannot be a definite filter operand.
        _ => JVal::Null,
    }
}

impl JVal<'_, '_> {
    /// The value when it is a Java `String`.
    fn text(&self) -> Option<&str> {
        match self {
            JVal::Str(s) => Some(s),
            JVal::Lit(s) => Some(s),
            _ => None,
        }
    }
}

fn is_nullish(v: &JVal<'_, '_>) -> bool {
    matches!(v, JVal::Null) || v.text() == Some("null")
}

fn compare(op: CmpOp, expected: &JVal<'_, '_>, model: &JVal<'_, '_>) -> Result<bool, JErr> {
    let null_mismatch = matches!(expected, JVal::Null) != matches!(model, JVal::Null);
    let result = match op {
        CmpOp::Regex => return regex_match(expected, model),
        CmpOp::Eq => safe_compare(expected, model).map(|o| o == Ordering::Equal),
        CmpOp::Ne => safe_compare(expected, model).map(|o| o != Ordering::Equal),
        _ if null_mismatch => return Ok(false),
        CmpOp::Gt => safe_compare(expected, model).map(|o| o == Ordering::Less),
        CmpOp::Ge => safe_compare(expected, model).map(|o| o != Ordering::Greater),
        CmpOp::Lt => safe_compare(expected, model).map(|o| o == Ordering::Greater),
        CmpOp::Le => safe_compare(expected, model).map(|o| o != Ordering::Less),
    };
    match result {
        Ok(b) => Ok(b),
        Err(CmpErr::Incomparable) => Ok(false),
        Err(CmpErr::Hard(m)) => Err(JErr::Invalid(m)),
    }
}

fn regex_match(expected: &JVal<'_, '_>, model: &JVal<'_, '_>) -> Result<bool, JErr> {
    let (pattern, target) = match (model, expected) {
        (JVal::Pattern(p), t) => (Some(*p), t),
        (t, JVal::Pattern(p)) => (Some(*p), t),
        (t, JVal::Null) => (None, t),
        (_, other) => {
            return Err(JErr::Invalid(format!(
                "{} cannot be cast to java.util.regex.Pattern",
                java_class(other)
            )))
        }
    };
    let text = match target {
        JVal::Null => return Ok(false),
        JVal::Str(s) => s.to_string(),
        JVal::Lit(s) => s.to_string(),
        JVal::Bool(b) => b.to_string(),
        JVal::Num(n) => java_number(n),
        JVal::Doc(v) => to_java_string(v),
        JVal::Pattern(p) => p.as_str().to_string(),
    };
    match pattern {
        Some(p) => Ok(p.is_match(&text)),
        None => Err(JErr::Invalid("java.lang.NullPointerException".to_string())),
    }
}

fn java_class(v: &JVal<'_, '_>) -> &'static str {
    match v {
        JVal::Null => "null",
        JVal::Bool(_) => "java.lang.Boolean",
        JVal::Num(_) => "java.lang.Number",
        JVal::Str(_) | JVal::Lit(_) => "java.lang.String",
        JVal::Doc(Value::Array(_)) => "java.util.ArrayList",
        JVal::Doc(_) => "java.util.LinkedHashMap",
        JVal::Pattern(_) => "java.util.regex.Pattern",
    }
}

/// Jayway's `safeCompare(left, right)`; the argument order matters (it is asymmetric).
fn safe_compare(left: &JVal<'_, '_>, right: &JVal<'_, '_>) -> Result<Ordering, CmpErr> {
    if let (JVal::Doc(a), JVal::Doc(b)) = (left, right) {
        if std::ptr::eq(*a, *b) {
            return Ok(Ordering::Equal);
        }
    }
    let (ln, rn) = (is_nullish(left), is_nullish(right));
    match (ln, rn) {
        (true, false) => return Ok(Ordering::Less),
        (false, true) => return Ok(Ordering::Greater),
        (true, true) => return Ok(Ordering::Equal),
        _ => {}
    }
    match (left.text(), right.text(), left, right) {
        (Some(l), Some(r), _, _) => {
            let l = if l.contains('\'') {
                Cow::Owned(l.replace("\\'", "'"))
            } else {
                Cow::Borrowed(l)
            };
            Ok(java_string_cmp(&l, r))
        }
        (_, _, JVal::Num(l), JVal::Num(r)) => {
            decimal_cmp(&java_number(l), &java_number(r)).ok_or(CmpErr::Incomparable)
        }
        (Some(l), _, _, JVal::Num(r)) => match decimal_cmp(l, &java_number(r)) {
            Some(o) => Ok(o),
            None => Err(CmpErr::Hard(format!(
                "Character array is missing \"exponent\" mark 'e' or 'E'. ({l})"
            ))),
        },
        (Some(l), _, _, JVal::Bool(r)) => Ok(l.eq_ignore_ascii_case("true").cmp(r)),
        (_, _, JVal::Bool(l), JVal::Bool(r)) => Ok(l.cmp(r)),
        _ => Err(CmpErr::Incomparable),
    }
}

/// `String.compareTo`: lexicographic over UTF-16 code units.
pub(crate) fn java_string_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// A decimal number as `new BigDecimal(text)` reads it: sign, significant digits and the
/// power of ten of the last digit.
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

fn parse_decimal(text: &str) -> Option<Decimal> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(at) => {
            let e = &rest[at + 1..];
            let e = e.strip_prefix('+').unwrap_or(e);
            if e.is_empty()
                || !e
                    .trim_start_matches('-')
                    .bytes()
                    .all(|b| b.is_ascii_digit())
            {
                return None;
            }
            (&rest[..at], e.parse::<i64>().ok()?)
        }
        None => (rest, 0),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part
        .bytes()
        .chain(frac_part.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes())
        .map(|b| b - b'0')
        .collect();
    let mut exponent = exp - frac_part.len() as i64;
    while digits.first() == Some(&0) {
        digits.remove(0);
    }
    while digits.last() == Some(&0) {
        digits.pop();
        exponent += 1;
    }
    Some(Decimal {
        negative: negative && !digits.is_empty(),
        digits,
        exponent,
    })
}

/// Exact numeric comparison of two decimal texts (`BigDecimal.compareTo`).
pub(crate) fn decimal_cmp(a: &str, b: &str) -> Option<Ordering> {
    let a = parse_decimal(a)?;
    let b = parse_decimal(b)?;
    Some(match (a.negative, b.negative) {
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
        (false, false) => magnitude_cmp(&a, &b),
        (true, true) => magnitude_cmp(&b, &a),
    })
}

fn magnitude_cmp(a: &Decimal, b: &Decimal) -> Ordering {
    match (a.digits.is_empty(), b.digits.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    // Position of the most significant digit decides first.
    let a_top = a.exponent + a.digits.len() as i64;
    let b_top = b.exponent + b.digits.len() as i64;
    if a_top != b_top {
        return a_top.cmp(&b_top);
    }
    let n = a.digits.len().max(b.digits.len());
    for i in 0..n {
        let x = a.digits.get(i).copied().unwrap_or(0);
        let y = b.digits.get(i).copied().unwrap_or(0);
        if x != y {
            return x.cmp(&y);
        }
    }
    Ordering::Equal
}
