//! CloudWatch Logs filter patterns ("Filter pattern syntax for metric filters, subscription
//! filters, filter log events, and Live Tail", CloudWatch Logs User Guide), the two forms
//! execution logs are searched with:
//!
//! * terms in unstructured log events: `ERROR` (the message contains it, case-sensitively),
//!   `"two words"`, several terms all of which must match, `?A ?B` (any of them), `-term`
//!   (must not appear); an empty pattern matches everything;
//! * JSON log events: `{ $.type = "ExecutionFailed" }` with `=`, `!=` (strings, `*` as a
//!   wildcard, quoted or bare; numbers), `<`, `>`, `<=`, `>=` (numbers), `IS TRUE`,
//!   `IS FALSE`, `IS NULL`, `NOT EXISTS`, joined by `&&` and `||` with parentheses, and
//!   selectors such as `$.details.name` and `$.list[0]`.
//!
//! Space-delimited patterns (`[a, b = 4*]`) and regular expressions (`%…%`) are not
//! supported: they are refused as invalid, not matched wrongly.

use serde_json::Value;

/// A parsed pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    Everything,
    Terms {
        all: Vec<String>,
        any: Vec<String>,
        none: Vec<String>,
    },
    Json(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Compare(Vec<Step>, Op, Literal),
    Is(Vec<Step>, Check),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Number(f64),
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Check {
    True,
    False,
    Null,
    NotExists,
}

/// Why a pattern was refused (CloudWatch answers `InvalidParameterException`).
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid(pub String);

impl Pattern {
    pub fn parse(text: &str) -> Result<Pattern, Invalid> {
        let text = text.trim();
        if text.is_empty() || text == "\"\"" {
            return Ok(Pattern::Everything);
        }
        if text.starts_with('{') {
            let mut p = Parser {
                chars: text.chars().collect(),
                at: 0,
            };
            p.expect('{')?;
            let expr = p.or()?;
            p.skip_space();
            p.expect('}')?;
            p.skip_space();
            if p.at != p.chars.len() {
                return Err(Invalid("Invalid filter pattern: text after '}'".into()));
            }
            return Ok(Pattern::Json(expr));
        }
        if text.starts_with('[') || text.starts_with('%') {
            return Err(Invalid(
                "Invalid filter pattern: space-delimited and regular-expression patterns are not supported".into(),
            ));
        }
        terms(text)
    }

    /// Whether the message matches.
    pub fn matches(&self, message: &str) -> bool {
        match self {
            Pattern::Everything => true,
            Pattern::Terms { all, any, none } => {
                all.iter().all(|t| message.contains(t.as_str()))
                    && (any.is_empty() || any.iter().any(|t| message.contains(t.as_str())))
                    && !none.iter().any(|t| message.contains(t.as_str()))
            }
            Pattern::Json(expr) => match serde_json::from_str::<Value>(message) {
                Ok(value) => eval(expr, &value),
                Err(_) => false,
            },
        }
    }
}

fn terms(text: &str) -> Result<Pattern, Invalid> {
    let (mut all, mut any, mut none) = (Vec::new(), Vec::new(), Vec::new());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let list = match chars[i] {
            '?' => {
                i += 1;
                &mut any
            }
            '-' => {
                i += 1;
                &mut none
            }
            _ => &mut all,
        };
        let term = if chars.get(i) == Some(&'"') {
            let start = i + 1;
            let end = chars[start..]
                .iter()
                .position(|c| *c == '"')
                .map(|p| start + p)
                .ok_or_else(|| Invalid("Invalid filter pattern: unclosed quote".into()))?;
            i = end + 1;
            chars[start..end].iter().collect::<String>()
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() {
                i += 1;
            }
            chars[start..i].iter().collect::<String>()
        };
        if !term.is_empty() {
            list.push(term);
        }
    }
    Ok(Pattern::Terms { all, any, none })
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn skip_space(&mut self) {
        while self.chars.get(self.at).is_some_and(|c| c.is_whitespace()) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn expect(&mut self, c: char) -> Result<(), Invalid> {
        self.skip_space();
        if self.peek() == Some(c) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.invalid(&format!("expected '{c}'")))
        }
    }

    fn invalid(&self, what: &str) -> Invalid {
        Invalid(format!(
            "Invalid filter pattern: {what} at character {}",
            self.at + 1
        ))
    }

    fn eat(&mut self, word: &str) -> bool {
        self.skip_space();
        let w: Vec<char> = word.chars().collect();
        if self.chars.len() >= self.at + w.len()
            && self.chars[self.at..self.at + w.len()]
                .iter()
                .zip(&w)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
        {
            self.at += w.len();
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, Invalid> {
        let mut left = self.and()?;
        while self.eat("||") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, Invalid> {
        let mut left = self.primary()?;
        while self.eat("&&") {
            left = Expr::And(Box::new(left), Box::new(self.primary()?));
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Expr, Invalid> {
        self.skip_space();
        if self.peek() == Some('(') {
            self.at += 1;
            let e = self.or()?;
            self.expect(')')?;
            return Ok(e);
        }
        let path = self.selector()?;
        if self.eat("IS") {
            let check = if self.eat("TRUE") {
                Check::True
            } else if self.eat("FALSE") {
                Check::False
            } else if self.eat("NULL") {
                Check::Null
            } else {
                return Err(self.invalid("expected TRUE, FALSE or NULL"));
            };
            return Ok(Expr::Is(path, check));
        }
        if self.eat("NOT") {
            if self.eat("EXISTS") {
                return Ok(Expr::Is(path, Check::NotExists));
            }
            return Err(self.invalid("expected EXISTS"));
        }
        let op = if self.eat("!=") {
            Op::Ne
        } else if self.eat("<=") {
            Op::Le
        } else if self.eat(">=") {
            Op::Ge
        } else if self.eat("=") {
            Op::Eq
        } else if self.eat("<") {
            Op::Lt
        } else if self.eat(">") {
            Op::Gt
        } else {
            return Err(self.invalid("expected a comparison"));
        };
        let literal = self.literal()?;
        if matches!(op, Op::Lt | Op::Gt | Op::Le | Op::Ge) && !matches!(literal, Literal::Number(_))
        {
            return Err(self.invalid("a numeric comparison needs a number"));
        }
        Ok(Expr::Compare(path, op, literal))
    }

    fn selector(&mut self) -> Result<Vec<Step>, Invalid> {
        self.skip_space();
        if !self.eat("$") {
            return Err(self.invalid("expected a selector starting with '$'"));
        }
        let mut steps = Vec::new();
        loop {
            match self.peek() {
                Some('.') => {
                    self.at += 1;
                    let start = self.at;
                    while self
                        .peek()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '@')
                    {
                        self.at += 1;
                    }
                    if start == self.at {
                        return Err(self.invalid("expected a member name"));
                    }
                    steps.push(Step::Key(self.chars[start..self.at].iter().collect()));
                }
                Some('[') => {
                    self.at += 1;
                    let start = self.at;
                    while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                        self.at += 1;
                    }
                    let index: String = self.chars[start..self.at].iter().collect();
                    let index = index
                        .parse()
                        .map_err(|_| self.invalid("expected an array index"))?;
                    self.expect(']')?;
                    steps.push(Step::Index(index));
                }
                _ => break,
            }
        }
        Ok(steps)
    }

    fn literal(&mut self) -> Result<Literal, Invalid> {
        self.skip_space();
        if self.peek() == Some('"') {
            self.at += 1;
            let start = self.at;
            while self.peek().is_some_and(|c| c != '"') {
                self.at += 1;
            }
            if self.peek() != Some('"') {
                return Err(self.invalid("unclosed quote"));
            }
            let text = self.chars[start..self.at].iter().collect();
            self.at += 1;
            return Ok(Literal::Text(text));
        }
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| !c.is_whitespace() && !matches!(c, '}' | ')' | '&' | '|'))
        {
            self.at += 1;
        }
        let text: String = self.chars[start..self.at].iter().collect();
        if text.is_empty() {
            return Err(self.invalid("expected a value"));
        }
        Ok(match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Literal::Number(n),
            _ => Literal::Text(text),
        })
    }
}

