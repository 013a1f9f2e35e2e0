//! The seam between Baton and a JSONata implementation: compiling an expression once, and
//! evaluating compiled expressions in a session that holds the bindings they share. Nothing
//! outside `jsonata::backend` knows which implementation sits behind it.

use std::fmt;

use serde_json::Value;

use crate::vars::{Entropy, Vars};

/// The JSONata implementation Baton runs. Swapping it means implementing [`JsonataEvaluator`]
/// for another type and changing this alias.
pub type Engine = super::backend::CoreEvaluator;

/// A compiled expression of the [`Engine`].
pub type Compiled = <Engine as JsonataEvaluator>::Compiled;

/// What a set of compiled expressions needs bound before any of them runs.
pub type Needs = <Engine as JsonataEvaluator>::Needs;

/// A JSONata error as jsonata-js reports it: its code (`T1006`, `S0201`, …) when it has one,
/// and its message with the inserts filled in, as jsonata-js 2.0.6 words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonataError {
    pub code: Option<String>,
    pub message: String,
}

impl JsonataError {
    pub fn new(code: Option<&str>, message: impl Into<String>) -> JsonataError {
        JsonataError {
            code: code.map(str::to_string),
            message: message.into(),
        }
    }
}

/// `T1006: Attempted to invoke a non-function`: the code, a colon, the message, which is how
/// AWS appends an evaluation error to its cause.
impl fmt::Display for JsonataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for JsonataError {}

/// What an expression produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Evaluated {
    Value(Value),
    /// Nothing: JSONata's `undefined`.
    Undefined,
    /// A function (a lambda, a built-in or a regex), which has no JSON form.
    Function,
}

/// Guards on one evaluation. AWS documents none; the JSONata test suite asks for some.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock budget in milliseconds.
    pub timeout_ms: Option<u64>,
    /// Deepest nesting of evaluation steps.
    pub max_depth: Option<usize>,
}

/// Everything a session's expressions can see. A session takes what it needs from `input` and
/// `vars` when it is made; only the entropy stays borrowed for the session's life.
pub struct Scope<'v, 's> {
    /// The context value `$` (JSONata's input). ASL fields have none: `None`.
    pub input: Option<&'v Value>,
    /// `$states`, which comes before any variable of that name.
    pub states: Option<super::States<'v>>,
    /// The variables, looked up by name without the `$`.
    pub vars: &'v dyn Vars,
    /// Where `$random()`, `$uuid()` and `$shuffle()` draw from.
    pub entropy: &'s mut dyn Entropy,
    /// What `$now()` and `$millis()` report, in milliseconds since the Unix epoch. The
    /// language layer reads no clock; `None` stands for the epoch itself.
    pub now_millis: Option<i64>,
    pub limits: Limits,
}

/// A JSONata implementation.
pub trait JsonataEvaluator {
    /// A parsed expression, made once and evaluated any number of times.
    type Compiled: Send + Sync + fmt::Debug;
    /// What compiled expressions need from a session: the variables they name, and the like.
    type Needs: Default + Clone + Send + Sync + fmt::Debug;
    /// Bindings made once and shared by every expression evaluated in it.
    type Session<'s>: EvalSession<Compiled = Self::Compiled>;

    /// Parses `source`, the text of an expression without its `{% %}`.
    fn compile(source: &str) -> Result<Self::Compiled, JsonataError>;

    /// What `compiled` needs from a session.
    fn needs(compiled: &Self::Compiled) -> &Self::Needs;

    /// `compiled` in the form the direct evaluator runs without a session, when it has one.
    fn direct(compiled: &Self::Compiled) -> Option<&super::direct::Expr>;

    /// True when expressions with these needs may read `$states.context` (or the clock,
    /// which is the context's entered time).
    fn reads_context(needs: &Self::Needs) -> bool;

    /// Widens `into` to cover `more` as well.
    fn add_needs(into: &mut Self::Needs, more: &Self::Needs);

    /// A session for expressions whose needs `needs` covers.
    fn session<'s>(
        needs: &Self::Needs,
        scope: Scope<'_, 's>,
    ) -> Result<Self::Session<'s>, JsonataError>;
}

/// Evaluates compiled expressions against one set of bindings.
pub trait EvalSession {
    type Compiled;

    /// Evaluates `expr`, which must be covered by the needs the session was made for (a name
    /// it did not announce is simply unbound).
    fn eval(&mut self, expr: &Self::Compiled) -> Result<Evaluated, JsonataError>;
}
