//! jsonata-js 2.0.6, the JSONata AWS runs, where jsonata-core follows a later jsonata-js or
//! its own reading. Each difference is a host function that does what 2.0.6's `functions.js`
//! does, put in place of the built-in when the expression is compiled (a built-in called
//! with its one argument written out, or given it by `~>`; the context form `x.$string()`
//! keeps the built-in):
//!
//! * `$string(x)`, and both sides of `a & b` (which 2.0.6's `evaluateStringConcat` passes
//!   through `fn.string`): 2.0.6's replacer rounds **every** number to 15 significant digits
//!   (`Number(val.toPrecision(15))`), integers included, so `$string(12345678901234567)` is
//!   `"12345678901234600"`; later versions leave integers whole.
//! * `$number(s)`: 2.0.6 reads a string only when it matches
//!   `^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$` (and is finite) or is `0x`/`0o`/`0b` digits;
//!   anything else (`" 12 "`, `"+1"`, `".5"`) is D3030.
//! * `$base64encode(s)` and `$base64decode(s)`: 2.0.6 on Node.js converts with
//!   `Buffer.from(str, 'binary')` and `toString('binary')`, that is Latin-1: a character is one
//!   byte (its UTF-16 code unit's low eight bits), and a decoded byte is one character.
//!   (`btoa`/`atob` in a browser are Latin-1 too.)
//! * `$encodeUrl(s)`: JavaScript's `encodeURI`, which escapes a space (and every character
//!   outside `A-Za-z0-9;,/?:@&=+$-_.!~*'()#`) as UTF-8 `%XX`.
//! * `$fromMillis(ms, …)`: 2.0.6 formats `new Date(ms)`, whose time value drops a fraction
//!   toward zero (`TimeClip`): the argument is truncated first (`__baton_time_clip`).
//! * `$formatBase(n, radix)`: 2.0.6 rounds both to an integer, half to even (`round`), before
//!   `n.toString(radix)`: both arguments are rounded first (`__baton_half_even`).
//! * `$toMillis(timestamp, picture)`: 2.0.6 fills what the picture leaves out in front from the
//!   evaluation's time, jsonata-core from the machine's clock (`clock::TO_MILLIS`).
//!
//! A name the expression binds itself (`$string := …`, a lambda's parameter) is left alone.

use std::collections::HashSet;

use base64::Engine as _;
use jsonata_core::ast::{AstNode, BinaryOp, Stage};
use jsonata_core::evaluator::EvaluatorError;
use jsonata_core::value::JValue;

/// `$string` as 2.0.6 has it.
pub const STRING: &str = "__baton_string";
/// `$number` as 2.0.6 has it.
pub const NUMBER: &str = "__baton_number";
/// `$base64encode` as 2.0.6 has it on Node.js.
pub const BASE64_ENCODE: &str = "__baton_base64encode";
/// `$base64decode` as 2.0.6 has it on Node.js.
pub const BASE64_DECODE: &str = "__baton_base64decode";

/// `$encodeUrl` as 2.0.6 has it.
pub const ENCODE_URL: &str = "__baton_encodeUrl";
/// A number's time value as `new Date(n)` keeps it.
pub const TIME_CLIP: &str = "__baton_time_clip";
/// A number rounded half to even, as 2.0.6's `round` does with no precision.
pub const HALF_EVEN: &str = "__baton_half_even";

/// Every host function of this module, by name, for the session to register.
pub const FUNCTIONS: &[(&str, Host)] = &[
    (STRING, string),
    (NUMBER, number),
    (BASE64_ENCODE, base64encode),
    (BASE64_DECODE, base64decode),
    (ENCODE_URL, encode_url),
    (TIME_CLIP, time_clip),
    (HALF_EVEN, half_even),
];

/// The host function standing in for the built-in `name`.
fn replacement(name: &str) -> Option<&'static str> {
    Some(match name {
        "string" => STRING,
        "number" => NUMBER,
        "base64encode" => BASE64_ENCODE,
        "base64decode" => BASE64_DECODE,
        "encodeUrl" => ENCODE_URL,
        _ => return None,
    })
}

/// For a built-in that keeps its place but whose arguments 2.0.6 converts first: the host
/// function to pass the first `n` arguments through.
fn converted(name: &str) -> Option<(&'static str, usize)> {
    Some(match name {
        "fromMillis" => (TIME_CLIP, 1),
        "formatBase" => (HALF_EVEN, 2),
        _ => return None,
    })
}

/// `f(node)`.
fn wrapped(f: &str, node: AstNode) -> AstNode {
    AstNode::Function {
        name: f.to_string(),
        args: vec![node],
        is_builtin: true,
    }
}

