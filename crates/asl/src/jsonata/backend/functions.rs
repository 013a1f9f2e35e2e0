//! The functions AWS adds to JSONata (`$partition`, `$range`, `$hash`, `$random` with a
//! seed, `$uuid`, `$parse`), and the built-ins that would otherwise reach for the machine's
//! clock or randomness (`$random`, `$shuffle`, `$now`, `$millis`), rebuilt on the session's
//! entropy and time so that an evaluation depends on nothing but its inputs.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;

use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{Context, Evaluator, EvaluatorError};
use jsonata_core::value::JValue;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::analyze::Needs;
use super::signature::{check, Param};
use crate::vars::{Entropy, SeededEntropy};

/// Longest array `$range` builds, as jsonata-js bounds its range operator.
const MAX_RANGE: f64 = 1e7;

/// What the session's functions share: a generator seeded from the session's entropy the
/// first time an expression that needs one runs, and the session's time.
#[derive(Clone)]
pub struct Shared {
    pub rng: Rc<RefCell<Option<SeededEntropy>>>,
    pub now_millis: i64,
}

type HostResult = Result<JValue, EvaluatorError>;

fn fail(message: String) -> EvaluatorError {
    EvaluatorError::EvaluationError(message)
}

/// Registers, on `ev`, those of the functions that `needs` names.
pub fn register(ev: &mut Evaluator, needs: &Needs, shared: &Shared) -> Result<(), String> {
    let has = |name: &str| needs.names.contains_key(name);
    let mut added: Vec<(&str, Result<(), EvaluatorError>)> = Vec::new();
    if has("partition") {
        added.push(("partition", ev.register_fn("partition", partition)));
    }
    if has("range") {
        added.push(("range", ev.register_fn("range", range)));
    }
    if has("hash") {
        added.push(("hash", ev.register_fn("hash", hash)));
    }
    if has("parse") {
        added.push(("parse", ev.register_fn("parse", parse)));
    }
    if has("uuid") {
        let s = shared.clone();
        added.push((
            "uuid",
            ev.register_fn("uuid", move |args: &[JValue]| uuid(&s, args)),
        ));
    }
    if has("random") {
        let s = shared.clone();
        let f = move |args: &[JValue]| random(&s, args);
        added.push(("random", ev.register_fn_override("random", f)));
    }
    if has("shuffle") {
        let s = shared.clone();
        let f = move |args: &[JValue]| shuffle(&s, args);
        added.push(("shuffle", ev.register_fn_override("shuffle", f)));
    }
    if has("millis") {
        let now = shared.now_millis;
        let f = move |args: &[JValue]| millis(now, args);
        added.push(("millis", ev.register_fn_override("millis", f)));
    }
    if has("now") {
        let now = shared.now_millis;
        added.push((
            "now",
            ev.register_fn_override("now", move |args: &[JValue]| now_fn(now, args)),
        ));
    }
    if needs.guarded {
        added.push((
            super::guard::CHECK_JOIN,
            ev.register_fn(super::guard::CHECK_JOIN, super::guard::check_join),
        ));
        added.push((
            super::guard::CHECK_REPLACE,
            ev.register_fn(super::guard::CHECK_REPLACE, super::guard::check_replace),
        ));
    }
    if needs.wide_pad {
        added.push(("pad", ev.register_fn_override("pad", pad)));
    }
    if needs.compat {
        for (name, f) in super::compat::FUNCTIONS {
            added.push((name, ev.register_fn(*name, *f)));
        }
        let now = shared.now_millis;
        let f = move |args: &[JValue]| super::clock::to_millis(now, args);
        added.push((
            super::clock::TO_MILLIS,
            ev.register_fn(super::clock::TO_MILLIS, f),
        ));
    }
    for (name, outcome) in added {
        outcome.map_err(|e| format!("Cannot provide function ${name}: {}", e.message()))?;
    }
    Ok(())
}

