//! One tested state, run through the interpreter's data-flow phases ([`Ctx`]) one step at a
//! time, with what each step produced written down for `inspectionData`.

use std::sync::Arc;

use baton_asl::model::{
    ChoiceCondition, DataFlow, Dynamic, JsonPathFlow, State, StateKind, StateMachine,
};
use baton_asl::vars::{Entropy, SeededEntropy};
use baton_asl::ErrorName;
use serde_json::{Map, Value};

use super::types::{InspectionData, MockErrorOutput, StateConfiguration};
use crate::context::{self, StateContext};
use crate::dataflow::Ctx;
use crate::execution::{Fault, Scope};
use crate::history::Millis;
use crate::states::{next_of, simple_jsonata, wait_until_jsonpath, Simple, Step};

use super::locate::CONTEXT_STATE_NAME;

/// What the request says the state's work returns instead of doing it.
#[derive(Debug, Clone)]
pub(crate) enum Mock {
    None,
    Result(Value),
    Error(MockErrorOutput),
}

/// Where `$$` comes from.
pub(crate) enum ContextSource {
    /// Made up by TestState; `State` (and `Task`) are added per evaluation.
    MadeUp(Map<String, Value>),
    /// Given in the request, used as it is.
    Supplied(Value),
}

/// How the state's own work ended, before Retry and Catch.
pub(crate) enum Ending {
    Exit {
        output: Value,
        next: Option<usize>,
        assigned: Option<Map<String, Value>>,
    },
    /// Retry and Catch decide.
    Fail(Fault),
    /// A Fail state: no Retry, no Catch.
    Terminal(Fault),
}

impl From<Step> for Ending {
    fn from(step: Step) -> Ending {
        match step {
            Step::Exit {
                output,
                next,
                assigned,
            } => Ending::Exit {
                output,
                next,
                assigned,
            },
            Step::Fail(f) => Ending::Fail(f),
            Step::Terminal(f) => Ending::Terminal(f),
            // Only tasks and fan-outs block, and those are not run through here.
            Step::Block => Ending::Terminal(Fault::new(None, None)),
        }
    }
}

/// Everything one TestState run needs; owned, so a run can pause for a real task call.
pub(crate) struct Session {
    pub machine: Arc<StateMachine>,
    pub set_path: Vec<(u32, u32)>,
    pub input: Value,
    pub context: ContextSource,
    pub scope: Scope,
    pub entropy: SeededEntropy,
    pub now: Millis,
    pub region: String,
    pub mock: Mock,
    pub config: StateConfiguration,
    /// `stateConfiguration.mapItemReaderData`, parsed.
    pub reader_data: Option<Value>,
    pub probe: InspectionData,
    pub max_payload_bytes: usize,
    /// The budget the request's evaluations run under, again when a task's result comes back.
    pub budget: Option<baton_asl::budget::Budget>,
}

/// JSON text of a value, as inspection data carries it.
pub(crate) fn text(v: &Value) -> Option<String> {
    Some(v.to_string())
}

