//! EventBridge event patterns: parsing ([`Pattern::parse`]) and matching
//! ([`Pattern::matches`]).
//!
//! The rules follow the Amazon EventBridge User Guide. Each rule below carries
//! a short tag naming the page it comes from:
//!
//! - `[syntax]` "Event pattern syntax" / "Creating event patterns in
//!   EventBridge" (eb-create-pattern.html), including its "Considerations when
//!   creating event patterns".
//! - `[operators]` "Comparison operators for use in event patterns in Amazon
//!   EventBridge" (eb-create-pattern-operators.html).
//! - `[filtering]` "Content filtering in Amazon EventBridge event patterns"
//!   (eb-event-patterns-content-based-filtering.html), sections "Prefix
//!   matching", "Suffix matching", "Anything-but matching", "Numeric
//!   matching", "IP address matching", "Exists matching",
//!   "Equals-ignore-case matching", "Wildcard matching", "Complex example
//!   with `$or` matching".
//! - `[arrays]` "Arrays in Amazon EventBridge event patterns"
//!   (eb-event-patterns-arrays.html).
//! - `[null]` "Matching null values and empty strings in Amazon EventBridge
//!   event patterns" (eb-event-patterns-null-values.html).
//! - `[quotas]` "Amazon EventBridge quotas" (eb-quota.html): "Event pattern
//!   size: 2,048 characters" (adjustable); the `TestEventPattern` API
//!   reference caps `EventPattern` at 4096 characters.
//! - `[ruler]` aws/event-ruler, the open-source matcher EventBridge runs
//!   (README and `JsonRuleCompiler.java`). The User Guide gives no error
//!   wording; the reasons below are Ruler's, several of them confirmed
//!   against EventBridge's `TestEventPattern` answers.
//!
//! Every refusal is a [`PatternError`] whose message reads
//! `Event pattern is not valid. Reason: <reason>` like EventBridge's
//! `InvalidEventPatternException`. EventBridge also appends a parser
//! location (`at [Source: ...; line: 1, column: 15]`); that suffix is not
//! reproduced.
//!
//! Where the documentation is silent, the choice made is stated beside the
//! rule, marked "Docs silent".
//!
//! Matching is precompiled: strings for `equals-ignore-case` are lowercased,
//! CIDRs are parsed to masks, numeric bounds to `f64`, wildcards to literal
//! pieces. Matching an event allocates nothing except when the event nests
//! arrays inside arrays, and its recursion depth is the pattern's own depth.

use serde_json::{Map, Number, Value};
use std::fmt;
use std::net::Ipv6Addr;

/// Prefix of every message, as EventBridge words `InvalidEventPatternException`.
const REASON_PREFIX: &str = "Event pattern is not valid. Reason: ";

/// `[quotas]` "Event pattern size ... 2,048 ... Maximum size of an event
/// pattern (characters)". The quota is adjustable up to the API's 4096; Baton
/// enforces the default.
const MAX_PATTERN_CHARS: usize = 2048;

/// `[filtering]` "Complex example with `$or` matching": APIs that accept a
/// pattern throw `InvalidEventPatternException` "if the use of `$or` results
/// in over 1000 rule combinations".
const MAX_OR_COMBINATIONS: u64 = 1000;

/// `[filtering]` "Numeric matching": "limited to values between -5.0e9 and
/// +5.0e9 inclusive, with 15 digits of precision, or six digits to the right
/// of the decimal point."
const NUMERIC_LIMIT: f64 = 5.0e9;
const NUMERIC_MAX_DECIMALS: usize = 6;

/// `[operators]` "Wildcards and event pattern complexity": a rule that is too
/// complex is refused with `InvalidEventPatternException`, but the measure is
/// not published. Docs silent on the threshold: Baton refuses a wildcard value
/// with more than 5 `*` (EventBridge refuses `*:*:*:*:*:event-bus/*`, which has
/// 6) and a field whose wildcard values hold more than 6 `*` in total
/// (EventBridge accepted 3 values `*:stack/NAME/*` and refused 4).
const MAX_WILDCARDS_PER_VALUE: usize = 5;
const MAX_WILDCARDS_PER_FIELD: usize = 6;
const TOO_COMPLEX: &str = "Rule is too complex - try using fewer wildcard characters or fewer \
                           repeating character sequences after a wildcard character";

/// `[ruler]` names that may not be field names inside `$or` (Ruler's
/// `RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP`).
const RESERVED_IN_OR: &[&str] = &[
    "exactly",
    "equals-ignore-case",
    "prefix",
    "suffix",
    "anything-but",
    "exists",
    "wildcard",
    "numeric",
    "cidr",
    "=",
    "<",
    "<=",
    ">",
    ">=",
    "regex",
    "not-wildcard",
    "not-equals-ignore-case",
    "date-after",
    "date-on-or-after",
    "date-before",
    "date-on-or-before",
    "in-date-range",
    "ip-address-in-range",
    "ip-address-not-in-range",
];

/// Why a pattern was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternError {
    message: String,
}

impl PatternError {
    fn new(reason: impl fmt::Display) -> Self {
        PatternError {
            message: format!("{REASON_PREFIX}{reason}"),
        }
    }

