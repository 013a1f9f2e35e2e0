//! The intrinsic call grammar: `States.Name(arg, ...)` where an argument is a single-quoted
//! string (escapes `\'`, `\{`, `\}`, `\\` only), a number, `true`, `false`, `null`, a path
//! (`$...`, `$$...`, `$name...`) or a nested call. Whitespace between tokens is ignored.

use serde_json::{Number, Value};

use crate::path::{Path, PathError};

use super::Func;

/// Calls may nest; beyond this depth parsing fails rather than recursing further.
const MAX_CALL_DEPTH: usize = 32;

#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) func: Func,
    pub(crate) args: Vec<Arg>,
    /// The call as written, quoted in failure causes.
    pub(crate) text: String,
}

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Str(Literal),
    /// A number, `true`, `false` or `null`.
    Value(Value),
    Path(Path),
    Call(Box<Call>),
}

/// A string literal: its value, and each character with whether it was escaped, which
/// `States.Format` needs to tell `\{` from a placeholder brace.
#[derive(Debug, Clone)]
pub(crate) struct Literal {
    /// The string's value as a JSON string.
    pub(crate) value: Value,
    pub(crate) chars: Vec<(char, bool)>,
}

pub(crate) fn parse_call(text: &str) -> Result<Call, PathError> {
    let mut p = Parser { src: text, pos: 0 };
    p.skip_ws();
    let call = p.call(0)?;
    p.skip_ws();
    if p.pos != text.len() {
        return Err(p.error("unexpected text after the call"));
    }
    Ok(call)
}

struct Parser<'s> {
    src: &'s str,
    pos: usize,
}

impl<'s> Parser<'s> {
    fn error(&self, why: &str) -> PathError {
        PathError {
            message: format!(
                "Invalid intrinsic function call '{}': {why} at offset {}",
                self.src, self.pos
            ),
        }
    }

    fn rest(&self) -> &'s str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, c: char) -> Result<(), PathError> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected '{c}'")))
        }
    }

    fn call(&mut self, depth: usize) -> Result<Call, PathError> {
        if depth > MAX_CALL_DEPTH {
            return Err(self.error("intrinsic calls are nested too deeply"));
        }
        let start = self.pos;
        if !self.rest().starts_with("States") {
            return Err(self.error("expected 'States.'"));
        }
        self.pos += "States".len();
        self.skip_ws();
        self.expect('.')?;
        self.skip_ws();
        let name_len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(self.rest().len());
        let name = &self.rest()[..name_len];
        let func = Func::from_name(name)
            .ok_or_else(|| self.error(&format!("unknown intrinsic function 'States.{name}'")))?;
        self.pos += name_len;
        self.skip_ws();
        self.expect('(')?;
        self.skip_ws();
        let mut args = Vec::new();
        if self.peek() == Some(')') {
            self.pos += 1;
        } else {
            loop {
                args.push(self.arg(depth)?);
                self.skip_ws();
                match self.bump() {
                    Some(',') => self.skip_ws(),
                    Some(')') => break,
                    _ => return Err(self.error("expected ',' or ')'")),
                }
            }
        }
        Ok(Call {
            func,
            args,
            text: self.src[start..self.pos].to_string(),
        })
    }

    fn arg(&mut self, depth: usize) -> Result<Arg, PathError> {
        match self.peek() {
            Some('\'') => self.string().map(Arg::Str),
            Some('$') => self.path().map(Arg::Path),
            Some(c) if c == '-' || c.is_ascii_digit() => {
                self.number().map(|n| Arg::Value(Value::Number(n)))
            }
            Some('S') => self.call(depth + 1).map(|c| Arg::Call(Box::new(c))),
            _ => {
                for (word, arg) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.rest().starts_with(word) {
                        let after = self.rest()[word.len()..].chars().next();
                        if !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                            self.pos += word.len();
                            return Ok(Arg::Value(arg));
                        }
                    }
                }
                Err(self.error("expected an argument"))
            }
        }
    }

    fn string(&mut self) -> Result<Literal, PathError> {
        self.expect('\'')?;
        let mut value = String::new();
        let mut chars = Vec::new();
        loop {
            match self.bump() {
                None => return Err(self.error("unterminated string literal")),
                Some('\'') => break,
                Some('\\') => match self.bump() {
                    Some(c @ ('\'' | '{' | '}' | '\\')) => {
                        value.push(c);
                        chars.push((c, true));
                    }
                    _ => return Err(self.error("invalid escape in string literal")),
                },
                Some(c) => {
                    value.push(c);
                    chars.push((c, false));
                }
            }
        }
        Ok(Literal {
            value: Value::String(value),
            chars,
        })
    }

    /// A path runs to the next `,` or `)` or whitespace outside brackets and quotes.
    fn path(&mut self) -> Result<Path, PathError> {
        let start = self.pos;
        let mut depth = 0i32;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek() {
            if let Some(q) = quote {
                if c == q {
                    quote = None;
                }
            } else {
                match c {
                    '[' => depth += 1,
                    ']' => depth -= 1,
                    '\'' | '"' if depth > 0 => quote = Some(c),
                    ',' | ')' | ' ' | '\t' | '\n' | '\r' if depth <= 0 => break,
                    _ => {}
                }
            }
            self.pos += c.len_utf8();
        }
        Path::parse(&self.src[start..self.pos])
            .map_err(|e| self.error(&format!("invalid path: {}", e.message)))
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, JSON's number syntax.
    fn number(&mut self) -> Result<Number, PathError> {
        let start = self.pos;
        let bytes = self.src.as_bytes();
        let mut i = self.pos;
        let digits = |i: &mut usize| {
            let s = *i;
            while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i - s
        };
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        let int_start = i;
        let n = digits(&mut i);
        if n == 0 || (n > 1 && bytes[int_start] == b'0') {
            self.pos = i;
            return Err(self.error("invalid number"));
        }
        let mut is_float = false;
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            if digits(&mut i) == 0 {
                self.pos = i;
                return Err(self.error("invalid number"));
            }
            is_float = true;
        }
        if matches!(bytes.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(bytes.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if digits(&mut i) == 0 {
                self.pos = i;
                return Err(self.error("invalid number"));
            }
            is_float = true;
        }
        self.pos = i;
        let text = &self.src[start..i];
        let number = if is_float {
            text.parse::<f64>().ok().and_then(Number::from_f64)
        } else if let Ok(v) = text.parse::<i64>() {
            Some(Number::from(v))
        } else if let Ok(v) = text.parse::<u64>() {
            Some(Number::from(v))
        } else {
            text.parse::<f64>().ok().and_then(Number::from_f64)
        };
        number.ok_or_else(|| self.error("invalid number"))
    }
}
