//! How a tested state's ending becomes the response: the output and next state of a state that
//! exited, and for a failure the Retry and Catch decision a run would make
//! (`RETRIABLE`, `CAUGHT_ERROR` or `FAILED`), with the retrier and catcher that made it.

use baton_asl::model::{QueryLanguage, State};
use baton_asl::ErrorName;
use serde_json::{Map, Value};

use super::run::{ctx_of, Ending, Session};
use super::types::{ErrorDetails, InspectionLevel, TestStateResponse, TestStatus};
use crate::dataflow::error_output;
use crate::execution::Fault;

impl Session {
    /// The response for how the state ended.
    pub fn respond(
        mut self,
        state: &State,
        ending: Ending,
        level: InspectionLevel,
    ) -> TestStateResponse {
        let mut response = match ending {
            Ending::Exit {
                output,
                next,
                assigned,
            } => self.exited(state, output, next, assigned, TestStatus::Succeeded, None),
            Ending::Terminal(fault) => failed(&fault),
            Ending::Fail(fault) => self.handle_fault(state, fault),
        };
        if level != InspectionLevel::Info {
            let vars = self.scope.snapshot();
            if !vars.is_empty() {
                self.probe.variables = Some(Value::Object((*vars).clone()).to_string());
            }
            response.inspection_data = Some(Box::new(self.probe));
        }
        response
    }

    fn exited(
        &mut self,
        state: &State,
        output: Value,
        next: Option<usize>,
        assigned: Option<Map<String, Value>>,
        status: TestStatus,
        fault: Option<&Fault>,
    ) -> TestStateResponse {
        let text = output.to_string();
        if text.len() > self.max_payload_bytes {
            return failed(&Fault::of(
                ErrorName::DataLimitExceeded,
                format!(
                    "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                    state.name
                ),
            ));
        }
        if let Some(vars) = assigned {
            for (k, v) in vars {
                self.scope.own.insert(k, v);
            }
        }
        let next_state = next.and_then(|n| self.name_of(n));
        TestStateResponse {
            status,
            output: Some(text),
            error: fault.and_then(Fault::error_text),
            cause: fault.and_then(|f| f.cause.clone()),
            next_state,
            inspection_data: None,
        }
    }

    /// The name of the state at `index` in the tested state's set.
    fn name_of(&self, index: usize) -> Option<String> {
        crate::execution::Execution::set_of(&self.machine, &self.set_path)
            .states
            .get(index)
            .map(|s| s.name.clone())
    }

    /// Retry, then Catch, as a run decides; `retrierRetryCount` says how many retries the
    /// matching retrier already made.
    fn handle_fault(&mut self, state: &State, fault: Fault) -> TestStateResponse {
        if fault.terminal || fault.error == Some(ErrorName::Runtime) {
            return failed(&fault);
        }
        let name = fault.name();
        let retriers = state.kind.retriers();
        if let Some((i, r)) = retriers.iter().enumerate().find(|(_, r)| r.matches(&name)) {
            let done = self.config.retrier_retry_count.unwrap_or(0);
            let details = self
                .probe
                .error_details
                .get_or_insert_with(ErrorDetails::default);
            details.retry_index = Some(i as u64);
            if done < r.max_attempts {
                let exponent = i32::try_from(done).unwrap_or(i32::MAX);
                let mut delay = r.interval_seconds as f64 * r.backoff_rate.powi(exponent);
                if let Some(max) = r.max_delay_seconds {
                    delay = delay.min(max as f64);
                }
                details.retry_backoff_interval_seconds = Some(delay as u64);
                return TestStateResponse {
                    status: TestStatus::Retriable,
                    output: None,
                    error: fault.error_text(),
                    cause: fault.cause.clone(),
                    next_state: None,
                    inspection_data: None,
                };
            }
        }
        let Some((i, c)) = state
            .kind
            .catchers()
            .iter()
            .enumerate()
            .find(|(_, c)| c.matches(&name))
        else {
            return failed(&fault);
        };
        self.probe
            .error_details
            .get_or_insert_with(ErrorDetails::default)
            .catch_index = Some(i as u64);
        let err_out = error_output(&fault);
        let context = self.context_value(state, None);
        let raw = self.input.clone();
        let ctx = ctx_of(state, &context, &self.scope, self.now);
        let entropy = &mut self.entropy;
        let caught = (|| -> Result<(Value, Option<Map<String, Value>>), Fault> {
            match state.query_language {
                QueryLanguage::JsonPath => {
                    let assigned = match &c.assign {
                        Some(a) => Some(ctx.assign(a, &err_out, None, entropy)?),
                        None => None,
                    };
                    let out = ctx.result_path(&c.result_path, raw, err_out.clone())?;
                    Ok((out, assigned))
                }
                QueryLanguage::Jsonata => {
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
        match caught {
            Ok((output, assigned)) => self.exited(
                state,
                output,
                Some(c.next),
                assigned,
                TestStatus::CaughtError,
                Some(&fault),
            ),
            Err(f) => failed(&f),
        }
    }
}

fn failed(fault: &Fault) -> TestStateResponse {
    TestStateResponse {
        status: TestStatus::Failed,
        output: None,
        error: fault.error_text(),
        cause: fault.cause.clone(),
        next_state: None,
        inspection_data: None,
    }
}