/// `$pad(string, width, char)` as jsonata-core's built-in computes it (jsonata-js 2.0.6's
/// `pad`: a negative width pads on the left, the padding repeats `char`, a space when it is
/// missing or empty, and widths count code points), refusing a result longer than
/// [`MAX_STRING_BYTES`](crate::budget::MAX_STRING_BYTES) before building it: the built-in
/// would fill gigabytes in one call, where no budget check can stop it.
fn pad(args: &[JValue]) -> HostResult {
    check(
        "pad",
        &[Param('s', false), Param('n', false), Param('s', true)],
        args,
    )
    .map_err(fail)?;
    let string = match args.first() {
        Some(JValue::String(s)) => s.clone(),
        _ => return Ok(JValue::Undefined),
    };
    // jsonata-core truncates the width to a 32-bit integer, as JavaScript's bitwise
    // conversions would.
    let width = match args.get(1) {
        Some(JValue::Number(n)) => *n as i32,
        _ => return Ok(JValue::String(string)),
    };
    let pad_chars: Vec<char> = match args.get(2) {
        Some(JValue::String(s)) if !s.is_empty() => s.chars().collect(),
        _ => vec![' '],
    };
    let wanted = width.unsigned_abs() as usize;
    let have = string.chars().count();
    if have >= wanted {
        return Ok(JValue::String(string));
    }
    let needed = wanted - have;
    let widest = pad_chars.iter().map(|c| c.len_utf8()).max().unwrap_or(1);
    let bytes = needed.saturating_mul(widest).saturating_add(string.len());
    if bytes > crate::budget::MAX_STRING_BYTES {
        return Err(fail(too_long("$pad", bytes)));
    }
    let mut padding = String::with_capacity(needed * widest);
    for i in 0..needed {
        padding.push(pad_chars[i % pad_chars.len()]);
    }
    let padded = if width < 0 {
        format!("{padding}{string}")
    } else {
        format!("{string}{padding}")
    };
    Ok(JValue::string(padded))
}

/// Why a function refused to build a string of `bytes` bytes.
pub fn too_long(function: &str, bytes: usize) -> String {
    format!(
        "{function} would build a string of {bytes} bytes, more than the {} MiB one value may hold.",
        crate::budget::MAX_STRING_BYTES / (1024 * 1024)
    )
}

/// A uniformly distributed number in [0, 1) from 53 random bits.
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// Draws from the session's generator (seeded before any expression that needs it runs).
fn draw(shared: &Shared) -> Result<u64, EvaluatorError> {
    let mut cell = shared.rng.borrow_mut();
    match cell.as_mut() {
        Some(rng) => Ok(rng.next_u64()),
        None => Err(fail("No source of random values was provided".to_string())),
    }
}

fn as_index(n: f64) -> Option<usize> {
    (n.fract() == 0.0 && n >= 0.0 && n < usize::MAX as f64).then_some(n as usize)
}

/// `$partition(array, size)`: the array cut into consecutive arrays of `size` items, the last
/// one shorter if the items run out.
fn partition(args: &[JValue]) -> HostResult {
    check("partition", &[Param('a', false), Param('n', false)], args).map_err(fail)?;
    let (Some(array), Some(JValue::Number(size))) = (args.first(), args.get(1)) else {
        return Ok(JValue::Undefined);
    };
    let items: Vec<JValue> = match array {
        JValue::Undefined => return Ok(JValue::Undefined),
        JValue::Array(a) => a.to_vec(),
        other => vec![other.clone()],
    };
    let size = as_index(*size).filter(|s| *s > 0).ok_or_else(|| {
        fail(format!(
            "Argument 2 of function \"partition\" must be a positive integer, but was {}",
            super::messages::js_number(*size)
        ))
    })?;
    let chunks = items
        .chunks(size)
        .map(|c| JValue::array(c.to_vec()))
        .collect();
    Ok(JValue::array(chunks))
}

/// `$range(start, end, step)`: `start`, `start + step`, … up to and including `end`; empty
/// when `step` leads away from `end`.
fn range(args: &[JValue]) -> HostResult {
    let params = [Param('n', false), Param('n', false), Param('n', false)];
    check("range", &params, args).map_err(fail)?;
    let (Some(JValue::Number(start)), Some(JValue::Number(end)), Some(JValue::Number(step))) =
        (args.first(), args.get(1), args.get(2))
    else {
        return Ok(JValue::Undefined);
    };
    let (start, end, step) = (*start, *end, *step);
    if step == 0.0 {
        return Err(fail(
            "Argument 3 of function \"range\" must not be zero".to_string(),
        ));
    }
    if (start > end && step > 0.0) || (start < end && step < 0.0) {
        return Ok(JValue::array(Vec::new()));
    }
    let count = ((end - start) / step).floor() + 1.0;
    if !count.is_finite() || count > MAX_RANGE {
        return Err(fail(format!(
            "The size of the array generated by function \"range\" must not exceed 1e7. \
             Attempted to allocate {}.",
            super::messages::js_number(count)
        )));
    }
    let items = (0..count as usize)
        .map(|i| JValue::Number(start + i as f64 * step))
        .collect();
    Ok(JValue::array(items))
}