impl Session {
    /// `$$` for the tested state, with the task token where the task has one.
    pub fn context_value(&self, state: &State, token: Option<&str>) -> Value {
        match &self.context {
            ContextSource::Supplied(v) => v.clone(),
            ContextSource::MadeUp(base) => {
                let retry_count = match state.kind {
                    StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_) => Some(
                        self.config
                            .retrier_retry_count
                            .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)),
                    ),
                    _ => None,
                };
                context::build(
                    base,
                    &StateContext {
                        name: CONTEXT_STATE_NAME,
                        entered: self.now,
                        retry_count,
                        token,
                        map_item: None,
                    },
                )
            }
        }
    }

    /// Pass, Succeed, Choice, Wait and Fail.
    pub fn simple(&mut self, state: &State) -> Ending {
        let context = self.context_value(state, None);
        let raw = self.input.clone();
        let ctx = ctx_of(state, &context, &self.scope, self.now);
        match &state.flow {
            DataFlow::JsonPath(flow) => {
                match simple_jsonpath(&ctx, state, flow, raw, &mut self.entropy, &mut self.probe) {
                    Ok(ending) => ending,
                    Err(f) => Ending::Fail(f),
                }
            }
            DataFlow::Jsonata(flow) => {
                match simple_jsonata(&ctx, state, flow, raw, &mut self.entropy) {
                    Ok(Simple::Done(step)) => step.into(),
                    // TestState does not wait: the state's output is ready at once.
                    Ok(Simple::Wait {
                        output, assigned, ..
                    }) => Ending::Exit {
                        output,
                        next: next_of(state),
                        assigned,
                    },
                    Err(f) => Ending::Fail(f),
                }
            }
        }
    }

    /// ResultSelector → ResultPath → OutputPath (JSONPath) or Output (JSONata), and Assign,
    /// applied to the result of a Task, Parallel or Map.
    pub fn complete(&mut self, state: &State, result: Value) -> Ending {
        let context = self.context_value(state, None);
        let raw = self.input.clone();
        let ctx = ctx_of(state, &context, &self.scope, self.now);
        let entropy = &mut self.entropy;
        let probe = &mut self.probe;
        let done = (|| -> Result<(Value, Option<Map<String, Value>>), Fault> {
            match &state.flow {
                DataFlow::JsonPath(flow) => {
                    let selected = match &flow.result_selector {
                        Some(t) => ctx.template(t, &result, entropy)?,
                        None => result,
                    };
                    probe.after_result_selector = text(&selected);
                    let assigned = match &flow.assign {
                        Some(a) => Some(ctx.assign(a, &selected, None, entropy)?),
                        None => None,
                    };
                    let placed = ctx.result_path(&flow.result_path, raw, selected)?;
                    probe.after_result_path = text(&placed);
                    Ok((ctx.select(&flow.output_path, placed)?, assigned))
                }
                DataFlow::Jsonata(flow) => {
                    let states = ctx.states(&raw, Some(&result), None);
                    let assigned = match &flow.assign {
                        Some(a) => Some(ctx.assign(a, &raw, Some(&states), entropy)?),
                        None => None,
                    };
                    let output = match &flow.output {
                        Some(t) => ctx.jsonata(t, "Output", &states, entropy)?,
                        None => result,
                    };
                    Ok((output, assigned))
                }
            }
        })();
        match done {
            Ok((output, assigned)) => Ending::Exit {
                output,
                next: next_of(state),
                assigned,
            },
            Err(f) => Ending::Fail(f),
        }
    }

    /// A fresh token for `$$.Task.Token`.
    pub fn token(&mut self) -> String {
        crate::task::task_token(&mut self.entropy as &mut dyn Entropy)
    }
}

/// What the phases of the tested state see. `entered_id` 0: there is no history, so causes
/// carry no "entered at the event id" prefix.
pub(crate) fn ctx_of<'a>(
    state: &'a State,
    context: &'a Value,
    scope: &'a Scope,
    now: Millis,
) -> Ctx<'a> {
    Ctx {
        state,
        entered_id: 0,
        context,
        vars: scope,
        now,
    }
}

