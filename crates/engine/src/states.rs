//! Stepping a run through its states: entering, each state type's work, exiting, and the
//! Retry/Catch decision when a state fails.

use baton_asl::jsonata::JsonType;
use baton_asl::model::{
    ChoiceCondition, DataFlow, Dynamic, Jitter, PathSpec, ResultPathSpec, State, StateKind,
    StateSet, Transition, Wait,
};
use baton_asl::vars::Entropy;
use baton_asl::ErrorName;
use serde_json::{Map, Value};

use crate::children::Sink;
use crate::context::{self, StateContext};
use crate::dataflow::{error_output, Ctx};
use crate::execution::{Action, Execution, Fault, Pending, RunId, TimerPurpose};
use crate::history::{EventDetails, Millis};

/// What a state's work came to.
pub(crate) enum Step {
    /// Waiting for a task, a timer or children.
    Block,
    /// The state is done: write its `…StateExited` and go on (`None`: the run ends).
    Exit {
        output: Value,
        next: Option<usize>,
        assigned: Option<Map<String, Value>>,
    },
    /// The state failed; Retry and Catch decide.
    Fail(Fault),
    /// The run fails without Retry or Catch (a Fail state).
    Terminal(Fault),
}

impl Execution {
    pub(crate) fn step(&mut self, rid: RunId, mut action: Action) {
        let machine = self.machine.clone();
        loop {
            if self.history_full() {
                self.fail_execution(Fault::of(
                    ErrorName::Runtime,
                    format!(
                        "The execution reached the maximum number of history events ({}).",
                        self.limits.max_history_events
                    ),
                ));
                return;
            }
            let set_path = self.run(rid).set.clone();
            let set = Execution::set_of(&machine, &set_path);
            let state = &set.states[self.run(rid).state];
            let step = match action {
                Action::Enter => {
                    self.enter(rid, state);
                    self.execute(rid, state, set)
                }
                Action::Execute => self.execute(rid, state, set),
                Action::TaskResult(result) if matches!(self.run(rid).pending, Pending::Io(_)) => {
                    self.io_result(rid, state, result)
                }
                Action::TaskResult(result) => self.task_result(rid, state, result, false),
                Action::TaskTimedOut(fault) => self.task_result(rid, state, Err(fault), true),
                Action::TaskRejected(message) => self.task_rejected(rid, state, &message),
                Action::WaitElapsed => {
                    match std::mem::replace(&mut self.run_mut(rid).pending, Pending::None) {
                        Pending::Wait {
                            output, assigned, ..
                        } => Step::Exit {
                            output,
                            next: next_of(state),
                            assigned,
                        },
                        _ => Step::Block,
                    }
                }
                Action::FanoutDone(result) => self.fanout_done(rid, state, result),
            };
            match self.settle(rid, state, step) {
                // A step that wrote its share stops here; `drain` yields, and the run goes on
                // first thing in the next step, as it would have gone on in this one.
                Some(next) if self.step_share_spent() => {
                    self.ready.push_front((rid, next));
                    return;
                }
                Some(next) => action = next,
                None => return,
            }
        }
    }

    /// Writes what a step came to; returns the next action for the same run, if any.
    fn settle(&mut self, rid: RunId, state: &State, step: Step) -> Option<Action> {
        match step {
            Step::Block => None,
            Step::Exit {
                output,
                next,
                assigned,
            } => self.exit(rid, state, output, next, assigned),
            Step::Fail(fault) => self.handle_fault(rid, state, fault),
            Step::Terminal(fault) => {
                let prev = self.run(rid).prev;
                self.run_done(rid, prev, Err(fault));
                None
            }
        }
    }

