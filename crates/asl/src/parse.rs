//! Reading definition text: strict JSON (the API) or JSON with comments (files on the command
//! line), keeping the line and column of every value for diagnostics.

use std::collections::HashMap;

use serde_json::Value;

use crate::validate::Diagnostic;

/// A parsed definition with the position of every value, keyed by JSON pointer.
#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    /// JSON pointer (`/States/A/Next`) → 1-based (line, column) of the value.
    pub positions: HashMap<String, (u32, u32)>,
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
}

/// Parses `text`. With `allow_comments`, `//` and `/* */` comments are allowed outside strings.
pub fn parse(text: &str, allow_comments: bool) -> Result<Document, Diagnostic> {
    let _ = (text, allow_comments);
    unimplemented!()
}
