//! Building the typed model from a definition's JSON value.

use std::collections::HashMap;

use serde_json::{Map as JsonMap, Value};

use super::*;
use crate::jsonata::is_expression;

/// A definition the model cannot be built from. `validate` reports the same problems with
/// positions; this is the last line of defence when a caller skipped validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}: {message}")]
pub struct ModelError {
    pub pointer: String,
    pub message: String,
}

fn err<T>(pointer: &str, message: impl Into<String>) -> Result<T, ModelError> {
    Err(ModelError {
        pointer: pointer.to_string(),
        message: message.into(),
    })
}

/// Deepest nesting of Parallel/Map scopes the builder follows.
const MAX_DEPTH: usize = 64;

pub(super) fn state_machine(value: &Value) -> Result<StateMachine, ModelError> {
    let obj = as_object(value, "")?;
    let ql = query_language(obj, "", QueryLanguage::JsonPath)?;
    let timeout_seconds = opt_u64(obj, "TimeoutSeconds", "")?;
    let comment = obj
        .get("Comment")
        .and_then(Value::as_str)
        .map(str::to_string);
    let states = state_set(obj, "", ql, 0)?;
    let uses_jsonata = any_jsonata(&states);
    Ok(StateMachine {
        comment,
        query_language: ql,
        timeout_seconds,
        states,
        uses_jsonata,
    })
}

/// Whether any state of `set`, or of the sets nested in it, evaluates JSONata.
fn any_jsonata(set: &StateSet) -> bool {
    let mut sets = vec![set];
    while let Some(set) = sets.pop() {
        for state in &set.states {
            if state.query_language == QueryLanguage::Jsonata {
                return true;
            }
            match &state.kind {
                StateKind::Parallel(p) => sets.extend(p.branches.iter()),
                StateKind::Map(m) => sets.push(&m.processor),
                _ => {}
            }
        }
    }
    false
}

fn as_object<'a>(v: &'a Value, ptr: &str) -> Result<&'a JsonMap<String, Value>, ModelError> {
    v.as_object()
        .map_or_else(|| err(ptr, "expected an object"), Ok)
}

