//! JSON text from callers (request bodies, execution inputs, task outputs) to values, nested
//! up to AWS's limit of [`MAX_DEPTH`] levels and refused beyond it in AWS's words.
//!
//! serde_json on its own refuses anything deeper than 128 levels; its limit is lifted here
//! (`unbounded_depth`) after a scan that counts the depth without recursing, and the parse
//! itself runs through `serde_stacker`, which moves to a fresh stack segment when the current
//! one runs low, so 1,000 levels parse on a 2 MiB Tokio worker thread in a debug build as well.

use serde_json::Value;

/// The deepest nesting accepted: AWS's JSON front end is Jackson, whose
/// `StreamReadConstraints` default maximum nesting depth is 1,000 (jackson-core 2.15+,
/// `StreamReadConstraints.DEFAULT_MAX_DEPTH`). Baton's definition parser has the same limit
/// (`baton_asl::parse::MAX_NESTING_DEPTH`).
pub const MAX_DEPTH: usize = 1000;

/// Why text is not a JSON value Baton accepts.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Nested deeper than [`MAX_DEPTH`]; `depth` is the first depth past it. Worded as
    /// Jackson words it (the same text `baton_asl::parse` gives for a definition).
    #[error(
        "Document nesting depth ({depth}) exceeds the maximum allowed ({MAX_DEPTH}, from \
         `StreamReadConstraints.getMaxNestingDepth()`)"
    )]
    TooDeep { depth: usize },
    /// Not JSON.
    #[error(transparent)]
    Syntax(#[from] serde_json::Error),
}

/// Parses `text` as one JSON value.
pub fn from_slice(text: &[u8]) -> Result<Value, Error> {
    if let Some(depth) = too_deep(text) {
        return Err(Error::TooDeep { depth });
    }
    Ok(parse(text)?)
}

/// [`from_slice`] for a string.
pub fn from_str(text: &str) -> Result<Value, Error> {
    from_slice(text.as_bytes())
}

/// Parses JSON Baton wrote itself (a journal entry): no depth limit, since a value may have
/// been nested further by the workflow after it came in (a `ResultPath` wraps it), and
/// refusing it would lose the execution; the stack still grows as needed.
pub fn from_stored_str(text: &str) -> Result<Value, serde_json::Error> {
    parse(text.as_bytes())
}

fn parse(text: &[u8]) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(text);
    de.disable_recursion_limit();
    let value = serde::Deserialize::deserialize(serde_stacker::Deserializer::new(&mut de))?;
    de.end()?;
    Ok(value)
}

/// The first depth past [`MAX_DEPTH`] that `text` reaches, if it does: brackets counted outside
/// strings, without parsing. Text that is not JSON may be counted wrongly; the parser then
/// refuses it anyway, and what matters is that nothing past the limit reaches the parser.
pub fn too_deep(text: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in text {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(depth);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn nested(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn accepts_up_to_the_limit_and_refuses_past_it() {
        // On a thread with a Tokio worker's stack, so the parse (and the drop) must not
        // recurse past it.
        std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(|| {
                let value = from_str(&nested(MAX_DEPTH)).expect("1,000 levels parse");
                assert_eq!(serde_json::to_string(&value).unwrap(), nested(MAX_DEPTH));
                let error = from_str(&nested(MAX_DEPTH + 1)).unwrap_err();
                assert_eq!(
                    error.to_string(),
                    "Document nesting depth (1001) exceeds the maximum allowed (1000, from \
                     `StreamReadConstraints.getMaxNestingDepth()`)"
                );
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn brackets_in_strings_do_not_count() {
        let text = format!("{{\"a\":\"{}\\\"{}\"}}", "[".repeat(2000), "{".repeat(2000));
        assert!(from_str(&text).is_ok());
        assert!(matches!(from_str("[1,"), Err(Error::Syntax(_))));
        assert!(matches!(from_str("[] []"), Err(Error::Syntax(_))));
    }

    proptest! {
        /// The scan and the parser agree: any mix of arrays and objects nested `depth` deep
        /// parses exactly when `depth` is within the limit.
        #[test]
        fn scan_agrees_with_depth(depth in 990usize..1010, objects in proptest::collection::vec(any::<bool>(), 1010)) {
            let mut text = String::new();
            for object in &objects[..depth] {
                text.push_str(if *object { "{\"k\":" } else { "[" });
            }
            text.push_str("\"[{\"");
            for object in objects[..depth].iter().rev() {
                text.push(if *object { '}' } else { ']' });
            }
            let parsed = from_str(&text);
            prop_assert_eq!(parsed.is_ok(), depth <= MAX_DEPTH);
            if depth > MAX_DEPTH {
                let too_deep = matches!(parsed, Err(Error::TooDeep { depth: 1001 }));
                prop_assert!(too_deep);
            }
        }
    }
}