/// Rewrites `node` as the module documentation shows; answers whether anything changed.
pub fn rewrite(node: &mut AstNode) -> bool {
    let mut bound = HashSet::new();
    bound_names(node, &mut bound);
    let mut changed = false;
    walk(node, false, &bound, &mut changed);
    changed
}

/// Names the expression binds (`$x := …`, lambda parameters): a call of such a name may be
/// the expression's own function.
fn bound_names(node: &AstNode, out: &mut HashSet<String>) {
    visit(node, &mut |n| match n {
        AstNode::Binary {
            op: BinaryOp::ColonEqual,
            lhs,
            ..
        } => {
            if let AstNode::Variable(name) = lhs.as_ref() {
                out.insert(name.clone());
            }
        }
        AstNode::Lambda { params, .. } => out.extend(params.iter().cloned()),
        _ => {}
    });
}

/// Calls `f` on `node` and every node below it.
fn visit(node: &AstNode, f: &mut dyn FnMut(&AstNode)) {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        f(n);
        match n {
            AstNode::Function { args, .. } => stack.extend(args.iter()),
            AstNode::Call { procedure, args } => {
                stack.push(procedure);
                stack.extend(args.iter());
            }
            AstNode::Path { steps } => {
                for step in steps {
                    stack.push(&step.node);
                    for stage in &step.stages {
                        if let Stage::Filter(f) = stage {
                            stack.push(f);
                        }
                    }
                }
            }
            AstNode::Binary { lhs, rhs, .. } => {
                stack.push(lhs);
                stack.push(rhs);
            }
            AstNode::Unary { operand, .. } => stack.push(operand),
            AstNode::Lambda { body, .. } => stack.push(body),
            AstNode::Array(items) | AstNode::Block(items) | AstNode::ArrayGroup(items) => {
                stack.extend(items.iter())
            }
            AstNode::Object(pairs) => {
                for (k, v) in pairs {
                    stack.push(k);
                    stack.push(v);
                }
            }
            AstNode::ObjectTransform { input, pattern } => {
                stack.push(input);
                for (k, v) in pattern {
                    stack.push(k);
                    stack.push(v);
                }
            }
            AstNode::Conditional {
                condition,
                then_branch,
                else_branch,
            } => {
                stack.push(condition);
                stack.push(then_branch);
                if let Some(e) = else_branch {
                    stack.push(e);
                }
            }
            AstNode::FunctionApplication(inner) => stack.push(inner),
            AstNode::Sort { input, terms } => {
                stack.push(input);
                stack.extend(terms.iter().map(|(t, _)| t));
            }
            AstNode::Transform {
                location,
                update,
                delete,
            } => {
                stack.push(location);
                stack.push(update);
                if let Some(d) = delete {
                    stack.push(d);
                }
            }
            _ => {}
        }
    }
}

/// `$string(x)` around `node`.
fn stringified(node: AstNode) -> AstNode {
    wrapped(STRING, node)
}

