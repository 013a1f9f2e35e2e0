//! Trace context: the trace an execution belongs to, read from the headers callers send
//! (W3C `traceparent`, AWS X-Ray's `X-Amzn-Trace-Id` / `traceHeader`) and written into the
//! calls its tasks make, so a function or HTTP endpoint continues the execution's trace.
//!
//! An execution's spans have ids derived from its ARN and the history event that opens them,
//! so every node and every restart names the same span the same way.

use sha2::{Digest, Sha256};

/// A trace and the span a call continues it from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    pub trace_id: [u8; 16],
    /// The caller's span, the parent of what continues the trace (none for a new trace).
    pub parent: Option<[u8; 8]>,
    pub sampled: bool,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != N * 2 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[i * 2..i * 2 + 2], 16).ok()?;
    }
    Some(out)
}

impl TraceContext {
    /// A new trace for `execution_arn`, its id derived from the ARN (sampled).
    pub fn for_execution(execution_arn: &str) -> TraceContext {
        let digest = Sha256::digest(execution_arn.as_bytes());
        let mut trace_id = [0u8; 16];
        trace_id.copy_from_slice(&digest[..16]);
        // X-Ray's trace ids start with the epoch seconds of the trace; any 16 bytes are a
        // valid W3C id, and a zero id is not.
        if trace_id == [0; 16] {
            trace_id[15] = 1;
        }
        TraceContext {
            trace_id,
            parent: None,
            sampled: true,
        }
    }

    /// A W3C `traceparent` (`00-<trace>-<span>-<flags>`), version 00 as the specification
    /// defines it; `None` if it is not one.
    pub fn from_traceparent(text: &str) -> Option<TraceContext> {
        let mut parts = text.trim().split('-');
        let (version, trace, span, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if version.len() != 2 || version == "ff" || (version == "00" && parts.next().is_some()) {
            return None;
        }
        let trace_id = unhex::<16>(trace)?;
        let parent = unhex::<8>(span)?;
        let flags = unhex::<1>(flags)?;
        if trace_id == [0; 16] || parent == [0; 8] {
            return None;
        }
        Some(TraceContext {
            trace_id,
            parent: Some(parent),
            sampled: flags[0] & 1 == 1,
        })
    }

    /// An X-Ray trace header (`Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=1`, the
    /// fields in any order, others ignored); `None` without a valid `Root`.
    pub fn from_xray(text: &str) -> Option<TraceContext> {
        let mut root = None;
        let mut parent = None;
        let mut sampled = true;
        for field in text.split(';') {
            let (key, value) = field.trim().split_once('=')?;
            match key.trim() {
                "Root" => {
                    let mut parts = value.trim().split('-');
                    let (one, time, rest) = (parts.next()?, parts.next()?, parts.next()?);
                    if one != "1" || parts.next().is_some() {
                        return None;
                    }
                    root = unhex::<16>(&format!("{time}{rest}"));
                }
                "Parent" => parent = unhex::<8>(value.trim()),
                "Sampled" => sampled = value.trim() != "0",
                _ => {}
            }
        }
        Some(TraceContext {
            trace_id: root?,
            parent,
            sampled,
        })
    }

    /// Whichever of the two forms `text` is.
    pub fn parse(text: &str) -> Option<TraceContext> {
        Self::from_traceparent(text).or_else(|| Self::from_xray(text))
    }

    pub fn trace_hex(&self) -> String {
        hex(&self.trace_id)
    }

    /// `traceparent` for a call made from `span`.
    pub fn traceparent(&self, span: [u8; 8]) -> String {
        format!(
            "00-{}-{}-{:02x}",
            hex(&self.trace_id),
            hex(&span),
            u8::from(self.sampled)
        )
    }

    /// `X-Amzn-Trace-Id` (and Lambda's `_X_AMZN_TRACE_ID`) for a call made from `span`.
    pub fn xray(&self, span: [u8; 8]) -> String {
        let id = hex(&self.trace_id);
        format!(
            "Root=1-{}-{};Parent={};Sampled={}",
            &id[..8],
            &id[8..],
            hex(&span),
            u8::from(self.sampled)
        )
    }
}

/// The id of the span an execution's history event `event_id` opens (0: the execution's own).
pub fn span_id(execution_arn: &str, event_id: u64) -> [u8; 8] {
    let mut hasher = Sha256::new();
    hasher.update(execution_arn.as_bytes());
    hasher.update(event_id.to_be_bytes());
    let digest = hasher.finalize();
    let mut id = [0u8; 8];
    id.copy_from_slice(&digest[..8]);
    if id == [0; 8] {
        id[7] = 1;
    }
    id
}

pub fn span_hex(span: [u8; 8]) -> String {
    hex(&span)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The W3C Trace Context specification's example header.
    #[test]
    fn traceparent_round_trips() {
        let text = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let t = TraceContext::from_traceparent(text).unwrap();
        assert_eq!(t.trace_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert!(t.sampled);
        assert_eq!(t.traceparent(t.parent.unwrap()), text);
        for bad in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "garbage",
        ] {
            assert!(TraceContext::from_traceparent(bad).is_none(), "{bad}");
        }
    }

    // The X-Ray Developer Guide's tracing header example.
    #[test]
    fn xray_headers_round_trip() {
        let text = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
        let t = TraceContext::from_xray(text).unwrap();
        assert_eq!(t.trace_hex(), "5759e988bd862e3fe1be46a994272793");
        assert_eq!(t.xray(t.parent.unwrap()), text);
        assert!(TraceContext::from_xray("Root=1-x;Sampled=1").is_none());
        assert!(TraceContext::from_xray("Sampled=1").is_none());
        assert!(
            !TraceContext::parse("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0")
                .unwrap()
                .sampled
        );
        // The same trace in either header.
        let w3c = TraceContext::parse(&t.traceparent([1; 8])).unwrap();
        assert_eq!(w3c.trace_id, t.trace_id);
    }

    #[test]
    fn span_ids_are_stable_and_distinct() {
        assert_eq!(span_id("a", 1), span_id("a", 1));
        assert_ne!(span_id("a", 1), span_id("a", 2));
        assert_ne!(span_id("a", 1), span_id("b", 1));
    }
}
