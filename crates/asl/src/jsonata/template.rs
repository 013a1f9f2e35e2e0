//! JSON values with `{% %}` expressions inside: compiled once when the definition is read, and
//! evaluated by walking the value, every expression of one evaluation sharing one session (so
//! `$states` and the variables are converted once, not once per expression).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::cause::{self, JsonType};
use super::engine::{
    Compiled, Engine, EvalSession, Evaluated, JsonataError, JsonataEvaluator, Limits, Needs, Scope,
};
use super::{expression_text, JsonataEnv};
use crate::error::Failure;
use crate::vars::{Entropy, Vars};

/// Deepest template `parse` accepts.
pub const MAX_TEMPLATE_DEPTH: usize = 512;

/// One `{% %}` expression, compiled.
#[derive(Debug)]
pub struct JsonataExpr {
    text: String,
    compiled: Compiled,
}

impl JsonataExpr {
    /// Compiles `s`, which must be a `{% … %}` string. The error is the syntax error's text.
    pub fn parse(s: &str) -> Result<JsonataExpr, String> {
        let text = expression_text(s).ok_or_else(|| {
            format!("'{s}' is not a JSONata expression: it must be enclosed in {{% %}}")
        })?;
        let compiled = Engine::compile(text).map_err(|e| e.to_string())?;
        Ok(JsonataExpr {
            text: text.to_string(),
            compiled,
        })
    }

    /// The expression without its `{% %}`, as AWS quotes it in causes.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Evaluates the expression; a function result or nothing at all is an error.
    pub fn eval(
        &self,
        field: &str,
        env: &JsonataEnv<'_>,
        entropy: &mut dyn Entropy,
    ) -> Result<Value, Failure> {
        let needs = Engine::needs(&self.compiled);
        let mut session =
            open(needs, env, entropy).map_err(|e| cause::threw(&self.text, field, &e))?;
        self.eval_at(&mut session, field, &[])
    }

    /// Evaluates the expression and checks that the result is of type `expected` (Map
    /// `Items` is an array, a Choice `Condition` a boolean, …).
    pub fn eval_as(
        &self,
        field: &str,
        expected: JsonType,
        env: &JsonataEnv<'_>,
        entropy: &mut dyn Entropy,
    ) -> Result<Value, Failure> {
        let value = self.eval(field, env, entropy)?;
        self.check_type(field, expected, value)
    }

    fn check_type(&self, field: &str, expected: JsonType, value: Value) -> Result<Value, Failure> {
        if expected.admits(&value) {
            Ok(value)
        } else {
            Err(cause::unexpected_type(&self.text, field, expected, &value))
        }
    }

    /// Evaluates in `session`; a cause names the field as `field/at…` (spelled out only then).
    fn eval_at(
        &self,
        session: &mut <Engine as JsonataEvaluator>::Session<'_>,
        field: &str,
        at: &[Step<'_>],
    ) -> Result<Value, Failure> {
        let outcome = session.eval(&self.compiled);
        if let Ok(Evaluated::Value(v)) = outcome {
            return Ok(v);
        }
        let field = spell(field, at);
        Err(match outcome {
            Ok(Evaluated::Function) => cause::unsupported_type(&self.text, &field),
            Err(e) => cause::threw(&self.text, &field, &e),
            _ => cause::returned_nothing(&self.text, &field),
        })
    }
}

#[derive(Debug, Clone)]
enum Node {
    /// A part with no expression in it, returned as it is.
    Literal(Value),
    Expr(Arc<JsonataExpr>),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

/// A value that may hold `{% expr %}` strings anywhere inside it, compiled once.
#[derive(Debug, Clone)]
pub struct JsonataTemplate {
    source: Value,
    root: Node,
    needs: Arc<Needs>,
}

impl JsonataTemplate {
    /// Compiles every `{% %}` string inside `source`. The error is the syntax error's text.
    pub fn parse(source: &Value) -> Result<JsonataTemplate, String> {
        let mut needs = Needs::default();
        let root = build(source, &mut needs, 0)?;
        Ok(JsonataTemplate {
            source: source.clone(),
            root,
            needs: Arc::new(needs),
        })
    }