    /// What EventBridge answers in `InvalidEventPatternException`, e.g.
    /// `Event pattern is not valid. Reason: Empty arrays are not allowed`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PatternError {}

type Result<T> = std::result::Result<T, PatternError>;

fn fail<T>(reason: impl fmt::Display) -> Result<T> {
    Err(PatternError::new(reason))
}

/// A parsed event pattern.
#[derive(Clone, Debug)]
pub struct Pattern {
    root: Node,
}

impl Pattern {
    /// Parses the JSON text of a pattern, as `PutRule` and `TestEventPattern`
    /// receive it.
    pub fn parse(text: &str) -> std::result::Result<Pattern, PatternError> {
        // `[quotas]` the size is counted in characters of the text as given.
        if text.len() > MAX_PATTERN_CHARS && text.chars().nth(MAX_PATTERN_CHARS).is_some() {
            return fail(size_reason());
        }
        // Docs silent on the wording for malformed JSON (EventBridge quotes its
        // Java parser); Baton gives serde_json's description.
        let value: Value = serde_json::from_str(text).map_err(PatternError::new)?;
        compile(&value)
    }

    /// Compiles a pattern already parsed as JSON. Its size is that of its
    /// compact JSON text.
    pub fn from_value(v: &Value) -> std::result::Result<Pattern, PatternError> {
        if compact_len_exceeds(v, MAX_PATTERN_CHARS) {
            return fail(size_reason());
        }
        compile(v)
    }

    /// Whether the pattern matches `event`, the whole event (`source`,
    /// `detail-type`, `detail`, ...). Docs silent on events that are not JSON
    /// objects (`TestEventPattern` refuses them): they match nothing.
    pub fn matches(&self, event: &Value) -> bool {
        match event {
            Value::Object(map) => self.root.matches_struct(Ctx::Object(map)),
            _ => false,
        }
    }

    /// Paths where a matching event must hold one of a few exact strings, for an index of
    /// many patterns: each `(path, values)` says that the pattern matches only events whose
    /// value at `path` (field names from the top, without dots) is one of `values` or an
    /// array holding one. Only fields every match needs (not those inside `$or`) whose
    /// matchers are all exact strings count.
    pub fn required_strings(&self) -> Vec<(Vec<&str>, Vec<&str>)> {
        fn walk<'a>(
            node: &'a Node,
            path: &mut Vec<&'a str>,
            out: &mut Vec<(Vec<&'a str>, Vec<&'a str>)>,
        ) {
            for (name, child) in &node.fields {
                path.push(name);
                if let Some(leaf) = &child.leaf {
                    let values: Option<Vec<&str>> = leaf
                        .matchers
                        .iter()
                        .map(|m| match m {
                            Matcher::ExactString(v) => Some(&**v),
                            _ => None,
                        })
                        .collect();
                    if let Some(values) = values.filter(|v| !v.is_empty()) {
                        out.push((path.clone(), values));
                    }
                }
                walk(child, path, out);
                path.pop();
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut Vec::new(), &mut out);
        out
    }
}

fn size_reason() -> String {
    format!("Event pattern exceeds the maximum size of {MAX_PATTERN_CHARS} characters")
}

// ---------------------------------------------------------------------------
// Compiled form
// ---------------------------------------------------------------------------

/// One position in the pattern: the matchers for the value found there (when
/// the pattern gives an array for it), the fields below it, and its `$or`
/// groups. `[syntax]` all fields must match (AND); `[filtering]` each `$or`
/// group needs one of its alternatives.
#[derive(Clone, Debug, Default)]
struct Node {
    leaf: Option<Leaf>,
    fields: Vec<(Box<str>, Node)>,
    ors: Vec<Vec<Node>>,
}

/// `[syntax]` "the value to match is in a JSON array ... so that you can
/// provide multiple values": the values are alternatives (OR).
#[derive(Clone, Debug)]
struct Leaf {
    matchers: Vec<Matcher>,
}

#[derive(Clone, Debug)]
enum Matcher {
    ExactString(Box<str>),
    ExactNumber(Num),
    ExactBool(bool),
    ExactNull,
    Prefix(Box<str>),
    /// Lowercased prefix.
    PrefixIgnoreCase(Box<str>),
    Suffix(Box<str>),
    /// Lowercased suffix.
    SuffixIgnoreCase(Box<str>),
    /// Lowercased value.
    EqualsIgnoreCase(Box<str>),
    Wildcard(Wildcard),
    Numeric(NumRange),
    Cidr(Cidr),
    Exists(bool),
    AnythingBut(AnythingBut),
}

#[derive(Clone, Debug)]
enum AnythingBut {
    Strings(Vec<Box<str>>),
    Numbers(Vec<Num>),
    Prefixes(Vec<Box<str>>),
    Suffixes(Vec<Box<str>>),
    /// Lowercased values.
    IgnoreCase(Vec<Box<str>>),
    Wildcards(Vec<Wildcard>),
}

/// A JSON number kept both exactly (when it is an integer) and as `f64`.
#[derive(Clone, Debug)]
struct Num {
    int: Option<i128>,
    float: f64,
}

/// A numeric range; `=` is the range `[n, n]`.
#[derive(Clone, Debug)]
struct NumRange {
    low: f64,
    low_open: bool,
    high: f64,
    high_open: bool,
}

#[derive(Clone, Debug)]
enum Cidr {
    V4 { network: u32, mask: u32 },
    V6 { network: u128, mask: u128 },
}

/// A wildcard value cut at its unescaped `*`: `n` wildcards give `n + 1`
/// literal pieces (escapes already resolved).
#[derive(Clone, Debug)]
struct Wildcard {
    pieces: Box<[Box<str>]>,
}

// ---------------------------------------------------------------------------
// Compilation
// ---------------------------------------------------------------------------

fn compile(v: &Value) -> Result<Pattern> {
    // `[syntax]` a pattern is a JSON object; `[ruler]` "Filter is not an object".
    let Value::Object(map) = v else {
        return fail("Filter is not an object");
    };
    let root = compile_object(map, false)?;
    let combinations = root.combinations();
    if combinations > MAX_OR_COMBINATIONS {
        return fail(format!(
            "The use of $or results in {combinations} rule combinations, over the limit of \
             {MAX_OR_COMBINATIONS}"
        ));
    }
    Ok(Pattern { root })
}

fn compile_object(map: &Map<String, Value>, in_or: bool) -> Result<Node> {
    // `[ruler]` "Empty objects are not allowed".
    if map.is_empty() {
        return fail("Empty objects are not allowed");
    }
    let mut node = Node::default();
    // Duplicate keys: `[filtering]` "if you include a key more than once the
    // last reference will be the one used"; serde_json keeps the last value.
    for (key, value) in map {
        // `[filtering]` "$or" at any level: an array of objects, one of which
        // must match. `[ruler]` requires an array of at least two objects.
        if key == "$or" {
            node.ors.push(compile_or(value)?);
            continue;
        }
        if in_or && RESERVED_IN_OR.contains(&key.as_str()) {
            return fail(format!(
                "{key} is Ruler reserved fieldName which cannot be used inside $or."
            ));
        }
        match value {
            // `[syntax]` nested objects match fields with the same nesting.
            Value::Object(inner) => {
                let child = compile_object(inner, in_or)?;
                node.entry(key).merge(child);
            }
            Value::Array(items) => {
                // Later leaves at the same path replace earlier ones (last wins).
                node.entry(key).leaf = Some(compile_leaf(items)?);
            }
            // `[syntax]` leaf values must be arrays; `[ruler]` wording.
            _ => return fail(format!("\"{key}\" must be an object or an array")),
        }
    }
    Ok(node)
}

fn compile_or(value: &Value) -> Result<Vec<Node>> {
    let Value::Array(items) = value else {
        return fail("It must be an Array followed with $or.");
    };
    let mut alternatives = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(map) = item else {
            return fail("Only JSON object is allowed in array of $or relationship.");
        };
        alternatives.push(compile_object(map, true)?);
    }
    if alternatives.len() < 2 {
        return fail("There must have at least 2 Objects in $or relationship.");
    }
    Ok(alternatives)
}

