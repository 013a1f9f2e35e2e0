//! A distributed Map's `ItemReader` and `ResultWriter`: the Map reads its items, and writes its
//! children's results, through tasks the runtime runs ([`TaskPurpose`]), so reading and writing
//! are journaled and recovered like any other task and write no history events.
//!
//! The shapes written follow the developer guide ("ResultWriter (Map)"): each child execution
//! becomes a record (`ExecutionArn`, `Input`, `Output` or `Error`/`Cause`, dates, `Status`, …),
//! or only its output under `WriterConfig`'s `COMPACT` and `FLATTEN`. The Map's result is
//! `{"MapRunArn", "ResultWriterDetails"}` when the results were exported.

use baton_asl::model::{DataFlow, Dynamic, ItemReader, Payload, ResultWriter, State, StateKind};
use baton_asl::ErrorName;
use serde_json::{json, Map, Value};

use crate::children::{child_execution_arn, child_state_machine_arn};
use crate::context::iso_time;
use crate::dataflow::Ctx;
use crate::execution::{Execution, Fault, IoKind, IoWait, Pending, RunId};
use crate::fanout::Fanout;
use crate::history::{EventDetails, Millis};
use crate::signal::{ChildResult, Effect, ResultExport, TaskPurpose, TaskRequest};
use crate::states::Step;

/// What a `ResultWriter` writes of one child execution, gathered while it runs.
#[derive(Debug)]
pub(crate) struct ChildMeta {
    input: Value,
    name: String,
    start: Millis,
    stop: Millis,
    /// Error and cause of a child that failed.
    failure: Option<(Option<String>, Option<String>)>,
    /// A child execution ran for this item in this attempt.
    started: bool,
    /// The child was stopped because the map run failed.
    aborted: bool,
}

impl ChildMeta {
    pub(crate) fn new(input: &Value) -> ChildMeta {
        ChildMeta {
            input: input.clone(),
            name: String::new(),
            start: 0,
            stop: 0,
            failure: None,
            started: false,
            aborted: false,
        }
    }

    pub(crate) fn started(&mut self, name: String, now: Millis) {
        self.name = name;
        self.start = now;
        self.started = true;
    }

    pub(crate) fn stopped(&mut self, now: Millis, fault: Option<&Fault>) {
        self.stop = now;
        self.failure = fault.map(|f| (f.error_text(), f.cause.clone()));
    }

    /// The child was still running when the map run failed.
    pub(crate) fn aborted(&mut self, now: Millis) {
        self.stop = now;
        self.aborted = true;
    }
}

/// `WriterConfig.Transformation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transformation {
    /// Every child's whole record.
    None,
    /// A succeeded child's output; a failed child's record.
    Compact,
    /// As `Compact`, with an output that is an array spread into its elements.
    Flatten,
}

impl Execution {
    /// Evaluates the reader's arguments and `MaxItems`, then asks for the items.
    pub(crate) fn start_reader(&mut self, rid: RunId, state: &State, reader: &ItemReader) -> Step {
        let evaluated = self
            .io_arguments(
                rid,
                state,
                reader.arguments.as_ref(),
                reader.max_items.as_ref(),
            )
            .map(|(args, max)| {
                let mut config = reader.reader_config.clone();
                config.remove("MaxItemsPath");
                match max {
                    Some(n) => config.insert("MaxItems".into(), n.into()),
                    None => config.remove("MaxItems"),
                };
                (args, Value::Object(config))
            });
        let (args, reader_config) = match evaluated {
            Ok(v) => v,
            Err(fault) => return Step::Fail(fault),
        };
        self.schedule_io(
            rid,
            state,
            reader.resource.clone(),
            args,
            TaskPurpose::ItemReader {
                reader_config: Box::new(reader_config),
            },
            IoKind::Reader,
        );
        Step::Block
    }

    /// A distributed Map's children are done: with a `ResultWriter` that exports, asks for the
    /// results to be written (`Err(Step::Block)`); with only a `WriterConfig`, the results in
    /// its shape.
    pub(crate) fn export_results(
        &mut self,
        rid: RunId,
        state: &State,
        writer: &ResultWriter,
        f: Fanout,
    ) -> Result<Vec<Value>, Box<Step>> {
        let map_run_arn = f.map_run_arn.clone().unwrap_or_default();
        let results = self.child_results(&f, &map_run_arn, transformation(writer));
        let Some(resource) = writer.resource.clone() else {
            return Ok(results.into_iter().map(|r| r.value).collect());
        };
        let args = self.io_arguments(rid, state, writer.arguments.as_ref(), None);
        let args = match args {
            Ok((args, _)) => args,
            Err(fault) => return Err(Box::new(Step::Fail(fault))),
        };
        let written = results.len() as u64;
        let kind = IoKind::Writer {
            map_run_arn: map_run_arn.clone(),
            written,
        };
        let purpose = write_request(writer, map_run_arn, results);
        self.schedule_io(rid, state, resource, args, purpose, kind);
        Err(Box::new(Step::Block))
    }

