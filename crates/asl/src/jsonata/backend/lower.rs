//! From jsonata-core's parse tree to the direct evaluator's form ([`crate::jsonata::direct`]):
//! only the node kinds that evaluator runs, each exactly as parsed; anything else leaves the
//! expression to the full evaluator.

use jsonata_core::ast::{AstNode, BinaryOp, PathStep, UnaryOp};

use crate::jsonata::direct::{Arith, Compare, Expr, Func};

/// Deepest parse tree lowered.
const MAX_DEPTH: usize = 32;

/// The expression in the direct evaluator's form, when it has one.
pub fn lower(node: &AstNode) -> Option<Expr> {
    lower_at(node, 0)
}

fn lower_at(node: &AstNode, depth: usize) -> Option<Expr> {
    if depth > MAX_DEPTH {
        return None;
    }
    let sub = |n: &AstNode| lower_at(n, depth + 1).map(Box::new);
    Some(match node {
        AstNode::Number(n) if n.is_finite() => Expr::Number(*n),
        AstNode::String(s) => Expr::String(s.clone()),
        AstNode::Boolean(b) => Expr::Bool(*b),
        AstNode::Null => Expr::Null,
        AstNode::Variable(name) if !name.is_empty() => Expr::Var(name.clone()),
        AstNode::Path { steps } => path(steps)?,
        AstNode::Binary { op, lhs, rhs } => {
            let (l, r) = (sub(lhs)?, sub(rhs)?);
            match op {
                BinaryOp::Add => Expr::Arith(Arith::Add, l, r),
                BinaryOp::Subtract => Expr::Arith(Arith::Subtract, l, r),
                BinaryOp::Multiply => Expr::Arith(Arith::Multiply, l, r),
                BinaryOp::Divide => Expr::Arith(Arith::Divide, l, r),
                BinaryOp::Modulo => Expr::Arith(Arith::Modulo, l, r),
                BinaryOp::Equal => Expr::Equal(false, l, r),
                BinaryOp::NotEqual => Expr::Equal(true, l, r),
                BinaryOp::LessThan => Expr::Compare(Compare::Less, l, r),
                BinaryOp::LessThanOrEqual => Expr::Compare(Compare::LessOrEqual, l, r),
                BinaryOp::GreaterThan => Expr::Compare(Compare::Greater, l, r),
                BinaryOp::GreaterThanOrEqual => Expr::Compare(Compare::GreaterOrEqual, l, r),
                BinaryOp::And => Expr::And(l, r),
                BinaryOp::Or => Expr::Or(l, r),
                BinaryOp::Concatenate => Expr::Concat(l, r),
                _ => return None,
            }
        }
        AstNode::Unary {
            op: UnaryOp::Negate,
            operand,
        } => Expr::Negate(sub(operand)?),
        AstNode::Function {
            name,
            args,
            is_builtin: true,
        } => {
            let f = Func::named(name)?;
            let args = args
                .iter()
                .map(|a| lower_at(a, depth + 1))
                .collect::<Option<Vec<_>>>()?;
            Expr::Call(f, args)
        }
        AstNode::Conditional {
            condition,
            then_branch,
            else_branch,
        } => Expr::Conditional(
            sub(condition)?,
            sub(then_branch)?,
            match else_branch {
                Some(e) => Some(sub(e)?),
                None => None,
            },
        ),
        AstNode::Block(items) => match items.as_slice() {
            [one] => lower_at(one, depth + 1)?,
            _ => return None,
        },
        AstNode::Array(items) => Expr::Array(
            items
                .iter()
                .map(|i| Some((lower_at(i, depth + 1)?, matches!(i, AstNode::Array(_)))))
                .collect::<Option<Vec<_>>>()?,
        ),
        AstNode::Object(pairs) => {
            let mut members: Vec<(String, Expr)> = Vec::with_capacity(pairs.len());
            for (k, v) in pairs {
                let AstNode::String(key) = k else {
                    return None;
                };
                // The same key twice is an error (D1009), the evaluator's to report.
                if members.iter().any(|(m, _)| m == key) {
                    return None;
                }
                members.push((key.clone(), lower_at(v, depth + 1)?));
            }
            Expr::Object(members)
        }
        _ => return None,
    })
}

/// `$name.a.b…`: a variable step, then named steps, none with a predicate, sort, binding or
/// ancestor reference.
fn path(steps: &[PathStep]) -> Option<Expr> {
    let plain = |s: &PathStep| {
        s.stages.is_empty()
            && s.focus.is_none()
            && s.index_var.is_none()
            && s.ancestor_label.is_none()
            && !s.is_tuple
            && !s.inner_tuple
    };
    let [head, rest @ ..] = steps else {
        return None;
    };
    let AstNode::Variable(name) = &head.node else {
        return None;
    };
    if name.is_empty() || rest.is_empty() || !steps.iter().all(plain) {
        return None;
    }
    let names = rest
        .iter()
        .map(|s| match &s.node {
            AstNode::Name(n) => Some(n.clone()),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Expr::Path(name.clone(), names))
}