impl Node {
    /// The node at `key`, created if need be. `[syntax]` "when EventBridge
    /// compiles event patterns, it uses the dot (.) as the joining character":
    /// `"a.b"` and `"a": {"b"}` are the same path.
    fn entry(&mut self, key: &str) -> &mut Node {
        let mut node = self;
        for segment in key.split('.') {
            node = node.child(segment);
        }
        node
    }

    fn child(&mut self, segment: &str) -> &mut Node {
        let index = match self.fields.iter().position(|(s, _)| &**s == segment) {
            Some(index) => index,
            None => {
                self.fields.push((segment.into(), Node::default()));
                self.fields.len() - 1
            }
        };
        &mut self.fields[index].1
    }

    fn merge(&mut self, other: Node) {
        if other.leaf.is_some() {
            self.leaf = other.leaf;
        }
        for (segment, child) in other.fields {
            self.child(&segment).merge(child);
        }
        self.ors.extend(other.ors);
    }

    /// The number of rules the pattern expands to through `$or`: the product,
    /// over every `$or` array, of its alternatives' own counts summed.
    fn combinations(&self) -> u64 {
        let mut total: u64 = 1;
        for (_, child) in &self.fields {
            total = total.saturating_mul(child.combinations());
        }
        for alternatives in &self.ors {
            let sum = alternatives
                .iter()
                .fold(0u64, |sum, node| sum.saturating_add(node.combinations()));
            total = total.saturating_mul(sum);
        }
        total
    }
}

fn compile_leaf(items: &[Value]) -> Result<Leaf> {
    let mut matchers = Vec::with_capacity(items.len());
    for item in items {
        matchers.push(match item {
            // `[syntax]` "The values that event patterns match follow JSON
            // rules ... strings ..., numbers, and the keywords true, false, and
            // null". `[null]` an empty string and null are distinct values.
            Value::String(s) => Matcher::ExactString(s.as_str().into()),
            Value::Number(n) => Matcher::ExactNumber(Num::new(n)),
            Value::Bool(b) => Matcher::ExactBool(*b),
            Value::Null => Matcher::ExactNull,
            Value::Object(expression) => compile_expression(expression)?,
            Value::Array(_) => {
                return fail("Match value must be String, number, true, false, or null")
            }
        });
    }
    // `[ruler]` "Empty arrays are not allowed".
    if matchers.is_empty() {
        return fail("Empty arrays are not allowed");
    }
    let mut total = 0usize;
    for matcher in &matchers {
        let wildcards: &[Wildcard] = match matcher {
            Matcher::Wildcard(w) => std::slice::from_ref(w),
            Matcher::AnythingBut(AnythingBut::Wildcards(list)) => list,
            _ => &[],
        };
        for w in wildcards {
            if w.stars() > MAX_WILDCARDS_PER_VALUE {
                return fail(TOO_COMPLEX);
            }
            total += w.stars();
        }
    }
    if total > MAX_WILDCARDS_PER_FIELD {
        return fail(TOO_COMPLEX);
    }
    Ok(Leaf { matchers })
}

