//! What a parsed expression refers to: the `$names` it reads or calls (and, for a variable only
//! ever read through paths such as `$name.a.b`, which parts of it), whether it draws random
//! values or reads the clock, and whether it uses syntax newer than the JSONata AWS runs.

use std::collections::BTreeMap;

use jsonata_core::ast::{AstNode, BinaryOp, PathStep, Stage, UnaryOp};

use crate::jsonata::engine::JsonataError;

/// How much of a bound value an expression can reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// The whole value.
    Whole,
    /// Only these members of an object (of each object in an array, as a path step maps over
    /// arrays), each to its own reach: every use goes through named steps such as `$name.a.b`.
    Members(BTreeMap<String, Reach>),
}

impl Reach {
    /// What the named steps `chain` reach: the last one whole.
    fn along(chain: &[&str]) -> Reach {
        chain.iter().rev().fold(Reach::Whole, |inner, step| {
            Reach::Members(BTreeMap::from([(step.to_string(), inner)]))
        })
    }

    fn widen(&mut self, other: &Reach) {
        match (&mut *self, other) {
            (Reach::Whole, _) => {}
            (_, Reach::Whole) => *self = Reach::Whole,
            (Reach::Members(mine), Reach::Members(theirs)) => {
                for (k, reach) in theirs {
                    match mine.get_mut(k) {
                        Some(m) => m.widen(reach),
                        None => {
                            mine.insert(k.clone(), reach.clone());
                        }
                    }
                }
            }
        }
    }
}

/// What one or more expressions need bound before they run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// Every name used as `$name` or called as `$name(…)`, with how much of it is reached.
    pub names: BTreeMap<String, Reach>,
    /// Calls `$random`, `$uuid` or `$shuffle`.
    pub random: bool,
    /// Calls `$now` or `$millis`.
    pub clock: bool,
    /// The function called, when the expression makes exactly one call and names it.
    pub sole_call: Option<String>,
    /// `$pad` may be given a width that is not a literal within [`MAX_STRING_BYTES`]: it is
    /// called with a computed width or passed as a value. Only then is it replaced by the
    /// bounded version (which, as every host function, cannot take its string from the
    /// context as `"abc".$pad(5)` does).
    ///
    /// [`MAX_STRING_BYTES`]: crate::budget::MAX_STRING_BYTES
    pub wide_pad: bool,
    /// Some `$join` or `$replace` call was rewritten to check its size first (`guard`), so
    /// the session needs the check functions.
    pub guarded: bool,
    /// Some built-in call or `&` was rewritten to jsonata-js 2.0.6's version (`compat`), so
    /// the session needs those functions.
    pub compat: bool,
}

impl Needs {
    pub fn widen(&mut self, other: &Needs) {
        for (name, reach) in &other.names {
            match self.names.get_mut(name) {
                Some(mine) => mine.widen(reach),
                None => {
                    self.names.insert(name.clone(), reach.clone());
                }
            }
        }
        self.random |= other.random;
        self.clock |= other.clock;
        self.wide_pad |= other.wide_pad;
        self.guarded |= other.guarded;
        self.compat |= other.compat;
        self.sole_call = None;
    }

    pub fn names_any(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.names.contains_key(*n))
    }

    fn note(&mut self, name: &str, reach: Reach) {
        if name.is_empty() {
            return;
        }
        match self.names.get_mut(name) {
            Some(mine) => mine.widen(&reach),
            None => {
                self.names.insert(name.to_string(), reach);
            }
        }
    }
}

