//! Standard executions' status changes as EventBridge receives them from Step Functions:
//! "Step Functions Execution Status Change" events from `aws.states` on the account's
//! default bus.

use std::sync::Arc;

use baton_events::EventsService;
use baton_runtime::status::{StatusChange, StatusEvents};
use serde_json::{json, Value};

/// The most bytes of escaped input and output an event carries (Developer Guide,
/// "EventBridge payloads": past 248 KB combined the input is left out, and the output too
/// when it alone is over).
const PAYLOAD: usize = 248 * 1024;

pub struct ToEventBridge(pub Arc<EventsService>);

/// Buckets' "Object Created" and "Object Deleted" events go to the account's default bus too.
impl baton_integrations::storage::notify::ObjectEvents for ToEventBridge {
    fn emit(
        &self,
        account: &str,
        region: &str,
        event: Value,
    ) -> baton_integrations::storage::notify::Emitted {
        let (events, account, region) = (self.0.clone(), account.to_string(), region.to_string());
        Box::pin(async move {
            let bus = baton_events::model::DEFAULT_BUS;
            if let Err(why) = events.forward(&account, &region, bus, &event, 0).await {
                tracing::warn!(%why, "an S3 event's deliveries were not written");
            }
        })
    }
}

impl StatusEvents for ToEventBridge {
    fn changed(&self, change: StatusChange) {
        let Some(parts) = baton_api::arn::parts(&change.execution_arn) else {
            return;
        };
        let (account, region) = (parts.account.to_string(), parts.region.to_string());
        self.0
            .emit(&account, &region, || event(&change, &account, &region));
    }
}

/// The event, in the shape Step Functions sends (its `detail`: `executionArn`,
/// `stateMachineArn`, `name`, `status`, `startDate`, `stopDate`, `input`, `output`,
/// `inputDetails`, `outputDetails`).
pub fn event(change: &StatusChange, account: &str, region: &str) -> Value {
    let escaped = |text: &str| Value::String(text.to_string()).to_string().len();
    let output_size = change.output.as_deref().map_or(0, escaped);
    let output_fits = output_size <= PAYLOAD;
    let input_fits = escaped(&change.input) + if output_fits { output_size } else { 0 } <= PAYLOAD;
    let time = chrono::DateTime::from_timestamp_millis(change.time)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let (output, output_details) = match &change.output {
        None => (Value::Null, Value::Null),
        Some(o) if output_fits => (json!(o), json!({"included": true})),
        Some(_) => (Value::Null, json!({"included": false})),
    };
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": account,
        "time": time,
        "region": region,
        "resources": [change.execution_arn],
        "detail": {
            "executionArn": change.execution_arn,
            "stateMachineArn": change.state_machine_arn,
            "name": change.name,
            "status": change.status,
            "startDate": change.start_date,
            "stopDate": change.stop_date,
            "input": if input_fits { json!(change.input) } else { Value::Null },
            "output": output,
            "inputDetails": {"included": input_fits},
            "outputDetails": output_details,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(status: &'static str, output: Option<String>) -> StatusChange {
        StatusChange {
            execution_arn: "arn:aws:states:us-east-1:111111111111:execution:m:e".into(),
            state_machine_arn: "arn:aws:states:us-east-1:111111111111:stateMachine:m".into(),
            name: "e".into(),
            status,
            start_date: 1_000,
            stop_date: output.as_ref().map(|_| 2_000),
            input: r#"{"a":1}"#.into(),
            output,
            time: 2_000,
        }
    }

    #[test]
    fn the_event_has_step_functions_shape() {
        let e = event(
            &change("SUCCEEDED", Some("{}".into())),
            "111111111111",
            "us-east-1",
        );
        assert_eq!(e["source"], "aws.states");
        assert_eq!(e["detail-type"], "Step Functions Execution Status Change");
        assert_eq!(e["time"], "1970-01-01T00:00:02Z");
        assert_eq!(e["resources"], json!([e["detail"]["executionArn"]]));
        assert_eq!(
            e["detail"],
            json!({"executionArn": "arn:aws:states:us-east-1:111111111111:execution:m:e",
                "stateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:m",
                "name": "e", "status": "SUCCEEDED", "startDate": 1000, "stopDate": 2000,
                "input": "{\"a\":1}", "output": "{}", "inputDetails": {"included": true},
                "outputDetails": {"included": true}})
        );
        let running = event(&change("RUNNING", None), "111111111111", "us-east-1");
        assert_eq!(running["detail"]["stopDate"], Value::Null);
        assert_eq!(running["detail"]["output"], Value::Null);
        assert_eq!(running["detail"]["outputDetails"], Value::Null);
    }

    #[test]
    fn payloads_past_248_kb_are_left_out() {
        let big = format!("\"{}\"", "x".repeat(200 * 1024));
        // Input and output together are over: the input goes.
        let e = event(
            &change("SUCCEEDED", Some(big.clone())),
            "111111111111",
            "us-east-1",
        );
        let mut c = change("SUCCEEDED", Some(big.clone()));
        c.input = big.clone();
        let both = event(&c, "111111111111", "us-east-1");
        assert_eq!(e["detail"]["inputDetails"]["included"], true);
        assert_eq!(both["detail"]["input"], Value::Null);
        assert_eq!(both["detail"]["inputDetails"]["included"], false);
        assert_eq!(both["detail"]["outputDetails"]["included"], true);
        // The output alone is over: it goes too.
        let huge = format!("\"{}\"", "y".repeat(300 * 1024));
        let e = event(
            &change("SUCCEEDED", Some(huge)),
            "111111111111",
            "us-east-1",
        );
        assert_eq!(e["detail"]["output"], Value::Null);
        assert_eq!(e["detail"]["outputDetails"]["included"], false);
        assert_eq!(e["detail"]["inputDetails"]["included"], true);
    }
}