/// A comparison operator: an object with one key (`[operators]`).
fn compile_expression(expression: &Map<String, Value>) -> Result<Matcher> {
    let Some((name, value)) = expression.iter().next() else {
        return fail("Match expression name not found");
    };
    let extra_keys = expression.len() > 1;
    let only_one = || fail("Only one key allowed in match expression");
    let matcher = match name.as_str() {
        // `[filtering]` "Prefix matching", "Prefix matching while ignoring case".
        "prefix" => match value {
            Value::String(s) => Matcher::Prefix(s.as_str().into()),
            Value::Object(inner) => Matcher::PrefixIgnoreCase(lowercase(ignore_case_operand(
                inner, "Prefix", "prefix",
            )?)),
            _ => return fail("prefix match pattern must be a string"),
        },
        // `[filtering]` "Suffix matching", "Suffix matching while ignoring case".
        "suffix" => match value {
            Value::String(s) => Matcher::Suffix(s.as_str().into()),
            Value::Object(inner) => Matcher::SuffixIgnoreCase(lowercase(ignore_case_operand(
                inner, "Suffix", "suffix",
            )?)),
            _ => return fail("suffix match pattern must be a string"),
        },
        // `[filtering]` "Equals-ignore-case matching works on string values".
        "equals-ignore-case" => match value {
            Value::String(s) => Matcher::EqualsIgnoreCase(lowercase(s)),
            _ => return fail("equals-ignore-case match pattern must be a string"),
        },
        // `[filtering]` "Wildcard matching".
        "wildcard" => match value {
            Value::String(s) => Matcher::Wildcard(Wildcard::parse(s)?),
            _ => return fail("wildcard match pattern must be a string"),
        },
        // `[filtering]` "Numeric matching".
        "numeric" => match value {
            Value::Array(items) => {
                let range = compile_numeric(items)?;
                if extra_keys {
                    return fail("Too many elements in numeric expression");
                }
                return Ok(Matcher::Numeric(range));
            }
            _ => return fail("Value of numeric must be an array."),
        },
        // `[filtering]` "Anything-but matching".
        "anything-but" => {
            let anything_but = compile_anything_but(value)?;
            // `[ruler]` words this case so, numeric or not.
            if extra_keys {
                return fail("Too many elements in numeric expression");
            }
            return Ok(Matcher::AnythingBut(anything_but));
        }
        // `[filtering]` "Exists matching".
        "exists" => match value {
            Value::Bool(b) => Matcher::Exists(*b),
            _ => return fail("exists match pattern must be either true or false."),
        },
        // `[filtering]` "IP address matching". `[ruler]` answers a non-string
        // CIDR with the prefix message (confirmed on EventBridge).
        "cidr" => match value {
            Value::String(s) => Matcher::Cidr(Cidr::parse(s)?),
            _ => return fail("prefix match pattern must be a string"),
        },
        // Operator names are case-sensitive (`NUMERIC`, `EXISTS` are refused).
        other => return fail(format!("Unrecognized match type {other}")),
    };
    if extra_keys {
        return only_one();
    }
    Ok(matcher)
}

/// The `{"equals-ignore-case": "..."}` inside `prefix` or `suffix`.
fn ignore_case_operand<'a>(
    inner: &'a Map<String, Value>,
    title: &str,
    lower: &str,
) -> Result<&'a str> {
    let Some((op, value)) = inner.iter().next() else {
        return fail(format!("{title} expression name not found"));
    };
    if op != "equals-ignore-case" {
        return fail(format!("Unsupported {lower} pattern: {op}"));
    }
    let Value::String(s) = value else {
        return fail("equals-ignore-case match pattern must be a string");
    };
    if inner.len() > 1 {
        return fail("Only one key allowed in match expression");
    }
    Ok(s)
}

#[derive(Clone, Copy)]
enum AnythingButKind {
    IgnoreCase,
    Prefix,
    Suffix,
    Wildcard,
}

/// `[filtering]` "Anything-but matching": a string, a number, a list of only
/// strings or only numbers, or `{"prefix"|"suffix"|"equals-ignore-case"|
/// "wildcard": value-or-list}`.
fn compile_anything_but(value: &Value) -> Result<AnythingBut> {
    const NOT_A_VALUE: &str =
        "Value of anything-but must be an array or single string/number value.";
    match value {
        Value::String(s) => Ok(AnythingBut::Strings(vec![s.as_str().into()])),
        Value::Number(n) => Ok(AnythingBut::Numbers(vec![Num::new(n)])),
        Value::Array(items) => {
            let mut strings = Vec::new();
            let mut numbers = Vec::new();
            for item in items {
                match item {
                    Value::String(s) => strings.push(s.as_str().into()),
                    Value::Number(n) => numbers.push(Num::new(n)),
                    _ => {
                        return fail(
                            "Inside anything but list, start|null|boolean is not supported.",
                        )
                    }
                }
            }
            // "lists that contain only strings, or only numbers".
            match (strings.is_empty(), numbers.is_empty()) {
                (false, true) => Ok(AnythingBut::Strings(strings)),
                (true, false) => Ok(AnythingBut::Numbers(numbers)),
                _ => fail(
                    "Inside anything but list, either all values are number or string, mixed type \
                     is not supported",
                ),
            }
        }
        Value::Object(inner) => {
            let Some((op, operand)) = inner.iter().next() else {
                return fail("Anything-But expression name not found");
            };
            let kind = match op.as_str() {
                "equals-ignore-case" => AnythingButKind::IgnoreCase,
                "prefix" => AnythingButKind::Prefix,
                "suffix" => AnythingButKind::Suffix,
                "wildcard" => AnythingButKind::Wildcard,
                other => return fail(format!("Unsupported anything-but pattern: {other}")),
            };
            let mut texts: Vec<&str> = Vec::new();
            match operand {
                Value::String(s) => texts.push(s),
                Value::Number(_) => return Err(anything_but_type_error(kind)),
                Value::Array(items) => {
                    for item in items {
                        match item {
                            Value::String(s) => texts.push(s),
                            _ => return Err(anything_but_type_error(kind)),
                        }
                    }
                }
                // e.g. `{"anything-but": {"prefix": {"equals-ignore-case": ..}}}`,
                // refused by EventBridge with this message.
                _ => return fail(NOT_A_VALUE),
            }
            if matches!(kind, AnythingButKind::Prefix | AnythingButKind::Suffix)
                && texts.iter().any(|t| t.is_empty())
            {
                return fail("Null prefix/suffix not allowed");
            }
            if inner.len() > 1 {
                return fail("Too many elements in numeric expression");
            }
            let owned = || texts.iter().map(|t| Box::<str>::from(*t)).collect();
            Ok(match kind {
                AnythingButKind::IgnoreCase => {
                    AnythingBut::IgnoreCase(texts.iter().map(|t| lowercase(t)).collect())
                }
                AnythingButKind::Prefix => AnythingBut::Prefixes(owned()),
                AnythingButKind::Suffix => AnythingBut::Suffixes(owned()),
                AnythingButKind::Wildcard => AnythingBut::Wildcards(
                    texts
                        .iter()
                        .map(|t| Wildcard::parse(t))
                        .collect::<Result<Vec<_>>>()?,
                ),
            })
        }
        _ => fail(NOT_A_VALUE),
    }
}