/// The JSONPath simple states, step by step.
fn simple_jsonpath(
    ctx: &Ctx<'_>,
    state: &State,
    flow: &JsonPathFlow,
    raw: Value,
    entropy: &mut dyn Entropy,
    probe: &mut InspectionData,
) -> Result<Ending, Fault> {
    match &state.kind {
        StateKind::Pass { result } => {
            let value = match result {
                // With `Result`, AWS neither applies InputPath nor Parameters: the result is
                // the literal, placed into the raw input.
                Some(r) => {
                    probe.result = text(r);
                    r.clone()
                }
                None => {
                    let effective = ctx.select(&flow.input_path, raw.clone())?;
                    probe.after_input_path = text(&effective);
                    let value = match &flow.parameters {
                        Some(p) => ctx.template(p, &effective, entropy)?,
                        None => effective,
                    };
                    probe.after_parameters = text(&value);
                    value
                }
            };
            probe.after_result_selector = text(&value);
            let assigned = match &flow.assign {
                Some(a) => Some(ctx.assign(a, &value, None, entropy)?),
                None => None,
            };
            let placed = ctx.result_path(&flow.result_path, raw, value)?;
            probe.after_result_path = text(&placed);
            let output = ctx.select(&flow.output_path, placed)?;
            Ok(Ending::Exit {
                output,
                next: next_of(state),
                assigned,
            })
        }
        StateKind::Succeed => {
            let effective = ctx.select(&flow.input_path, raw)?;
            probe.after_input_path = text(&effective);
            let output = ctx.select(&flow.output_path, effective)?;
            Ok(Ending::Exit {
                output,
                next: None,
                assigned: None,
            })
        }
        StateKind::Choice(choice) => {
            let effective = ctx.select(&flow.input_path, raw)?;
            probe.after_input_path = text(&effective);
            let mut chosen = None;
            for rule in &choice.choices {
                if let ChoiceCondition::JsonPath(cond) = &rule.condition {
                    if cond.eval(&ctx.env(&effective)).map_err(|f| ctx.fault(f))? {
                        chosen = Some(rule);
                        break;
                    }
                }
            }
            let (next, assign) = match chosen {
                Some(rule) => (rule.next, rule.assign.as_ref().or(flow.assign.as_ref())),
                None => match choice.default {
                    Some(d) => (d, flow.assign.as_ref()),
                    None => {
                        return Err(Fault::of(
                            ErrorName::NoChoiceMatched,
                            ctx.prefix("No Matches!"),
                        ))
                    }
                },
            };
            let assigned = match assign {
                Some(a) => Some(ctx.assign(a, &effective, None, entropy)?),
                None => None,
            };
            let output = ctx.select(&flow.output_path, effective)?;
            Ok(Ending::Exit {
                output,
                next: Some(next),
                assigned,
            })
        }
        StateKind::Wait(wait) => {
            let effective = ctx.select(&flow.input_path, raw)?;
            probe.after_input_path = text(&effective);
            // The time is checked as a run would check it; TestState does not wait for it.
            wait_until_jsonpath(ctx, wait, &effective, entropy)?;
            let assigned = match &flow.assign {
                Some(a) => Some(ctx.assign(a, &effective, None, entropy)?),
                None => None,
            };
            let output = ctx.select(&flow.output_path, effective)?;
            Ok(Ending::Exit {
                output,
                next: next_of(state),
                assigned,
            })
        }
        StateKind::Fail(fail) => {
            probe.after_input_path = text(&raw);
            let field = |d: &Option<Dynamic<String>>,
                         name: &str,
                         entropy: &mut dyn Entropy|
             -> Result<Option<String>, Fault> {
                Ok(match d {
                    None | Some(Dynamic::Jsonata(_)) => None,
                    Some(Dynamic::Literal(s)) => Some(s.clone()),
                    Some(Dynamic::Path(p)) => ctx.field_path(p, name, &raw)?.map(plain),
                    Some(Dynamic::Intrinsic(i)) => Some(plain(ctx.intrinsic(i, &raw, entropy)?)),
                })
            };
            let error = field(&fail.error, "ErrorPath", entropy)?;
            let cause = field(&fail.cause, "CausePath", entropy)?;
            Ok(Ending::Terminal(Fault::new(error, cause)))
        }
        StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_) => {
            Err(Fault::of(ErrorName::Runtime, "not a simple state"))
        }
    }
}

/// A value as an error or cause: strings bare, anything else as JSON.
fn plain(v: Value) -> String {
    match v {
        Value::String(s) => s,
        other => other.to_string(),
    }
}