fn query_language(
    obj: &JsonMap<String, Value>,
    ptr: &str,
    inherited: QueryLanguage,
) -> Result<QueryLanguage, ModelError> {
    match obj.get("QueryLanguage") {
        None => Ok(inherited),
        Some(Value::String(s)) if s == "JSONPath" => Ok(QueryLanguage::JsonPath),
        Some(Value::String(s)) if s == "JSONata" => Ok(QueryLanguage::Jsonata),
        Some(_) => err(
            &format!("{ptr}/QueryLanguage"),
            "must be \"JSONPath\" or \"JSONata\"",
        ),
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn state_set(
    obj: &JsonMap<String, Value>,
    ptr: &str,
    ql: QueryLanguage,
    depth: usize,
) -> Result<StateSet, ModelError> {
    if depth > MAX_DEPTH {
        return err(ptr, "states are nested too deeply");
    }
    let states_obj = match obj.get("States") {
        Some(v) => as_object(v, &format!("{ptr}/States"))?,
        None => return err(ptr, "missing States"),
    };
    let by_name: HashMap<String, usize> = states_obj
        .keys()
        .enumerate()
        .map(|(i, k)| (k.clone(), i))
        .collect();
    let start_at = match obj.get("StartAt").and_then(Value::as_str) {
        Some(s) => match by_name.get(s) {
            Some(&i) => i,
            None => return err(&format!("{ptr}/StartAt"), format!("no state named '{s}'")),
        },
        None => return err(ptr, "missing StartAt"),
    };
    let mut states = Vec::with_capacity(states_obj.len());
    for (name, v) in states_obj {
        let sptr = format!("{ptr}/States/{}", escape(name));
        states.push(state(name, v, &sptr, ql, &by_name, depth)?);
    }
    Ok(StateSet {
        start_at,
        states,
        by_name,
    })
}

struct Ctx<'a> {
    obj: &'a JsonMap<String, Value>,
    ptr: &'a str,
    ql: QueryLanguage,
    names: &'a HashMap<String, usize>,
}

impl Ctx<'_> {
    fn p(&self, key: &str) -> String {
        format!("{}/{}", self.ptr, key)
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.obj.get(key)
    }

    fn target(&self, key: &str, v: Option<&Value>) -> Result<usize, ModelError> {
        match v.and_then(Value::as_str) {
            Some(name) => match self.names.get(name) {
                Some(&i) => Ok(i),
                None => err(&self.p(key), format!("no state named '{name}'")),
            },
            None => err(&self.p(key), "expected a state name"),
        }
    }

    fn string(&self, key: &str) -> Result<Option<String>, ModelError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => err(&self.p(key), "expected a string"),
        }
    }

    fn path(&self, key: &str) -> Result<Option<Path>, ModelError> {
        match self.string(key)? {
            None => Ok(None),
            Some(s) => Path::parse(&s)
                .map(Some)
                .or_else(|e| err(&self.p(key), e.message)),
        }
    }

    fn path_spec(&self, key: &str) -> Result<PathSpec, ModelError> {
        match self.get(key) {
            None => Ok(PathSpec::Identity),
            Some(Value::Null) => Ok(PathSpec::Discard),
            Some(_) => Ok(PathSpec::Path(self.path(key)?.expect("present"))),
        }
    }

    fn result_path(&self, key: &str) -> Result<ResultPathSpec, ModelError> {
        match self.get(key) {
            None => Ok(ResultPathSpec::Replace),
            Some(Value::Null) => Ok(ResultPathSpec::Discard),
            Some(Value::String(s)) => ReferencePath::parse(s)
                .map(ResultPathSpec::Path)
                .or_else(|e| err(&self.p(key), e.message)),
            Some(_) => err(&self.p(key), "expected a string or null"),
        }
    }

    fn template(&self, key: &str) -> Result<Option<Template>, ModelError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => Template::parse(v)
                .map(Some)
                .or_else(|e| err(&self.p(key), e.message)),
        }
    }

    fn jsonata(&self, key: &str) -> Result<Option<JsonataTemplate>, ModelError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => jsonata_template(v, &self.p(key)).map(Some),
        }
    }

    fn assign(&self) -> Result<Option<Assign>, ModelError> {
        assign(self.get("Assign"), &self.p("Assign"), self.ql)
    }

    /// A number field, or (JSONata) a `{% %}` expression, or its `…Path` twin (JSONPath).
    fn dyn_u64(&self, key: &str) -> Result<Option<Dynamic<u64>>, ModelError> {
        let path_key = format!("{key}Path");
        if let Some(p) = self.path(&path_key)? {
            return Ok(Some(Dynamic::Path(p)));
        }
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if is_expression(s) => Ok(Some(Dynamic::Jsonata(
                jsonata_template(&Value::String(s.clone()), &self.p(key))?,
            ))),
            Some(v) => match v.as_u64() {
                Some(n) => Ok(Some(Dynamic::Literal(n))),
                None => err(&self.p(key), "expected a non-negative integer"),
            },
        }
    }

    fn dyn_f64(&self, key: &str) -> Result<Option<Dynamic<f64>>, ModelError> {
        let path_key = format!("{key}Path");
        if let Some(p) = self.path(&path_key)? {
            return Ok(Some(Dynamic::Path(p)));
        }
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if is_expression(s) => Ok(Some(Dynamic::Jsonata(
                jsonata_template(&Value::String(s.clone()), &self.p(key))?,
            ))),
            Some(v) => match v.as_f64() {
                Some(n) => Ok(Some(Dynamic::Literal(n))),
                None => err(&self.p(key), "expected a number"),
            },
        }
    }

    fn dyn_string(&self, key: &str) -> Result<Option<Dynamic<String>>, ModelError> {
        let path_key = format!("{key}Path");
        if let Some(text) = self.string(&path_key)? {
            if Intrinsic::looks_like_call(&text) {
                return Intrinsic::parse(&text)
                    .map(|i| Some(Dynamic::Intrinsic(i)))
                    .or_else(|e| err(&self.p(&path_key), e.message));
            }
            return Path::parse(&text)
                .map(|p| Some(Dynamic::Path(p)))
                .or_else(|e| err(&self.p(&path_key), e.message));
        }
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if self.ql == QueryLanguage::Jsonata && is_expression(s) => {
                Ok(Some(Dynamic::Jsonata(jsonata_template(
                    &Value::String(s.clone()),
                    &self.p(key),
                )?)))
            }
            Some(Value::String(s)) => Ok(Some(Dynamic::Literal(s.clone()))),
            Some(_) => err(&self.p(key), "expected a string"),
        }
    }

    fn retriers(&self) -> Result<Vec<Retrier>, ModelError> {
        let Some(v) = self.get("Retry") else {
            return Ok(Vec::new());
        };
        let Some(arr) = v.as_array() else {
            return err(&self.p("Retry"), "expected an array");
        };
        arr.iter()
            .enumerate()
            .map(|(i, r)| retrier(r, &format!("{}/Retry/{i}", self.ptr)))
            .collect()
    }

    fn catchers(&self) -> Result<Vec<Catcher>, ModelError> {
        let Some(v) = self.get("Catch") else {
            return Ok(Vec::new());
        };
        let Some(arr) = v.as_array() else {
            return err(&self.p("Catch"), "expected an array");
        };
        let mut out = Vec::with_capacity(arr.len());
        for (i, c) in arr.iter().enumerate() {
            let cptr = format!("{}/Catch/{i}", self.ptr);
            let obj = as_object(c, &cptr)?;
            let cx = Ctx {
                obj,
                ptr: &cptr,
                ql: self.ql,
                names: self.names,
            };
            out.push(Catcher {
                error_equals: error_equals(obj, &cptr)?,
                next: cx.target("Next", obj.get("Next"))?,
                result_path: cx.result_path("ResultPath")?,
                output: cx.jsonata("Output")?,
                assign: cx.assign()?,
            });
        }
        Ok(out)
    }
}

