//! A state's data-flow phases (InputPath → Parameters/Arguments → ResultSelector →
//! ResultPath → OutputPath, Output, Assign), each a separate step, with AWS's cause prefix on
//! every evaluation error.

use baton_asl::intrinsics::Intrinsic;
use baton_asl::jackson;
use baton_asl::jsonata::{JsonType, JsonataEnv, JsonataTemplate, States};
use baton_asl::model::{Assign, Dynamic, PathSpec, ResultPathSpec, State};
use baton_asl::path::{Path, PathFailure};
use baton_asl::template::Template;
use baton_asl::vars::Entropy;
use baton_asl::{Env, ErrorName, Failure};
use serde_json::{Map, Value};

use crate::execution::{Fault, Run, Scope};
use crate::history::Millis;

/// What every expression of one state sees.
pub(crate) struct Ctx<'a> {
    pub state: &'a State,
    pub entered_id: u64,
    pub context: &'a Value,
    pub vars: &'a Scope,
    pub now: Millis,
}

impl<'a> Ctx<'a> {
    /// The context of `run` in `state`.
    pub fn of(run: &'a Run, state: &'a State, context: &'a Value, now: Millis) -> Ctx<'a> {
        Ctx {
            state,
            entered_id: run.entered_id,
            context,
            vars: &run.scope,
            now,
        }
    }

    /// A JSONata field whose value must be of one JSON type, with AWS's message otherwise.
    pub fn jsonata_as(
        &self,
        t: &JsonataTemplate,
        field: &str,
        expected: JsonType,
        states: &States<'_>,
        entropy: &mut dyn Entropy,
    ) -> Result<Value, Fault> {
        let env = JsonataEnv {
            states: *states,
            vars: self.vars,
        };
        t.eval_as(field, expected, &env, entropy).map_err(|f| {
            let mut fault = self.fault(f);
            fault.evaluation = matches!(fault.error, Some(ErrorName::QueryEvaluationError));
            fault
        })
    }

    /// A count (`TimeoutSeconds`, `MaxConcurrency`, `ToleratedFailureCount`, …): a literal,
    /// its `…Path` twin (a numeric string counts, as on AWS), or a JSONata expression.
    /// `input` is what the path reads and what `$states.input` is.
    pub fn count(
        &self,
        d: Option<&Dynamic<u64>>,
        field: &str,
        input: &Value,
        entropy: &mut dyn Entropy,
    ) -> Result<Option<u64>, Fault> {
        match d {
            None | Some(Dynamic::Intrinsic(_)) => Ok(None),
            Some(Dynamic::Literal(n)) => Ok(Some(*n)),
            Some(Dynamic::Path(p)) => {
                // Step Functions reads the node's text (a string's own text, anything else as
                // Jackson writes it) with `Integer.parseInt`: `"5"` counts, `5.0`, `" 5"`
                // and numbers beyond a Java `int` do not; a negative count is refused after.
                let v = self.path(p, input)?;
                let text = jackson::node_text(&v);
                match jackson::parse_int(&text) {
                    Some(n) if n >= 0 => Ok(Some(n as u64)),
                    Some(n) => Err(self.runtime(&negative_count(field, n))),
                    None => Err(self.runtime(&format!(
                        "The {field}Path field refers to value \"{text}\" which is not a valid integer: {}",
                        p.text()
                    ))),
                }
            }
            Some(Dynamic::Jsonata(t)) => {
                let states = self.states(input, None, None);
                let v = self.jsonata_as(t, field, JsonType::Integer, &states, entropy)?;
                match v.as_u64() {
                    Some(n) => Ok(Some(n)),
                    None if v.as_f64().is_some_and(|n| n < 0.0) => Err(self.query_error(&format!(
                        "The JSONata expression '{}' specified for the field '{field}' returned a negative number: {v}",
                        expression_text(t)
                    ))),
                    // Whole, but past any count a Java number holds (`1e20`): not an integer.
                    None => Err(self.query_error(&format!(
                        "The JSONata expression '{}' specified for the field '{field}' returned an unexpected result type. Expected 'integer', but was 'number' for value: {v}",
                        expression_text(t)
                    ))),
                }
            }
        }
    }

    /// AWS's prefix on the cause of every error raised while evaluating a state's fields.
    /// A state tested alone (TestState) has no history, so no entered event to name: there
    /// `entered_id` is 0 and the message stands bare.
    pub fn prefix(&self, message: &str) -> String {
        if self.entered_id == 0 {
            return message.to_string();
        }
        format!(
            "An error occurred while executing the state '{}' (entered at the event id #{}). {}",
            self.state.name, self.entered_id, message
        )
    }

    pub fn fault(&self, f: Failure) -> Fault {
        let cause = self.prefix(&f.cause);
        Fault::from(Failure::new(f.error, cause))
    }

    pub fn runtime(&self, message: &str) -> Fault {
        Fault::of(ErrorName::Runtime, self.prefix(message))
    }

    pub fn query_error(&self, message: &str) -> Fault {
        let mut f = Fault::of(ErrorName::QueryEvaluationError, self.prefix(message));
        f.evaluation = true;
        f
    }

    pub fn env<'b>(&'b self, input: &'b Value) -> Env<'b> {
        Env {
            input,
            context: self.context,
            vars: self.vars,
        }
    }

    /// `InputPath` or `OutputPath`.
    pub fn select(&self, spec: &PathSpec, value: Value) -> Result<Value, Fault> {
        match spec {
            PathSpec::Identity => Ok(value),
            PathSpec::Discard => Ok(Value::Object(Map::new())),
            PathSpec::Path(p) => self.path(p, &value),
        }
    }

    /// A path as `InputPath`/`OutputPath`/`ItemsPath` use it: a miss is `States.Runtime`
    /// with Jayway's message.
    pub fn path(&self, p: &Path, input: &Value) -> Result<Value, Fault> {
        p.eval(&self.env(input))
            .map_err(|e| self.path_failure(p, e))
    }

    /// Jayway's failures, as AWS quotes them: `Invalid path '<path>' : <what went wrong>`.
    fn path_failure(&self, p: &Path, e: PathFailure) -> Fault {
        self.runtime(&format!("Invalid path '{}' : {e}", p.text()))
    }

    /// A `*Path` field that names one value (`ErrorPath`, `SecondsPath`, …): a miss is the
    /// "could not be found in the input" cause.
    pub fn field_path(&self, p: &Path, field: &str, input: &Value) -> Result<Option<Value>, Fault> {
        match p.eval(&self.env(input)) {
            Ok(v) => Ok(Some(v)),
            Err(PathFailure::NoResults { .. }) => Err(self.runtime(&format!(
                "The JSONPath '{}' specified for the field '{field}' could not be found in the input '{}'",
                p.text(),
                input
            ))),
            Err(e) => Err(self.path_failure(p, e)),
        }
    }

    pub fn intrinsic(
        &self,
        i: &Intrinsic,
        input: &Value,
        entropy: &mut dyn Entropy,
    ) -> Result<Value, Fault> {
        i.eval(&self.env(input), entropy).map_err(|f| self.fault(f))
    }

    pub fn template(
        &self,
        t: &Template,
        input: &Value,
        entropy: &mut dyn Entropy,
    ) -> Result<Value, Fault> {
        t.eval(&self.env(input), entropy).map_err(|f| self.fault(f))
    }

    /// `ResultPath`: where the result goes in the raw input.
    pub fn result_path(
        &self,
        spec: &ResultPathSpec,
        raw: Value,
        result: Value,
    ) -> Result<Value, Fault> {
        match spec {
            ResultPathSpec::Replace => Ok(result),
            ResultPathSpec::Discard => Ok(raw),
            ResultPathSpec::Path(p) => p
                .set(raw, result)
                .map_err(|e| self.runtime(&format!("Invalid path '{}' : {e}", p.text()))),
        }
    }

    /// `$states` for a JSONata evaluation, by its parts: nothing is copied.
    pub fn states<'v>(
        &'v self,
        input: &'v Value,
        result: Option<&'v Value>,
        error: Option<&'v Value>,
    ) -> States<'v> {
        States {
            input,
            context: self.context,
            result,
            error_output: error,
        }
    }

    pub fn jsonata(
        &self,
        t: &JsonataTemplate,
        field: &str,
        states: &States<'_>,
        entropy: &mut dyn Entropy,
    ) -> Result<Value, Fault> {
        let env = JsonataEnv {
            states: *states,
            vars: self.vars,
        };
        t.eval(field, &env, entropy).map_err(|f| {
            let mut fault = self.fault(f);
            fault.evaluation = matches!(fault.error, Some(ErrorName::QueryEvaluationError));
            fault
        })
    }

    /// Evaluates `Assign`: JSONPath templates see `value` as `$`; JSONata sees `states`.
    pub fn assign(
        &self,
        assign: &Assign,
        value: &Value,
        states: Option<&States<'_>>,
        entropy: &mut dyn Entropy,
    ) -> Result<Map<String, Value>, Fault> {
        let out = match assign {
            Assign::JsonPath(t) => self.template(t, value, entropy)?,
            Assign::Jsonata(t) => {
                let states = match states {
                    Some(s) => *s,
                    None => self.states(value, None, None),
                };
                self.jsonata(t, "Assign", &states, entropy)?
            }
        };
        match out {
            Value::Object(m) => Ok(m),
            _ => Err(self.runtime("The Assign field must be an object")),
        }
    }
}

