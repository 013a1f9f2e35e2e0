//! The comparison the reference runner (`shared/tools/conformance/run.py`, `Matcher`) makes
//! between a recorded value and ours: JSON values compared exactly (numbers by value), except
//! strings the recording masked, which are templates whose placeholder tokens stand for any
//! value of their shape — the same token for the same value within a case.
//!
//! The token shapes are the runner's regular expressions, written out by hand (this crate has
//! no regex engine): each token's shape is a predicate over a whole substring, and a template
//! matches when its literal parts and tokens cover the string, tried in the order the runner's
//! regex engine would try them.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

/// Masked places of one case and the bindings its tokens took so far.
pub struct Matcher {
    masked: HashMap<(String, String), BTreeSet<String>>,
    bind: HashMap<String, String>,
    /// Whether a masked template (not an exact value) decided a match.
    pub used_wildcard: bool,
}

/// What a name in an ARN cannot contain besides white space.
const NAME_FORBIDDEN: &str = r##":/,;<>{}[]?*"#%\^|~`$&"##;

/// The shape a placeholder token stands for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape {
    Any,
    Uuid,
    Partition,
    Region,
    /// A name in an ARN: no white space, brackets, wildcards or `: / , ; " # % \ ^ | ~ ` $ &`.
    Name,
    /// No colon and no white space.
    MapRunPart,
    Account,
    RoleArn,
    Iso8601,
    Number,
}

impl Shape {
    /// Whether the regex engine tries short matches first (`+?`) for this shape.
    fn lazy(self) -> bool {
        matches!(
            self,
            Shape::Any | Shape::Name | Shape::MapRunPart | Shape::RoleArn
        )
    }

    pub(crate) fn matches(self, s: &str) -> bool {
        match self {
            Shape::Any => !s.is_empty(),
            Shape::Uuid => is_uuid(s),
            Shape::Partition => s
                .strip_prefix("aws")
                .is_some_and(|rest| rest.is_empty() || dashed_words(rest.strip_prefix('-'))),
            Shape::Region => is_region(s),
            Shape::Name => {
                !s.is_empty()
                    && !s
                        .chars()
                        .any(|c| c.is_whitespace() || NAME_FORBIDDEN.contains(c))
            }
            Shape::MapRunPart => !s.is_empty() && !s.chars().any(|c| c == ':' || c.is_whitespace()),
            Shape::Account => s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()),
            Shape::RoleArn => is_role_arn(s),
            Shape::Iso8601 => is_iso8601(s),
            Shape::Number => is_number(s),
        }
    }
}

/// `[a-z]+(-[a-z]+)*` (after a leading dash was removed), or nothing when `s` is `None`.
fn dashed_words(s: Option<&str>) -> bool {
    s.is_some_and(|s| {
        s.split('-')
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
    })
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

pub(crate) fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `[a-z]{2}(-[a-z]+)+-\d+`.
pub(crate) fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && digits(parts[parts.len() - 1])
        && parts[1..parts.len() - 1]
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
}

/// `arn:aws[a-z-]*:iam::\d{12}:role/[^\s'"]+`.
pub(crate) fn is_role_arn(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("arn:aws") else {
        return false;
    };
    let Some((partition_rest, rest)) = rest.split_once(':') else {
        return false;
    };
    let Some(rest) = rest.strip_prefix("iam::") else {
        return false;
    };
    partition_rest
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b == b'-')
        && rest.len() > 18
        && rest.is_char_boundary(12)
        && Shape::Account.matches(&rest[..12])
        && rest[12..].strip_prefix(":role/").is_some_and(|r| {
            !r.is_empty()
                && !r
                    .chars()
                    .any(|c| c.is_whitespace() || c == '\'' || c == '"')
        })
}

/// `\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})`.
pub(crate) fn is_iso8601(s: &str) -> bool {
    let b = s.as_bytes();
    let d = |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    if b.len() < 17
        || !d(0..4)
        || b[4] != b'-'
        || !d(5..7)
        || b[7] != b'-'
        || !d(8..10)
        || b[10] != b'T'
        || !d(11..13)
        || b[13] != b':'
        || !d(14..16)
    {
        return false;
    }
    let mut i = 16;
    if b.get(i) == Some(&b':') {
        if !d(i + 1..i + 3) {
            return false;
        }
        i += 3;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            i = start;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return false;
            }
        }
    }
    match &b[i..] {
        [b'Z'] => true,
        [b'+' | b'-', rest @ ..] => {
            let digits_only: Vec<u8> = rest.iter().copied().filter(|c| *c != b':').collect();
            let colons = rest.len() - digits_only.len();
            digits_only.len() == 4
                && digits_only.iter().all(u8::is_ascii_digit)
                && (colons == 0 || (colons == 1 && rest.get(2) == Some(&b':')))
        }
        _ => false,
    }
}

