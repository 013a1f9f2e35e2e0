//! Size checks in front of the built-ins that can turn small inputs into a huge string in one
//! call, where no budget check runs until the call returns: `$join(array, separator)` (a long
//! separator between many items) and `$replace(str, pattern, replacement, limit)` (a long
//! replacement for many matches). jsonata-core lets no host function replace `$join` (it is
//! compiled), and a host function cannot call the lambda `$replace` may be given, so the
//! built-ins stay and the expression is rewritten once, when it is compiled, to check the
//! argument that makes the output long first:
//!
//! ```text
//! $join(a, s)       →  ($ja := a; $js := s; $join($ja, $check_join($ja, $js)))
//! $replace(s,p,r,l) →  ($rs := s; $rp := p; $rr := r; $rl := l;
//!                       $replace($rs, $rp, $check_replace($rs, $rp, $rr, $rl), $rl))
//! ```
//!
//! Each argument is still evaluated once and in order, in the same context, and the built-in
//! still checks their types and reports its own errors; a check passes its argument through
//! unchanged unless the result would pass [`MAX_STRING_BYTES`]. A call that takes its first
//! argument from the context or a `~>` chain, or has placeholders, is left as it is.
//!
//! [`MAX_STRING_BYTES`]: crate::budget::MAX_STRING_BYTES

use jsonata_core::ast::{AstNode, BinaryOp, Stage};
use jsonata_core::evaluator::EvaluatorError;
use jsonata_core::functions::string::{build_regex, extract_regex, RegexMatches};
use jsonata_core::value::JValue;

use super::functions::too_long;
use crate::budget::MAX_STRING_BYTES;

/// The host function that checks `$join`'s separator.
pub const CHECK_JOIN: &str = "__baton_check_join";
/// The host function that checks `$replace`'s replacement.
pub const CHECK_REPLACE: &str = "__baton_check_replace";

/// Rewrites every `$join` and `$replace` call in `node` as the module documentation shows;
/// answers whether any was.
pub fn guard(node: &mut AstNode) -> bool {
    let mut changed = false;
    walk(node, false, &mut changed);
    changed
}

fn walk(node: &mut AstNode, chained: bool, changed: &mut bool) {
    if !chained {
        if let Some(guarded) = guarded_call(node) {
            *node = guarded;
            *changed = true;
            // The arguments sit in the block's bindings now; check calls inside them too.
            if let AstNode::Block(items) = node {
                for item in items.iter_mut() {
                    if let AstNode::Binary {
                        op: BinaryOp::ColonEqual,
                        rhs,
                        ..
                    } = item
                    {
                        walk(rhs, false, changed);
                    }
                }
            }
            return;
        }
    }
    match node {
        AstNode::Function { args, .. } => args.iter_mut().for_each(|a| walk(a, false, changed)),
        AstNode::Call { procedure, args } => {
            walk(procedure, false, changed);
            args.iter_mut().for_each(|a| walk(a, false, changed));
        }
        AstNode::Path { steps } => {
            for step in steps {
                walk(&mut step.node, false, changed);
                for stage in &mut step.stages {
                    if let Stage::Filter(f) = stage {
                        walk(f, false, changed);
                    }
                }
            }
        }
        AstNode::Binary { op, lhs, rhs } => {
            let chain = *op == BinaryOp::ChainPipe;
            walk(lhs, false, changed);
            walk(rhs, chain, changed);
        }
        AstNode::Unary { operand, .. } => walk(operand, false, changed),
        AstNode::Lambda { body, .. } => walk(body, false, changed),
        AstNode::Array(items) | AstNode::Block(items) | AstNode::ArrayGroup(items) => {
            items.iter_mut().for_each(|i| walk(i, false, changed))
        }
        AstNode::Object(pairs) => {
            for (k, v) in pairs {
                walk(k, false, changed);
                walk(v, false, changed);
            }
        }
        AstNode::ObjectTransform { input, pattern } => {
            walk(input, false, changed);
            for (k, v) in pattern {
                walk(k, false, changed);
                walk(v, false, changed);
            }
        }
        AstNode::Conditional {
            condition,
            then_branch,
            else_branch,
        } => {
            walk(condition, false, changed);
            walk(then_branch, false, changed);
            if let Some(e) = else_branch {
                walk(e, false, changed);
            }
        }
        AstNode::FunctionApplication(inner) => walk(inner, false, changed),
        AstNode::Sort { input, terms } => {
            walk(input, false, changed);
            terms.iter_mut().for_each(|(t, _)| walk(t, false, changed));
        }
        AstNode::Transform {
            location,
            update,
            delete,
        } => {
            walk(location, false, changed);
            walk(update, false, changed);
            if let Some(d) = delete {
                walk(d, false, changed);
            }
        }
        AstNode::String(_)
        | AstNode::Name(_)
        | AstNode::Number(_)
        | AstNode::Boolean(_)
        | AstNode::Null
        | AstNode::Undefined
        | AstNode::Placeholder
        | AstNode::Regex { .. }
        | AstNode::Variable(_)
        | AstNode::ParentVariable(_)
        | AstNode::Wildcard
        | AstNode::Descendant
        | AstNode::Parent(_) => {}
    }
}