fn jsonata_template(v: &Value, ptr: &str) -> Result<JsonataTemplate, ModelError> {
    JsonataTemplate::parse(v).or_else(|e| err(ptr, e))
}

fn assign(v: Option<&Value>, ptr: &str, ql: QueryLanguage) -> Result<Option<Assign>, ModelError> {
    match v {
        None => Ok(None),
        Some(v) => match ql {
            QueryLanguage::JsonPath => Template::parse(v)
                .map(|t| Some(Assign::JsonPath(t)))
                .or_else(|e| err(ptr, e.message)),
            QueryLanguage::Jsonata => Ok(Some(Assign::Jsonata(jsonata_template(v, ptr)?))),
        },
    }
}

fn error_equals(obj: &JsonMap<String, Value>, ptr: &str) -> Result<Vec<ErrorName>, ModelError> {
    match obj.get("ErrorEquals").and_then(Value::as_array) {
        Some(arr) => arr
            .iter()
            .map(|e| match e.as_str() {
                Some(s) => Ok(ErrorName::parse(s)),
                None => err(&format!("{ptr}/ErrorEquals"), "expected strings"),
            })
            .collect(),
        None => err(ptr, "missing ErrorEquals"),
    }
}

fn opt_u64(obj: &JsonMap<String, Value>, key: &str, ptr: &str) -> Result<Option<u64>, ModelError> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) => Ok(Some(n)),
            None => err(&format!("{ptr}/{key}"), "expected a non-negative integer"),
        },
    }
}

fn retrier(v: &Value, ptr: &str) -> Result<Retrier, ModelError> {
    let obj = as_object(v, ptr)?;
    let backoff_rate = match obj.get("BackoffRate") {
        None => 2.0,
        Some(v) => match v.as_f64() {
            Some(n) => n,
            None => return err(&format!("{ptr}/BackoffRate"), "expected a number"),
        },
    };
    let jitter = match obj.get("JitterStrategy").and_then(Value::as_str) {
        None | Some("NONE") => Jitter::None,
        Some("FULL") => Jitter::Full,
        Some(other) => return err(&format!("{ptr}/JitterStrategy"), format!("unknown {other}")),
    };
    Ok(Retrier {
        error_equals: error_equals(obj, ptr)?,
        interval_seconds: opt_u64(obj, "IntervalSeconds", ptr)?.unwrap_or(1),
        max_attempts: opt_u64(obj, "MaxAttempts", ptr)?.unwrap_or(3),
        backoff_rate,
        max_delay_seconds: opt_u64(obj, "MaxDelaySeconds", ptr)?,
        jitter,
    })
}

