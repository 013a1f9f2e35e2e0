//! A distributed Map's children as executions: the rows and histories of what the engine's
//! child histories ([`baton_engine::ChildHistory`]) say, written in the parent's step batch.
//!
//! A child's row is created by its `ExecutionStarted` and closed by its last event; its map
//! run's counts follow. Children have no journal of their own: replaying the parent's journal
//! writes them again, so recovery and redrive never resume a child by itself.

use std::collections::HashMap;

use baton_engine::{child_execution_arn, child_state_machine_arn, ChildHistory, EventDetails};
use baton_store::{Execution as Record, ExecutionStatus, MachineType, MapRun, Op};
use serde_json::{Map, Value};

use crate::live::record_of;

/// The rows of one parent's children that have not ended, by ARN.
#[derive(Default)]
pub(crate) struct OpenChildren(HashMap<String, Record>);

impl OpenChildren {
    /// The redrive count of the open child `arn`.
    pub fn redrive_count(&self, arn: &str) -> Option<u32> {
        self.0.get(arn).map(|row| row.redrive_count)
    }

    /// The ops that record `written` for the parent `parent`: new rows, history, ended rows,
    /// and the map runs whose counts changed (`map_runs`: the parent's open map runs).
    pub fn record(
        &mut self,
        parent: &Record,
        written: Vec<ChildHistory>,
        map_runs: &mut HashMap<String, MapRun>,
    ) -> Vec<Op> {
        let mut ops = Vec::new();
        let mut touched: Vec<String> = Vec::new();
        for child in written {
            let arn = child_execution_arn(&child.map_run_arn, &child.name);
            if let Some((input, start, redrive_count)) = &child.redriven {
                // A redrive of the map run continues this child: its row runs again.
                let redriven = child
                    .events
                    .iter()
                    .find(|e| matches!(e.details, EventDetails::ExecutionRedriven { .. }));
                let row = Record {
                    status: ExecutionStatus::Running,
                    input: input.clone(),
                    start_date: *start,
                    redrive_count: *redrive_count,
                    redrive_date: redriven.map(|e| e.timestamp),
                    ..child_row(parent, &child, &arn)
                };
                ops.push(Op::UpdateExecution(row.clone()));
                self.0.insert(arn.clone(), row);
                count_started(map_runs, &child.map_run_arn, &mut touched);
            }
            for event in &child.events {
                if let EventDetails::ExecutionStarted { input, .. } = &event.details {
                    let row = Record {
                        input: input.clone(),
                        start_date: event.timestamp,
                        ..child_row(parent, &child, &arn)
                    };
                    ops.push(Op::CreateExecution(row.clone()));
                    self.0.insert(arn.clone(), row);
                    count_started(map_runs, &child.map_run_arn, &mut touched);
                }
            }
            ops.push(Op::AppendHistory {
                execution_arn: arn.clone(),
                events: child.events.iter().map(record_of).collect(),
            });
            if !child.ended {
                continue;
            }
            let Some(mut row) = self.0.remove(&arn) else {
                continue;
            };
            let last = child.events.last().expect("an ended child wrote its end");
            row.stop_date = Some(last.timestamp);
            match &last.details {
                EventDetails::ExecutionSucceeded { output } => {
                    row.status = ExecutionStatus::Succeeded;
                    row.output = Some(output.clone());
                }
                EventDetails::ExecutionFailed { error, cause } => {
                    row.status = ExecutionStatus::Failed;
                    row.error = error.clone();
                    row.cause = cause.clone();
                }
                EventDetails::ExecutionAborted { error, cause } => {
                    row.status = ExecutionStatus::Aborted;
                    row.error = error.clone();
                    row.cause = cause.clone();
                }
                _ => row.status = ExecutionStatus::Aborted,
            }
            if let Some(run) = map_runs.get_mut(&child.map_run_arn) {
                for c in [&mut run.item_counts, &mut run.execution_counts] {
                    c.running = c.running.saturating_sub(1);
                    match row.status {
                        ExecutionStatus::Succeeded => c.succeeded += 1,
                        ExecutionStatus::Failed => c.failed += 1,
                        _ => c.aborted += 1,
                    }
                }
                if !touched.contains(&child.map_run_arn) {
                    touched.push(child.map_run_arn.clone());
                }
            }
            ops.push(Op::UpdateExecution(row));
        }
        for arn in touched {
            if let Some(run) = map_runs.get(&arn) {
                ops.push(Op::UpdateMapRun(run.clone()));
            }
        }
        ops
    }
}