fn anything_but_type_error(kind: AnythingButKind) -> PatternError {
    const IGNORE_CASE: &str =
        "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.";
    PatternError::new(match kind {
        AnythingButKind::IgnoreCase => IGNORE_CASE,
        AnythingButKind::Wildcard => "wildcard match pattern must be a string",
        AnythingButKind::Prefix | AnythingButKind::Suffix => {
            "prefix/suffix match pattern must be a string"
        }
    })
}

/// `[filtering]` "Numeric matching": `["=", n]`, `["<"|"<="|">"|">=", n]`, or
/// `[">"|">=", low, "<"|"<=", high]`.
fn compile_numeric(items: &[Value]) -> Result<NumRange> {
    let Some(Value::String(op)) = items.first() else {
        return fail(format!(
            "Invalid member in numeric match: {}",
            token_text(items.first())
        ));
    };
    let value = |index: usize, op: &str| -> Result<f64> {
        match items.get(index) {
            Some(Value::Number(n)) => numeric_operand(n),
            _ => {
                let name = if op == "=" { "equals" } else { op };
                fail(format!("Value of {name} must be numeric"))
            }
        }
    };
    let too_many = || fail("Too many elements in numeric expression");
    match op.as_str() {
        "=" => {
            let n = value(1, op)?;
            if items.len() > 2 {
                return too_many();
            }
            Ok(NumRange::between(n, false, n, false))
        }
        "<" | "<=" => {
            let n = value(1, op)?;
            if items.len() > 2 {
                return too_many();
            }
            Ok(NumRange::between(f64::NEG_INFINITY, false, n, op == "<"))
        }
        ">" | ">=" => {
            let low = value(1, op)?;
            let low_open = op == ">";
            match items.get(2) {
                None => Ok(NumRange::between(low, low_open, f64::INFINITY, false)),
                Some(Value::String(top_op)) => {
                    if top_op != "<" && top_op != "<=" {
                        return fail(format!("Bad numeric range operator: {top_op}"));
                    }
                    let high = value(3, top_op)?;
                    if items.len() > 4 {
                        return fail("Too many terms in numeric range expression");
                    }
                    if low >= high {
                        return fail("Bottom must be less than top");
                    }
                    Ok(NumRange::between(low, low_open, high, top_op == "<"))
                }
                Some(other) => fail(format!(
                    "Bad value in numeric range: {}",
                    token_text(Some(other))
                )),
            }
        }
        other => fail(format!("Unrecognized numeric range operator: {other}")),
    }
}

/// A bound of a numeric comparison, held to the documented range and
/// precision (`[filtering]` "Numeric matching"; `[ruler]` wording).
fn numeric_operand(n: &Number) -> Result<f64> {
    let Some(value) = n.as_f64().filter(|v| v.is_finite()) else {
        return fail("Value must be between -5.0E9 and 5.0E9, inclusive");
    };
    if n.is_f64() {
        // `Display` for f64 is the shortest round-trip form without exponent.
        let text = value.to_string();
        if let Some(dot) = text.find('.') {
            if text.len() - dot - 1 > NUMERIC_MAX_DECIMALS {
                return fail("Only values upto 6 decimals are supported");
            }
        }
    }
    if !(-NUMERIC_LIMIT..=NUMERIC_LIMIT).contains(&value) {
        return fail("Value must be between -5.0E9 and 5.0E9, inclusive");
    }
    Ok(value)
}

/// How a JSON token is quoted in the numeric messages.
fn token_text(value: Option<&Value>) -> String {
    match value {
        None => "]".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Null) => "null".to_owned(),
        Some(Value::Array(_)) => "[".to_owned(),
        Some(Value::Object(_)) => "{".to_owned(),
    }
}

impl NumRange {
    fn between(low: f64, low_open: bool, high: f64, high_open: bool) -> Self {
        NumRange {
            low,
            low_open,
            high,
            high_open,
        }
    }

    fn contains(&self, n: &Number) -> bool {
        let Some(v) = n.as_f64() else {
            return false;
        };
        // `[filtering]` numeric matching is limited to +/-5.0e9: event values
        // outside it do not match a numeric comparison.
        if !(-NUMERIC_LIMIT..=NUMERIC_LIMIT).contains(&v) {
            return false;
        }
        let above = if self.low_open {
            v > self.low
        } else {
            v >= self.low
        };
        let below = if self.high_open {
            v < self.high
        } else {
            v <= self.high
        };
        above && below
    }
}

impl Num {
    fn new(n: &Number) -> Self {
        Num {
            int: integer(n),
            float: n.as_f64().unwrap_or(f64::NAN),
        }
    }