fn walk(node: &mut AstNode, chained: bool, bound: &HashSet<String>, changed: &mut bool) {
    // Recursion here follows the parser's own depth, which it bounds.
    match node {
        AstNode::Function {
            name,
            args,
            is_builtin: true,
        } => {
            // One argument written out, or none after `~>` (which supplies it).
            let arity = if chained { 0 } else { 1 };
            let plain = args.len() == arity
                && !args.iter().any(|a| matches!(a, AstNode::Placeholder))
                && !bound.contains(name.as_str());
            if let (true, Some(to)) = (plain, replacement(name)) {
                *name = to.to_string();
                *changed = true;
            }
            let written = !chained && !args.iter().any(|a| matches!(a, AstNode::Placeholder));
            if written && name == "toMillis" && args.len() == 2 && !bound.contains(name.as_str()) {
                *name = super::clock::TO_MILLIS.to_string();
                *changed = true;
            }
            if let (true, Some((f, n))) =
                (written && !bound.contains(name.as_str()), converted(name))
            {
                for arg in args.iter_mut().take(n) {
                    let a = std::mem::replace(arg, AstNode::Null);
                    *arg = wrapped(f, a);
                }
                *changed |= !args.is_empty();
            }
            args.iter_mut().for_each(|a| walk(a, false, bound, changed));
        }
        AstNode::Function { args, .. } => {
            args.iter_mut().for_each(|a| walk(a, false, bound, changed))
        }
        AstNode::Call { procedure, args } => {
            walk(procedure, false, bound, changed);
            args.iter_mut().for_each(|a| walk(a, false, bound, changed));
        }
        AstNode::Path { steps } => {
            for step in steps {
                walk(&mut step.node, false, bound, changed);
                for stage in &mut step.stages {
                    if let Stage::Filter(f) = stage {
                        walk(f, false, bound, changed);
                    }
                }
            }
        }
        // `&` calls 2.0.6's own `fn.string`, whatever the expression binds to `$string`.
        AstNode::Binary {
            op: BinaryOp::Concatenate,
            lhs,
            rhs,
        } => {
            walk(lhs, false, bound, changed);
            walk(rhs, false, bound, changed);
            let l = std::mem::replace(lhs.as_mut(), AstNode::Null);
            **lhs = stringified(l);
            let r = std::mem::replace(rhs.as_mut(), AstNode::Null);
            **rhs = stringified(r);
            *changed = true;
        }
        AstNode::Binary { op, lhs, rhs } => {
            let chain = *op == BinaryOp::ChainPipe;
            walk(lhs, false, bound, changed);
            walk(rhs, chain, bound, changed);
        }
        AstNode::Unary { operand, .. } => walk(operand, false, bound, changed),
        AstNode::Lambda { body, .. } => walk(body, false, bound, changed),
        AstNode::Array(items) | AstNode::Block(items) | AstNode::ArrayGroup(items) => items
            .iter_mut()
            .for_each(|i| walk(i, false, bound, changed)),
        AstNode::Object(pairs) => {
            for (k, v) in pairs {
                walk(k, false, bound, changed);
                walk(v, false, bound, changed);
            }
        }
        AstNode::ObjectTransform { input, pattern } => {
            walk(input, false, bound, changed);
            for (k, v) in pattern {
                walk(k, false, bound, changed);
                walk(v, false, bound, changed);
            }
        }
        AstNode::Conditional {
            condition,
            then_branch,
            else_branch,
        } => {
            walk(condition, false, bound, changed);
            walk(then_branch, false, bound, changed);
            if let Some(e) = else_branch {
                walk(e, false, bound, changed);
            }
        }
        AstNode::FunctionApplication(inner) => walk(inner, false, bound, changed),
        AstNode::Sort { input, terms } => {
            walk(input, false, bound, changed);
            terms
                .iter_mut()
                .for_each(|(t, _)| walk(t, false, bound, changed));
        }
        AstNode::Transform {
            location,
            update,
            delete,
        } => {
            walk(location, false, bound, changed);
            walk(update, false, bound, changed);
            if let Some(d) = delete {
                walk(d, false, bound, changed);
            }
        }
        _ => {}
    }
}

type HostResult = Result<JValue, EvaluatorError>;

/// A host function of this module.
type Host = fn(&[JValue]) -> HostResult;

fn first(args: &[JValue]) -> JValue {
    args.first().cloned().unwrap_or(JValue::Undefined)
}

/// Deepest value whose numbers are rounded; deeper parts are written as they are.
const MAX_DEPTH: usize = 1000;

/// `Number(n.toPrecision(15))`: `{:.14e}` is one digit and fourteen decimals.
fn fifteen_digits(n: f64) -> f64 {
    if !n.is_finite() {
        return n;
    }
    format!("{n:.14e}").parse().unwrap_or(n)
}