fn select<'a>(value: &'a Value, path: &[Step]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, step| match step {
        Step::Key(k) => v.get(k),
        Step::Index(i) => v.get(i),
    })
}

fn eval(expr: &Expr, value: &Value) -> bool {
    match expr {
        Expr::And(a, b) => eval(a, value) && eval(b, value),
        Expr::Or(a, b) => eval(a, value) || eval(b, value),
        Expr::Is(path, check) => {
            let found = select(value, path);
            match check {
                Check::True => found == Some(&Value::Bool(true)),
                Check::False => found == Some(&Value::Bool(false)),
                Check::Null => found == Some(&Value::Null),
                Check::NotExists => found.is_none(),
            }
        }
        Expr::Compare(path, op, literal) => {
            let Some(found) = select(value, path) else {
                return false;
            };
            match (found, literal) {
                (Value::Number(n), Literal::Number(want)) => {
                    let Some(n) = n.as_f64() else { return false };
                    match op {
                        Op::Eq => n == *want,
                        Op::Ne => n != *want,
                        Op::Lt => n < *want,
                        Op::Gt => n > *want,
                        Op::Le => n <= *want,
                        Op::Ge => n >= *want,
                    }
                }
                (found, literal) => {
                    let text = match found {
                        Value::String(s) => s.clone(),
                        Value::Bool(b) => b.to_string(),
                        Value::Number(n) => n.to_string(),
                        _ => return false,
                    };
                    let want = match literal {
                        Literal::Text(t) => t.clone(),
                        Literal::Number(_) if matches!(found, Value::String(_)) => {
                            // A bare number against a string compares the text.
                            return match op {
                                Op::Eq | Op::Ne => {
                                    let raw = literal_text(literal);
                                    (text == raw) == (*op == Op::Eq)
                                }
                                _ => false,
                            };
                        }
                        Literal::Number(_) => literal_text(literal),
                    };
                    match op {
                        Op::Eq => wildcard(&want, &text),
                        Op::Ne => !wildcard(&want, &text),
                        _ => false,
                    }
                }
            }
        }
    }
}

