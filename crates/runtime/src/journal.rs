//! The journal: every event an execution's engine applied, as JSON text, in order. Replaying it
//! into a new engine rebuilds the execution exactly (the engine is deterministic: time, ids and
//! the random seed all travel inside the events).

use baton_engine::{Event, ExecutionInfo};
use serde_json::{json, Value};

/// The journal form of an event.
pub(crate) fn encode(event: &Event) -> String {
    let v = match event {
        Event::Started {
            info,
            input,
            time,
            seed,
        } => json!({
            "Started": {
                "info": {
                    "executionArn": info.execution_arn,
                    "executionName": info.execution_name,
                    "stateMachineArn": info.state_machine_arn,
                    "stateMachineName": info.state_machine_name,
                    "roleArn": info.role_arn,
                    "region": info.region,
                    "account": info.account,
                    "partition": info.partition,
                    "redriveCount": info.redrive_count,
                    "express": info.express,
                    "missingActivities": info.missing_activities,
                    "mockTestCase": info.mock_test_case,
                },
                "input": input,
                "time": time,
                // As text: a u64 does not survive every JSON reader.
                "seed": seed.to_string(),
            }
        }),
        Event::TaskStarted { task, time, worker } => {
            json!({"TaskStarted": {"task": task, "time": time, "worker": worker}})
        }
        Event::TaskHeartbeat { task, time } => {
            json!({"TaskHeartbeat": {"task": task, "time": time}})
        }
        Event::TaskSubmitted { task, output, time } => {
            json!({"TaskSubmitted": {"task": task, "output": output, "time": time}})
        }
        Event::TaskSucceeded { task, output, time } => {
            json!({"TaskSucceeded": {"task": task, "output": output, "time": time}})
        }
        Event::TaskFailed {
            task,
            error,
            cause,
            time,
        } => json!({"TaskFailed": {"task": task, "error": error, "cause": cause, "time": time}}),
        Event::TimerFired { timer, time } => {
            json!({"TimerFired": {"timer": timer, "time": time}})
        }
        Event::StopRequested { error, cause, time } => {
            json!({"StopRequested": {"error": error, "cause": cause, "time": time}})
        }
        Event::Redriven { time } => json!({"Redriven": {"time": time}}),
        Event::ChildStopRequested {
            execution_arn,
            error,
            cause,
            time,
        } => json!({"ChildStopRequested": {
            "executionArn": execution_arn, "error": error, "cause": cause, "time": time,
        }}),
        Event::TaskRejected { task, cause, time } => {
            json!({"TaskRejected": {"task": task, "cause": cause, "time": time}})
        }
        Event::MapRunUpdated {
            map_run_arn,
            max_concurrency,
            tolerated_count,
            tolerated_percentage,
            time,
        } => json!({"MapRunUpdated": {
            "mapRunArn": map_run_arn,
            "maxConcurrency": max_concurrency,
            "toleratedCount": tolerated_count,
            "toleratedPercentage": tolerated_percentage,
            "time": time,
        }}),
    };
    v.to_string()
}

/// Why a journal entry could not be read.
#[derive(Debug)]
pub(crate) struct Corrupt(pub String);

impl std::fmt::Display for Corrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "corrupt journal entry: {}", self.0)
    }
}