fn state(
    name: &str,
    v: &Value,
    ptr: &str,
    parent_ql: QueryLanguage,
    names: &HashMap<String, usize>,
    depth: usize,
) -> Result<State, ModelError> {
    let obj = as_object(v, ptr)?;
    let ql = query_language(obj, ptr, parent_ql)?;
    let cx = Ctx {
        obj,
        ptr,
        ql,
        names,
    };
    let ty = match obj.get("Type").and_then(Value::as_str) {
        Some(t) => t,
        None => return err(ptr, "missing Type"),
    };
    let next = match (obj.get("Next"), obj.get("End")) {
        (Some(n), _) => Transition::Next(cx.target("Next", Some(n))?),
        (None, Some(Value::Bool(true))) => Transition::End,
        _ => Transition::None,
    };
    let flow = match ql {
        QueryLanguage::JsonPath => DataFlow::JsonPath(Box::new(JsonPathFlow {
            input_path: cx.path_spec("InputPath")?,
            parameters: if ty == "Map" {
                None
            } else {
                cx.template("Parameters")?
            },
            result_selector: cx.template("ResultSelector")?,
            result_path: cx.result_path("ResultPath")?,
            output_path: cx.path_spec("OutputPath")?,
            assign: cx.assign()?,
        })),
        QueryLanguage::Jsonata => DataFlow::Jsonata(Box::new(JsonataFlow {
            arguments: cx.jsonata("Arguments")?,
            output: cx.jsonata("Output")?,
            assign: cx.assign()?,
        })),
    };
    let kind = match ty {
        "Pass" => StateKind::Pass {
            result: obj.get("Result").cloned(),
        },
        "Succeed" => StateKind::Succeed,
        "Fail" => StateKind::Fail(Box::new(Fail {
            error: cx.dyn_string("Error")?,
            cause: cx.dyn_string("Cause")?,
        })),
        "Wait" => {
            let wait = if let Some(d) = cx.dyn_u64("Seconds")? {
                Wait::Seconds(d)
            } else if let Some(d) = cx.dyn_string("Timestamp")? {
                Wait::Timestamp(d)
            } else {
                return err(
                    ptr,
                    "a Wait state needs Seconds, Timestamp, SecondsPath or TimestampPath",
                );
            };
            StateKind::Wait(wait)
        }
        "Task" => StateKind::Task(Box::new(Task {
            resource: match cx.string("Resource")? {
                Some(r) => r,
                None => return err(ptr, "missing Resource"),
            },
            timeout_seconds: cx.dyn_u64("TimeoutSeconds")?,
            heartbeat_seconds: cx.dyn_u64("HeartbeatSeconds")?,
            credentials: obj.get("Credentials").cloned(),
            retry: cx.retriers()?,
            catch: cx.catchers()?,
        })),
        "Choice" => StateKind::Choice(Box::new(choice(&cx)?)),
        "Parallel" => {
            let Some(branches) = obj.get("Branches").and_then(Value::as_array) else {
                return err(ptr, "missing Branches");
            };
            let mut sets = Vec::with_capacity(branches.len());
            for (i, b) in branches.iter().enumerate() {
                let bptr = format!("{ptr}/Branches/{i}");
                let bobj = as_object(b, &bptr)?;
                let bql = query_language(bobj, &bptr, ql)?;
                sets.push(state_set(bobj, &bptr, bql, depth + 1)?);
            }
            StateKind::Parallel(Box::new(Parallel {
                branches: sets,
                retry: cx.retriers()?,
                catch: cx.catchers()?,
            }))
        }
        "Map" => StateKind::Map(Box::new(map(&cx, depth)?)),
        other => return err(&cx.p("Type"), format!("unknown state type '{other}'")),
    };
    let uses_context = mentions_context(v);
    Ok(State {
        name: name.to_string(),
        query_language: ql,
        kind,
        flow,
        next,
        uses_context,
    })
}