/// `-?\d+(\.\d+)?([eE][+-]?\d+)?`.
pub(crate) fn is_number(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// What a placeholder token stands for: its shape, whether it binds (the same token must
/// stand for the same value), and whether a whole-value token also accepts a JSON number.
fn token_spec(tok: &str) -> (Shape, bool, bool) {
    if tok.starts_with("<uuid:") {
        (Shape::Uuid, true, false)
    } else if tok.starts_with("<json-input:") {
        (Shape::Any, true, false)
    } else if tok == "<partition>" {
        (Shape::Partition, true, false)
    } else if tok == "<region>" {
        (Shape::Region, true, false)
    } else if tok.starts_with("<MapRunArn") {
        (Shape::MapRunPart, true, false)
    } else if tok.starts_with('<') && tok.contains("Arn") {
        (Shape::Name, true, false)
    } else if tok.starts_with('<') {
        (Shape::Any, true, false)
    } else if tok == "111111111111" {
        (Shape::Account, true, false)
    } else if tok == "snf_role_arn" || tok == "sfn_role_arn" {
        (Shape::RoleArn, true, false)
    } else if matches!(tok, "date" | "start-time" | "entered-time") {
        (Shape::Iso8601, false, false)
    } else if tok == "generated-uuid" {
        (Shape::Uuid, false, false)
    } else if tok == "RandomNumberGenerated" {
        (Shape::Number, false, true)
    } else {
        (Shape::Any, false, true)
    }
}

/// One alternative of the token scanner.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Alt {
    /// `<[A-Za-z][A-Za-z0-9_:.\-]*>`.
    Placeholder,
    Literal(String),
    /// `\bword\b`.
    Word(String),
}

const PLACEHOLDER_RE: &str = r"<[A-Za-z][A-Za-z0-9_:.\-]*>";

impl Alt {
    /// The length of the alternative's regex text: the runner tries longer ones first.
    fn pattern_len(&self) -> usize {
        match self {
            Alt::Placeholder => PLACEHOLDER_RE.len(),
            Alt::Literal(l) => l
                .chars()
                .map(|c| {
                    if "()[]{}?*+-|^$\\.&~# \t\n\r\u{b}\u{c}".contains(c) {
                        2
                    } else {
                        1
                    }
                })
                .sum(),
            Alt::Word(w) => w.len() + 4,
        }
    }

    /// The length of the match at the start of `s`, if this alternative matches there.
    fn match_at(&self, s: &str, before: Option<char>) -> Option<usize> {
        match self {
            Alt::Placeholder => {
                let mut chars = s.char_indices();
                if chars.next()?.1 != '<' {
                    return None;
                }
                let (_, first) = chars.next()?;
                if !first.is_ascii_alphabetic() {
                    return None;
                }
                for (i, c) in chars {
                    if c == '>' {
                        return Some(i + 1);
                    }
                    if !(c.is_ascii_alphanumeric() || "_:.-".contains(c)) {
                        return None;
                    }
                }
                None
            }
            Alt::Literal(l) => s.starts_with(l.as_str()).then_some(l.len()),
            Alt::Word(w) => {
                let word = |c: char| c.is_alphanumeric() || c == '_';
                let after = s.get(w.len()..).and_then(|r| r.chars().next());
                (s.starts_with(w.as_str()) && !before.is_some_and(word) && !after.is_some_and(word))
                    .then_some(w.len())
            }
        }
    }
}

/// The scanner's alternatives for the kinds of a masked place, longest pattern first.
fn alternatives(kinds: &BTreeSet<String>) -> Vec<Alt> {
    let mut alts = BTreeSet::new();
    let mut known = true;
    for k in kinds {
        if k == "placeholder" {
            alts.insert(Alt::Placeholder);
        } else if k == "account-id" {
            alts.insert(Alt::Literal("111111111111".into()));
        } else if k == "role-arn" {
            alts.insert(Alt::Literal("snf_role_arn".into()));
            alts.insert(Alt::Literal("sfn_role_arn".into()));
        } else if k == "iso8601-as-date" {
            alts.insert(Alt::Word("date".into()));
        } else if k.contains("timestamp") {
            alts.insert(Alt::Word("timestamp".into()));
        } else if let Some(t) = k.strip_prefix("test-specific:") {
            alts.insert(Alt::Literal(t.into()));
        } else {
            known = false;
        }
    }
    if !known || alts.is_empty() {
        alts.extend([
            Alt::Placeholder,
            Alt::Literal("111111111111".into()),
            Alt::Literal("snf_role_arn".into()),
            Alt::Literal("sfn_role_arn".into()),
            Alt::Word("date".into()),
            Alt::Word("timestamp".into()),
        ]);
    }
    let mut alts: Vec<Alt> = alts.into_iter().collect();
    alts.sort_by_key(|a| std::cmp::Reverse(a.pattern_len()));
    alts
}