/// Reads an entry written by [`encode`].
pub(crate) fn decode(text: &str) -> Result<Event, Corrupt> {
    let v: Value = baton_api::json::from_stored_str(text).map_err(|e| Corrupt(e.to_string()))?;
    let (kind, body) = v
        .as_object()
        .and_then(|o| o.iter().next())
        .ok_or_else(|| Corrupt("not an object".into()))?;
    let u64_of = |k: &str| {
        body.get(k)
            .and_then(Value::as_u64)
            .ok_or_else(|| Corrupt(format!("{kind}.{k}")))
    };
    let time = body
        .get("time")
        .and_then(Value::as_i64)
        .ok_or_else(|| Corrupt(format!("{kind}.time")))?;
    let opt_str = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    Ok(match kind.as_str() {
        "Started" => {
            let info = body
                .get("info")
                .ok_or_else(|| Corrupt("Started.info".into()))?;
            let s = |k: &str| {
                info.get(k)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| Corrupt(format!("Started.info.{k}")))
            };
            Event::Started {
                info: Box::new(ExecutionInfo {
                    execution_arn: s("executionArn")?,
                    execution_name: s("executionName")?,
                    state_machine_arn: s("stateMachineArn")?,
                    state_machine_name: s("stateMachineName")?,
                    role_arn: s("roleArn")?,
                    region: s("region")?,
                    account: s("account")?,
                    partition: s("partition")?,
                    redrive_count: info
                        .get("redriveCount")
                        .and_then(Value::as_u64)
                        .unwrap_or(0) as u32,
                    express: info
                        .get("express")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    missing_activities: info
                        .get("missingActivities")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default(),
                    mock_test_case: info
                        .get("mockTestCase")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                }),
                input: body.get("input").cloned().unwrap_or(Value::Null),
                time,
                seed: body
                    .get("seed")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| Corrupt("Started.seed".into()))?,
            }
        }
        "TaskStarted" => Event::TaskStarted {
            task: u64_of("task")?,
            time,
            worker: opt_str("worker"),
        },
        "TaskHeartbeat" => Event::TaskHeartbeat {
            task: u64_of("task")?,
            time,
        },
        "TaskSubmitted" => Event::TaskSubmitted {
            task: u64_of("task")?,
            output: body.get("output").cloned().unwrap_or(Value::Null),
            time,
        },
        "TaskSucceeded" => Event::TaskSucceeded {
            task: u64_of("task")?,
            output: body.get("output").cloned().unwrap_or(Value::Null),
            time,
        },
        "TaskFailed" => Event::TaskFailed {
            task: u64_of("task")?,
            error: opt_str("error"),
            cause: opt_str("cause"),
            time,
        },
        "TimerFired" => Event::TimerFired {
            timer: u64_of("timer")?,
            time,
        },
        "StopRequested" => Event::StopRequested {
            error: opt_str("error"),
            cause: opt_str("cause"),
            time,
        },
        "Redriven" => Event::Redriven { time },
        "ChildStopRequested" => Event::ChildStopRequested {
            execution_arn: opt_str("executionArn").ok_or_else(|| Corrupt("executionArn".into()))?,
            error: opt_str("error"),
            cause: opt_str("cause"),
            time,
        },
        "TaskRejected" => Event::TaskRejected {
            task: u64_of("task")?,
            cause: opt_str("cause").unwrap_or_default(),
            time,
        },
        "MapRunUpdated" => Event::MapRunUpdated {
            map_run_arn: opt_str("mapRunArn").ok_or_else(|| Corrupt("mapRunArn".into()))?,
            max_concurrency: body.get("maxConcurrency").and_then(Value::as_u64),
            tolerated_count: body.get("toleratedCount").and_then(Value::as_u64),
            tolerated_percentage: body.get("toleratedPercentage").and_then(Value::as_f64),
            time,
        },
        other => return Err(Corrupt(format!("unknown event {other:?}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_survives_the_journal() {
        let mut info = ExecutionInfo::standard("aws", "eu-west-1", "123456789012", "m", "e");
        info.missing_activities = vec!["arn:aws:states:eu-west-1:123456789012:activity:a".into()];
        let events = vec![
            Event::Started {
                info: Box::new(info),
                input: json!({"a": [1, 2.5, "x", null]}),
                time: 1_700_000_000_123,
                seed: u64::MAX - 7,
            },
            Event::TaskStarted {
                task: 3,
                time: 5,
                worker: Some("w".into()),
            },
            Event::TaskStarted {
                task: 3,
                time: 5,
                worker: None,
            },
            Event::TaskHeartbeat { task: 4, time: 6 },
            Event::TaskSubmitted {
                task: 4,
                output: json!({"MessageId": "m"}),
                time: 6,
            },
            Event::TaskSucceeded {
                task: 4,
                output: json!("out"),
                time: 7,
            },
            Event::TaskFailed {
                task: 5,
                error: Some("E".into()),
                cause: None,
                time: 8,
            },
            Event::TimerFired { timer: 9, time: 10 },
            Event::StopRequested {
                error: None,
                cause: Some("c".into()),
                time: 11,
            },
            Event::Redriven { time: 12 },
            Event::ChildStopRequested {
                execution_arn: "arn:aws:states:us-east-1:1:execution:m/l:child".into(),
                error: Some("E".into()),
                cause: None,
                time: 15,
            },
            Event::TaskRejected {
                task: 6,
                cause: "gone".into(),
                time: 14,
            },
            Event::MapRunUpdated {
                map_run_arn: "arn:aws:states:us-east-1:1:mapRun:m/l:1".into(),
                max_concurrency: Some(5),
                tolerated_count: None,
                tolerated_percentage: Some(12.5),
                time: 13,
            },
        ];
        for e in events {
            assert_eq!(decode(&encode(&e)).unwrap(), e);
        }
    }

    #[test]
    fn damaged_entries_are_errors() {
        for text in [
            "",
            "[]",
            "{}",
            r#"{"TimerFired":{"time":1}}"#,
            r#"{"Nope":{"time":1}}"#,
        ] {
            assert!(decode(text).is_err(), "{text}");
        }
    }
}