    fn exit(
        &mut self,
        rid: RunId,
        state: &State,
        output: Value,
        next: Option<usize>,
        assigned: Option<Map<String, Value>>,
    ) -> Option<Action> {
        let output_text = output.to_string();
        if output_text.len() > self.limits.max_payload_bytes {
            return self.fail_run(rid, Fault::result_too_large(&state.name));
        }
        let assigned_text = assigned.as_ref().map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect::<Vec<_>>()
        });
        let id = self.emit_in(
            rid,
            EventDetails::StateExited {
                state_type: state.type_name(),
                name: state.name.clone(),
                output: output_text.clone(),
                assigned: assigned_text,
            },
        );
        let run = self.run_mut(rid);
        run.input_text = next.is_some().then_some(output_text);
        if let Some(vars) = assigned {
            for (k, v) in vars {
                run.scope.own.insert(k, v);
            }
        }
        match next {
            Some(n) => {
                run.state = n;
                run.input = output;
                Some(Action::Enter)
            }
            None => {
                self.run_done(rid, id, Ok(output));
                None
            }
        }
    }

    fn enter(&mut self, rid: RunId, state: &State) {
        let entered_prev = self.run(rid).prev;
        // The previous state's exit already wrote this value as text: reuse it.
        let cached = self.run_mut(rid).input_text.take();
        let input = if self.run(rid).sink == Sink::Silent {
            String::new()
        } else {
            cached.unwrap_or_else(|| self.run(rid).input.to_string())
        };
        let id = self.emit_in(
            rid,
            EventDetails::StateEntered {
                state_type: state.type_name(),
                name: state.name.clone(),
                input,
            },
        );
        let now = self.now;
        let run = self.run_mut(rid);
        run.entered_prev = entered_prev;
        run.entered_id = id;
        run.entered_time = now;
        run.retry_counts.clear();
        run.retry_counts.resize(state.kind.retriers().len(), 0);
        run.retry_total = 0;
    }

    /// The context object for the state a run is in.
    pub(crate) fn context_for(&self, rid: RunId, state: &State, token: Option<&str>) -> Value {
        if !state.uses_context {
            return Value::Null;
        }
        let run = self.run(rid);
        let child = match run.sink {
            Sink::Child(c) => self.child_context(c),
            _ => None,
        };
        let retry_count = match state.kind {
            StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_) => {
                Some(run.retry_total)
            }
            _ => None,
        };
        context::build(
            child.as_ref().unwrap_or_else(|| self.base_context()),
            &StateContext {
                name: &state.name,
                entered: run.entered_time,
                retry_count,
                token,
                map_item: None,
            },
        )
    }

    fn execute(&mut self, rid: RunId, state: &State, set: &StateSet) -> Step {
        match &state.kind {
            StateKind::Task(_) => self.start_task(rid, state),
            StateKind::Parallel(_) | StateKind::Map(_) => self.start_fanout(rid, state, set),
            _ => self.simple(rid, state),
        }
    }

    /// Pass, Choice, Wait, Succeed and Fail: no waiting on anything but a timer.
    fn simple(&mut self, rid: RunId, state: &State) -> Step {
        let context = self.context_for(rid, state, None);
        // Simple states have no Retry or Catch, so nothing needs the raw input after this.
        let raw = std::mem::take(&mut self.run_mut(rid).input);
        let run = self.runs[rid].as_ref().expect("live run");
        let ctx = Ctx::of(run, state, &context, self.now);
        let entropy = &mut self.entropy;
        let result = match &state.flow {
            DataFlow::JsonPath(flow) => simple_jsonpath(&ctx, state, flow, raw, entropy),
            DataFlow::Jsonata(flow) => simple_jsonata(&ctx, state, flow, raw, entropy),
        };
        match result {
            Ok(Simple::Done(step)) => step,
            Ok(Simple::Wait {
                until,
                output,
                assigned,
            }) => {
                let timer = self.start_timer(self.scaled(until), TimerPurpose::Wait(rid));
                self.run_mut(rid).pending = Pending::Wait {
                    timer,
                    output,
                    assigned,
                };
                Step::Block
            }
            Err(fault) => Step::Fail(fault),
        }
    }

    /// A failed state: retry it, catch the error, or fail the run.
    pub(crate) fn handle_fault(
        &mut self,
        rid: RunId,
        state: &State,
        fault: Fault,
    ) -> Option<Action> {
        // `States.Runtime` and engine limits end the run at once: no Retry, no Catch, and no
        // `ParallelStateFailed`/`MapStateFailed` either.
        if fault.terminal || fault.error == Some(ErrorName::Runtime) {
            return self.fail_run(rid, fault);
        }
        if let Some((i, r)) = state
            .kind
            .retriers()
            .iter()
            .enumerate()
            .find(|(_, r)| fault.caught_by(&r.error_equals))
        {
            let count = self.run(rid).retry_counts.get(i).copied().unwrap_or(0);
            if u64::from(count) < r.max_attempts {
                let mut delay = r.interval_seconds as f64 * r.backoff_rate.powi(count as i32);
                if let Some(max) = r.max_delay_seconds {
                    delay = delay.min(max as f64);
                }
                if r.jitter == Jitter::Full {
                    let unit = (self.entropy.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                    delay *= unit;
                }
                let at = self.now + (delay * 1000.0).round() as Millis;
                let run = self.run_mut(rid);
                if let Some(c) = run.retry_counts.get_mut(i) {
                    *c += 1;
                }
                run.retry_total += 1;
                let timer = self.start_timer(self.scaled(at), TimerPurpose::Backoff(rid));
                self.run_mut(rid).pending = Pending::Backoff { timer };
                return None;
            }
        }
        let catcher = state
            .kind
            .catchers()
            .iter()
            .find(|c| fault.caught_by(&c.error_equals));
        if catcher.is_none() && fault.evaluation {
            self.evaluation_failed(rid, state, &fault);
        }
        self.fanout_failed_event(rid, state);
        if let Some(c) = catcher {
            let err_out = error_output(&fault);
            let context = self.context_for(rid, state, None);
            let run = self.runs[rid].as_ref().expect("live run");
            let ctx = Ctx::of(run, state, &context, self.now);
            let entropy = &mut self.entropy;
            let raw = run.input.clone();
            let caught = (|| -> Result<(Value, Option<Map<String, Value>>), Fault> {
                match state.query_language {
                    baton_asl::model::QueryLanguage::JsonPath => {
                        let assigned = match &c.assign {
                            Some(a) => Some(ctx.assign(a, &err_out, None, entropy)?),
                            None => None,
                        };
                        let out = ctx.result_path(&c.result_path, raw, err_out.clone())?;
                        Ok((out, assigned))
                    }
                    baton_asl::model::QueryLanguage::Jsonata => {
                        let states = ctx.states(&raw, None, Some(&err_out));
                        let assigned = match &c.assign {
                            Some(a) => Some(ctx.assign(a, &raw, Some(&states), entropy)?),
                            None => None,
                        };
                        let out = match &c.output {
                            Some(t) => ctx.jsonata(t, "Output", &states, entropy)?,
                            None => err_out.clone(),
                        };
                        Ok((out, assigned))
                    }
                }
            })();
            return match caught {
                Ok((output, assigned)) => self.exit(rid, state, output, Some(c.next), assigned),
                Err(f) => self.fail_run(rid, f),
            };
        }
        self.fail_run(rid, fault)
    }

    fn fail_run(&mut self, rid: RunId, fault: Fault) -> Option<Action> {
        let prev = self.run(rid).prev;
        self.run_done(rid, prev, Err(fault));
        None
    }

    /// `EvaluationFailed`, written when a JSONata evaluation error leaves a state. It follows
    /// the entered event's predecessor (for a Wait's `Timestamp`, the entered event itself).
    fn evaluation_failed(&mut self, rid: RunId, state: &State, fault: &Fault) {
        let run = self.run(rid);
        if run.sink == Sink::Silent {
            return;
        }
        let cause = fault.cause.clone().unwrap_or_default();
        let location = field_of(&cause);
        let prev = if location.as_deref() == Some("Timestamp") {
            run.entered_id
        } else {
            run.entered_prev
        };
        let id = self.emit_for(
            rid,
            prev,
            EventDetails::EvaluationFailed {
                state: state.name.clone(),
                error: fault.error_text().unwrap_or_default(),
                cause,
                location,
            },
        );
        self.run_mut(rid).prev = id;
    }

    /// A run ended: the execution, or the Parallel/Map that forked it, learns of it.
    pub(crate) fn run_done(&mut self, rid: RunId, prev: u64, result: Result<Value, Fault>) {
        let parent = self.run(rid).parent;
        // Where it stopped, for a redrive, taken before the run goes.
        let point = if result.is_err() {
            self.point_of(rid)
        } else {
            None
        };
        match parent {
            None => {
                self.drop_run(rid);
                if point.is_some() {
                    self.redrive_point = point;
                }
                self.root_done(prev, result);
            }
            Some((parent, slot)) => {
                if let (Some(p), Pending::Fanout(f)) = (point, &mut self.run_mut(parent).pending) {
                    f.stopped_branches.insert(slot, p);
                }
                let mut last = prev;
                if let Some(Sink::Child(c)) = self.drop_run(rid).map(|r| r.sink) {
                    if self.is_child_top(c, rid) {
                        // A child execution ended: its last event is in its own history, so
                        // the Map carries on after the event it had before.
                        self.close_child(c, prev, result.as_ref());
                        if let Pending::Fanout(f) = &self.run(parent).pending {
                            last = f.last_child_event;
                        }
                    }
                }
                self.child_done(parent, slot, last, result);
            }
        }
    }
}

