//! JSON values with `{% %}` expressions inside: compiled once when the definition is read, and
//! evaluated by walking the value, every expression of one evaluation sharing one session (so
//! `$states` and the variables are converted once, not once per expression).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::cause::{self, JsonType};
use super::direct::{self, Direct};
use super::engine::{
    Compiled, Engine, EvalSession, Evaluated, JsonataError, JsonataEvaluator, Limits, Needs, Scope,
};
use super::{expression_text, JsonataEnv, States};
use crate::error::Failure;
use crate::vars::Entropy;

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
        let mut lazy = Lazy::new(needs, env, entropy, Blame::Expr(self, field));
        self.eval_at(&mut lazy, field, &[])
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
        lazy: &mut Lazy<'_, '_>,
        field: &str,
        at: &[Step<'_>],
    ) -> Result<Value, Failure> {
        let direct = Engine::direct(&self.compiled).and_then(|d| direct::eval(d, lazy.env));
        let outcome = match direct {
            Some(Direct::Value(v)) => return Ok(v),
            Some(Direct::Undefined) => Ok(Evaluated::Undefined),
            None => lazy.session()?.eval(&self.compiled),
        };
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
        let mut lazy = Lazy::new(&self.needs, env, entropy, Blame::Node(&self.root, field));
        walk(&self.root, &mut lazy, field, &mut Vec::new())
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
        let mut lazy = Lazy::new(&needs, env, entropy, Blame::Node(&first.root, field));
        let mut at = Vec::new();
        templates
            .iter()
            .map(|(t, field)| walk(&t.root, &mut lazy, field, &mut at))
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
        Value::String(s) if super::is_expression(s) => Node::Expr(expression(s, needs)?),
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

/// Compiles one expression of a template, adding what it needs to `needs`. Kept out of
/// `build`, whose frame is on the stack once per level of nesting.
#[inline(never)]
fn expression(s: &str, needs: &mut Needs) -> Result<Arc<JsonataExpr>, String> {
    let expr = compiled(s)?;
    Engine::add_needs(needs, Engine::needs(&expr.compiled));
    Ok(expr)
}

/// How much expression text the cache of compiled expressions holds before it starts over.
const CACHE_BYTES: usize = 1 << 20;

/// Compiled expressions by their text, shared by every definition: a definition that repeats
/// an expression (a chain of similar states) compiles it once, and validating a definition,
/// building it and analysing its states compile nothing twice. A compiled expression is
/// immutable, so sharing it is sharing its text. Emptied when it passes [`CACHE_BYTES`].
pub(crate) fn compiled(s: &str) -> Result<Arc<JsonataExpr>, String> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    /// The expressions, and the bytes of their texts.
    type Cache = (HashMap<Box<str>, Arc<JsonataExpr>>, usize);
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().ok().and_then(|c| c.0.get(s).cloned()) {
        return Ok(hit);
    }
    // Compiled outside the lock: a long expression does not hold up other threads.
    let expr = Arc::new(JsonataExpr::parse(s)?);
    if let Ok(mut c) = cache.lock() {
        let (map, bytes) = &mut *c;
        if *bytes + s.len() > CACHE_BYTES {
            map.clear();
            *bytes = 0;
        }
        if map.insert(s.into(), Arc::clone(&expr)).is_none() {
            *bytes += s.len();
        }
    }
    Ok(expr)
}

impl JsonataExpr {
    /// True when the expression may read `$states.context` (or the clock).
    pub(crate) fn reads_context(&self) -> bool {
        Engine::reads_context(Engine::needs(&self.compiled))
    }
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
    session: &mut Lazy<'_, '_>,
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

/// Where a session that could not be opened is blamed: the first expression, which is the
/// first that could not have run.
#[derive(Clone, Copy)]
enum Blame<'t> {
    Expr(&'t JsonataExpr, &'t str),
    Node(&'t Node, &'t str),
}

/// One evaluation's evaluator session, opened when the first expression that the direct
/// evaluator declines needs it, and then shared by the rest.
struct Lazy<'e, 's> {
    needs: &'e Needs,
    env: &'e JsonataEnv<'e>,
    entropy: Option<&'s mut dyn Entropy>,
    session: Option<<Engine as JsonataEvaluator>::Session<'s>>,
    blame: Blame<'e>,
}

impl<'e, 's> Lazy<'e, 's> {
    fn new(
        needs: &'e Needs,
        env: &'e JsonataEnv<'e>,
        entropy: &'s mut dyn Entropy,
        blame: Blame<'e>,
    ) -> Lazy<'e, 's> {
        Lazy {
            needs,
            env,
            entropy: Some(entropy),
            session: None,
            blame,
        }
    }

    fn session(&mut self) -> Result<&mut <Engine as JsonataEvaluator>::Session<'s>, Failure> {
        if self.session.is_none() {
            let Some(entropy) = self.entropy.take() else {
                unreachable!("the entropy goes to the one session");
            };
            let opened = open(self.needs, self.env, entropy).map_err(|e| {
                let (text, at) = match self.blame {
                    Blame::Expr(expr, field) => (expr.text(), field.to_string()),
                    Blame::Node(root, field) => {
                        let (text, at) = first_expr(root).unwrap_or(("", String::new()));
                        (text, format!("{field}{at}"))
                    }
                };
                cause::threw(text, &at, &e)
            })?;
            self.session = Some(opened);
        }
        Ok(self.session.as_mut().expect("opened above"))
    }
}

/// The time `$now()` and `$millis()` report: when the state was entered (else when the
/// execution started), from the context object, so that a replay sees the same time.
fn state_time(states: &States<'_>) -> Option<i64> {
    let context = states.context;
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
        state_time(&env.states)
    } else {
        None
    };
    let scope = Scope {
        input: None,
        states: Some(env.states),
        vars: env.vars,
        entropy,
        now_millis,
        limits: Limits::default(),
    };
    Engine::session(needs, scope)
}
