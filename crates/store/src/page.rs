//! Paged listings: a page request (size and opaque token), a page (items and the next token),
//! and the cursor codec every backend uses, so a token names a position in one listing's order
//! and nothing else.
//!
//! A token is the sort key of the last item returned, tagged with the listing it belongs to,
//! as URL-safe Base64 of a small JSON array. Keyset paging, not offsets: items inserted or
//! removed between two calls neither repeat nor vanish from the pages that follow.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use crate::{Error, Result};

/// An opaque position in a listing, as handed to and back from clients (`nextToken`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageToken(String);

impl PageToken {
    /// A token as a client sent it back; it is checked when used.
    pub fn new(s: impl Into<String>) -> PageToken {
        PageToken(s.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Which page of a listing to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// At most this many items (at least one is always asked for).
    pub limit: usize,
    /// Where the previous page ended; `None` for the first page.
    pub token: Option<PageToken>,
}

impl PageRequest {
    pub fn first(limit: usize) -> PageRequest {
        PageRequest { limit, token: None }
    }

    pub fn after(limit: usize, token: PageToken) -> PageRequest {
        PageRequest {
            limit,
            token: Some(token),
        }
    }

    /// The page size a backend uses: `limit`, but at least 1.
    pub fn size(&self) -> usize {
        self.limit.max(1)
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Present when more items follow.
    pub next: Option<PageToken>,
}

impl<T> Page<T> {
    /// Builds a page from up to `size + 1` rows read in listing order: the extra row only says
    /// that another page follows, and the token is the cursor of the last row kept.
    pub fn from_rows(mut rows: Vec<T>, size: usize, cursor: impl Fn(&T) -> Cursor) -> Page<T> {
        let more = rows.len() > size;
        rows.truncate(size);
        let next = if more {
            rows.last().map(|last| cursor(last).token())
        } else {
            None
        };
        Page { items: rows, next }
    }
}

/// One sort-key component.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    Int(i64),
    Text(String),
}

/// The sort key of an item in one listing; becomes a [`PageToken`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    listing: &'static str,
    keys: Vec<Key>,
}

impl Cursor {
    /// `listing` names the listing (and its order); a token from another listing is refused.
    pub fn new(listing: &'static str) -> Cursor {
        Cursor {
            listing,
            keys: Vec::new(),
        }
    }

    pub fn int(mut self, v: i64) -> Cursor {
        self.keys.push(Key::Int(v));
        self
    }

    pub fn text(mut self, v: impl Into<String>) -> Cursor {
        self.keys.push(Key::Text(v.into()));
        self
    }

    pub fn token(&self) -> PageToken {
        let mut items = vec![Value::String(self.listing.to_string())];
        items.extend(self.keys.iter().map(|k| match k {
            Key::Int(i) => Value::from(*i),
            Key::Text(s) => Value::String(s.clone()),
        }));
        let json = Value::Array(items).to_string();
        PageToken(URL_SAFE_NO_PAD.encode(json))
    }

    /// Reads a token issued for `listing`; [`Error::InvalidToken`] for anything else.
    pub fn parse(listing: &'static str, token: &PageToken) -> Result<CursorReader> {
        let bytes = URL_SAFE_NO_PAD
            .decode(token.as_str())
            .map_err(|_| Error::InvalidToken)?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|_| Error::InvalidToken)?;
        let Value::Array(items) = value else {
            return Err(Error::InvalidToken);
        };
        let mut items = items.into_iter();
        if items.next().as_ref().and_then(Value::as_str) != Some(listing) {
            return Err(Error::InvalidToken);
        }
        let keys = items
            .map(|v| match v {
                Value::String(s) => Ok(Key::Text(s)),
                Value::Number(n) => n.as_i64().map(Key::Int).ok_or(Error::InvalidToken),
                _ => Err(Error::InvalidToken),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(CursorReader {
            keys: keys.into_iter(),
        })
    }
}

/// The components of a parsed token, read in the order they were written.
#[derive(Debug)]
pub struct CursorReader {
    keys: std::vec::IntoIter<Key>,
}

impl CursorReader {
    pub fn int(&mut self) -> Result<i64> {
        match self.keys.next() {
            Some(Key::Int(i)) => Ok(i),
            _ => Err(Error::InvalidToken),
        }
    }

    pub fn text(&mut self) -> Result<String> {
        match self.keys.next() {
            Some(Key::Text(s)) => Ok(s),
            _ => Err(Error::InvalidToken),
        }
    }

    /// Checks that nothing is left over.
    pub fn end(mut self) -> Result<()> {
        match self.keys.next() {
            None => Ok(()),
            Some(_) => Err(Error::InvalidToken),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_read_back_only_in_their_listing() {
        let good = Cursor::new("machines")
            .text("b:name")
            .int(-7)
            .int(i64::MAX)
            .token();
        // (token, listing it is read in, expected keys or None for InvalidToken)
        type TokenCase = (PageToken, &'static str, Option<(String, i64, i64)>);
        let cases: Vec<TokenCase> = vec![
            (
                good.clone(),
                "machines",
                Some(("b:name".into(), -7, i64::MAX)),
            ),
            (good, "activities", None),
            (PageToken::new("not base64 at all!"), "machines", None),
            (
                PageToken::new(URL_SAFE_NO_PAD.encode("{\"a\":1}")),
                "machines",
                None,
            ),
            (
                PageToken::new(URL_SAFE_NO_PAD.encode("[\"machines\",1.5,2,3]")),
                "machines",
                None,
            ),
            (
                Cursor::new("machines").text("x").int(1).token(),
                "machines",
                None,
            ),
            (PageToken::new(""), "machines", None),
        ];
        for (token, listing, expected) in cases {
            let read = Cursor::parse(listing, &token).and_then(|mut r| {
                let keys = (r.text()?, r.int()?, r.int()?);
                r.end()?;
                Ok(keys)
            });
            match expected {
                Some(keys) => assert_eq!(read, Ok(keys), "{token:?}"),
                None => assert_eq!(read, Err(Error::InvalidToken), "{token:?}"),
            }
        }
    }

    #[test]
    fn a_page_keeps_size_rows_and_says_whether_more_follow() {
        // (rows read, page size, expected items, expected next-token cursor value)
        type PageCase = (Vec<i64>, usize, Vec<i64>, Option<i64>);
        let cases: Vec<PageCase> = vec![
            (vec![], 3, vec![], None),
            (vec![1, 2], 3, vec![1, 2], None),
            (vec![1, 2, 3], 3, vec![1, 2, 3], None),
            (vec![1, 2, 3, 4], 3, vec![1, 2, 3], Some(3)),
        ];
        for (rows, size, items, next) in cases {
            let page = Page::from_rows(rows, size, |r| Cursor::new("n").int(*r));
            assert_eq!(page.items, items);
            let next_key = page.next.map(|t| {
                let mut r = Cursor::parse("n", &t).expect("own token");
                r.int().expect("int key")
            });
            assert_eq!(next_key, next);
        }
    }
}
