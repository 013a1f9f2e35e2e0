//! The definition model: a definition turned into typed states, with every path, template,
//! intrinsic, Choice rule and JSONata expression parsed once, and every transition resolved to
//! an index. Built from a definition that `validate` accepted; anything it still cannot build
//! is reported as a [`ModelError`] rather than a panic.

mod build;

use std::collections::HashMap;

use serde_json::Value;

use crate::choice::Condition;
use crate::error::ErrorName;
use crate::intrinsics::Intrinsic;
use crate::jsonata::JsonataTemplate;
use crate::path::{Path, ReferencePath};
use crate::template::Template;

pub use build::ModelError;

/// `QueryLanguage` of the machine or of one state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryLanguage {
    JsonPath,
    Jsonata,
}

impl QueryLanguage {
    pub fn as_str(self) -> &'static str {
        match self {
            QueryLanguage::JsonPath => "JSONPath",
            QueryLanguage::Jsonata => "JSONata",
        }
    }
}

/// A whole state machine.
#[derive(Debug, Clone)]
pub struct StateMachine {
    pub comment: Option<String>,
    pub query_language: QueryLanguage,
    pub timeout_seconds: Option<u64>,
    pub states: StateSet,
    /// Whether any state evaluates JSONata: the one kind of expression whose evaluation is
    /// not bounded by the size of its data (a step of a machine without it ends after at most
    /// the history limit's events, each bounded by AWS's payload limit).
    pub uses_jsonata: bool,
}

impl StateMachine {
    /// Builds the model from a definition's JSON value.
    pub fn from_value(value: &Value) -> Result<StateMachine, ModelError> {
        build::state_machine(value)
    }
}

/// A `StartAt` plus its `States`: the top level, a Parallel branch or a Map's item processor.
#[derive(Debug, Clone)]
pub struct StateSet {
    pub start_at: usize,
    pub states: Vec<State>,
    pub by_name: HashMap<String, usize>,
}

impl StateSet {
    pub fn get(&self, name: &str) -> Option<&State> {
        self.by_name.get(name).map(|&i| &self.states[i])
    }
}

/// One state.
#[derive(Debug, Clone)]
pub struct State {
    pub name: String,
    pub query_language: QueryLanguage,
    pub kind: StateKind,
    pub flow: DataFlow,
    pub next: Transition,
    /// Whether any expression of the state can read the context object (`$$`, `$states`),
    /// so the engine builds it only where it can be seen.
    pub uses_context: bool,
}

impl State {
    /// The prefix AWS uses for this state's event types (`Pass` → `PassStateEntered`).
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            StateKind::Pass { .. } => "Pass",
            StateKind::Task(_) => "Task",
            StateKind::Choice(_) => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }
}

/// Where a state goes when it completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Next(usize),
    End,
    /// Choice (decided by its rules), Succeed and Fail.
    None,
}

/// How input becomes output in a state.
#[derive(Debug, Clone)]
pub enum DataFlow {
    JsonPath(Box<JsonPathFlow>),
    Jsonata(Box<JsonataFlow>),
}

impl DataFlow {
    pub fn assign(&self) -> Option<&Assign> {
        match self {
            DataFlow::JsonPath(f) => f.assign.as_ref(),
            DataFlow::Jsonata(f) => f.assign.as_ref(),
        }
    }
}

/// `InputPath` / `OutputPath`: absent means `$`, `null` means `{}`.
#[derive(Debug, Clone)]
pub enum PathSpec {
    Identity,
    Discard,
    Path(Path),
}

/// `ResultPath`: absent means `$` (the result replaces the input), `null` keeps the input.
#[derive(Debug, Clone)]
pub enum ResultPathSpec {
    Replace,
    Discard,
    Path(ReferencePath),
}

#[derive(Debug, Clone)]
pub struct JsonPathFlow {
    pub input_path: PathSpec,
    /// `Parameters` (Task, Pass, Parallel, Map).
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    pub result_path: ResultPathSpec,
    pub output_path: PathSpec,
    pub assign: Option<Assign>,
}

#[derive(Debug, Clone)]
pub struct JsonataFlow {
    pub arguments: Option<JsonataTemplate>,
    pub output: Option<JsonataTemplate>,
    pub assign: Option<Assign>,
}

/// `Assign`: in JSONPath states a payload template, in JSONata states a JSONata template.
#[derive(Debug, Clone)]
pub enum Assign {
    JsonPath(Template),
    Jsonata(JsonataTemplate),
}

/// A value that is written literally, read from a path, or computed by JSONata.
#[derive(Debug, Clone)]
pub enum Dynamic<T> {
    Literal(T),
    Path(Path),
    /// An intrinsic call where AWS allows one in a `…Path` field (`ErrorPath`, `CausePath`).
    Intrinsic(Intrinsic),
    Jsonata(JsonataTemplate),
}

#[derive(Debug, Clone)]
pub enum StateKind {
    /// `Result` (JSONPath only).
    Pass {
        result: Option<Value>,
    },
    Task(Box<Task>),
    Choice(Box<Choice>),
    Wait(Wait),
    Succeed,
    Fail(Box<Fail>),
    Parallel(Box<Parallel>),
    Map(Box<Map>),
}

impl StateKind {
    pub fn retriers(&self) -> &[Retrier] {
        match self {
            StateKind::Task(t) => &t.retry,
            StateKind::Parallel(p) => &p.retry,
            StateKind::Map(m) => &m.retry,
            _ => &[],
        }
    }
    pub fn catchers(&self) -> &[Catcher] {
        match self {
            StateKind::Task(t) => &t.catch,
            StateKind::Parallel(p) => &p.catch,
            StateKind::Map(m) => &m.catch,
            _ => &[],
        }
    }
}

