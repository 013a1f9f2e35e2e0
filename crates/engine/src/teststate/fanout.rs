//! A tested Parallel or Map state. Its branches and iterations do not run: the mock is the
//! state's result (or its error). Its own input side runs as in an execution, and a Map's
//! `mapIterationFailureCount` stands for iterations that failed.

use baton_asl::model::{DataFlow, Dynamic, Map as MapState, State, StateKind};
use baton_asl::ErrorName;
use serde_json::Value;

use super::run::{ctx_of, text, Ending, Mock, Session};
use crate::execution::Fault;
use crate::fanout::{map_items, select_items, tolerated_percentage};

impl Session {
    pub fn fanout(&mut self, state: &State) -> Ending {
        let input_side = match &state.kind {
            StateKind::Parallel(_) => self.parallel_input(state),
            StateKind::Map(m) => self.map_input(state, m),
            _ => Err(Fault::new(None, None)),
        };
        let items = match input_side {
            Ok(items) => items,
            Err(f) => return Ending::Fail(f),
        };
        match self.mock.clone() {
            Mock::Error(e) => Ending::Fail(Fault::new(e.error, e.cause)),
            Mock::Result(result) => {
                if matches!(state.kind, StateKind::Map(_)) {
                    if let Some(f) = self.threshold_exceeded(items, &result) {
                        return Ending::Fail(f);
                    }
                }
                self.complete(state, result)
            }
            // Refused before the run starts: fan-outs are only tested with a mock.
            Mock::None => Ending::Fail(Fault::new(None, None)),
        }
    }

    /// The branches' input. AWS reports neither InputPath nor Parameters of a Parallel state.
    fn parallel_input(&mut self, state: &State) -> Result<Option<usize>, Fault> {
        let context = self.context_value(state, None);
        let raw = self.input.clone();
        let ctx = ctx_of(state, &context, &self.scope, self.now);
        let entropy = &mut self.entropy;
        match &state.flow {
            DataFlow::JsonPath(flow) => {
                let effective = ctx.select(&flow.input_path, raw)?;
                if let Some(t) = &flow.parameters {
                    ctx.template(t, &effective, entropy)?;
                }
            }
            DataFlow::Jsonata(flow) => {
                if let Some(t) = &flow.arguments {
                    let states = ctx.states(&raw, None, None);
                    ctx.jsonata(t, "Arguments", &states, entropy)?;
                }
            }
        }
        Ok(None)
    }

    /// The Map's items and settings, in the order a run evaluates them. Returns how many
    /// items there are, when that is known.
    fn map_input(&mut self, state: &State, m: &MapState) -> Result<Option<usize>, Fault> {
        let context = self.context_value(state, None);
        let raw = self.input.clone();
        let ctx = ctx_of(state, &context, &self.scope, self.now);
        let entropy = &mut self.entropy;
        let probe = &mut self.probe;
        let (items, selector_input) = match (&state.flow, &self.reader_data) {
            (DataFlow::JsonPath(flow), reader) => {
                let effective = ctx.select(&flow.input_path, raw)?;
                probe.after_input_path = text(&effective);
                let items = match (&m.items, reader, &m.item_reader) {
                    (Some(Dynamic::Path(p)), _, _) => {
                        let items = ctx.path(p, &effective)?;
                        if !items.is_array() {
                            // `$$` paths are quoted without their first `$`.
                            let shown = p.text().strip_prefix('$').filter(|t| t.starts_with('$'));
                            return Err(ctx.runtime(&format!(
                                "Reference path \"{}\" must point to array.",
                                shown.unwrap_or(p.text())
                            )));
                        }
                        probe.after_items_path = text(&items);
                        items
                    }
                    (_, Some(data), Some(_)) => data.clone(),
                    (Some(Dynamic::Literal(v)), _, _) => v.clone(),
                    _ => effective.clone(),
                };
                (items, effective)
            }
            (DataFlow::Jsonata(_), Some(data)) if m.item_reader.is_some() => (data.clone(), raw),
            (DataFlow::Jsonata(_), _) if m.item_reader.is_some() => (Value::Null, raw),
            (DataFlow::Jsonata(_), _) => {
                let (items, input) = map_items(&ctx, state, m, raw, None, entropy)?;
                (Value::Array(items), input)
            }
        };
        let max_concurrency = ctx
            .count(
                m.max_concurrency.as_ref(),
                "MaxConcurrency",
                &selector_input,
                entropy,
            )?
            .unwrap_or(0);
        probe.max_concurrency = Some(max_concurrency);
        let count = ctx.count(
            m.tolerated_failure_count.as_ref(),
            "ToleratedFailureCount",
            &selector_input,
            entropy,
        )?;
        probe.tolerated_failure_count = count;
        probe.tolerated_failure_percentage =
            tolerated_percentage(&ctx, &selector_input, m, entropy)?;
        let Value::Array(items) = items else {
            return Ok(None);
        };
        let n = items.len();
        if m.item_selector.is_some() && m.item_batcher.is_some() {
            let unbatched = MapState {
                item_batcher: None,
                ..m.clone()
            };
            let selected = select_items(
                &ctx,
                state,
                &unbatched,
                items.clone(),
                &selector_input,
                entropy,
            )?;
            probe.after_item_selector = text(&Value::Array(selected));
        }
        if m.item_selector.is_some() || m.item_batcher.is_some() {
            let out = select_items(&ctx, state, m, items, &selector_input, entropy)?;
            let out = Value::Array(out);
            if m.item_batcher.is_some() {
                probe.after_item_batcher = text(&out);
            } else {
                probe.after_item_selector = text(&out);
            }
        }
        Ok(Some(n))
    }

    /// `mapIterationFailureCount` failed iterations against the Map's tolerated failures: past
    /// the threshold the Map fails as a run's would. Without a threshold nothing is simulated.
    fn threshold_exceeded(&self, items: Option<usize>, result: &Value) -> Option<Fault> {
        let failures = self.config.map_iteration_failure_count.filter(|&n| n > 0)?;
        let count = self.probe.tolerated_failure_count;
        let percentage = self.probe.tolerated_failure_percentage;
        if count.is_none() && percentage.is_none() {
            return None;
        }
        let total = items
            .or_else(|| result.as_array().map(Vec::len))
            .unwrap_or(0)
            .max(1);
        let within_count = count.is_some_and(|c| failures <= c);
        let within_pct = percentage.is_some_and(|p| failures as f64 * 100.0 / total as f64 <= p);
        if within_count || within_pct {
            return None;
        }
        Some(Fault::of(
            ErrorName::ExceedToleratedFailureThreshold,
            "The specified tolerated failure threshold was exceeded",
        ))
    }
}
