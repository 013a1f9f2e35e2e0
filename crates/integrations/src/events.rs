//! `arn:aws:states:::events:putEvents` on Baton's own buses, when `[aws]` does not send
//! EventBridge elsewhere: the entries are put through the node's own EventBridge API, as
//! the optimized integration puts them on AWS (a `Detail` given as JSON is sent as its
//! text; the task answers `Entries` and `FailedEntryCount`, and fails with
//! `EventBridge.FailedEntry`, the answer as the cause, when an entry failed).

use std::sync::{OnceLock, Weak};

use baton_api::{JsonService, RequestContext};
use serde_json::{json, Value};

use crate::Failure;

/// The node's EventBridge, once the server has one.
#[derive(Default)]
pub(crate) struct LocalEvents {
    service: OnceLock<Weak<dyn JsonService>>,
}

impl LocalEvents {
    pub(crate) fn attach(&self, service: Weak<dyn JsonService>) {
        let _ = self.service.set(service);
    }

    /// Whether there is one to put events on.
    pub(crate) fn available(&self) -> bool {
        self.service.get().is_some_and(|s| s.strong_count() > 0)
    }

    pub(crate) async fn put_events(
        &self,
        account: &str,
        region: &str,
        input: &Value,
    ) -> Result<Value, Failure> {
        let Some(service) = self.service.get().and_then(Weak::upgrade) else {
            return Err(("States.Runtime".into(), "EventBridge is not served".into()));
        };
        let entries: Vec<Value> = input
            .get("Entries")
            .and_then(Value::as_array)
            .map(|entries| entries.iter().map(entry).collect())
            .unwrap_or_default();
        let ctx = RequestContext {
            account_id: account.to_string(),
            region: region.to_string(),
            request_id: uuid::Uuid::new_v4().to_string(),
            trace_header: None,
        };
        let body = json!({ "Entries": entries }).to_string();
        let answer = service
            .call(&ctx, "PutEvents", body.as_bytes())
            .await
            .map_err(|e| {
                (
                    format!("EventBridge.{}", e.code),
                    format!(
                        "{} (Service: EventBridge; Status Code: {}; Error Code: {}; Request ID: {}; Proxy: null)",
                        e.message, e.status, e.code, ctx.request_id
                    ),
                )
            })?;
        let out: Value = serde_json::from_slice(&answer).unwrap_or_default();
        let out = json!({"Entries": out["Entries"], "FailedEntryCount": out["FailedEntryCount"]});
        if out["FailedEntryCount"].as_i64() > Some(0) {
            return Err(("EventBridge.FailedEntry".into(), out.to_string()));
        }
        Ok(out)
    }
}

/// An entry as PutEvents takes it: a `Detail` given as JSON becomes its text.
fn entry(e: &Value) -> Value {
    let mut e = e.clone();
    if let Some(detail) = e.get_mut("Detail") {
        if !detail.is_string() && !detail.is_null() {
            *detail = Value::String(detail.to_string());
        }
    }
    e
}