/// The block that replaces a `$join` or `$replace` call, when `node` is one to guard.
fn guarded_call(node: &mut AstNode) -> Option<AstNode> {
    let AstNode::Function {
        name,
        args,
        is_builtin: true,
    } = node
    else {
        return None;
    };
    let (prefix, check, checked) = match (name.as_str(), args.len()) {
        ("join", 2) => ("__baton_j", CHECK_JOIN, 1),
        ("replace", 3 | 4) => ("__baton_r", CHECK_REPLACE, 2),
        _ => return None,
    };
    if args.iter().any(|a| matches!(a, AstNode::Placeholder)) {
        return None;
    }
    let name = name.clone();
    let values = std::mem::take(args);
    let vars: Vec<String> = (0..values.len()).map(|i| format!("{prefix}{i}")).collect();
    let mut block: Vec<AstNode> = values
        .into_iter()
        .zip(&vars)
        .map(|(value, var)| AstNode::Binary {
            op: BinaryOp::ColonEqual,
            lhs: Box::new(AstNode::Variable(var.clone())),
            rhs: Box::new(value),
        })
        .collect();
    let mut call_args: Vec<AstNode> = vars.iter().map(|v| AstNode::Variable(v.clone())).collect();
    call_args[checked] = AstNode::Function {
        name: check.to_string(),
        args: vars.iter().map(|v| AstNode::Variable(v.clone())).collect(),
        is_builtin: true,
    };
    block.push(AstNode::Function {
        name,
        args: call_args,
        is_builtin: true,
    });
    Some(AstNode::Block(block))
}

type HostResult = Result<JValue, EvaluatorError>;

fn refuse(function: &str, bytes: usize) -> EvaluatorError {
    EvaluatorError::EvaluationError(too_long(function, bytes))
}

/// `__baton_check_join(array, separator)`: the separator, unless joining would build a string
/// over the bound.
pub fn check_join(args: &[JValue]) -> HostResult {
    let separator = args.get(1).cloned().unwrap_or(JValue::Undefined);
    let (Some(JValue::Array(items)), JValue::String(sep)) = (args.first(), &separator) else {
        return Ok(separator);
    };
    let mut bytes = sep.len().saturating_mul(items.len().saturating_sub(1));
    for item in items.iter() {
        if let JValue::String(s) = item {
            bytes = bytes.saturating_add(s.len());
        }
    }
    if bytes > MAX_STRING_BYTES {
        return Err(refuse("$join", bytes));
    }
    Ok(separator)
}

/// `__baton_check_replace(str, pattern, replacement, limit)`: the replacement, unless the
/// replacements could build a string over the bound: exactly, for a plain pattern; for a
/// regex, each match adds at most the replacement's length times the match's (a `$0` or `$n`
/// in it stands for at most the match).
pub fn check_replace(args: &[JValue]) -> HostResult {
    let replacement = args.get(2).cloned().unwrap_or(JValue::Undefined);
    let (Some(JValue::String(s)), Some(pattern), JValue::String(r)) =
        (args.first(), args.get(1), &replacement)
    else {
        return Ok(replacement);
    };
    let limit = match args.get(3) {
        Some(JValue::Number(n)) if *n >= 0.0 => Some(*n as usize),
        _ => None,
    };
    let per_match = |matched: usize| r.len().saturating_mul(matched.max(1));
    let mut bytes = s.len();
    let mut count = 0usize;
    if let Some((pat, flags)) = extract_regex(pattern) {
        let Ok(re) = build_regex(&pat, &flags) else {
            return Ok(replacement);
        };
        let mut matches = RegexMatches::new(&re, s);
        while limit.is_none_or(|l| count < l) {
            match matches.next_match() {
                Ok(Some(found)) => {
                    bytes = bytes.saturating_add(per_match(found.text.len()));
                    count += 1;
                }
                // The built-in reports its own errors (D1004, …) when it runs.
                Ok(None) | Err(_) => break,
            }
            if bytes > MAX_STRING_BYTES {
                return Err(refuse("$replace", bytes));
            }
        }
    } else if let JValue::String(p) = pattern {
        if p.is_empty() {
            return Ok(replacement);
        }
        // Exact for a plain pattern: each match's text is swapped for the replacement.
        for _ in s.matches(&**p) {
            if limit.is_some_and(|l| count >= l) {
                break;
            }
            bytes = bytes.saturating_add(r.len()).saturating_sub(p.len());
            count += 1;
            if bytes > MAX_STRING_BYTES {
                return Err(refuse("$replace", bytes));
            }
        }
    }
    Ok(replacement)
}