/// The tokens of a template, as `(start, end)` byte ranges, scanned left to right.
fn tokens(template: &str, alts: &[Alt]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut before = None;
    while pos < template.len() {
        let rest = &template[pos..];
        if let Some(len) = alts.iter().find_map(|a| a.match_at(rest, before)) {
            out.push((pos, pos + len));
            before = template[..pos + len].chars().next_back();
            pos += len;
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            before = Some(c);
            pos += c.len_utf8();
        }
    }
    out
}

/// One piece of a template.
enum Piece {
    Literal(String),
    /// A token: its shape, and the token text when it binds a value.
    Token(Shape, Option<String>),
}

/// Whether `pieces` cover `s` from `pos` on, extending `caps` with the values bound tokens took.
fn cover(pieces: &[Piece], s: &str, pos: usize, caps: &mut HashMap<String, String>) -> bool {
    let Some((first, rest)) = pieces.split_first() else {
        return pos == s.len();
    };
    match first {
        Piece::Literal(l) => {
            s[pos..].starts_with(l.as_str()) && cover(rest, s, pos + l.len(), caps)
        }
        Piece::Token(shape, bind) => {
            if let Some(value) = bind.as_ref().and_then(|t| caps.get(t)).cloned() {
                return s[pos..].starts_with(value.as_str())
                    && cover(rest, s, pos + value.len(), caps);
            }
            let mut ends: Vec<usize> = s[pos..]
                .char_indices()
                .map(|(i, c)| pos + i + c.len_utf8())
                .collect();
            if !shape.lazy() {
                ends.reverse();
            }
            for end in ends {
                if !shape.matches(&s[pos..end]) {
                    continue;
                }
                if let Some(t) = bind {
                    caps.insert(t.clone(), s[pos..end].to_string());
                }
                if cover(rest, s, end, caps) {
                    return true;
                }
                if let Some(t) = bind {
                    caps.remove(t);
                }
            }
            false
        }
    }
}

/// A value as the runner prints it in a reason.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= 160 {
        s
    } else {
        format!("{}...", s.chars().take(157).collect::<String>())
    }
}

/// Python's equality of two JSON numbers: by value, integers exactly.
fn same_number(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
        (Some(x), Some(y), _, _) => x == y,
        (_, _, Some(x), Some(y)) => x == y,
        _ => a.as_f64() == b.as_f64(),
    }
}