    pub fn source(&self) -> &Value {
        &self.source
    }

    /// The expression, when the whole template is one `{% %}` string.
    pub fn expression(&self) -> Option<&JsonataExpr> {
        match &self.root {
            Node::Expr(e) => Some(e),
            _ => None,
        }
    }

    /// True when the template holds no expression at all.
    pub fn is_literal(&self) -> bool {
        matches!(self.root, Node::Literal(_))
    }

    /// Evaluates the template. `field` is the field's name as AWS names it in causes
    /// (`Output`, `Arguments`, `Assign`, `Items`, …); nested members extend it with `/key`
    /// (and array items with `/index`).
    pub fn eval(
        &self,
        field: &str,
        env: &JsonataEnv<'_>,
        entropy: &mut dyn Entropy,
    ) -> Result<Value, Failure> {
        if let Node::Literal(v) = &self.root {
            return Ok(v.clone());
        }
        let mut session = open(&self.needs, env, entropy).map_err(|e| {
            // Blamed on the first expression, which is the first that could not have run.
            let (text, at) = first_expr(&self.root).unwrap_or(("", String::new()));
            cause::threw(text, &format!("{field}{at}"), &e)
        })?;
        walk(&self.root, &mut session, field, &mut Vec::new())
    }

    /// Evaluates several templates against the same bindings (a state's `Assign` and
    /// `Output`, which both see the state's `$states` and the variables as they were before
    /// it), converting each variable they name once for all of them. The first failure, in
    /// order, is returned.
    pub fn eval_all(
        templates: &[(&JsonataTemplate, &str)],
        env: &JsonataEnv<'_>,
        entropy: &mut dyn Entropy,
    ) -> Result<Vec<Value>, Failure> {
        let mut needs = Needs::default();
        for (t, _) in templates {
            Engine::add_needs(&mut needs, &t.needs);
        }
        let active = templates.iter().find(|(t, _)| !t.is_literal());
        let Some((first, field)) = active else {
            return Ok(templates.iter().map(|(t, _)| t.source.clone()).collect());
        };
        let mut session = open(&needs, env, entropy).map_err(|e| {
            let (text, at) = first_expr(&first.root).unwrap_or(("", String::new()));
            cause::threw(text, &format!("{field}{at}"), &e)
        })?;
        let mut at = Vec::new();
        templates
            .iter()
            .map(|(t, field)| walk(&t.root, &mut session, field, &mut at))
            .collect()
    }