    /// Numeric equality: exact for two integers, else as `f64`, so 300
    /// matches 300.0.
    ///
    /// The User Guide's "Considerations" still say "300, 300.0, and 3.0e2 are
    /// not considered equal", but EventBridge matches them (TestEventPattern
    /// answers true for `[300]` against `300.0`) because Ruler compiles a
    /// number in a pattern to a numeric match as well as a textual one. Baton
    /// follows the service.
    fn equals(&self, n: &Number) -> bool {
        match (self.int, integer(n)) {
            (Some(a), Some(b)) => a == b,
            _ => n.as_f64() == Some(self.float),
        }
    }
}

fn integer(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

impl Wildcard {
    /// `[filtering]` "Wildcard matching": `*` matches zero or more
    /// characters; `\*` is a literal `*` and `\\` a literal `\`; consecutive
    /// wildcards are refused. `[ruler]` refuses a backslash escaping anything
    /// else, and counts positions in bytes from the value's opening quote.
    fn parse(text: &str) -> Result<Wildcard> {
        let mut pieces: Vec<Box<str>> = Vec::new();
        let mut current = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((index, c)) = chars.next() {
            match c {
                '*' => {
                    if matches!(chars.peek(), Some((_, '*'))) {
                        return fail(format!(
                            "Consecutive wildcard characters at pos {}",
                            index + 1
                        ));
                    }
                    pieces.push(std::mem::take(&mut current).into_boxed_str());
                }
                '\\' => match chars.peek() {
                    Some(&(_, next @ ('*' | '\\'))) => {
                        current.push(next);
                        chars.next();
                    }
                    _ => return fail(format!("Invalid escape character at pos {}", index + 1)),
                },
                other => current.push(other),
            }
        }
        pieces.push(current.into_boxed_str());
        Ok(Wildcard {
            pieces: pieces.into_boxed_slice(),
        })
    }

    fn stars(&self) -> usize {
        self.pieces.len() - 1
    }

    /// Greedy matching: the first piece anchors the start, the last the end,
    /// and each middle piece is taken at its leftmost occurrence after the
    /// previous one. Linear-ish (`str::find` is two-way), never backtracking.
    fn matches(&self, value: &str) -> bool {
        let (first, rest) = match self.pieces.split_first() {
            Some(split) => split,
            None => return false,
        };
        let Some((last, middle)) = rest.split_last() else {
            return value == &**first;
        };
        if value.len() < first.len() + last.len()
            || !value.starts_with(&**first)
            || !value.ends_with(&**last)
        {
            return false;
        }
        let mut window = &value[first.len()..value.len() - last.len()];
        for piece in middle {
            match window.find(&**piece) {
                Some(at) => window = &window[at + piece.len()..],
                None => return false,
            }
        }
        true
    }
}

impl Cidr {
    /// `[filtering]` "You can use IP address matching for IPv4 and IPv6
    /// addresses". Validation and messages follow `[ruler]` (CIDR.java):
    /// one `/`, integer mask bits, IPv4 masks below 32 and IPv6 below 128.
    fn parse(text: &str) -> Result<Cidr> {
        // Java's String.split drops trailing empty strings.
        let mut parts: Vec<&str> = text.split('/').collect();
        if !text.is_empty() {
            while parts.last() == Some(&"") {
                parts.pop();
            }
        }
        let [address, bits] = parts[..] else {
            return fail("Malformed CIDR, one '/' required");
        };
        let Ok(bits) = bits.parse::<i32>() else {
            return fail("Malformed CIDR, mask bits must be an integer");
        };
        if bits < 0 {
            return fail("Malformed CIDR, mask bits must not be negative");
        }
        if looks_like_ipv4(address) {
            let Some(ip) = parse_ipv4(address) else {
                return fail(format!("Invalid IP address: {address}"));
            };
            if bits > 31 {
                return fail("IPv4 mask bits must be < 32");
            }
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            Ok(Cidr::V4 {
                network: ip & mask,
                mask,
            })
        } else if looks_like_ipv6(address) {
            let Ok(ip) = address.parse::<Ipv6Addr>() else {
                return fail(format!("Invalid IP address: {address}"));
            };
            if bits > 127 {
                return fail("IPv6 mask bits must be < 128");
            }
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            Ok(Cidr::V6 {
                network: u128::from(ip) & mask,
                mask,
            })
        } else {
            fail(format!("Nonstandard IP address: {address}"))
        }
    }

    fn contains(&self, value: &str) -> bool {
        match *self {
            Cidr::V4 { network, mask } => {
                looks_like_ipv4(value) && parse_ipv4(value).is_some_and(|ip| ip & mask == network)
            }
            Cidr::V6 { network, mask } => {
                looks_like_ipv6(value)
                    && value
                        .parse::<Ipv6Addr>()
                        .is_ok_and(|ip| u128::from(ip) & mask == network)
            }
        }
    }
}

/// Ruler's IPv4 shape: four dot-separated runs of digits.
fn looks_like_ipv4(s: &str) -> bool {
    let mut groups = 0;
    for group in s.split('.') {
        if group.is_empty() || !group.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        groups += 1;
    }
    groups == 4
}

/// Four decimal octets, each at most 255 (leading zeros allowed).
fn parse_ipv4(s: &str) -> Option<u32> {
    let mut ip: u32 = 0;
    for group in s.split('.') {
        let digits = group.trim_start_matches('0');
        if digits.len() > 3 {
            return None;
        }
        let octet: u32 = if digits.is_empty() {
            0
        } else {
            digits.parse().ok()?
        };
        if octet > 255 {
            return None;
        }
        ip = (ip << 8) | octet;
    }
    Some(ip)
}

/// Ruler's IPv6 shape: hex digits and colons, with at least one colon.
fn looks_like_ipv6(s: &str) -> bool {
    s.contains(':') && s.bytes().all(|b| b == b':' || b.is_ascii_hexdigit())
}

/// Lowercases character by character, the same way event values are folded
/// when matched.
fn lowercase(s: &str) -> Box<str> {
    s.chars()
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .into_boxed_str()
}

/// Whether the compact JSON text of `v` has more than `limit` characters.
/// Walks without recursion and stops as soon as the limit is passed.
fn compact_len_exceeds(v: &Value, limit: usize) -> bool {
    let mut total = 0usize;
    let mut stack: Vec<&Value> = vec![v];
    while let Some(v) = stack.pop() {
        total += match v {
            Value::Null => 4,
            Value::Bool(true) => 4,
            Value::Bool(false) => 5,
            Value::Number(n) => n.to_string().chars().count(),
            Value::String(s) => json_string_len(s),
            Value::Array(items) => {
                stack.extend(items.iter());
                2 + items.len().saturating_sub(1)
            }
            Value::Object(map) => {
                let mut len = 2 + map.len().saturating_sub(1);
                for (key, value) in map {
                    len += json_string_len(key) + 1;
                    stack.push(value);
                }
                len
            }
        };
        if total > limit {
            return true;
        }
    }
    false
}

/// Characters in `s` quoted and escaped as serde_json writes it.
fn json_string_len(s: &str) -> usize {
    2 + s
        .chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            c if (c as u32) < 0x20 => 6,
            _ => 1,
        })
        .sum::<usize>()
}

