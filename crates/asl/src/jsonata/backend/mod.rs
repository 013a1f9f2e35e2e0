//! [`JsonataEvaluator`] on jsonata-core: the only place Baton names that crate. A session
//! converts each variable its expressions name once (only the parts their paths reach, when
//! they only ever read it through paths such as `$name.a.b`), binds them on one tree-walking
//! evaluator (bindings and host functions need the tree-walker) with AWS's functions, and
//! evaluates every expression there.

mod analyze;
mod convert;
mod functions;
pub(crate) mod messages;
mod signature;

use std::cell::RefCell;
use std::rc::Rc;

use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{Context, Evaluator, EvaluatorError, EvaluatorOptions};
use jsonata_core::parser::{self, ParserError};
use jsonata_core::value::JValue;

pub use analyze::Needs;

use super::engine::{EvalSession, Evaluated, JsonataError, JsonataEvaluator, Scope};
use crate::vars::{Entropy, SeededEntropy};

/// jsonata-core behind Baton's seam.
#[derive(Debug, Clone, Copy, Default)]
pub struct CoreEvaluator;

/// A parsed expression and what it needs.
#[derive(Debug)]
pub struct CoreCompiled {
    ast: AstNode,
    needs: Needs,
}

/// One evaluator with the session's bindings and functions.
pub struct CoreSession<'s> {
    evaluator: Evaluator,
    input: JValue,
    entropy: &'s mut dyn Entropy,
    rng: Rc<RefCell<Option<SeededEntropy>>>,
}

impl JsonataEvaluator for CoreEvaluator {
    type Compiled = CoreCompiled;
    type Needs = Needs;
    type Session<'s> = CoreSession<'s>;

    fn compile(source: &str) -> Result<CoreCompiled, JsonataError> {
        let ast = parser::parse(source).map_err(|e| match e {
            // The one parse error jsonata-core reports without its code.
            ParserError::UnclosedComment => messages::normalize("S0106: ", None),
            e => messages::normalize(&e.to_string(), None),
        })?;
        let needs = analyze::analyze(&ast)?;
        Ok(CoreCompiled { ast, needs })
    }

    fn needs(compiled: &CoreCompiled) -> &Needs {
        &compiled.needs
    }

    fn add_needs(into: &mut Needs, more: &Needs) {
        into.widen(more);
    }

    fn session<'s>(needs: &Needs, scope: Scope<'_, 's>) -> Result<CoreSession<'s>, JsonataError> {
        let mut ctx = Context::new();
        for (name, reach) in &needs.names {
            match scope.vars.get_var(name) {
                Some(value) => {
                    let bound = convert::to_jvalue_reach(value, reach)?;
                    ctx.bind(name.clone(), bound);
                }
                // AWS removed `$eval`: the name is unbound, so calling it is T1006.
                None if name == "eval" => ctx.bind(name.clone(), JValue::Undefined),
                None => {}
            }
        }
        let options = EvaluatorOptions {
            timeout_ms: scope.limits.timeout_ms,
            max_stack_depth: scope.limits.max_depth,
            ..EvaluatorOptions::default()
        };
        let mut evaluator = Evaluator::with_options(ctx, options);
        let rng = Rc::new(RefCell::new(None));
        let shared = functions::Shared {
            rng: Rc::clone(&rng),
            now_millis: scope.now_millis.unwrap_or(0),
        };
        functions::register(&mut evaluator, needs, &shared)
            .map_err(|message| JsonataError::new(None, message))?;
        let input = match scope.input {
            Some(value) => convert::to_jvalue(value)?,
            None => JValue::Undefined,
        };
        Ok(CoreSession {
            evaluator,
            input,
            entropy: scope.entropy,
            rng,
        })
    }
}

impl EvalSession for CoreSession<'_> {
    type Compiled = CoreCompiled;

    fn eval(&mut self, expr: &CoreCompiled) -> Result<Evaluated, JsonataError> {
        if expr.needs.random && self.rng.borrow().is_none() {
            // One draw seeds everything random in the session, and only sessions that use
            // randomness draw at all.
            let seed = self.entropy.next_u64();
            *self.rng.borrow_mut() = Some(SeededEntropy::new(seed));
        }
        let result =
            self.evaluator
                .evaluate(&expr.ast, &self.input)
                .map_err(|e: EvaluatorError| {
                    messages::normalize(e.message(), expr.needs.sole_call.as_deref())
                })?;
        convert::from_jvalue(&result)
    }
}