/// The `{"Error", "Cause"}` object a Catch passes on. AWS writes `null` for a missing error
/// and, when there is an error without a cause (a timeout), an empty cause.
pub(crate) fn error_output(f: &Fault) -> Value {
    let mut m = Map::new();
    let error = f
        .error
        .as_ref()
        .map(|e| Value::String(e.as_str().to_string()));
    let cause = match (&f.cause, &error) {
        (Some(c), _) => Value::String(c.clone()),
        (None, Some(_)) => Value::String(String::new()),
        (None, None) => Value::Null,
    };
    m.insert("Error".into(), error.unwrap_or(Value::Null));
    m.insert("Cause".into(), cause);
    Value::Object(m)
}

/// Step Functions' cause for a `*Path` count that reads a negative integer: its own words for
/// `ToleratedFailureCount`, and "Expected non-negative integer for …" for the others (the
/// wording LocalStack's implementation reproduces from its AWS-validated tests).
fn negative_count(field: &str, n: i32) -> String {
    match field {
        "ToleratedFailureCount" => "ToleratedFailureCount cannot be negative.".to_string(),
        _ => format!("Expected non-negative integer for {field}, got '{n}' instead."),
    }
}

/// The text of a JSONata field's expression, for messages (`{% 1 %}` → `1`).
pub(crate) fn expression_text(t: &JsonataTemplate) -> String {
    match t.source() {
        Value::String(s) => baton_asl::jsonata::expression_text(s)
            .unwrap_or(s)
            .to_string(),
        other => other.to_string(),
    }
}