// ---------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------

/// Where fields are looked up: an event object, the remainder of a dotted
/// event key (`"state.status": v` seen from `state`), or nothing.
#[derive(Clone, Copy)]
enum Ctx<'a> {
    Object(&'a Map<String, Value>),
    Dotted(&'a str, &'a Value),
    Missing,
}

/// What a pattern field finds in the event.
#[derive(Clone, Copy)]
enum Found<'a> {
    Value(&'a Value),
    /// An object-like value reached through a dotted key: not a leaf.
    Dotted(&'a str, &'a Value),
    Missing,
}

impl<'a> Ctx<'a> {
    /// `[syntax]` the dot is the joining character, so the event field
    /// `{"state.status": v}` is also `state` → `status`. Docs silent on events
    /// holding both forms of a path: the nested form, when present, is used.
    fn get(self, segment: &str) -> Found<'a> {
        match self {
            Ctx::Object(map) => {
                if let Some(v) = map.get(segment) {
                    return Found::Value(v);
                }
                for (key, v) in map {
                    if let Some(rest) = strip_segment(key, segment) {
                        return Found::Dotted(rest, v);
                    }
                }
                Found::Missing
            }
            Ctx::Dotted(key, v) => {
                if key == segment {
                    Found::Value(v)
                } else if let Some(rest) = strip_segment(key, segment) {
                    Found::Dotted(rest, v)
                } else {
                    Found::Missing
                }
            }
            Ctx::Missing => Found::Missing,
        }
    }
}

fn strip_segment<'k>(key: &'k str, segment: &str) -> Option<&'k str> {
    key.strip_prefix(segment)?.strip_prefix('.')
}

impl Node {
    /// This node against what its field found in the event.
    fn matches_found(&self, found: Found<'_>) -> bool {
        if let Some(leaf) = &self.leaf {
            if !leaf.matches(found) {
                return false;
            }
        }
        if self.fields.is_empty() && self.ors.is_empty() {
            return true;
        }
        match found {
            Found::Value(Value::Object(map)) => self.matches_struct(Ctx::Object(map)),
            Found::Value(Value::Array(items)) => self.matches_elements(items),
            Found::Value(_) | Found::Missing => self.matches_struct(Ctx::Missing),
            Found::Dotted(key, v) => self.matches_struct(Ctx::Dotted(key, v)),
        }
    }

    /// All fields and every `$or` group, against one object.
    fn matches_struct(&self, ctx: Ctx<'_>) -> bool {
        self.fields
            .iter()
            .all(|(segment, child)| child.matches_found(ctx.get(segment)))
            && self
                .ors
                .iter()
                .all(|alternatives| alternatives.iter().any(|alt| alt.matches_struct(ctx)))
    }

    /// `[arrays]` an event array matches when one of its elements does. For
    /// fields below an array of objects, all of them must match within the
    /// same element (`[ruler]` "array-consistent" matching); arrays nested in
    /// arrays are flattened. Docs silent on arrays holding no object: the
    /// fields below are then missing.
    fn matches_elements(&self, items: &[Value]) -> bool {
        let mut saw_object = false;
        let found = any_element(items, |v| match v {
            Value::Object(map) => {
                saw_object = true;
                self.matches_struct(Ctx::Object(map))
            }
            _ => false,
        });
        found || (!saw_object && self.matches_struct(Ctx::Missing))
    }
}

/// Whether `f` holds for an element of `items`, arrays inside it flattened,
/// without recursion (allocating only when arrays are nested).
fn any_element<'a>(items: &'a [Value], mut f: impl FnMut(&'a Value) -> bool) -> bool {
    let mut pending: Vec<&'a [Value]> = Vec::new();
    let mut current = items;
    loop {
        for v in current {
            match v {
                Value::Array(inner) => pending.push(inner),
                other => {
                    if f(other) {
                        return true;
                    }
                }
            }
        }
        match pending.pop() {
            Some(next) => current = next,
            None => return false,
        }
    }
}