/// The definition of the child workflow a distributed Map labelled `label` runs: its
/// `ItemProcessor` without `ProcessorConfig`. A Map without a `Label` has a generated one, so
/// when no Map carries `label`, the only distributed Map without a `Label` is the one.
/// (Not from a recording: what AWS answers for a child's definition.)
pub(crate) fn processor_definition(definition: &str, label: &str) -> Option<String> {
    let root: Value = baton_api::json::from_str(definition).ok()?;
    let mut maps = Vec::new();
    distributed_maps(&root, &mut maps);
    let found = maps
        .iter()
        .find(|m| m.get("Label").and_then(Value::as_str) == Some(label))
        .or_else(|| {
            let unlabelled: Vec<_> = maps.iter().filter(|m| m.get("Label").is_none()).collect();
            (unlabelled.len() == 1).then(|| unlabelled[0])
        })?;
    let mut processor = found.get("ItemProcessor")?.as_object()?.clone();
    processor.remove("ProcessorConfig");
    serde_json::to_string_pretty(&Value::Object(processor)).ok()
}

/// Every distributed Map state in a definition, at any depth.
fn distributed_maps<'a>(set: &'a Value, out: &mut Vec<&'a Map<String, Value>>) {
    let Some(states) = set.get("States").and_then(Value::as_object) else {
        return;
    };
    for state in states.values() {
        let Some(state) = state.as_object() else {
            continue;
        };
        if let Some(processor) = state.get("ItemProcessor").or_else(|| state.get("Iterator")) {
            let mode = processor
                .get("ProcessorConfig")
                .and_then(|c| c.get("Mode"))
                .and_then(Value::as_str);
            if mode == Some("DISTRIBUTED") {
                out.push(state);
            }
            distributed_maps(processor, out);
        }
        for branch in state
            .get("Branches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            distributed_maps(branch, out);
        }
    }
}

/// A running child's row, without its input and start.
fn child_row(parent: &Record, child: &ChildHistory, arn: &str) -> Record {
    Record {
        arn: arn.to_string(),
        name: child.name.clone(),
        state_machine_arn: child_state_machine_arn(&child.map_run_arn),
        version_arn: None,
        alias_arn: None,
        revision_id: parent.revision_id.clone(),
        machine_type: MachineType::Standard,
        status: ExecutionStatus::Running,
        input: String::new(),
        output: None,
        error: None,
        cause: None,
        start_date: 0,
        stop_date: None,
        redrive_count: 0,
        redrive_date: None,
        map_run_arn: Some(child.map_run_arn.clone()),
        parent_arn: Some(parent.arn.clone()),
        trace_header: None,
        // Stepped in its parent's batches.
        partition: parent.partition,
    }
}

/// A child of `map_run_arn` started (or was redriven): one item moves from pending to running.
fn count_started(
    map_runs: &mut HashMap<String, MapRun>,
    map_run_arn: &str,
    touched: &mut Vec<String>,
) {
    if let Some(run) = map_runs.get_mut(map_run_arn) {
        for c in [&mut run.item_counts, &mut run.execution_counts] {
            c.pending = c.pending.saturating_sub(1);
            c.running += 1;
        }
        if !touched.iter().any(|t| t == map_run_arn) {
            touched.push(map_run_arn.to_string());
        }
    }
}