fn choice(cx: &Ctx<'_>) -> Result<Choice, ModelError> {
    let Some(rules) = cx.get("Choices").and_then(Value::as_array) else {
        return err(cx.ptr, "missing Choices");
    };
    let mut choices = Vec::with_capacity(rules.len());
    for (i, r) in rules.iter().enumerate() {
        let rptr = format!("{}/Choices/{i}", cx.ptr);
        let robj = as_object(r, &rptr)?;
        let rcx = Ctx {
            obj: robj,
            ptr: &rptr,
            ql: cx.ql,
            names: cx.names,
        };
        let condition = match cx.ql {
            QueryLanguage::JsonPath => {
                ChoiceCondition::JsonPath(Condition::parse(r).or_else(|e| err(&rptr, e))?)
            }
            QueryLanguage::Jsonata => match robj.get("Condition") {
                Some(Value::Bool(b)) => ChoiceCondition::Jsonata(Dynamic::Literal(*b)),
                Some(v @ Value::String(_)) => ChoiceCondition::Jsonata(Dynamic::Jsonata(
                    jsonata_template(v, &rcx.p("Condition"))?,
                )),
                _ => return err(&rptr, "a JSONata Choice rule needs a Condition"),
            },
        };
        choices.push(ChoiceRule {
            condition,
            next: rcx.target("Next", robj.get("Next"))?,
            assign: rcx.assign()?,
            output: if cx.ql == QueryLanguage::Jsonata {
                rcx.jsonata("Output")?
            } else {
                None
            },
        });
    }
    let default = match cx.get("Default") {
        None => None,
        Some(v) => Some(cx.target("Default", Some(v))?),
    };
    Ok(Choice { choices, default })
}