/// `value` with every number rounded as 2.0.6's `$string` replacer rounds it.
fn rounded(value: &JValue, depth: usize) -> JValue {
    if depth > MAX_DEPTH {
        return value.clone();
    }
    match value {
        JValue::Number(n) => JValue::Number(fifteen_digits(*n)),
        JValue::Array(items) => {
            JValue::array(items.iter().map(|v| rounded(v, depth + 1)).collect())
        }
        JValue::Object(members) => JValue::object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), rounded(v, depth + 1)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `__baton_string(x)`: 2.0.6's `fn.string`.
pub fn string(args: &[JValue]) -> HostResult {
    let value = first(args);
    if value.is_undefined() {
        return Ok(JValue::Undefined);
    }
    if value.is_function() {
        return Ok(JValue::string(""));
    }
    jsonata_core::functions::string::string(&rounded(&value, 0), None)
        .map_err(|e| EvaluatorError::EvaluationError(function_message(e)))
}

/// The text of a built-in's error, code first, as the evaluator would report it.
fn function_message(e: jsonata_core::functions::FunctionError) -> String {
    use jsonata_core::functions::FunctionError::*;
    match e {
        ArgumentError(m) | TypeError(m) | RuntimeError(m) => m,
        #[allow(unreachable_patterns)]
        other => other.to_string(),
    }
}

/// `__baton_number(x)`: 2.0.6's `fn.number`, whose string forms are narrower.
pub fn number(args: &[JValue]) -> HostResult {
    let value = first(args);
    if let JValue::String(s) = &value {
        if let Some(n) = decimal(s) {
            return Ok(JValue::Number(n));
        }
        if !radix_form(s) {
            return Err(EvaluatorError::EvaluationError(format!(
                "D3030: Cannot convert '{s}' to number"
            )));
        }
    }
    match value {
        JValue::Undefined => return Ok(JValue::Undefined),
        // The signature `<(nsb)-:n>`.
        JValue::Number(_) | JValue::String(_) | JValue::Bool(_) => {}
        _ => return Err(mismatch("number")),
    }
    jsonata_core::functions::numeric::number(&value)
        .map_err(|e| EvaluatorError::EvaluationError(function_message(e)))
}

/// `/^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$/` and finite: `parseFloat`.
fn decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// `/^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$/`: hex digits at the start, or octal
/// digits anywhere, or binary digits at the end (the alternation is not grouped under the
/// anchors).
fn radix_form(s: &str) -> bool {
    let b = s.as_bytes();
    let run = |from: usize, ok: fn(&u8) -> bool| {
        b.get(from..)
            .map_or(0, |rest| rest.iter().take_while(|c| ok(c)).count())
    };
    let hex = b.len() > 2
        && b[0] == b'0'
        && matches!(b[1], b'x' | b'X')
        && run(2, u8::is_ascii_hexdigit) > 0;
    let octal = (0..b.len().saturating_sub(2)).any(|i| {
        b[i] == b'0'
            && matches!(b[i + 1], b'o' | b'O')
            && run(i + 2, |c| (b'0'..=b'7').contains(c)) > 0
    });
    let binary = (0..b.len().saturating_sub(2)).any(|i| {
        b[i] == b'0'
            && matches!(b[i + 1], b'b' | b'B')
            && run(i + 2, |c| matches!(c, b'0' | b'1')) == b.len() - i - 2
    });
    hex || octal || binary
}

/// The built-in's signature error (T0410) for its first argument.
fn mismatch(function: &str) -> EvaluatorError {
    EvaluatorError::EvaluationError(format!(
        "T0410: Argument 1 of function {function} does not match function signature"
    ))
}

/// `__baton_base64encode(s)`: `Buffer.from(s, 'binary').toString('base64')`.
pub fn base64encode(args: &[JValue]) -> HostResult {
    match first(args) {
        JValue::String(s) => {
            let bytes: Vec<u8> = s.encode_utf16().map(|u| (u & 0xff) as u8).collect();
            Ok(JValue::string(
                base64::engine::general_purpose::STANDARD.encode(bytes),
            ))
        }
        JValue::Undefined => Ok(JValue::Undefined),
        _ => Err(mismatch("base64encode")),
    }
}

/// `__baton_base64decode(s)`: `Buffer.from(s, 'base64').toString('binary')`. Node's decoder
/// skips characters outside the alphabet (either alphabet: `+/` and `-_`), stops at the first
/// `=`, and drops an incomplete last byte; each byte is then one Latin-1 character.
pub fn base64decode(args: &[JValue]) -> HostResult {
    let s = match first(args) {
        JValue::String(s) => s,
        JValue::Undefined => return Ok(JValue::Undefined),
        _ => return Err(mismatch("base64decode")),
    };
    let mut text = String::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.chars() {
        let v = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' | '-' => 62,
            '/' | '_' => 63,
            '=' => break,
            _ => continue,
        };
        acc = ((acc << 6) | v) & 0xff_ffff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            text.push(char::from(((acc >> bits) & 0xff) as u8));
        }
    }
    Ok(JValue::string(text))
}

/// `__baton_encodeUrl(s)`: JavaScript's `encodeURI`.
pub fn encode_url(args: &[JValue]) -> HostResult {
    const KEPT: &[u8] = b";,/?:@&=+$-_.!~*'()#";
    match first(args) {
        JValue::String(s) => {
            let mut out = String::with_capacity(s.len());
            for &b in s.as_bytes() {
                if b.is_ascii_alphanumeric() || KEPT.contains(&b) {
                    out.push(char::from(b));
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            Ok(JValue::string(out))
        }
        JValue::Undefined => Ok(JValue::Undefined),
        _ => Err(mismatch("encodeUrl")),
    }
}

/// `__baton_time_clip(n)`: a finite number truncated toward zero (`-0` as `0`); anything
/// else as it is, for the built-in to judge.
pub fn time_clip(args: &[JValue]) -> HostResult {
    Ok(match first(args) {
        JValue::Number(n) if n.is_finite() => JValue::Number(n.trunc() + 0.0),
        other => other,
    })
}

/// `__baton_half_even(n)`: a finite number rounded to an integer, a half to the even
/// neighbour; anything else as it is, for the built-in to judge.
pub fn half_even(args: &[JValue]) -> HostResult {
    Ok(match first(args) {
        JValue::Number(n) if n.is_finite() => JValue::Number(n.round_ties_even() + 0.0),
        other => other,
    })
}
