//! The body limit is derived from the service model: the largest request any operation can send
//! with every member within the model's limits (each string at its longest, every character
//! written as a six-byte `\uXXXX` escape, every list and map at its most entries) fits under
//! [`baton_server::BODY_LIMIT`]. So every request AWS would accept, or refuse by validation, is
//! read whole and answered as AWS answers it; only a body that no request within the model can
//! be is refused with 413 before it is read.
//!
//! Where the model leaves a list unbounded, AWS documents the bound: [`DOCUMENTED`]. A string
//! the model leaves unbounded with no documented bound (`revisionId`) counts as empty: a
//! request that fills it is bounded by the body limit alone.

use baton_api::schema::{Kind, Shape};
use baton_api::Operation;

/// Bounds AWS documents where the model has none.
const DOCUMENTED: &[(&str, u64)] = &[
    // Step Functions quotas: "Maximum number of tags per resource: 50".
    ("TagList", 50),
    ("TagKeyList", 50),
    // API reference, LoggingConfiguration.destinations: "Limited to size 1."
    ("LogDestinationList", 1),
];

/// The most bytes one value of `shape` can take on the wire, or `None` if neither the model
/// nor AWS's documentation bounds it.
fn most_bytes(shape: &Shape) -> Option<u64> {
    const ESCAPED: u64 = 6;
    let documented = DOCUMENTED
        .iter()
        .find(|(name, _)| *name == shape.name)
        .map(|(_, n)| *n);
    let bound = |max: Option<i64>| max.and_then(|m| u64::try_from(m).ok()).or(documented);
    Some(match &shape.kind {
        Kind::Structure(members) => {
            let mut total = 2;
            for m in *members {
                // "name": value,
                total += m.name.len() as u64 + 4 + most_bytes(m.shape)?;
            }
            total
        }
        Kind::List { member, max, .. } => 2 + bound(*max)? * (most_bytes(member)? + 1),
        Kind::Map {
            key, value, max, ..
        } => 2 + bound(*max)? * (most_bytes(key)? + most_bytes(value)? + 2),
        Kind::String {
            max, enumeration, ..
        } => match (max, enumeration) {
            (_, Some(e)) => 2 + e.values.iter().map(|v| v.len() as u64).max().unwrap_or(0),
            (None, None) if shape.name == "RevisionId" => 2,
            (max, None) => 2 + bound(*max)? * ESCAPED,
        },
        // A number as JSON writes it, at its longest (a double's 24 characters).
        Kind::Integer { .. } | Kind::Long { .. } | Kind::Float { .. } | Kind::Timestamp => 24,
        Kind::Boolean => 5,
    })
}

#[test]
fn every_request_within_the_model_fits_the_body_limit() {
    let mut largest = (0, "");
    for op in Operation::ALL {
        let shape = op.input_shape();
        let most = most_bytes(shape)
            .unwrap_or_else(|| panic!("{}: a member the model does not bound", shape.name));
        assert!(
            most <= baton_server::BODY_LIMIT as u64,
            "{}: up to {most} bytes, over the body limit of {}",
            shape.name,
            baton_server::BODY_LIMIT
        );
        if most > largest.0 {
            largest = (most, shape.name);
        }
    }
    println!(
        "largest request within the model: {} ({} bytes)",
        largest.1, largest.0
    );
}