    /// Evaluates the template and, when it is a single expression, checks that the result is
    /// of type `expected` with AWS's message. A literal template is returned as written: the
    /// definition's validation has already checked its type.
    pub fn eval_as(
        &self,
        field: &str,
        expected: JsonType,
        env: &JsonataEnv<'_>,
        entropy: &mut dyn Entropy,
    ) -> Result<Value, Failure> {
        let value = self.eval(field, env, entropy)?;
        match &self.root {
            Node::Expr(e) => e.check_type(field, expected, value),
            _ => Ok(value),
        }
    }
}

fn build(value: &Value, needs: &mut Needs, depth: usize) -> Result<Node, String> {
    if depth > MAX_TEMPLATE_DEPTH {
        return Err(format!(
            "The value is nested more than {MAX_TEMPLATE_DEPTH} levels deep"
        ));
    }
    let node = match value {
        Value::String(s) if super::is_expression(s) => {
            let expr = JsonataExpr::parse(s)?;
            Engine::add_needs(needs, Engine::needs(&expr.compiled));
            Node::Expr(Arc::new(expr))
        }
        Value::Array(items) => {
            let nodes = items
                .iter()
                .map(|v| build(v, needs, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            if nodes.iter().all(|n| matches!(n, Node::Literal(_))) {
                Node::Literal(value.clone())
            } else {
                Node::Array(nodes)
            }
        }
        Value::Object(members) => {
            let nodes = members
                .iter()
                .map(|(k, v)| Ok((k.clone(), build(v, needs, depth + 1)?)))
                .collect::<Result<Vec<_>, String>>()?;
            if nodes.iter().all(|(_, n)| matches!(n, Node::Literal(_))) {
                Node::Literal(value.clone())
            } else {
                Node::Object(nodes)
            }
        }
        other => Node::Literal(other.clone()),
    };
    Ok(node)
}

/// The first expression in walk order and its path below the field, for a cause raised before
/// any expression runs.
fn first_expr(node: &Node) -> Option<(&str, String)> {
    match node {
        Node::Literal(_) => None,
        Node::Expr(e) => Some((e.text(), String::new())),
        Node::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, n)| first_expr(n).map(|(t, at)| (t, format!("/{i}{at}")))),
        Node::Object(members) => members
            .iter()
            .find_map(|(k, n)| first_expr(n).map(|(t, at)| (t, format!("/{k}{at}")))),
    }
}

/// One step below a field: a member's key or an item's index.
#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// `field/key/index…`, as AWS names a nested place in causes.
fn spell(field: &str, at: &[Step<'_>]) -> String {
    let mut out = field.to_string();
    for step in at {
        match step {
            Step::Key(k) => {
                out.push('/');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("/{i}")),
        }
    }
    out
}

fn walk<'t>(
    node: &'t Node,
    session: &mut <Engine as JsonataEvaluator>::Session<'_>,
    field: &str,
    at: &mut Vec<Step<'t>>,
) -> Result<Value, Failure> {
    match node {
        Node::Literal(v) => Ok(v.clone()),
        Node::Expr(e) => e.eval_at(session, field, at),
        Node::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                at.push(Step::Index(i));
                let v = walk(item, session, field, at);
                at.pop();
                out.push(v?);
            }
            Ok(Value::Array(out))
        }
        Node::Object(members) => {
            let mut out = Map::with_capacity(members.len());
            for (k, n) in members {
                let v = match n {
                    Node::Literal(v) => v.clone(),
                    n => {
                        at.push(Step::Key(k));
                        let v = walk(n, session, field, at);
                        at.pop();
                        v?
                    }
                };
                out.insert(k.clone(), v);
            }
            Ok(Value::Object(out))
        }
    }
}

/// `$states` and the workflow variables, as one set of names.
struct StatesAndVars<'a> {
    states: &'a Value,
    vars: &'a dyn Vars,
}

impl Vars for StatesAndVars<'_> {
    fn get_var(&self, name: &str) -> Option<&Value> {
        if name == "states" {
            Some(self.states)
        } else {
            self.vars.get_var(name)
        }
    }
}

/// The time `$now()` and `$millis()` report: when the state was entered (else when the
/// execution started), from the context object, so that a replay sees the same time.
fn state_time(states: &Value) -> Option<i64> {
    let context = states.get("context")?;
    let stamp = context
        .pointer("/State/EnteredTime")
        .and_then(Value::as_str)
        .or_else(|| {
            context
                .pointer("/Execution/StartTime")
                .and_then(Value::as_str)
        })?;
    chrono::DateTime::parse_from_rfc3339(stamp)
        .ok()
        .map(|t| t.timestamp_millis())
}

fn open<'s>(
    needs: &Needs,
    env: &JsonataEnv<'_>,
    entropy: &'s mut dyn Entropy,
) -> Result<<Engine as JsonataEvaluator>::Session<'s>, JsonataError> {
    let now_millis = if needs.clock {
        state_time(env.states)
    } else {
        None
    };
    let vars = StatesAndVars {
        states: env.states,
        vars: env.vars,
    };
    let scope = Scope {
        input: None,
        vars: &vars,
        entropy,
        now_millis,
        limits: Limits::default(),
    };
    Engine::session(needs, scope)
}
