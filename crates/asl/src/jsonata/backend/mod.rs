//! [`JsonataEvaluator`] on jsonata-core: the only place Baton names that crate. A session
//! converts each variable its expressions name once (only the parts their paths reach, when
//! they only ever read it through paths such as `$name.a.b`), binds them on one tree-walking
//! evaluator (bindings and host functions need the tree-walker) with AWS's functions, and
//! evaluates every expression there.

mod analyze;
mod clock;
mod compat;
mod convert;
mod functions;
mod guard;
mod lower;
pub(crate) mod messages;
mod signature;

use std::cell::RefCell;
use std::rc::Rc;

use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{CancelToken, Context, Evaluator, EvaluatorError, EvaluatorOptions};
use jsonata_core::parser::{self, ParserError};
use jsonata_core::value::JValue;

pub use analyze::Needs;
pub(crate) use convert::number;

use crate::budget::{Budget, Exceeded};

/// Runs an evaluation, turning a panic inside jsonata-core (such as the division by zero a
/// `$fromMillis` year of a maximum width of 64 digits reaches) into an evaluation error:
/// no definition may take the process down. The evaluator is not used again after it failed.
fn guarded(
    evaluate: impl FnOnce() -> Result<JValue, EvaluatorError>,
) -> Result<JValue, EvaluatorError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(evaluate))
        .unwrap_or_else(|panic| Err(EvaluatorError::EvaluationError(panicked(panic.as_ref()))))
}

/// What to say of a panic inside jsonata-core.
fn panicked(panic: &(dyn std::any::Any + Send)) -> String {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "an internal error".to_string());
    format!("The JSONata evaluator failed: {what}")
}

/// The error of an evaluation the step's budget stopped.
fn exceeded(why: Exceeded) -> JsonataError {
    crate::budget::note_stopped();
    JsonataError::new(None, why.to_string())
}

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
    /// The same expression for the direct evaluator, when it can run it.
    direct: Option<Box<crate::jsonata::direct::Expr>>,
}

/// One evaluator with the session's bindings and functions.
pub struct CoreSession<'s> {
    evaluator: Evaluator,
    input: JValue,
    entropy: &'s mut dyn Entropy,
    rng: Rc<RefCell<Option<SeededEntropy>>>,
    /// The step's budget, when the session runs under one, and what stops the session's
    /// evaluations when one of them passes its memory budget.
    budget: Option<(Budget, CancelToken)>,
}

thread_local! {
    /// The token of the evaluation running on this thread: the allocator's hook cancels it
    /// when the evaluation passes its memory budget (see [`crate::budget`]).
    static CANCEL: RefCell<Option<CancelToken>> = const { RefCell::new(None) };
}

/// Makes sure the allocator knows whom to tell when an evaluation passes its budget.
fn set_hook() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| baton_alloc::set_trip_hook(cancel_this_thread));
}

/// The allocator's hook: runs inside an allocation, so it allocates nothing and never waits.
fn cancel_this_thread() {
    let _ = CANCEL.try_with(|cell| {
        if let Ok(token) = cell.try_borrow() {
            if let Some(token) = token.as_ref() {
                token.cancel();
            }
        }
    });
}

impl JsonataEvaluator for CoreEvaluator {
    type Compiled = CoreCompiled;
    type Needs = Needs;
    type Session<'s> = CoreSession<'s>;

    fn compile(source: &str) -> Result<CoreCompiled, JsonataError> {
        let parsed = std::panic::catch_unwind(|| parser::parse(source))
            .map_err(|panic| JsonataError::new(None, panicked(panic.as_ref())))?;
        let ast = parsed.map_err(|e| match e {
            // The one parse error jsonata-core reports without its code.
            ParserError::UnclosedComment => messages::normalize("S0106: ", None),
            e => messages::normalize(&e.to_string(), None),
        })?;
        let mut needs = analyze::analyze(&ast)?;
        let direct = lower::lower(&ast).map(Box::new);
        let mut ast = ast;
        needs.guarded = guard::guard(&mut ast);
        needs.compat = compat::rewrite(&mut ast);
        Ok(CoreCompiled { ast, needs, direct })
    }

    fn needs(compiled: &CoreCompiled) -> &Needs {
        &compiled.needs
    }

    fn direct(compiled: &CoreCompiled) -> Option<&crate::jsonata::direct::Expr> {
        compiled.direct.as_deref()
    }

    fn reads_context(needs: &Needs) -> bool {
        needs.clock
            || match needs.names.get("states") {
                None => false,
                Some(analyze::Reach::Whole) => true,
                Some(analyze::Reach::Members(m)) => m.contains_key("context"),
            }
    }

    fn add_needs(into: &mut Needs, more: &Needs) {
        into.widen(more);
    }

    fn session<'s>(needs: &Needs, scope: Scope<'_, 's>) -> Result<CoreSession<'s>, JsonataError> {
        let mut ctx = Context::new();
        for (name, reach) in &needs.names {
            if let (Some(states), "states") = (&scope.states, name.as_str()) {
                ctx.bind(name.clone(), convert::states_to_jvalue(states, reach)?);
                continue;
            }
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
        let budget = crate::budget::current().map(|(budget, left)| {
            set_hook();
            (budget, left, CancelToken::new())
        });
        let mut timeout_ms = scope.limits.timeout_ms;
        let mut cancel = None;
        if let Some((_, left, token)) = &budget {
            let left = u64::try_from(left.as_millis()).unwrap_or(u64::MAX);
            timeout_ms = Some(timeout_ms.map_or(left, |t| t.min(left)));
            cancel = Some(token.clone());
        }
        let options = EvaluatorOptions {
            timeout_ms,
            max_stack_depth: scope.limits.max_depth,
            cancel,
            max_sequence_length: Some(crate::budget::MAX_SEQUENCE),
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
            budget: budget.map(|(b, _, token)| (b, token)),
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
        let normalize =
            |e: EvaluatorError| messages::normalize(e.message(), expr.needs.sole_call.as_deref());
        let Some((budget, token)) = &self.budget else {
            let result = guarded(|| self.evaluator.evaluate(&expr.ast, &self.input));
            return convert::from_jvalue(&result.map_err(normalize)?);
        };
        // A step that spent its time already fails at once, whatever it evaluates next.
        if crate::budget::current().is_some_and(|(_, left)| left.is_zero()) {
            return Err(exceeded(Exceeded::Time(budget.time)));
        }
        let outer = CANCEL.with(|c| c.replace(Some(token.clone())));
        let memory = baton_alloc::Scope::enter(budget.memory_bytes);
        let result = guarded(|| self.evaluator.evaluate(&expr.ast, &self.input));
        // The result's JSON is built within the budget too: a value the result holds many
        // times is shared inside the evaluator, and copied only here.
        let converted = result.as_ref().ok().map(convert::from_jvalue);
        // A builtin may finish its result after the budget was passed; only the evaluation's
        // end shows it.
        let spent = baton_alloc::spent() || token.is_cancelled();
        drop(memory);
        drop(CANCEL.with(|c| c.replace(outer)));
        if spent {
            drop(converted);
            drop(result);
            return Err(exceeded(Exceeded::Memory(budget.memory_bytes)));
        }
        match (result, converted) {
            (Ok(_), Some(converted)) => converted,
            (Err(e), _) if e.message().starts_with("D1012") => {
                Err(exceeded(Exceeded::Time(budget.time)))
            }
            (Err(e), _) => Err(normalize(e)),
            (Ok(_), None) => unreachable!("an Ok result is converted"),
        }
    }
}