fn map(cx: &Ctx<'_>, depth: usize) -> Result<Map, ModelError> {
    let (proc_key, proc) = match (cx.get("ItemProcessor"), cx.get("Iterator")) {
        (Some(p), _) => ("ItemProcessor", p),
        (None, Some(p)) => ("Iterator", p),
        _ => return err(cx.ptr, "missing ItemProcessor"),
    };
    let pptr = cx.p(proc_key);
    let pobj = as_object(proc, &pptr)?;
    let pql = query_language(pobj, &pptr, cx.ql)?;
    let processor = state_set(pobj, &pptr, pql, depth + 1)?;
    let config = pobj.get("ProcessorConfig").and_then(Value::as_object);
    let mode = match config.and_then(|c| c.get("Mode")).and_then(Value::as_str) {
        Some("DISTRIBUTED") => MapMode::Distributed,
        _ => MapMode::Inline,
    };
    let execution_type = config
        .and_then(|c| c.get("ExecutionType"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let items = match cx.ql {
        QueryLanguage::JsonPath => cx.path("ItemsPath")?.map(Dynamic::Path),
        QueryLanguage::Jsonata => match cx.get("Items") {
            None => None,
            // A literal array may hold expressions too: `[1, "{% $x %}"]`.
            Some(v) => Some(Dynamic::Jsonata(jsonata_template(v, &cx.p("Items"))?)),
        },
    };
    let item_selector = match cx.ql {
        QueryLanguage::JsonPath => {
            let t = match cx.template("ItemSelector")? {
                Some(t) => Some(t),
                None => cx.template("Parameters")?,
            };
            t.map(ItemSelector::JsonPath)
        }
        QueryLanguage::Jsonata => cx.jsonata("ItemSelector")?.map(ItemSelector::Jsonata),
    };
    let item_batcher = match cx.get("ItemBatcher") {
        None => None,
        Some(v) => {
            let bptr = cx.p("ItemBatcher");
            let bobj = as_object(v, &bptr)?;
            let bcx = Ctx {
                obj: bobj,
                ptr: &bptr,
                ql: cx.ql,
                names: cx.names,
            };
            let batch_input = match cx.ql {
                QueryLanguage::JsonPath => bcx.template("BatchInput")?.map(BatchInput::JsonPath),
                QueryLanguage::Jsonata => bcx.jsonata("BatchInput")?.map(BatchInput::Jsonata),
            };
            Some(ItemBatcher {
                max_items_per_batch: bcx.dyn_u64("MaxItemsPerBatch")?,
                max_input_bytes_per_batch: bcx.dyn_u64("MaxInputBytesPerBatch")?,
                batch_input,
            })
        }
    };
    Ok(Map {
        processor,
        mode,
        execution_type,
        items,
        item_selector,
        item_batcher,
        item_reader: item_reader(cx)?,
        result_writer: result_writer(cx)?,
        max_concurrency: cx.dyn_u64("MaxConcurrency")?,
        tolerated_failure_count: cx.dyn_u64("ToleratedFailureCount")?,
        tolerated_failure_percentage: cx.dyn_f64("ToleratedFailurePercentage")?,
        label: cx.string("Label")?,
        retry: cx.retriers()?,
        catch: cx.catchers()?,
    })
}

/// A sub-object's context (`ItemReader`, `ReaderConfig`, …) under `cx`; `None` when absent.
fn sub<'a>(cx: &Ctx<'a>, key: &str, ptr: &'a str) -> Result<Option<Ctx<'a>>, ModelError> {
    let Some(v) = cx.obj.get(key) else {
        return Ok(None);
    };
    Ok(Some(Ctx {
        obj: as_object(v, ptr)?,
        ptr,
        ql: cx.ql,
        names: cx.names,
    }))
}

/// `Parameters` (JSONPath) or `Arguments` (JSONata) of an ItemReader or ResultWriter.
fn payload(cx: &Ctx<'_>) -> Result<Option<Payload>, ModelError> {
    Ok(match cx.ql {
        QueryLanguage::JsonPath => cx.template("Parameters")?.map(Payload::JsonPath),
        QueryLanguage::Jsonata => cx.jsonata("Arguments")?.map(Payload::Jsonata),
    })
}

fn item_reader(cx: &Ctx<'_>) -> Result<Option<ItemReader>, ModelError> {
    let ptr = cx.p("ItemReader");
    let Some(rcx) = sub(cx, "ItemReader", &ptr)? else {
        return Ok(None);
    };
    let resource = match rcx.get("Resource") {
        Some(Value::String(s)) => s.clone(),
        _ => return err(&rcx.p("Resource"), "expected a string"),
    };
    let config_ptr = rcx.p("ReaderConfig");
    let (reader_config, max_items) = match sub(&rcx, "ReaderConfig", &config_ptr)? {
        Some(ccx) => (ccx.obj.clone(), ccx.dyn_u64("MaxItems")?),
        None => (JsonMap::new(), None),
    };
    Ok(Some(ItemReader {
        resource,
        arguments: payload(&rcx)?,
        reader_config,
        max_items,
    }))
}

fn result_writer(cx: &Ctx<'_>) -> Result<Option<ResultWriter>, ModelError> {
    let ptr = cx.p("ResultWriter");
    let Some(wcx) = sub(cx, "ResultWriter", &ptr)? else {
        return Ok(None);
    };
    let resource = match wcx.get("Resource") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return err(&wcx.p("Resource"), "expected a string"),
    };
    let config_ptr = wcx.p("WriterConfig");
    let (transformation, output_type) = match sub(&wcx, "WriterConfig", &config_ptr)? {
        Some(ccx) => (ccx.string("Transformation")?, ccx.string("OutputType")?),
        None => (None, None),
    };
    Ok(Some(ResultWriter {
        resource,
        arguments: payload(&wcx)?,
        transformation,
        output_type,
    }))
}

/// Conservative: any string in the state that mentions `$$` or `$states` (nested states
/// included, since a Map's ItemSelector sees `$$.Map`).
/// True when some field of the state may read the context object: a JSONPath `$$` (or
/// `$states`), or a JSONata expression that reaches `$states.context` (most read only
/// `$states.input`, and then the context is never built).
fn mentions_context(v: &Value) -> bool {
    match v {
        Value::String(s) if crate::jsonata::is_expression(s) => crate::jsonata::reads_context(s),
        Value::String(s) => s.contains("$$") || s.contains("$states"),
        Value::Array(a) => a.iter().any(mentions_context),
        Value::Object(o) => o
            .iter()
            .any(|(k, v)| k.contains("$$") || mentions_context(v)),
        _ => false,
    }
}