    /// A distributed Map's run failed beyond its tolerance with `fault`: with a `ResultWriter`
    /// that exports, its results are written all the same, as AWS writes them ("FAILED_n.json
    /// – … all failed, timed out, and aborted child workflow executions"; "PENDING_n.json – …
    /// child workflow executions that weren't started because the Map Run failed or aborted":
    /// the developer guide's "ResultWriter (Map)"), and the Map fails once they are written.
    /// Answers `Err(fault)` when there is nothing to write (or the writer's arguments cannot
    /// be evaluated: the map run's own failure stands).
    pub(crate) fn export_failed_results(
        &mut self,
        rid: RunId,
        state: &State,
        f: Fanout,
        counts: (u64, u64),
        fault: Fault,
    ) -> Result<(), Fault> {
        let writer = match &state.kind {
            StateKind::Map(m) => m.result_writer.as_ref(),
            _ => None,
        };
        let (Some(writer), Some(map_run_arn)) = (writer, f.map_run_arn.clone()) else {
            return Err(fault);
        };
        let Some(resource) = writer.resource.clone().filter(|_| f.export.is_some()) else {
            return Err(fault);
        };
        let results = self.child_results(&f, &map_run_arn, transformation(writer));
        let Ok((args, _)) = self.io_arguments(rid, state, writer.arguments.as_ref(), None) else {
            return Err(fault);
        };
        let kind = IoKind::FailedWriter {
            map_run_arn: map_run_arn.clone(),
            written: results.len() as u64,
            failed: counts.0,
            total: counts.1,
            fault: Box::new(fault),
        };
        let purpose = write_request(writer, map_run_arn, results);
        self.schedule_io(rid, state, resource, args, purpose, kind);
        Ok(())
    }

    /// The reader's or writer's task ended.
    pub(crate) fn io_result(
        &mut self,
        rid: RunId,
        state: &State,
        result: Result<Value, Fault>,
    ) -> Step {
        let Pending::Io(wait) = std::mem::replace(&mut self.run_mut(rid).pending, Pending::None)
        else {
            return Step::Block;
        };
        match (wait.kind, result) {
            (IoKind::Reader, Ok(Value::Array(items))) => {
                self.start_fanout_with(rid, state, Some(items))
            }
            (IoKind::Reader, Ok(other)) => Step::Fail(Fault::of(
                ErrorName::ItemReaderFailed,
                format!("The item reader returned {other}, not an array of items."),
            )),
            (IoKind::Reader, Err(fault)) => Step::Fail(fault),
            (
                IoKind::Writer {
                    map_run_arn,
                    written,
                },
                Ok(details),
            ) => {
                let output = json!({"MapRunArn": map_run_arn, "ResultWriterDetails": details});
                self.finish_fanout(rid, state, Some(map_run_arn), written, 0, output)
            }
            (IoKind::Writer { map_run_arn, .. }, Err(fault)) => {
                self.emit_in(
                    rid,
                    EventDetails::MapRunFailed {
                        map_run_arn,
                        failed: 0,
                        total: 0,
                        results_written: 0,
                        error: fault.error_text(),
                        cause: fault.cause.clone(),
                    },
                );
                Step::Fail(fault)
            }
            // The map run had failed already: its failure stands whether or not the results
            // could be written.
            (
                IoKind::FailedWriter {
                    map_run_arn,
                    written,
                    failed,
                    total,
                    fault,
                },
                result,
            ) => {
                self.emit_in(
                    rid,
                    EventDetails::MapRunFailed {
                        map_run_arn,
                        failed,
                        total,
                        results_written: if result.is_ok() { written } else { 0 },
                        error: fault.error_text(),
                        cause: fault.cause.clone(),
                    },
                );
                Step::Fail(*fault)
            }
        }
    }

    fn schedule_io(
        &mut self,
        rid: RunId,
        state: &State,
        resource: String,
        input: Value,
        purpose: TaskPurpose,
        kind: IoKind,
    ) {
        let id = self.next_task_id();
        self.tasks.insert(id, rid);
        self.effects.push(Effect::ScheduleTask(TaskRequest {
            id,
            state_name: state.name.clone(),
            resource,
            input,
            token: None,
            timeout_seconds: None,
            heartbeat_seconds: None,
            credentials: None,
            purpose,
            trace: None,
        }));
        self.run_mut(rid).pending = Pending::Io(Box::new(IoWait { id, kind }));
    }

    /// A reader's or writer's evaluated `Parameters`/`Arguments` (`{}` when absent) and
    /// `MaxItems`. Both see the state's input after `InputPath` (JSONPath) or the state's input
    /// (JSONata).
    fn io_arguments(
        &mut self,
        rid: RunId,
        state: &State,
        payload: Option<&Payload>,
        max_items: Option<&Dynamic<u64>>,
    ) -> Result<(Value, Option<u64>), Fault> {
        let context = self.context_for(rid, state, None);
        let run = self.runs[rid].as_ref().expect("live run");
        let ctx = Ctx::of(run, state, &context, self.now);
        let entropy = &mut self.entropy;
        let input = match &state.flow {
            DataFlow::JsonPath(flow) => ctx.select(&flow.input_path, run.input.clone())?,
            DataFlow::Jsonata(_) => run.input.clone(),
        };
        let args = match payload {
            None => Value::Object(Map::new()),
            Some(Payload::JsonPath(t)) => ctx.template(t, &input, entropy)?,
            Some(Payload::Jsonata(t)) => {
                let states = ctx.states(&input, None, None);
                ctx.jsonata(t, "Arguments", &states, entropy)?
            }
        };
        let max = ctx.count(max_items, "MaxItems", &input, entropy)?;
        Ok((args, max))
    }