fn literal_text(literal: &Literal) -> String {
    match literal {
        Literal::Text(t) => t.clone(),
        Literal::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
        Literal::Number(n) => n.to_string(),
    }
}

/// `*` matches any run of characters.
fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == last {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(p) => rest = &rest[p + part.len()..],
                None => return false,
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, msg: &str) -> bool {
        Pattern::parse(p).unwrap().matches(msg)
    }

    // The examples of the CloudWatch Logs User Guide's filter pattern syntax, on events
    // written for them.
    #[test]
    fn terms_all_any_and_excluded() {
        assert!(m("", "anything"));
        assert!(m("ERROR", "[ERROR] 400 BadRequest"));
        assert!(!m("ERROR", "[error] lower case"));
        assert!(m("ERROR Exception", "ERROR: Exception thrown"));
        assert!(!m("ERROR Exception", "ERROR only"));
        assert!(m("?ERROR ?WARN", "WARN low disk"));
        assert!(!m("?ERROR ?WARN", "INFO fine"));
        assert!(m("ERROR -Exiting", "ERROR bad"));
        assert!(!m("ERROR -Exiting", "ERROR Exiting now"));
        assert!(m("\"Failed to\"", "Failed to start"));
        assert!(!m("\"Failed to\"", "Failed   to start"));
    }

    #[test]
    fn json_comparisons() {
        let event = r#"{"eventType":"UpdateTrail","sourceIPAddress":"123.123.1.1","bandwidth":80,
            "user":{"id":2},"users":[{"email":"John.Doe@example.com"}],"actions":["a","b","GET"],
            "flag":true,"gone":null}"#;
        assert!(m(r#"{ $.eventType = "UpdateTrail" }"#, event));
        assert!(m("{ $.eventType = UpdateTrail }", event));
        assert!(!m(r#"{ $.eventType = "Other" }"#, event));
        assert!(m("{ $.sourceIPAddress = 123.123.* }", event));
        assert!(!m("{ $.sourceIPAddress != 123.123.* }", event));
        assert!(m("{ $.bandwidth > 75 }", event));
        assert!(!m("{ $.bandwidth <= 75 }", event));
        assert!(m(
            r#"{ $.user.id = 2 && $.users[0].email = "John.Doe@example.com" }"#,
            event
        ));
        assert!(m(
            r#"{ ($.user.id = 3 && $.bandwidth = 80) || $.actions[2] = "GET" }"#,
            event
        ));
        assert!(m("{ $.flag IS TRUE }", event));
        assert!(!m("{ $.flag IS FALSE }", event));
        assert!(m("{ $.gone IS NULL }", event));
        assert!(m("{ $.missing NOT EXISTS }", event));
        assert!(!m("{ $.eventType NOT EXISTS }", event));
        assert!(!m("{ $.eventType = x }", "not json"));
    }

    #[test]
    fn bad_patterns_are_refused() {
        for bad in [
            "{ $.a = }",
            "{ a = 1 }",
            "{ $.a = 1",
            "{ $.a > x }",
            "[ip, user]",
            "\"open",
            "{ $.a[x] = 1 }",
        ] {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
        }
    }
}