/// `$hash(value, algorithm)`: the lower-case hex digest of the string's UTF-8 bytes.
fn hash(args: &[JValue]) -> HostResult {
    check("hash", &[Param('s', false), Param('s', false)], args).map_err(fail)?;
    let (Some(JValue::String(value)), Some(JValue::String(algorithm))) =
        (args.first(), args.get(1))
    else {
        return Ok(JValue::Undefined);
    };
    let bytes = value.as_bytes();
    let digest: Vec<u8> = match &**algorithm {
        "MD5" => Md5::digest(bytes).to_vec(),
        "SHA-1" => Sha1::digest(bytes).to_vec(),
        "SHA-256" => Sha256::digest(bytes).to_vec(),
        "SHA-384" => Sha384::digest(bytes).to_vec(),
        "SHA-512" => Sha512::digest(bytes).to_vec(),
        other => {
            return Err(fail(format!(
                "Argument 2 of function \"hash\" must be one of MD5, SHA-1, SHA-256, SHA-384, \
                 SHA-512, but was {}",
                serde_json::Value::String(other.to_string())
            )))
        }
    };
    Ok(JValue::from(
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    ))
}

/// `$parse(json)`: the value a JSON text stands for.
fn parse(args: &[JValue]) -> HostResult {
    check("parse", &[Param('s', false)], args).map_err(fail)?;
    let Some(JValue::String(text)) = args.first() else {
        return Ok(JValue::Undefined);
    };
    serde_json::from_str::<JValue>(text).map_err(|e| {
        fail(format!(
            "Argument 1 of function \"parse\" is not a valid JSON text: {e}"
        ))
    })
}

/// `$uuid()`: a random version-4 UUID.
fn uuid(shared: &Shared, args: &[JValue]) -> HostResult {
    check("uuid", &[], args).map_err(fail)?;
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&draw(shared)?.to_be_bytes());
    b[8..].copy_from_slice(&draw(shared)?.to_be_bytes());
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let part = |r: std::ops::Range<usize>| h.get(r).unwrap_or_default().to_string();
    Ok(JValue::from(format!(
        "{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    )))
}

/// `$random()` and AWS's `$random(seed)`: a number in [0, 1); the same seed always gives the
/// same number.
fn random(shared: &Shared, args: &[JValue]) -> HostResult {
    check("random", &[Param('n', true)], args).map_err(fail)?;
    match args.first() {
        Some(JValue::Number(seed)) => {
            // An integral seed seeds with its integer, anything else with its bits; `-0` and
            // `0` are one seed.
            let bits = if seed.fract() == 0.0 && seed.abs() < 9.2e18 {
                (*seed as i64) as u64
            } else {
                seed.to_bits()
            };
            Ok(JValue::Number(unit(SeededEntropy::new(bits).next_u64())))
        }
        _ => Ok(JValue::Number(unit(draw(shared)?))),
    }
}

/// `$shuffle(array)`: the items in a random order (jsonata-js's Fisher–Yates).
fn shuffle(shared: &Shared, args: &[JValue]) -> HostResult {
    check("shuffle", &[Param('a', false)], args).map_err(fail)?;
    let mut items = match args.first() {
        None | Some(JValue::Undefined) => return Ok(JValue::Undefined),
        Some(JValue::Array(a)) if a.len() <= 1 => return Ok(JValue::Array(a.clone())),
        Some(JValue::Array(a)) => a.to_vec(),
        Some(other) => return Ok(JValue::array(vec![other.clone()])),
    };
    for i in (1..items.len()).rev() {
        let j = (unit(draw(shared)?) * (i + 1) as f64).floor() as usize;
        items.swap(i, j.min(i));
    }
    Ok(JValue::array(items))
}

/// `$millis()`: the session's time.
fn millis(now: i64, args: &[JValue]) -> HostResult {
    check("millis", &[], args).map_err(fail)?;
    Ok(JValue::Number(now as f64))
}

/// `$now(picture?, timezone?)`: the session's time, formatted as `$fromMillis` would.
fn now_fn(now: i64, args: &[JValue]) -> HostResult {
    check("now", &[Param('s', true), Param('s', true)], args).map_err(fail)?;
    static FROM_MILLIS: OnceLock<Option<AstNode>> = OnceLock::new();
    let arg = |i: usize| args.get(i).cloned().unwrap_or(JValue::Undefined);
    built_in(
        &FROM_MILLIS,
        "$fromMillis($t, $p, $z)",
        [
            ("t", JValue::Number(now as f64)),
            ("p", arg(0)),
            ("z", arg(1)),
        ],
    )
}

/// Evaluates `text`, a call of built-in functions (parsed once into `cache`), with `bindings`:
/// how a host function standing in for a built-in reaches the built-in itself.
pub(super) fn built_in<const N: usize>(
    cache: &'static OnceLock<Option<AstNode>>,
    text: &str,
    bindings: [(&str, JValue); N],
) -> HostResult {
    let ast = cache
        .get_or_init(|| jsonata_core::parser::parse(text).ok())
        .as_ref()
        .ok_or_else(|| fail(format!("Cannot parse {text}")))?;
    let mut ctx = Context::new();
    for (name, value) in bindings {
        ctx.bind(name.to_string(), value);
    }
    Evaluator::with_context(ctx).evaluate(ast, &JValue::Undefined)
}
