//! One page of a bucket listing: S3's rules for `Prefix`, `Delimiter` (common prefixes count as
//! one entry each), `MaxKeys` and where a page starts, over keys in UTF-8 byte order.

use base64::Engine as _;

use super::error::S3Error;

/// One entry of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry {
    Key(String),
    /// A common prefix: every key sharing it, rolled up.
    Prefix(String),
}

/// Where a page starts: strictly after a key, or after every key under a common prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Marker {
    After(String),
    AfterPrefix(String),
}

impl Marker {
    fn skips(&self, key: &str) -> bool {
        match self {
            Marker::After(m) => key <= m.as_str(),
            Marker::AfterPrefix(p) => key <= p.as_str() || key.starts_with(p.as_str()),
        }
    }

    /// The opaque `NextContinuationToken` for a page that ended at `entry`.
    pub(crate) fn token_after(entry: &Entry) -> String {
        let text = match entry {
            Entry::Key(k) => format!("K{k}"),
            Entry::Prefix(p) => format!("P{p}"),
        };
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    pub(crate) fn from_token(token: &str) -> Result<Marker, S3Error> {
        let invalid =
            || S3Error::InvalidArgument("The continuation token provided is incorrect".into());
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(token)
            .map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut chars = text.chars();
        match chars.next() {
            Some('K') => Ok(Marker::After(chars.as_str().to_string())),
            Some('P') => Ok(Marker::AfterPrefix(chars.as_str().to_string())),
            _ => Err(invalid()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page {
    pub entries: Vec<Entry>,
    pub truncated: bool,
}

/// The page of `keys` (sorted, all starting with `prefix`) after `marker`, at most `max`
/// entries. With `max` 0 the page is empty and not truncated, as S3 answers.
pub(crate) fn page(
    keys: &[String],
    prefix: &str,
    delimiter: Option<&str>,
    marker: Option<&Marker>,
    max: usize,
) -> Page {
    let delimiter = delimiter.filter(|d| !d.is_empty());
    let mut entries: Vec<Entry> = Vec::new();
    let mut truncated = false;
    if max == 0 {
        return Page { entries, truncated };
    }
    let mut last_prefix: Option<String> = None;
    for key in keys {
        let Some(rest) = key.strip_prefix(prefix) else {
            continue;
        };
        if marker.is_some_and(|m| m.skips(key)) {
            continue;
        }
        let entry = match delimiter.and_then(|d| rest.find(d).map(|i| i + d.len())) {
            Some(end) => Entry::Prefix(key[..prefix.len() + end].to_string()),
            None => Entry::Key(key.clone()),
        };
        if let Entry::Prefix(p) = &entry {
            if last_prefix.as_deref() == Some(p.as_str()) {
                continue;
            }
        }
        if entries.len() == max {
            truncated = true;
            break;
        }
        if let Entry::Prefix(p) = &entry {
            last_prefix = Some(p.clone());
        }
        entries.push(entry);
    }
    Page { entries, truncated }
}

/// S3's `EncodingType=url` form of a key: unreserved characters and `/` as they are, a space
/// as `+`, everything else percent-encoded (what the SDKs decode).
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Percent-decoding (for `CopySource`); `None` when the result is not UTF-8.
pub(crate) fn url_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8(out).ok()
}