#[derive(Debug, Clone)]
pub struct Task {
    pub resource: String,
    pub timeout_seconds: Option<Dynamic<u64>>,
    pub heartbeat_seconds: Option<Dynamic<u64>>,
    pub credentials: Option<Value>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub choices: Vec<ChoiceRule>,
    pub default: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct ChoiceRule {
    pub condition: ChoiceCondition,
    pub next: usize,
    /// JSONata rules may carry their own `Assign` and `Output`; JSONPath rules `Assign`.
    pub assign: Option<Assign>,
    pub output: Option<JsonataTemplate>,
}

#[derive(Debug, Clone)]
pub enum ChoiceCondition {
    JsonPath(Condition),
    /// `Condition`: `{% … %}` or a literal boolean.
    Jsonata(Dynamic<bool>),
}

#[derive(Debug, Clone)]
pub enum Wait {
    Seconds(Dynamic<u64>),
    Timestamp(Dynamic<String>),
}

#[derive(Debug, Clone)]
pub struct Fail {
    pub error: Option<Dynamic<String>>,
    pub cause: Option<Dynamic<String>>,
}

#[derive(Debug, Clone)]
pub struct Parallel {
    pub branches: Vec<StateSet>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapMode {
    Inline,
    Distributed,
}

#[derive(Debug, Clone)]
pub struct Map {
    pub processor: StateSet,
    pub mode: MapMode,
    /// `ExecutionType` of a distributed Map's child executions.
    pub execution_type: Option<String>,
    /// `ItemsPath` (JSONPath) or `Items` (JSONata, or a literal array).
    pub items: Option<Dynamic<Value>>,
    /// `ItemSelector` or its older name `Parameters` (JSONPath), or a JSONata template.
    pub item_selector: Option<ItemSelector>,
    pub item_batcher: Option<ItemBatcher>,
    pub item_reader: Option<ItemReader>,
    pub result_writer: Option<ResultWriter>,
    pub max_concurrency: Option<Dynamic<u64>>,
    pub tolerated_failure_count: Option<Dynamic<u64>>,
    pub tolerated_failure_percentage: Option<Dynamic<f64>>,
    pub label: Option<String>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

/// A distributed Map's `ItemReader`: where its items come from.
#[derive(Debug, Clone)]
pub struct ItemReader {
    /// `arn:aws:states:::s3:getObject` or `arn:aws:states:::s3:listObjectsV2`.
    pub resource: String,
    /// `Parameters` (JSONPath) or `Arguments` (JSONata): the bucket, key or prefix.
    pub arguments: Option<Payload>,
    /// `ReaderConfig` as written; `MaxItems` is read from [`ItemReader::max_items`].
    pub reader_config: serde_json::Map<String, Value>,
    /// `ReaderConfig.MaxItems`, `MaxItemsPath` or a JSONata expression.
    pub max_items: Option<Dynamic<u64>>,
}

/// A distributed Map's `ResultWriter`: where the child executions' results go, and in what
/// shape the Map returns them.
#[derive(Debug, Clone)]
pub struct ResultWriter {
    /// `arn:aws:states:::s3:putObject`; absent when only `WriterConfig` is given.
    pub resource: Option<String>,
    /// `Parameters` (JSONPath) or `Arguments` (JSONata): `Bucket` and `Prefix`.
    pub arguments: Option<Payload>,
    /// `WriterConfig.Transformation`: `NONE`, `COMPACT` or `FLATTEN`.
    pub transformation: Option<String>,
    /// `WriterConfig.OutputType`: `JSON` or `JSONL`.
    pub output_type: Option<String>,
}

/// A JSON value to evaluate: a JSONPath template (`Parameters`) or a JSONata one (`Arguments`).
#[derive(Debug, Clone)]
pub enum Payload {
    JsonPath(Template),
    Jsonata(JsonataTemplate),
}

#[derive(Debug, Clone)]
pub enum ItemSelector {
    JsonPath(Template),
    Jsonata(JsonataTemplate),
}

#[derive(Debug, Clone)]
pub struct ItemBatcher {
    pub max_items_per_batch: Option<Dynamic<u64>>,
    pub max_input_bytes_per_batch: Option<Dynamic<u64>>,
    pub batch_input: Option<BatchInput>,
}

#[derive(Debug, Clone)]
pub enum BatchInput {
    JsonPath(Template),
    Jsonata(JsonataTemplate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    None,
    Full,
}

#[derive(Debug, Clone)]
pub struct Retrier {
    pub error_equals: Vec<ErrorName>,
    pub interval_seconds: u64,
    pub max_attempts: u64,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<u64>,
    pub jitter: Jitter,
}

impl Retrier {
    pub fn matches(&self, error: &ErrorName) -> bool {
        error_matches(&self.error_equals, error)
    }
}

#[derive(Debug, Clone)]
pub struct Catcher {
    pub error_equals: Vec<ErrorName>,
    pub next: usize,
    pub result_path: ResultPathSpec,
    pub output: Option<JsonataTemplate>,
    pub assign: Option<Assign>,
}

impl Catcher {
    pub fn matches(&self, error: &ErrorName) -> bool {
        error_matches(&self.error_equals, error)
    }
}

/// `ErrorEquals` matching. `States.Runtime` is terminal: AWS never retries or catches it, not
/// even when named. `States.ALL` matches every other error; `States.TaskFailed` is a wildcard
/// for any of those except `States.Timeout`; other names match exactly.
pub fn error_matches(patterns: &[ErrorName], error: &ErrorName) -> bool {
    if matches!(error, ErrorName::Runtime) {
        return false;
    }
    patterns.iter().any(|p| match p {
        ErrorName::All => true,
        ErrorName::TaskFailed => !matches!(error, ErrorName::Timeout),
        other => other == error,
    })
}