/// The field an evaluation error names: AWS's causes say "specified for the field 'X'" or
/// "The X field …".
fn field_of(cause: &str) -> Option<String> {
    if let Some(i) = cause.find("specified for the field '") {
        let rest = &cause[i + "specified for the field '".len()..];
        return rest.split('\'').next().map(str::to_string);
    }
    if cause.contains("The Timestamp field") {
        return Some("Timestamp".to_string());
    }
    None
}

pub(crate) fn next_of(state: &State) -> Option<usize> {
    match state.next {
        Transition::Next(n) => Some(n),
        Transition::End | Transition::None => None,
    }
}

pub(crate) enum Simple {
    Done(Step),
    /// Variables are written when the state exits, so they wait with the output.
    Wait {
        until: Millis,
        output: Value,
        assigned: Option<Map<String, Value>>,
    },
}

fn simple_jsonpath(
    ctx: &Ctx<'_>,
    state: &State,
    flow: &baton_asl::model::JsonPathFlow,
    raw: Value,
    entropy: &mut dyn Entropy,
) -> Result<Simple, Fault> {
    match &state.kind {
        StateKind::Pass { result } => {
            // The raw input is only needed again when ResultPath merges into it.
            let (effective, raw) = match (&flow.input_path, &flow.result_path) {
                (PathSpec::Identity, ResultPathSpec::Replace) => (raw, Value::Null),
                _ => (ctx.select(&flow.input_path, raw.clone())?, raw),
            };
            let value = match (&flow.parameters, result) {
                (Some(p), _) => ctx.template(p, &effective, entropy)?,
                (None, Some(r)) => r.clone(),
                (None, None) => effective,
            };
            let assigned = match &flow.assign {
                Some(a) => Some(ctx.assign(a, &value, None, entropy)?),
                None => None,
            };
            let placed = ctx.result_path(&flow.result_path, raw, value)?;
            let output = ctx.select(&flow.output_path, placed)?;
            Ok(Simple::Done(Step::Exit {
                output,
                next: next_of(state),
                assigned,
            }))
        }
        StateKind::Succeed => {
            let effective = ctx.select(&flow.input_path, raw)?;
            let output = ctx.select(&flow.output_path, effective)?;
            Ok(Simple::Done(Step::Exit {
                output,
                next: None,
                assigned: None,
            }))
        }
        StateKind::Choice(choice) => {
            let effective = ctx.select(&flow.input_path, raw)?;
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
                        return Err(crate::execution::Fault::of(
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
            Ok(Simple::Done(Step::Exit {
                output,
                next: Some(next),
                assigned,
            }))
        }
        StateKind::Wait(wait) => {
            let effective = ctx.select(&flow.input_path, raw)?;
            let until = wait_until_jsonpath(ctx, wait, &effective, entropy)?;
            let assigned = match &flow.assign {
                Some(a) => Some(ctx.assign(a, &effective, None, entropy)?),
                None => None,
            };
            let output = ctx.select(&flow.output_path, effective)?;
            Ok(Simple::Wait {
                until,
                output,
                assigned,
            })
        }
        StateKind::Fail(fail) => {
            let error = match &fail.error {
                None => None,
                Some(Dynamic::Literal(s)) => Some(s.clone()),
                Some(Dynamic::Path(p)) => ctx.field_path(p, "ErrorPath", &raw)?.map(text_of),
                Some(Dynamic::Intrinsic(i)) => Some(text_of(ctx.intrinsic(i, &raw, entropy)?)),
                Some(Dynamic::Jsonata(_)) => None,
            };
            let cause = match &fail.cause {
                None => None,
                Some(Dynamic::Literal(s)) => Some(s.clone()),
                Some(Dynamic::Path(p)) => ctx.field_path(p, "CausePath", &raw)?.map(text_of),
                Some(Dynamic::Intrinsic(i)) => Some(text_of(ctx.intrinsic(i, &raw, entropy)?)),
                Some(Dynamic::Jsonata(_)) => None,
            };
            Ok(Simple::Done(Step::Terminal(Fault::new(error, cause))))
        }
        StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_) => {
            unreachable!("not a simple state")
        }
    }
}

fn text_of(v: Value) -> String {
    match v {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

pub(crate) fn simple_jsonata(
    ctx: &Ctx<'_>,
    state: &State,
    flow: &baton_asl::model::JsonataFlow,
    raw: Value,
    entropy: &mut dyn Entropy,
) -> Result<Simple, Fault> {
    let states = ctx.states(&raw, None, None);
    let assign = |a: Option<&baton_asl::model::Assign>, entropy: &mut dyn Entropy| match a {
        Some(a) => ctx.assign(a, &raw, Some(&states), entropy).map(Some),
        None => Ok(None),
    };
    let output_of =
        |t: Option<&baton_asl::jsonata::JsonataTemplate>, entropy: &mut dyn Entropy| match t {
            Some(t) => ctx.jsonata(t, "Output", &states, entropy),
            None => Ok(raw.clone()),
        };
    match &state.kind {
        StateKind::Pass { .. } => {
            let assigned = assign(flow.assign.as_ref(), entropy)?;
            let output = output_of(flow.output.as_ref(), entropy)?;
            Ok(Simple::Done(Step::Exit {
                output,
                next: next_of(state),
                assigned,
            }))
        }
        StateKind::Succeed => {
            let output = output_of(flow.output.as_ref(), entropy)?;
            Ok(Simple::Done(Step::Exit {
                output,
                next: None,
                assigned: None,
            }))
        }
        StateKind::Choice(choice) => {
            let mut chosen = None;
            for rule in &choice.choices {
                let ChoiceCondition::Jsonata(cond) = &rule.condition else {
                    continue;
                };
                let hit = match cond {
                    Dynamic::Literal(b) => *b,
                    Dynamic::Jsonata(t) => ctx
                        .jsonata_as(t, "Condition", JsonType::Boolean, &states, entropy)?
                        .as_bool()
                        .unwrap_or(false),
                    Dynamic::Path(_) | Dynamic::Intrinsic(_) => false,
                };
                if hit {
                    chosen = Some(rule);
                    break;
                }
            }
            match chosen {
                Some(rule) => {
                    let assigned = assign(rule.assign.as_ref().or(flow.assign.as_ref()), entropy)?;
                    let output = output_of(rule.output.as_ref().or(flow.output.as_ref()), entropy)?;
                    Ok(Simple::Done(Step::Exit {
                        output,
                        next: Some(rule.next),
                        assigned,
                    }))
                }
                None => match choice.default {
                    Some(d) => {
                        let assigned = assign(flow.assign.as_ref(), entropy)?;
                        let output = output_of(flow.output.as_ref(), entropy)?;
                        Ok(Simple::Done(Step::Exit {
                            output,
                            next: Some(d),
                            assigned,
                        }))
                    }
                    None => Err(Fault::of(
                        ErrorName::NoChoiceMatched,
                        ctx.prefix("No Matches!"),
                    )),
                },
            }
        }
        StateKind::Wait(wait) => {
            let until = wait_until_jsonata(ctx, wait, &states, entropy)?;
            let assigned = assign(flow.assign.as_ref(), entropy)?;
            let output = output_of(flow.output.as_ref(), entropy)?;
            Ok(Simple::Wait {
                until,
                output,
                assigned,
            })
        }
        StateKind::Fail(fail) => {
            let mut eval =
                |d: &Option<Dynamic<String>>, field: &str| -> Result<Option<String>, Fault> {
                    match d {
                        None => Ok(None),
                        Some(Dynamic::Literal(s)) => Ok(Some(s.clone())),
                        Some(Dynamic::Jsonata(t)) => Ok(ctx
                            .jsonata_as(t, field, JsonType::String, &states, entropy)?
                            .as_str()
                            .map(str::to_string)),
                        Some(Dynamic::Path(_) | Dynamic::Intrinsic(_)) => Ok(None),
                    }
                };
            let error = eval(&fail.error, "Error")?;
            let cause = eval(&fail.cause, "Cause")?;
            Ok(Simple::Done(Step::Terminal(Fault::new(error, cause))))
        }
        StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_) => {
            unreachable!("not a simple state")
        }
    }
}

pub(crate) fn wait_until_jsonpath(
    ctx: &Ctx<'_>,
    wait: &Wait,
    input: &Value,
    _entropy: &mut dyn Entropy,
) -> Result<Millis, Fault> {
    let now = ctx_now(ctx);
    match wait {
        Wait::Seconds(Dynamic::Literal(n)) => Ok(now + *n as Millis * 1000),
        Wait::Seconds(Dynamic::Path(p)) => {
            let v = match p.eval(&ctx.env(input)) {
                Ok(v) => v,
                Err(_) => {
                    return Err(ctx.runtime(&format!(
                        "The SecondsPath parameter does not reference an input value: {}",
                        p.text()
                    )))
                }
            };
            match v.as_i64() {
                Some(n) if n >= 0 => Ok(now + n * 1000),
                Some(_) => Err(ctx.runtime(&format!(
                    "The SecondsPath parameter references a negative value: {} == {v}",
                    p.text()
                ))),
                None => Err(ctx.runtime(&format!(
                    "The SecondsPath parameter cannot be parsed as a long value: {} == {v}",
                    p.text()
                ))),
            }
        }
        Wait::Timestamp(Dynamic::Literal(s)) => parse_timestamp(s).ok_or_else(|| {
            ctx.runtime(&format!(
                "The Timestamp parameter does not reference a valid ISO-8601 extended offset date-time format string: {s}"
            ))
        }),
        Wait::Timestamp(Dynamic::Path(p)) => {
            let v = match p.eval(&ctx.env(input)) {
                Ok(v) => v,
                Err(_) => {
                    return Err(ctx.runtime(&format!(
                        "The TimestampPath parameter does not reference an input value: {}",
                        p.text()
                    )))
                }
            };
            let text = baton_asl::jackson::node_text(&v);
            parse_timestamp(&text).ok_or_else(|| {
                ctx.runtime(&format!(
                    "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {text}",
                    p.text()
                ))
            })
        }
        Wait::Seconds(_) | Wait::Timestamp(_) => Err(ctx.runtime("Unsupported Wait field")),
    }
}

fn wait_until_jsonata(
    ctx: &Ctx<'_>,
    wait: &Wait,
    states: &baton_asl::jsonata::States<'_>,
    entropy: &mut dyn Entropy,
) -> Result<Millis, Fault> {
    let now = ctx_now(ctx);
    match wait {
        Wait::Seconds(Dynamic::Literal(n)) => Ok(now + *n as Millis * 1000),
        Wait::Seconds(d @ Dynamic::Jsonata(_)) => {
            let input = states.input;
            let seconds = ctx.count(Some(d), "Seconds", input, entropy)?.unwrap_or(0);
            Ok(now + seconds as Millis * 1000)
        }
        Wait::Timestamp(Dynamic::Literal(s)) => parse_timestamp(s).ok_or_else(|| {
            ctx.query_error(&format!(
                "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {s}"
            ))
        }),
        Wait::Timestamp(Dynamic::Jsonata(t)) => {
            let v = ctx.jsonata(t, "Timestamp", states, entropy)?;
            let text = baton_asl::jackson::node_text(&v);
            parse_timestamp(&text).ok_or_else(|| {
                ctx.query_error(&format!(
                    "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {text}"
                ))
            })
        }
        Wait::Seconds(_) | Wait::Timestamp(_) => Err(ctx.runtime("Unsupported Wait field")),
    }
}

fn ctx_now(ctx: &Ctx<'_>) -> Millis {
    ctx.now
}

/// ISO-8601 extended offset date-time (`2016-03-14T01:59:00Z`, `…+01:00`, fractions allowed).
pub(crate) fn parse_timestamp(s: &str) -> Option<Millis> {
    let bytes = s.as_bytes();
    if bytes.len() < 20 || bytes.get(10) != Some(&b'T') {
        return None;
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_millis())
}