/// Walks `root` without recursion (an expression may nest as deep as the parser allows).
/// Fails on the `??` and `?:` operators, which JSONata 2.0.6 does not have: there, the second
/// symbol cannot start an expression.
pub fn analyze(root: &AstNode) -> Result<Needs, JsonataError> {
    let mut needs = Needs::default();
    let mut stack: Vec<&AstNode> = vec![root];
    let mut steps: Vec<&PathStep> = Vec::new();
    let mut calls: Vec<Option<&str>> = Vec::new();
    while let Some(node) = stack.pop() {
        match node {
            AstNode::Variable(name) => {
                needs.wide_pad |= name == "pad";
                needs.note(name, Reach::Whole);
            }
            AstNode::Function {
                name,
                args,
                is_builtin,
            } => {
                if *is_builtin {
                    needs.note(name, Reach::Whole);
                    if name == "pad" {
                        let bounded = args
                            .get(1)
                            .and_then(literal_number)
                            .is_some_and(|w| w.abs() <= crate::budget::MAX_STRING_BYTES as f64);
                        needs.wide_pad |= !bounded;
                    }
                }
                calls.push(is_builtin.then_some(name.as_str()));
                stack.extend(args.iter());
            }
            AstNode::Path { steps: path } => {
                let rest = match member_access(path) {
                    Some((name, chain)) => {
                        needs.note(name, Reach::along(&chain));
                        path.get(1..).unwrap_or_default()
                    }
                    None => path.as_slice(),
                };
                steps.extend(rest.iter());
            }
            AstNode::Binary { op, lhs, rhs } => {
                match op {
                    BinaryOp::Coalesce => return Err(newer_operator("?")),
                    BinaryOp::Default => return Err(newer_operator(":")),
                    _ => {}
                }
                stack.push(lhs);
                stack.push(rhs);
            }
            AstNode::Unary { operand, .. } => stack.push(operand),
            AstNode::Call { procedure, args } => {
                calls.push(None);
                stack.push(procedure);
                stack.extend(args.iter());
            }
            AstNode::Lambda { body, .. } => stack.push(body),
            AstNode::Array(items) | AstNode::Block(items) | AstNode::ArrayGroup(items) => {
                stack.extend(items.iter());
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
            AstNode::String(_)
            | AstNode::Name(_)
            | AstNode::Number(_)
            | AstNode::Boolean(_)
            | AstNode::Null
            | AstNode::Undefined
            | AstNode::Placeholder
            | AstNode::Regex { .. }
            | AstNode::ParentVariable(_)
            | AstNode::Wildcard
            | AstNode::Descendant
            | AstNode::Parent(_) => {}
        }
        // Path steps are drained here so that their nodes join the same work list.
        while let Some(step) = steps.pop() {
            stack.push(&step.node);
            for stage in &step.stages {
                if let Stage::Filter(f) = stage {
                    stack.push(f);
                }
            }
        }
    }
    if let [Some(name)] = calls.as_slice() {
        needs.sole_call = Some(name.to_string());
    }
    needs.random = needs.names_any(&["random", "uuid", "shuffle"]);
    // `$toMillis` with a picture reads the time for what the picture leaves out.
    needs.clock = needs.names_any(&["now", "millis", "toMillis"]);
    Ok(needs)
}

/// `$name.a.b…` with nothing attached to the `$name` step: the variable and the run of named
/// steps after it, up to and including the first one with a predicate or sort (whose value is
/// then reached whole). `None` when the path keeps ancestors or positions (`%`, `@`, `#`),
/// which can see more of the value than the named steps do.
fn member_access(path: &[PathStep]) -> Option<(&str, Vec<&str>)> {
    let [head, rest @ ..] = path else { return None };
    let AstNode::Variable(name) = &head.node else {
        return None;
    };
    let keeps_context = path.iter().any(|s| {
        s.focus.is_some()
            || s.index_var.is_some()
            || s.ancestor_label.is_some()
            || s.is_tuple
            || s.inner_tuple
            || matches!(s.node, AstNode::Parent(_))
    });
    if name.is_empty() || !head.stages.is_empty() || keeps_context {
        return None;
    }
    let mut chain = Vec::new();
    for step in rest {
        let AstNode::Name(member) = &step.node else {
            break;
        };
        chain.push(member.as_str());
        if !step.stages.is_empty() {
            break;
        }
    }
    (!chain.is_empty()).then_some((name.as_str(), chain))
}

/// The value of a number literal, negated or not.
fn literal_number(mut node: &AstNode) -> Option<f64> {
    let mut sign = 1.0;
    loop {
        match node {
            AstNode::Number(n) => return Some(sign * n),
            AstNode::Unary {
                op: UnaryOp::Negate,
                operand,
            } => {
                sign = -sign;
                node = operand;
            }
            _ => return None,
        }
    }
}

fn newer_operator(symbol: &str) -> JsonataError {
    JsonataError::new(
        Some("S0211"),
        format!("The symbol \"{symbol}\" cannot be used as a unary operator"),
    )
}
