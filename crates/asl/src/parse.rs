//! Reading definition text: strict JSON (the API) or JSON with comments (files on the command
//! line), keeping the line and column of every value for diagnostics.
//!
//! AWS reads definitions with Jackson, so a syntax error is described the way Jackson describes
//! it (`Unexpected character ('}' (code 125)): was expecting double-quote to start field name`),
//! without Jackson's `at [Source: …]` suffix: the diagnostic carries the line and column instead.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

use crate::validate::{Diagnostic, Severity};

/// Jackson's default `StreamReadConstraints` nesting limit.
pub const MAX_NESTING_DEPTH: usize = 1000;

/// A parsed definition with the position of every value, keyed by JSON pointer.
#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    /// JSON pointer (`/States/A/Next`) → 1-based (line, column) of the value.
    pub positions: HashMap<String, (u32, u32)>,
    /// JSON pointers of members whose key was already used in the same object, in document
    /// order. `value` keeps the last occurrence, as Jackson's tree model does; the validator
    /// reports repeated state names.
    pub duplicate_keys: Vec<String>,
}

impl Document {
    /// Where the value at `pointer` starts, or where its nearest ancestor does.
    pub fn position(&self, pointer: &str) -> (u32, u32) {
        let mut p = pointer;
        loop {
            if let Some(pos) = self.positions.get(p) {
                return *pos;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return (1, 1),
            }
        }
    }

    /// A document for a value built in memory (no text): every position is 1:1.
    pub fn from_value(value: Value) -> Document {
        Document {
            value,
            positions: HashMap::new(),
            duplicate_keys: Vec::new(),
        }
    }
}

/// Escapes one reference token of a JSON pointer (RFC 6901).
pub fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Parses `text`. With `allow_comments`, `//` and `/* */` comments are allowed outside strings.
///
/// Text that holds no value at all (empty or only whitespace and comments) is not a JSON
/// syntax error for AWS: Jackson reads it as "no content", and the definition is then refused
/// as not being a JSON object.
pub fn parse(text: &str, allow_comments: bool) -> Result<Document, Diagnostic> {
    let mut p = Parser {
        src: text.as_bytes(),
        text,
        pos: 0,
        line: 1,
        col: 1,
        allow_comments,
        positions: HashMap::new(),
        duplicate_keys: Vec::new(),
    };
    p.skip_ws()?;
    if p.pos >= p.src.len() {
        return Err(not_an_object());
    }
    let value = p.value()?;
    p.skip_ws()?;
    if let Some(c) = p.peek_char() {
        return Err(p.err_here(format!(
            "Unexpected character ({}): expected end-of-input",
            describe(c)
        )));
    }
    Ok(Document {
        value,
        positions: p.positions,
        duplicate_keys: p.duplicate_keys,
    })
}

/// Describes why `text` is not valid JSON the way Jackson does, or `None` when it is. The
/// server uses it for `StartExecution` input, where AWS quotes Jackson's message.
pub fn json_syntax_error(text: &str) -> Option<String> {
    match parse(text, false) {
        Ok(_) => None,
        Err(d) => Some(d.message),
    }
}

/// The diagnostic for a definition that is valid JSON but not an object (or no value at all).
pub fn not_an_object() -> Diagnostic {
    Diagnostic {
        code: "SCHEMA_VALIDATION_FAILED",
        severity: Severity::Error,
        pointer: String::new(),
        location: None,
        line: 1,
        column: 1,
        message: "Definition must be a valid JSON object".to_string(),
    }
}

/// An open container while its members are read.
struct Frame {
    kind: Kind,
    /// Length of the JSON pointer of the container itself.
    parent_len: usize,
    /// Where the container opened, for Jackson's messages.
    start: (u32, u32),
}

enum Kind {
    Array(Vec<Value>),
    /// The members so far and the name of the member being read.
    Object(Map<String, Value>, String),
}

fn push_token(pointer: &mut String, key: &str) {
    pointer.push('/');
    pointer.push_str(&escape_pointer_token(key));
}

struct Parser<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    line: u32,
    col: u32,
    allow_comments: bool,
    positions: HashMap<String, (u32, u32)>,
    duplicate_keys: Vec<String>,
}

