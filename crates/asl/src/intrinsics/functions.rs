//! What each intrinsic computes, with the argument checks AWS makes when it runs. A
//! non-integer where `States.ArrayRange`, `States.ArrayPartition`, `States.MathRandom` (its
//! bounds) or `States.MathAdd` wants an integer is rounded to the nearest integer, as AWS's
//! documentation of each says ("If you specify a non-integer value …, Step Functions will
//! round it off to the nearest integer"), a half upward as Java's `Math.round` does
//! (`rounded`). Other integer arguments (`States.ArrayGetItem`'s index, `States.MathRandom`'s
//! seed), for which AWS documents nothing, are truncated toward zero as Java's casts do.

use std::borrow::Cow;
use std::collections::HashSet;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use md5::Md5;
use serde_json::{Map, Number, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::path::java::{to_java_string, to_json};
use crate::vars::Entropy;

use super::parse::{Arg, Call};
use super::Func;

/// AWS's limit on the strings `States.Base64*` and `States.Hash` accept.
const MAX_INPUT_CHARS: usize = 10_000;
/// AWS's limit on the arrays `States.ArrayRange` builds.
const MAX_RANGE_ITEMS: i64 = 1000;

/// Standard alphabet; padding written, optional when reading (`java.util.Base64`).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

type Args<'a> = Vec<Cow<'a, Value>>;

/// Runs `call` on its evaluated arguments. `Err` is the reason AWS appends to the cause.
pub(crate) fn apply(
    call: &Call,
    args: Args<'_>,
    entropy: &mut dyn Entropy,
) -> Result<Value, String> {
    let invalid = || format!("Invalid arguments in {}", call.func.name());
    let arity = |ok: bool| if ok { Ok(()) } else { Err(invalid()) };
    match call.func {
        Func::Format => format(call, &args),
        Func::StringToJson => {
            arity(args.len() == 1)?;
            let s = string(&args[0]).ok_or_else(invalid)?;
            // AWS reads the text with Jackson's `ObjectMapper.readTree`: empty text is
            // `null`, trailing content after the value is not read, `-0` is the integer 0.
            crate::jackson::read_tree(s).map_err(|_| invalid())
        }
        Func::JsonToString => {
            arity(args.len() == 1)?;
            Ok(Value::String(to_json(&args[0])))
        }
        Func::Array => Ok(Value::Array(
            args.into_iter().map(Cow::into_owned).collect(),
        )),
        Func::ArrayPartition => {
            arity(args.len() == 2)?;
            let items = array(&args[0]).ok_or_else(invalid)?;
            let size = rounded(&args[1]).ok_or_else(invalid)?;
            let size = usize::try_from(size)
                .ok()
                .filter(|s| *s >= 1)
                .ok_or_else(invalid)?;
            Ok(Value::Array(
                items
                    .chunks(size)
                    .map(|c| Value::Array(c.to_vec()))
                    .collect(),
            ))
        }
        Func::ArrayContains => {
            arity(args.len() == 2)?;
            let items = array(&args[0]).ok_or_else(invalid)?;
            // AWS matches on the values' printed forms: `true` finds "true", and objects
            // with the same members in another order do not match.
            let wanted = to_java_string(&args[1]);
            Ok(Value::Bool(
                items.iter().any(|v| to_java_string(v) == wanted),
            ))
        }
        Func::ArrayRange => {
            arity(args.len() == 3)?;
            let start = rounded(&args[0]).ok_or_else(invalid)?;
            let end = rounded(&args[1]).ok_or_else(invalid)?;
            let step = rounded(&args[2]).ok_or_else(invalid)?;
            array_range(start, end, step).ok_or_else(invalid)
        }
        Func::ArrayGetItem => {
            arity(args.len() == 2)?;
            let items = array(&args[0]).ok_or_else(invalid)?;
            let index = integer(&args[1]).ok_or_else(invalid)?;
            if index < 0 {
                return Err(invalid());
            }
            // Observed on AWS: any index into an empty array yields null.
            if items.is_empty() {
                return Ok(Value::Null);
            }
            usize::try_from(index)
                .ok()
                .and_then(|i| items.get(i))
                .cloned()
                .ok_or_else(invalid)
        }
        Func::ArrayLength => {
            arity(args.len() == 1)?;
            let items = array(&args[0]).ok_or_else(invalid)?;
            Ok(Value::from(items.len()))
        }
        Func::ArrayUnique => {
            arity(args.len() == 1)?;
            let items = array(&args[0]).ok_or_else(invalid)?;
            let mut seen = HashSet::new();
            let unique = items
                .iter()
                .filter(|v| seen.insert(canonical(v)))
                .cloned()
                .collect();
            Ok(Value::Array(unique))
        }
        Func::Base64Encode => {
            arity(args.len() == 1)?;
            let s = string(&args[0]).ok_or_else(invalid)?;
            if java_len(s) > MAX_INPUT_CHARS {
                return Err(invalid());
            }
            Ok(Value::String(BASE64.encode(s.as_bytes())))
        }
        Func::Base64Decode => {
            arity(args.len() == 1)?;
            let s = string(&args[0]).ok_or_else(invalid)?;
            if java_len(s) > MAX_INPUT_CHARS {
                return Err(invalid());
            }
            let bytes = BASE64.decode(s.as_bytes()).map_err(|_| invalid())?;
            Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        }
        Func::Hash => {
            arity(args.len() == 2)?;
            let data = match args[0].as_ref() {
                Value::String(s) => Cow::Borrowed(s.as_str()),
                other => Cow::Owned(to_java_string(other)),
            };
            if java_len(&data) > MAX_INPUT_CHARS {
                return Err(invalid());
            }
            let algorithm = string(&args[1]).ok_or_else(invalid)?;
            hash(algorithm, data.as_bytes())
                .map(Value::String)
                .ok_or_else(invalid)
        }
        Func::JsonMerge => {
            arity(args.len() == 3)?;
            let (Value::Object(a), Value::Object(b), Value::Bool(false)) =
                (args[0].as_ref(), args[1].as_ref(), args[2].as_ref())
            else {
                return Err(invalid());
            };
            let mut merged: Map<String, Value> = a.clone();
            for (k, v) in b {
                merged.insert(k.clone(), v.clone());
            }
            Ok(Value::Object(merged))
        }
        Func::MathRandom => {
            arity(args.len() == 2 || args.len() == 3)?;
            let start = rounded_int32(&args[0]).ok_or_else(invalid)?;
            let end = rounded_int32(&args[1]).ok_or_else(invalid)?;
            let bound = i32::try_from(i64::from(end) - i64::from(start))
                .ok()
                .filter(|b| *b > 0)
                .ok_or_else(invalid)?;
            let offset = match args.get(2) {
                Some(seed) => {
                    let seed = integer(seed).ok_or_else(invalid)?;
                    JavaRandom::new(seed).next_int(bound)
                }
                None => (entropy.next_u64() % bound as u64) as i32,
            };
            Ok(Value::from(i64::from(start) + i64::from(offset)))
        }
        Func::MathAdd => {
            arity(args.len() == 2)?;
            let a = rounded(&args[0]).ok_or_else(invalid)?;
            let b = rounded(&args[1]).ok_or_else(invalid)?;
            let in_range = |v: i64| i32::try_from(v).is_ok();
            if !in_range(a) || !in_range(b) || !in_range(a + b) {
                return Err(invalid());
            }
            Ok(Value::from(a + b))
        }
        Func::StringSplit => {
            arity(args.len() == 2)?;
            let s = string(&args[0]).ok_or_else(invalid)?;
            let delims = string(&args[1]).ok_or_else(invalid)?;
            // `java.util.StringTokenizer`: any delimiter character separates, and empty
            // pieces are dropped.
            let parts = s
                .split(|c: char| delims.contains(c))
                .filter(|p| !p.is_empty())
                .map(|p| Value::String(p.to_string()))
                .collect();
            Ok(Value::Array(parts))
        }
        Func::Uuid => {
            arity(args.is_empty())?;
            Ok(Value::String(entropy.uuid_v4()))
        }
    }
}

fn string(v: &Value) -> Option<&str> {
    v.as_str()
}

fn array(v: &Value) -> Option<&Vec<Value>> {
    v.as_array()
}

/// A JSON number truncated toward zero, as Java's `(long)` cast does.
fn integer(v: &Value) -> Option<i64> {
    let n = v.as_number()?;
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    if n.as_u64().is_some() {
        return Some(i64::MAX);
    }
    n.as_f64().map(|f| f.trunc() as i64)
}

/// A JSON number rounded to the nearest integer as Java's `Math.round(double)` rounds it (a
/// half toward positive infinity: `2.5` → 3, `-2.5` → −2), saturated to `long` as it is.
fn rounded(v: &Value) -> Option<i64> {
    let n = v.as_number()?;
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    if n.as_u64().is_some() {
        return Some(i64::MAX);
    }
    let f = n.as_f64()?;
    let floor = f.floor();
    // `f - floor` is exact, so a value just below a half (0.49999999999999994) stays below.
    let r = if f - floor >= 0.5 { floor + 1.0 } else { floor };
    Some(r as i64)
}

/// [`rounded`], saturated to Java's `int`.
fn rounded_int32(v: &Value) -> Option<i32> {
    rounded(v).map(|i| i.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
}

/// Java's `String.length()`: UTF-16 code units.
fn java_len(s: &str) -> usize {
    s.encode_utf16().count()
}

fn array_range(start: i64, end: i64, step: i64) -> Option<Value> {
    if step == 0 {
        return None;
    }
    let count = if (step > 0 && start > end) || (step < 0 && start < end) {
        0
    } else {
        (end - start) / step + 1
    };
    if count > MAX_RANGE_ITEMS {
        return None;
    }
    Some(Value::Array(
        (0..count).map(|k| Value::from(start + k * step)).collect(),
    ))
}

fn hash(algorithm: &str, data: &[u8]) -> Option<String> {
    let digest: Vec<u8> = match algorithm {
        "MD5" => Md5::digest(data).to_vec(),
        "SHA-1" => Sha1::digest(data).to_vec(),
        "SHA-256" => Sha256::digest(data).to_vec(),
        "SHA-384" => Sha384::digest(data).to_vec(),
        "SHA-512" => Sha512::digest(data).to_vec(),
        _ => return None,
    };
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// A key equal for values Java's `equals` treats as equal: objects regardless of member
/// order, numbers by type and value (`1` and `1.0` differ).
fn canonical(v: &Value) -> String {
    fn write(out: &mut String, v: &Value) {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for k in keys {
                    out.push_str(&to_json(&Value::String(k.clone())));
                    out.push(':');
                    if let Some(item) = map.get(k) {
                        write(out, item);
                    }
                    out.push(',');
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for item in items {
                    write(out, item);
                    out.push(',');
                }
                out.push(']');
            }
            Value::Number(n) => out.push_str(&number_key(n)),
            other => out.push_str(&to_json(other)),
        }
    }
    let mut out = String::new();
    write(&mut out, v);
    out
}

fn number_key(n: &Number) -> String {
    if n.is_f64() {
        format!("d{}", n.as_f64().unwrap_or(0.0).to_bits())
    } else {
        format!("i{n}")
    }
}

fn format(call: &Call, args: &[Cow<'_, Value>]) -> Result<Value, String> {
    let invalid = || "Invalid arguments in States.Format".to_string();
    let Some(template) = args.first() else {
        return Err(invalid());
    };
    let Value::String(text) = template.as_ref() else {
        return Err(invalid());
    };
    // A literal template knows which braces were escaped; one read from the input does not.
    let read: Vec<(char, bool)>;
    let chars: &[(char, bool)] = match call.args.first() {
        Some(Arg::Str(lit)) => &lit.chars,
        _ => {
            read = text.chars().map(|c| (c, false)).collect();
            &read
        }
    };
    enum Part {
        Text(String),
        Hole,
    }
    let mut parts: Vec<Part> = Vec::new();
    let mut buf = String::new();
    let mut i = 0;
    while let Some(&(c, escaped)) = chars.get(i) {
        match (c, escaped) {
            ('{', false) => {
                if chars.get(i + 1) != Some(&('}', false)) {
                    return Err(
                        "Invalid template in States.Format: matching '}' not found for '{'."
                            .to_string(),
                    );
                }
                parts.push(Part::Text(std::mem::take(&mut buf)));
                parts.push(Part::Hole);
                i += 2;
                continue;
            }
            ('}', false) => {
                return Err(
                    "Invalid template in States.Format: matching '{' not found for '}'."
                        .to_string(),
                )
            }
            _ => buf.push(c),
        }
        i += 1;
    }
    parts.push(Part::Text(buf));
    let holes = parts.iter().filter(|p| matches!(p, Part::Hole)).count();
    if holes != args.len() - 1 {
        return Err(
            "Invalid arguments in States.Format: number of arguments do not match the occurrences of {}."
                .to_string(),
        );
    }
    let mut out = String::new();
    let mut values = args[1..].iter();
    for part in parts {
        match part {
            Part::Text(t) => out.push_str(&t),
            Part::Hole => {
                if let Some(v) = values.next() {
                    out.push_str(&to_java_string(v));
                }
            }
        }
    }
    Ok(Value::String(out))
}

/// `java.util.Random`, which AWS seeds with the third argument of `States.MathRandom`
/// (`States.MathRandom(-5, 5, 42)` is `-5` on AWS, as `new Random(42).nextInt(10)` is 0).
pub(crate) struct JavaRandom {
    seed: u64,
}

impl JavaRandom {
    const MULTIPLIER: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;

    pub(crate) fn new(seed: i64) -> JavaRandom {
        JavaRandom {
            seed: (seed as u64 ^ Self::MULTIPLIER) & Self::MASK,
        }
    }

    fn next(&mut self, bits: u32) -> i32 {
        self.seed = (self.seed.wrapping_mul(Self::MULTIPLIER).wrapping_add(0xB)) & Self::MASK;
        (self.seed >> (48 - bits)) as i32
    }

    /// `nextInt(bound)` for `bound > 0`.
    pub(crate) fn next_int(&mut self, bound: i32) -> i32 {
        if bound & (bound - 1) == 0 {
            return ((i64::from(bound) * i64::from(self.next(31))) >> 31) as i32;
        }
        loop {
            let bits = self.next(31);
            let val = bits % bound;
            if bits.wrapping_sub(val).wrapping_add(bound - 1) >= 0 {
                return val;
            }
        }
    }
}