impl Matcher {
    /// A matcher for a case's `expected.json` `masked` list.
    pub fn new(masked: &Value) -> Matcher {
        let mut places: HashMap<(String, String), BTreeSet<String>> = HashMap::new();
        for m in masked.as_array().into_iter().flatten() {
            let field = m["field"].as_str().unwrap_or_default().to_string();
            let path = m["path"].as_str().unwrap_or_default().to_string();
            let kinds = m["kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|k| k.as_str().map(str::to_string));
            places.entry((field, path)).or_default().extend(kinds);
        }
        Matcher {
            masked: places,
            bind: HashMap::new(),
            used_wildcard: false,
        }
    }

    /// Why `actual` is not `expected` (empty when it is), for the value of `field`.
    pub fn value(&mut self, expected: &Value, actual: &Value, field: &str) -> Vec<String> {
        let mut diffs = Vec::new();
        self.walk(expected, actual, field, "", &mut diffs);
        diffs
    }

    fn walk(&mut self, exp: &Value, act: &Value, field: &str, path: &str, diffs: &mut Vec<String>) {
        if diffs.len() >= 20 {
            return;
        }
        let place = if path.is_empty() {
            field.to_string()
        } else {
            format!("{field}{path}")
        };
        if let Value::String(template) = exp {
            if let Some(kinds) = self
                .masked
                .get(&(field.to_string(), path.to_string()))
                .cloned()
            {
                if let Some(d) = self.wildcard(template, act, &kinds, &place) {
                    diffs.push(d);
                }
                return;
            }
        }
        let mismatch = || format!("{place}: expected {}, got {}", short(exp), short(act));
        match (exp, act) {
            (Value::Null, Value::Null) => {}
            (Value::Bool(e), Value::Bool(a)) if e == a => {}
            (Value::Number(e), Value::Number(a)) if same_number(e, a) => {}
            (Value::String(e), Value::String(a)) if e == a => {}
            (Value::Array(e), Value::Array(a)) => {
                if e.len() != a.len() {
                    diffs.push(format!(
                        "{place}: expected {} items, got {}: {}",
                        e.len(),
                        a.len(),
                        short(act)
                    ));
                    return;
                }
                for (i, (x, y)) in e.iter().zip(a).enumerate() {
                    self.walk(x, y, field, &format!("{path}/{i}"), diffs);
                }
            }
            (Value::Object(e), Value::Object(a)) => {
                let missing: Vec<&String> = e.keys().filter(|k| !a.contains_key(*k)).collect();
                let extra: Vec<&String> = a.keys().filter(|k| !e.contains_key(*k)).collect();
                if !missing.is_empty() {
                    diffs.push(format!("{place}: missing keys {missing:?}"));
                }
                if !extra.is_empty() {
                    diffs.push(format!("{place}: unexpected keys {extra:?}"));
                }
                for (k, v) in e {
                    if let Some(w) = a.get(k) {
                        let key = k.replace('~', "~0").replace('/', "~1");
                        self.walk(v, w, field, &format!("{path}/{key}"), diffs);
                    }
                }
            }
            _ => diffs.push(mismatch()),
        }
    }

    /// `None` when `actual` fits the masked template `template`, else why not.
    fn wildcard(
        &mut self,
        template: &str,
        actual: &Value,
        kinds: &BTreeSet<String>,
        place: &str,
    ) -> Option<String> {
        if actual.as_str() == Some(template) {
            // The placeholder itself: it reached us verbatim (through a mocked response).
            return None;
        }
        let found = tokens(template, &alternatives(kinds));
        let expected_string = || {
            format!(
                "{place}: expected a string matching {template:?}, got {}",
                short(actual)
            )
        };
        if let [(0, end)] = found.as_slice() {
            if *end == template.len() && !actual.is_string() {
                let (_, _, number_ok) = token_spec(template);
                if number_ok && actual.is_number() {
                    self.used_wildcard = true;
                    return None;
                }
                return Some(expected_string());
            }
        }
        let Some(actual_text) = actual.as_str() else {
            return Some(expected_string());
        };
        let mut pieces = Vec::new();
        let mut last = 0;
        for &(start, end) in &found {
            if start > last {
                pieces.push(Piece::Literal(template[last..start].to_string()));
            }
            let tok = &template[start..end];
            let (shape, binds, _) = token_spec(tok);
            match self.bind.get(tok) {
                Some(value) if binds => pieces.push(Piece::Literal(value.clone())),
                _ => pieces.push(Piece::Token(shape, binds.then(|| tok.to_string()))),
            }
            last = end;
        }
        if last < template.len() {
            pieces.push(Piece::Literal(template[last..].to_string()));
        }
        let mut caps = HashMap::new();
        if !cover(&pieces, actual_text, 0, &mut caps) {
            return Some(format!(
                "{place}: {} does not match masked {}",
                short(actual),
                short(&Value::String(template.to_string()))
            ));
        }
        self.bind.extend(caps);
        self.used_wildcard = true;
        None
    }
}

/// The `CODE: text at /path` items of a definition error message, sorted (the runner's
/// "message core": the wrapper around them is ignored), or `None` when there are none.
pub fn message_core(message: &str) -> Option<Vec<String>> {
    let b = message.as_bytes();
    let mut items = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match core_at(message, i) {
            Some(end) => {
                items.push(message[i..end].to_string());
                i = end.max(i + 1);
            }
            None => i += 1,
        }
    }
    items.sort();
    (!items.is_empty()).then_some(items)
}

/// The end of a `[A-Z][A-Z0-9_]{2,}: .*? at /[^\s,']*` match starting at byte `i`.
fn core_at(s: &str, i: usize) -> Option<usize> {
    let b = s.as_bytes();
    if !b[i].is_ascii_uppercase() {
        return None;
    }
    let mut j = i + 1;
    while j < b.len() && (b[j].is_ascii_uppercase() || b[j].is_ascii_digit() || b[j] == b'_') {
        j += 1;
    }
    if j - i < 3 || !s[j..].starts_with(": ") {
        return None;
    }
    let text_start = j + 2;
    let rest = &s[text_start..];
    let at = rest.find(" at /")?;
    if rest[..at].contains('\n') {
        return None;
    }
    let mut end = text_start + at + " at /".len();
    for c in s[end..].chars() {
        if c.is_whitespace() || c == ',' || c == '\'' {
            break;
        }
        end += c.len_utf8();
    }
    Some(end)
}