/// Jackson's rendering of a character in its messages.
fn describe(c: char) -> String {
    let code = c as u32;
    if c.is_control() && code < 0x20 {
        format!("(CTRL-CHAR, code {code})")
    } else if code > 255 {
        format!("'{c}' (code {code} / 0x{code:x})")
    } else {
        format!("'{c}' (code {code})")
    }
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn peek_char(&self) -> Option<char> {
        self.text.get(self.pos..).and_then(|s| s.chars().next())
    }

    fn bump(&mut self) {
        let Some(b) = self.peek() else { return };
        self.pos += 1;
        match b {
            b'\n' => {
                self.line += 1;
                self.col = 1;
            }
            b'\r' if self.peek() != Some(b'\n') => {
                self.line += 1;
                self.col = 1;
            }
            b if (b & 0xC0) != 0x80 => self.col += 1,
            _ => {}
        }
    }

    /// Advances over one whole character.
    fn bump_char(&mut self) {
        self.bump();
        while matches!(self.peek(), Some(b) if (b & 0xC0) == 0x80) {
            self.pos += 1;
        }
    }

    fn err_at(&self, line: u32, column: u32, message: String) -> Diagnostic {
        Diagnostic {
            code: "INVALID_JSON_DESCRIPTION",
            severity: Severity::Error,
            pointer: String::new(),
            location: None,
            line,
            column,
            message,
        }
    }

    fn err_here(&self, message: String) -> Diagnostic {
        self.err_at(self.line, self.col, message)
    }

    fn skip_ws(&mut self) -> Result<(), Diagnostic> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.bump(),
                Some(b'/') => {
                    if !self.allow_comments {
                        return Err(self.err_here(
                            "Unexpected character ('/' (code 47)): maybe a (non-standard) \
                             comment? (not recognized as one since Feature 'ALLOW_COMMENTS' \
                             not enabled for parser)"
                                .to_string(),
                        ));
                    }
                    self.comment()?;
                }
                _ => return Ok(()),
            }
        }
    }

    fn comment(&mut self) -> Result<(), Diagnostic> {
        self.bump();
        match self.peek() {
            Some(b'/') => {
                while let Some(b) = self.peek() {
                    if b == b'\n' || b == b'\r' {
                        break;
                    }
                    self.bump();
                }
                Ok(())
            }
            Some(b'*') => {
                self.bump();
                loop {
                    match self.peek() {
                        None => {
                            return Err(
                                self.err_here("Unexpected end-of-input in a comment".to_string())
                            )
                        }
                        Some(b'*') if self.src.get(self.pos + 1) == Some(&b'/') => {
                            self.bump();
                            self.bump();
                            return Ok(());
                        }
                        Some(_) => self.bump(),
                    }
                }
            }
            _ => {
                let found = self
                    .peek_char()
                    .map(describe)
                    .unwrap_or_else(|| "EOF".into());
                Err(self.err_here(format!(
                    "Unexpected character ({found}): was expecting either '*' or '/' for a comment"
                )))
            }
        }
    }

    /// Reads one value and everything inside it. Containers are kept on an explicit stack, so
    /// deep nesting costs heap rather than call stack.
    fn value(&mut self) -> Result<Value, Diagnostic> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut pointer = String::new();
        'value: loop {
            self.positions
                .insert(pointer.clone(), (self.line, self.col));
            let mut done = match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    self.check_depth(stack.len() + 1)?;
                    let start = (self.line, self.col);
                    self.bump();
                    self.skip_ws()?;
                    let object = open == b'{';
                    let close = if object { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.bump();
                        if object {
                            Value::Object(Map::new())
                        } else {
                            Value::Array(Vec::new())
                        }
                    } else {
                        let parent_len = pointer.len();
                        let kind = if object {
                            let key = self.member_key(start)?;
                            push_token(&mut pointer, &key);
                            Kind::Object(Map::new(), key)
                        } else {
                            if self.peek().is_none() {
                                return Err(self.eof_in("Array", start));
                            }
                            pointer.push_str("/0");
                            Kind::Array(Vec::new())
                        };
                        stack.push(Frame {
                            kind,
                            parent_len,
                            start,
                        });
                        continue 'value;
                    }
                }
                Some(b'"') => Value::String(self.string()?),
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b't' | b'f' | b'n') => self.keyword()?,
                Some(_) => {
                    let c = self.peek_char().unwrap_or('\u{fffd}');
                    if c.is_alphabetic() {
                        return Err(self.unrecognized_token(
                            "(JSON String, Number, Array, Object or token 'null', 'true' or \
                             'false')",
                        ));
                    }
                    return Err(self.err_here(format!(
                        "Unexpected character ({}): expected a valid value (JSON String, Number, \
                         Array, Object or token 'null', 'true' or 'false')",
                        describe(c)
                    )));
                }
                None => {
                    return Err(self
                        .err_here("Unexpected end-of-input: expected a valid value".to_string()))
                }
            };
            // Put the finished value into its container; close every container that ends here.
            loop {
                let Some(mut frame) = stack.pop() else {
                    return Ok(done);
                };
                let start = frame.start;
                pointer.truncate(frame.parent_len);
                match &mut frame.kind {
                    Kind::Array(items) => items.push(done),
                    Kind::Object(map, key) => {
                        map.insert(std::mem::take(key), done);
                    }
                }
                self.skip_ws()?;
                let is_object = matches!(frame.kind, Kind::Object(..));
                let (name, close, other) = if is_object {
                    ("Object", b'}', b']')
                } else {
                    ("Array", b']', b'}')
                };
                match self.peek() {
                    Some(b',') => {
                        self.bump();
                        self.skip_ws()?;
                        match &mut frame.kind {
                            Kind::Object(map, key) => {
                                let k = self.member_key(start)?;
                                push_token(&mut pointer, &k);
                                if map.contains_key(&k) {
                                    self.duplicate_keys.push(pointer.clone());
                                }
                                *key = k;
                            }
                            Kind::Array(items) => {
                                if self.peek().is_none() {
                                    return Err(self.eof_in(name, start));
                                }
                                pointer.push('/');
                                pointer.push_str(&items.len().to_string());
                            }
                        }
                        stack.push(frame);
                        continue 'value;
                    }
                    Some(c) if c == close => {
                        self.bump();
                        done = match frame.kind {
                            Kind::Array(items) => Value::Array(items),
                            Kind::Object(map, _) => Value::Object(map),
                        };
                    }
                    None => return Err(self.eof_in(name, start)),
                    Some(c) if c == other => {
                        let (expected, found) = if is_object { ('}', ']') } else { (']', '}') };
                        return Err(self.err_here(format!(
                            "Unexpected close marker '{found}': expected '{expected}' (for {name} \
                             starting at line: {}, column: {})",
                            start.0, start.1
                        )));
                    }
                    Some(_) => {
                        let c = self.peek_char().unwrap_or('\u{fffd}');
                        return Err(self.err_here(format!(
                            "Unexpected character ({}): was expecting comma to separate {name} \
                             entries",
                            describe(c)
                        )));
                    }
                }
            }
        }
    }

    /// A member name and its colon, leaving the parser at the member's value.
    fn member_key(&mut self, start: (u32, u32)) -> Result<String, Diagnostic> {
        match self.peek() {
            Some(b'"') => {}
            None => return Err(self.eof_in("Object", start)),
            Some(_) => {
                let c = self.peek_char().unwrap_or('\u{fffd}');
                return Err(self.err_here(format!(
                    "Unexpected character ({}): was expecting double-quote to start field name",
                    describe(c)
                )));
            }
        }
        let key = self.string()?;
        self.skip_ws()?;
        match self.peek() {
            Some(b':') => self.bump(),
            None => return Err(self.eof_in("Object", start)),
            Some(_) => {
                let c = self.peek_char().unwrap_or('\u{fffd}');
                return Err(self.err_here(format!(
                    "Unexpected character ({}): was expecting a colon to separate field name and \
                     value",
                    describe(c)
                )));
            }
        }
        self.skip_ws()?;
        Ok(key)
    }

    fn unrecognized_token(&mut self, expecting: &str) -> Diagnostic {
        let (line, col) = (self.line, self.col);
        let mut token = String::new();
        while let Some(c) = self.peek_char() {
            if !(c.is_alphanumeric() || c == '_' || c == '$') || token.len() >= 256 {
                break;
            }
            token.push(c);
            self.bump_char();
        }
        self.err_at(
            line,
            col,
            format!("Unrecognized token '{token}': was expecting {expecting}"),
        )
    }

    fn keyword(&mut self) -> Result<Value, Diagnostic> {
        for (word, value) in [
            ("true", Value::Bool(true)),
            ("false", Value::Bool(false)),
            ("null", Value::Null),
        ] {
            let rest = self.src.get(self.pos..).unwrap_or_default();
            let follows_ident = rest
                .get(word.len())
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$');
            if rest.starts_with(word.as_bytes()) && !follows_ident {
                for _ in 0..word.len() {
                    self.bump();
                }
                return Ok(value);
            }
        }
        Err(self.unrecognized_token(
            "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
        ))
    }

    fn check_depth(&self, depth: usize) -> Result<(), Diagnostic> {
        if depth > MAX_NESTING_DEPTH {
            return Err(self.err_here(format!(
                "Document nesting depth ({depth}) exceeds the maximum allowed \
                 ({MAX_NESTING_DEPTH}, from `StreamReadConstraints.getMaxNestingDepth()`)"
            )));
        }
        Ok(())
    }

    fn eof_in(&self, what: &str, (line, col): (u32, u32)) -> Diagnostic {
        self.err_here(format!(
            "Unexpected end-of-input: expected close marker for {what} (start marker at \
             line: {line}, column: {col})"
        ))
    }

    fn string(&mut self) -> Result<String, Diagnostic> {
        self.bump();
        let mut out = String::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(self.err_here(
                    "Unexpected end-of-input: was expecting closing quote for a string value"
                        .to_string(),
                ));
            };
            match b {
                b'"' => {
                    self.bump();
                    return Ok(out);
                }
                b'\\' => {
                    self.bump();
                    out.push(self.escape()?);
                }
                0x00..=0x1f => {
                    return Err(self.err_here(format!(
                        "Illegal unquoted character ((CTRL-CHAR, code {b})): has to be escaped \
                         using backslash to be included in string value"
                    )));
                }
                _ => {
                    let c = self.peek_char().unwrap_or('\u{fffd}');
                    out.push(c);
                    self.bump_char();
                }
            }
        }
    }

    fn escape(&mut self) -> Result<char, Diagnostic> {
        let Some(c) = self.peek_char() else {
            return Err(
                self.err_here("Unexpected end-of-input in character escape sequence".to_string())
            );
        };
        let simple = match c {
            '"' => Some('"'),
            '\\' => Some('\\'),
            '/' => Some('/'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            _ => None,
        };
        if let Some(s) = simple {
            self.bump();
            return Ok(s);
        }
        if c != 'u' {
            return Err(self.err_here(format!("Unrecognized character escape {}", describe(c))));
        }
        self.bump();
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) {
            // A high surrogate: Jackson pairs it with a following `\uDC00`-`\uDFFF`; a lone
            // one becomes U+FFFD here, since a Rust string cannot hold it.
            if self.src.get(self.pos..self.pos + 2) == Some(b"\\u") {
                let save = (self.pos, self.line, self.col);
                self.bump();
                self.bump();
                let lo = self.hex4()?;
                if (0xDC00..0xE000).contains(&lo) {
                    let code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    return Ok(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                (self.pos, self.line, self.col) = save;
            }
            return Ok('\u{fffd}');
        }
        Ok(char::from_u32(hi).unwrap_or('\u{fffd}'))
    }

    fn hex4(&mut self) -> Result<u32, Diagnostic> {
        let mut v = 0u32;
        for _ in 0..4 {
            let Some(c) = self.peek_char() else {
                return Err(self
                    .err_here("Unexpected end-of-input in character escape sequence".to_string()));
            };
            let Some(d) = c.to_digit(16) else {
                return Err(self.err_here(format!(
                    "Unexpected character ({}): expected a hex-digit for character escape sequence",
                    describe(c)
                )));
            };
            v = v * 16 + d;
            self.bump();
        }
        Ok(v)
    }

    fn number(&mut self) -> Result<Value, Diagnostic> {
        let start = self.pos;
        let (line, col) = (self.line, self.col);
        if self.peek() == Some(b'-') {
            self.bump();
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                let found = self
                    .peek_char()
                    .map(describe)
                    .unwrap_or_else(|| "EOF".into());
                return Err(self.err_here(format!(
                    "Unexpected character ({found}) in numeric value: expected digit (0-9) to \
                     follow minus sign, for valid numeric value"
                )));
            }
        }
        if self.peek() == Some(b'0') && matches!(self.src.get(self.pos + 1), Some(b'0'..=b'9')) {
            return Err(self.err_here("Invalid numeric value: Leading zeroes not allowed".into()));
        }
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.bump();
        }
        if self.peek() == Some(b'.') {
            self.bump();
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                let found = self
                    .peek_char()
                    .map(describe)
                    .unwrap_or_else(|| "EOF".into());
                return Err(self.err_here(format!(
                    "Unexpected character ({found}) in numeric value: Decimal point not followed \
                     by a digit"
                )));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.bump();
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.bump();
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.bump();
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                let found = self
                    .peek_char()
                    .map(describe)
                    .unwrap_or_else(|| "EOF".into());
                return Err(self.err_here(format!(
                    "Unexpected character ({found}) in numeric value: Exponent indicator not \
                     followed by a digit"
                )));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.bump();
            }
        }
        let text = self.text.get(start..self.pos).unwrap_or("0");
        // serde_json's own reading keeps number semantics identical to the rest of the crate
        // (integers as i64/u64 where they fit, otherwise f64).
        match serde_json::from_str::<Number>(text) {
            Ok(n) => Ok(Value::Number(n)),
            Err(_) => Err(self.err_at(
                line,
                col,
                format!("Numeric value ({text}) out of range of double"),
            )),
        }
    }
}