/// Whether `f` holds for a leaf value at this field: the value itself, or an
/// element of an array (`[arrays]`). Objects are not leaves.
fn any_leaf<'a>(v: &'a Value, mut f: impl FnMut(&'a Value) -> bool) -> bool {
    match v {
        Value::Object(_) => false,
        Value::Array(items) => any_element(items, |e| !e.is_object() && f(e)),
        leaf => f(leaf),
    }
}

impl Leaf {
    fn matches(&self, found: Found<'_>) -> bool {
        let value = match found {
            Found::Value(v) => Some(v),
            Found::Dotted(..) | Found::Missing => None,
        };
        self.matchers.iter().any(|matcher| match matcher {
            // `[filtering]` "Exists matching only works on leaf nodes": a field
            // whose value is an object, or an array with no leaf value, does
            // not exist for it; `exists: false` matches a missing field.
            Matcher::Exists(wanted) => value.is_some_and(|v| any_leaf(v, |_| true)) == *wanted,
            // Every other comparison needs a value (anything-but included: it
            // does not match a missing field).
            _ => value.is_some_and(|v| any_leaf(v, |leaf| matcher.matches_leaf(leaf))),
        })
    }
}

impl Matcher {
    fn matches_leaf(&self, v: &Value) -> bool {
        match self {
            // `[syntax]` "For strings, EventBridge uses exact character-by-character
            // matching without case-folding or any other string normalization."
            Matcher::ExactString(s) => v.as_str() == Some(&**s),
            Matcher::ExactNumber(n) => matches!(v, Value::Number(x) if n.equals(x)),
            Matcher::ExactBool(b) => v.as_bool() == Some(*b),
            // `[null]` null matches only null, not "".
            Matcher::ExactNull => v.is_null(),
            // `[filtering]` prefix and suffix matching work on string values.
            Matcher::Prefix(p) => v.as_str().is_some_and(|s| s.starts_with(&**p)),
            Matcher::PrefixIgnoreCase(p) => {
                v.as_str().is_some_and(|s| starts_with_ignore_case(s, p))
            }
            Matcher::Suffix(p) => v.as_str().is_some_and(|s| s.ends_with(&**p)),
            Matcher::SuffixIgnoreCase(p) => v.as_str().is_some_and(|s| ends_with_ignore_case(s, p)),
            Matcher::EqualsIgnoreCase(p) => v.as_str().is_some_and(|s| equals_ignore_case(s, p)),
            // `[ruler]` "Wildcard matches only work on string-valued fields".
            Matcher::Wildcard(w) => v.as_str().is_some_and(|s| w.matches(s)),
            // `[filtering]` "Numeric matching works with values that are JSON numbers".
            Matcher::Numeric(range) => matches!(v, Value::Number(n) if range.contains(n)),
            // Docs silent on non-string values: only strings holding an IP
            // address can be in a CIDR block.
            Matcher::Cidr(cidr) => v.as_str().is_some_and(|s| cidr.contains(s)),
            Matcher::Exists(_) => false,
            Matcher::AnythingBut(anything_but) => !anything_but.excludes(v),
        }
    }
}

impl AnythingBut {
    /// `[filtering]` "Anything-but matching matches anything except what's
    /// provided in the rule." Docs silent on values of another type; as on
    /// EventBridge, they are not excluded: `anything-but: "x"` matches null
    /// and numbers, `anything-but: {"prefix": ..}` matches numbers and null,
    /// `anything-but: [1, 2]` matches the string "1".
    fn excludes(&self, v: &Value) -> bool {
        match self {
            AnythingBut::Strings(list) => {
                v.as_str().is_some_and(|s| list.iter().any(|x| **x == *s))
            }
            AnythingBut::Numbers(list) => {
                matches!(v, Value::Number(n) if list.iter().any(|x| x.equals(n)))
            }
            AnythingBut::Prefixes(list) => v
                .as_str()
                .is_some_and(|s| list.iter().any(|p| s.starts_with(&**p))),
            AnythingBut::Suffixes(list) => v
                .as_str()
                .is_some_and(|s| list.iter().any(|p| s.ends_with(&**p))),
            AnythingBut::IgnoreCase(list) => v
                .as_str()
                .is_some_and(|s| list.iter().any(|p| equals_ignore_case(s, p))),
            AnythingBut::Wildcards(list) => v
                .as_str()
                .is_some_and(|s| list.iter().any(|w| w.matches(s))),
        }
    }
}

/// `value` equals `lowered` (already lowercased) ignoring case.
fn equals_ignore_case(value: &str, lowered: &str) -> bool {
    if value.is_ascii() && lowered.is_ascii() {
        return value.eq_ignore_ascii_case(lowered);
    }
    value
        .chars()
        .flat_map(char::to_lowercase)
        .eq(lowered.chars())
}

fn starts_with_ignore_case(value: &str, lowered: &str) -> bool {
    if value.is_ascii() && lowered.is_ascii() {
        return value.len() >= lowered.len()
            && value.as_bytes()[..lowered.len()].eq_ignore_ascii_case(lowered.as_bytes());
    }
    let mut folded = value.chars().flat_map(char::to_lowercase);
    lowered.chars().all(|c| folded.next() == Some(c))
}

fn ends_with_ignore_case(value: &str, lowered: &str) -> bool {
    if value.is_ascii() && lowered.is_ascii() {
        return value.len() >= lowered.len()
            && value.as_bytes()[value.len() - lowered.len()..]
                .eq_ignore_ascii_case(lowered.as_bytes());
    }
    let mut folded = value.chars().rev().flat_map(|c| c.to_lowercase().rev());
    lowered.chars().rev().all(|c| folded.next() == Some(c))
}