    /// Each child's result in `transformation`'s shape, in item order.
    fn child_results(
        &self,
        f: &Fanout,
        map_run_arn: &str,
        transformation: Transformation,
    ) -> Vec<ChildResult> {
        let machine_arn = child_state_machine_arn(map_run_arn);
        let metas = f.export.as_deref().unwrap_or_default();
        let mut out = Vec::with_capacity(metas.len());
        for (slot, meta) in metas.iter().enumerate() {
            let output = f.results.get(slot).cloned().flatten();
            let mut record = Map::new();
            record.insert(
                "ExecutionArn".into(),
                child_execution_arn(map_run_arn, &meta.name).into(),
            );
            record.insert("Input".into(), meta.input.to_string().into());
            record.insert("InputDetails".into(), json!({"Included": true}));
            record.insert("Name".into(), meta.name.clone().into());
            // The file a record goes to, and the status it shows: "FAILED_n.json – … all
            // failed, timed out, and aborted child workflow executions"; "PENDING_n.json – …
            // child workflow executions that weren't started because the Map Run failed or
            // aborted" (an item an earlier attempt finished ran no child in this one and counts
            // as succeeded: "manifest.json … references to all the successful child workflow
            // executions across all the attempts of a Map Run").
            let (status, shown) = match &meta.failure {
                _ if meta.aborted => ("FAILED", "ABORTED"),
                Some((error, cause)) => {
                    if let Some(e) = error {
                        record.insert("Error".into(), e.clone().into());
                    }
                    if let Some(c) = cause {
                        record.insert("Cause".into(), c.clone().into());
                    }
                    ("FAILED", "FAILED")
                }
                None if !meta.started && output.is_none() => ("PENDING", "PENDING"),
                None => {
                    let text = output.as_ref().unwrap_or(&Value::Null).to_string();
                    record.insert("Output".into(), text.into());
                    record.insert("OutputDetails".into(), json!({"Included": true}));
                    ("SUCCEEDED", "SUCCEEDED")
                }
            };
            if status == "PENDING" {
                // An item no child ran for: what is known of it is its input. The record's
                // other fields are those of an execution, which it never had.
                record.remove("ExecutionArn");
                record.remove("Name");
                record.insert("StateMachineArn".into(), machine_arn.clone().into());
                record.insert("Status".into(), status.into());
                out.push(ChildResult {
                    status,
                    value: Value::Object(record),
                });
                continue;
            }
            // From memory of AWS's exported records, not from a recording: the redrive fields.
            record.insert("RedriveCount".into(), 0.into());
            record.insert("RedriveStatus".into(), "NOT_REDRIVABLE".into());
            record.insert(
                "RedriveStatusReason".into(),
                format!("Execution is {shown} and cannot be redriven").into(),
            );
            record.insert("StartDate".into(), iso_time(meta.start).into());
            record.insert("StateMachineArn".into(), machine_arn.clone().into());
            record.insert("Status".into(), shown.into());
            record.insert("StopDate".into(), iso_time(meta.stop).into());
            let record = Value::Object(record);
            match (transformation, status, output) {
                (Transformation::None, _, _) | (_, "FAILED", _) => out.push(ChildResult {
                    status,
                    value: record,
                }),
                (Transformation::Flatten, _, Some(Value::Array(items))) => {
                    out.extend(items.into_iter().map(|value| ChildResult { status, value }))
                }
                (_, _, output) => out.push(ChildResult {
                    status,
                    value: output.unwrap_or(Value::Null),
                }),
            }
        }
        out
    }
}

/// `WriterConfig.Transformation`: `NONE` by default when the results are exported, `COMPACT`
/// otherwise (the developer guide's "ResultWriter (Map)").
fn transformation(writer: &ResultWriter) -> Transformation {
    match writer.transformation.as_deref() {
        Some("NONE") => Transformation::None,
        Some("FLATTEN") => Transformation::Flatten,
        Some("COMPACT") => Transformation::Compact,
        _ if writer.resource.is_some() => Transformation::None,
        _ => Transformation::Compact,
    }
}

/// The writer task's purpose: `results` of the map run, in the writer's `OutputType`.
fn write_request(
    writer: &ResultWriter,
    map_run_arn: String,
    results: Vec<ChildResult>,
) -> TaskPurpose {
    TaskPurpose::ResultWriter(Box::new(ResultExport {
        map_run_arn,
        output_type: writer.output_type.clone().unwrap_or_else(|| "JSON".into()),
        results,
    }))
}
