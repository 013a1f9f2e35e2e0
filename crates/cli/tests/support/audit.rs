//! How the soak (`tests/soak.rs`) tells what happened. Requests are tried once and waited for
//! within a bound, so a refusal (an error answer), a hang and a crash (no answer) are told
//! apart. Acknowledged executions are waited for, listed by name, and their histories checked
//! against an untouched execution of the same definition: lost, doubled or malformed.

#![allow(dead_code)] // the soaks use different parts

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use aws_sdk_sfn::config::retry::RetryConfig;
use aws_sdk_sfn::config::timeout::TimeoutConfig;
use aws_sdk_sfn::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sfn::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEvent, HistoryEventType};
use aws_sdk_sfn::Client;
use serde_json::Value;

use crate::support::server::Server;

const ACCOUNT: &str = "123456789012";
/// The longest any one request, connection or stalled head is waited for: past it, a hang.
pub const BOUND: Duration = Duration::from_secs(30);
/// How often an execution is polled for its end before it counts as never finishing (100 ms
/// apart: about a minute).
pub const SETTLE_POLLS: u32 = 600;

/// One acknowledged start: StartExecution answered OK.
#[derive(Debug, Clone)]
pub struct Ack {
    pub kind: &'static str,
    pub name: String,
    pub arn: String,
}

/// What became of the acknowledged executions of one fault.
#[derive(Default)]
pub struct Ledger {
    pub acknowledged: u64,
    pub succeeded: u64,
    /// Acknowledged, then unknown to the server or never finished.
    pub lost: u64,
    /// Two executions of one name, two starts or ends in a history, ids with gaps, or a state
    /// visited more often than the definition allows.
    pub doubled: u64,
    /// A history without its end, or a succeeded one missing a visit the definition makes.
    pub malformed: u64,
}

/// Visits of a history: (event type, state name or Map iteration index) → how many.
pub type Visits = BTreeMap<(String, String), usize>;

fn visits(events: &[HistoryEvent]) -> Visits {
    let mut out = Visits::new();
    for e in events {
        let what = if let Some(d) = &e.state_entered_event_details {
            d.name.clone()
        } else if let Some(d) = &e.state_exited_event_details {
            d.name.clone()
        } else if let Some(d) = e
            .map_iteration_started_event_details
            .as_ref()
            .or(e.map_iteration_succeeded_event_details.as_ref())
        {
            d.index.to_string()
        } else {
            String::new()
        };
        *out.entry((e.r#type.as_str().to_string(), what))
            .or_default() += 1;
    }
    out
}

/// How an execution ended, if it did.
pub enum Settled {
    Finished(Box<DescribeExecutionOutput>),
    /// ExecutionDoesNotExist.
    Missing,
    /// Still running when the polling bound ran out.
    Running,
}

/// Polls every execution until it ends, at most `polls` times (100 ms apart).
pub async fn settle(client: &Client, arns: &[String], polls: u32) -> Vec<Settled> {
    let mut settled: Vec<Option<Settled>> = arns.iter().map(|_| None).collect();
    for _ in 0..polls {
        let mut pending = false;
        for (slot, arn) in settled.iter_mut().zip(arns) {
            if slot.is_some() {
                continue;
            }
            match client.describe_execution().execution_arn(arn).send().await {
                Ok(d) if d.status != ExecutionStatus::Running => {
                    *slot = Some(Settled::Finished(Box::new(d)))
                }
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_execution_does_not_exist()) =>
                {
                    *slot = Some(Settled::Missing)
                }
                _ => pending = true,
            }
        }
        if !pending {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    settled
        .into_iter()
        .map(|s| s.unwrap_or(Settled::Running))
        .collect()
}

/// The visits of one execution of `machine` that no fault touched.
pub async fn reference(client: &Client, machine: &str, input: &Value) -> Visits {
    let arn = client
        .start_execution()
        .state_machine_arn(machine)
        .name("reference")
        .input(input.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("start the reference of {machine}: {}", why(&e)))
        .execution_arn;
    match settle(client, std::slice::from_ref(&arn), SETTLE_POLLS)
        .await
        .remove(0)
    {
        Settled::Finished(d) if d.status == ExecutionStatus::Succeeded => {}
        _ => panic!("the reference execution of {machine} did not succeed"),
    }
    visits(&history(client, &arn).await)
}

async fn history(client: &Client, arn: &str) -> Vec<HistoryEvent> {
    let mut events = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .get_execution_history()
            .execution_arn(arn)
            .max_results(1000)
            .set_next_token(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("history of {arn}: {}", why(&e)));
        events.extend(page.events);
        token = page.next_token;
        if token.is_none() {
            return events;
        }
    }
}

/// Every execution name of `machine`, with how many executions carry it.
async fn listed_names(client: &Client, machine: &str) -> BTreeMap<String, usize> {
    let mut names = BTreeMap::new();
    let mut token = None;
    loop {
        let page = client
            .list_executions()
            .state_machine_arn(machine)
            .max_results(1000)
            .set_next_token(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("list the executions of {machine}: {}", why(&e)));
        for e in page.executions {
            *names.entry(e.name).or_default() += 1;
        }
        token = page.next_token;
        if token.is_none() {
            return names;
        }
    }
}

/// What is wrong with a finished execution's history, against an untouched run's visits.
enum Verdict {
    Good,
    Doubled(String),
    Malformed(String),
}

fn verdict(events: &[HistoryEvent], reference: &Visits, succeeded: bool) -> Verdict {
    for (i, e) in events.iter().enumerate() {
        if e.id != i as i64 + 1 {
            return Verdict::Doubled(format!("event {} has id {}", i + 1, e.id));
        }
        if e.previous_event_id >= e.id {
            return Verdict::Malformed(format!(
                "event {} follows event {}",
                e.id, e.previous_event_id
            ));
        }
    }
    let starts = events
        .iter()
        .filter(|e| e.r#type == HistoryEventType::ExecutionStarted)
        .count();
    let ends = events
        .iter()
        .filter(|e| {
            matches!(
                e.r#type,
                HistoryEventType::ExecutionSucceeded
                    | HistoryEventType::ExecutionFailed
                    | HistoryEventType::ExecutionAborted
                    | HistoryEventType::ExecutionTimedOut
            )
        })
        .count();
    if starts != 1 || ends > 1 {
        return Verdict::Doubled(format!("{starts} starts and {ends} ends"));
    }
    if ends == 0 {
        return Verdict::Malformed("a finished execution without its end event".into());
    }
    let seen = visits(events);
    for (key, n) in &seen {
        let allowed = reference.get(key).copied().unwrap_or(0);
        if *n > allowed {
            return Verdict::Doubled(format!(
                "{key:?} {n} times, the definition allows {allowed}"
            ));
        }
    }
    if succeeded && &seen != reference {
        return Verdict::Malformed("succeeded without every visit an untouched run makes".into());
    }
    Verdict::Good
}

/// Waits for every acknowledged execution on the restarted server and counts them.
pub async fn audit(
    fault: &str,
    client: &Client,
    machines: &BTreeMap<&'static str, String>,
    acked: &[Ack],
    references: &BTreeMap<&'static str, Visits>,
    ledger: &mut Ledger,
    problems: &mut Vec<String>,
) {
    ledger.acknowledged += acked.len() as u64;
    let arns: Vec<String> = acked.iter().map(|a| a.arn.clone()).collect();
    let settled = settle(client, &arns, SETTLE_POLLS).await;
    let mut names = BTreeMap::new();
    for (kind, machine) in machines {
        names.insert(*kind, listed_names(client, machine).await);
    }
    for (ack, settled) in acked.iter().zip(settled) {
        let d = match settled {
            Settled::Finished(d) => d,
            Settled::Missing | Settled::Running => {
                ledger.lost += 1;
                let state = match settled {
                    Settled::Missing => "does not exist",
                    _ => "never finished",
                };
                problems.push(format!("{fault}: {} {state}", ack.arn));
                continue;
            }
        };
        let listed = names[ack.kind].get(&ack.name).copied().unwrap_or(0);
        if listed != 1 {
            ledger.doubled += 1;
            problems.push(format!("{fault}: {} listed {listed} times", ack.name));
            continue;
        }
        let succeeded = d.status == ExecutionStatus::Succeeded;
        match verdict(
            &history(client, &ack.arn).await,
            &references[ack.kind],
            succeeded,
        ) {
            Verdict::Good => {}
            Verdict::Doubled(why) => {
                ledger.doubled += 1;
                problems.push(format!("{fault}: {} doubled: {why}", ack.arn));
            }
            Verdict::Malformed(why) => {
                ledger.malformed += 1;
                problems.push(format!("{fault}: {} history: {why}", ack.arn));
            }
        }
        if succeeded {
            ledger.succeeded += 1;
        } else {
            eprintln!(
                "soak: {fault}: {} ended {:?} with {:?}: {:?}",
                ack.arn, d.status, d.error, d.cause
            );
        }
    }
}

/// A client that tries each request once and waits at most [`BOUND`] for it: a refusal is
/// seen as it is, and a hang becomes an error instead of a stuck test.
pub fn client(server: &Server) -> Client {
    client_at(&server.endpoint)
}

/// [`client`], for the server at `endpoint`.
pub fn client_at(endpoint: &str) -> Client {
    let config = aws_sdk_sfn::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(ACCOUNT, "secret", None, None, "soak"))
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(BOUND)
                .operation_timeout(BOUND)
                .build(),
        )
        .build();
    Client::from_conf(config)
}

/// A request's outcome as the faults count it.
pub enum Answer<T> {
    Ok(T),
    /// An error the server answered with a 5xx status: a clean refusal.
    Refused(String),
    /// No answer (a hang, a closed or refused connection) or one that is not a refusal.
    Failed(String),
}

/// Sorts a request's result into an answer, a refusal or a failure.
pub fn answer<T, E: ProvideErrorMetadata + std::error::Error + 'static>(
    result: Result<T, SdkError<E>>,
) -> Answer<T> {
    match result {
        Ok(out) => Answer::Ok(out),
        Err(e) => match e.raw_response().map(|r| r.status().as_u16()) {
            Some(status) if status >= 500 => Answer::Refused(why(&e)),
            _ => Answer::Failed(why(&e)),
        },
    }
}

/// An SDK error in one line: the HTTP status and the error code and message, or why there was
/// no answer.
pub fn why<E: ProvideErrorMetadata + std::error::Error + 'static>(e: &SdkError<E>) -> String {
    match e {
        SdkError::ServiceError(s) => format!(
            "HTTP {} {}: {}",
            s.raw().status().as_u16(),
            s.err().code().unwrap_or("?"),
            s.err().message().unwrap_or("")
        ),
        SdkError::TimeoutError(_) => format!("no answer within {BOUND:?}"),
        other => aws_sdk_sfn::error::DisplayErrorContext(other).to_string(),
    }
}

/// `GET /health` over a fresh connection, every wait bounded: `Ok` for a 200.
pub async fn health(endpoint: &str) -> Result<(), String> {
    let endpoint = endpoint.to_string();
    tokio::task::spawn_blocking(move || {
        let authority = endpoint.trim_start_matches("http://");
        let addr: SocketAddr = authority.parse().map_err(|e| format!("{e}"))?;
        let mut stream =
            TcpStream::connect_timeout(&addr, BOUND).map_err(|e| format!("connect: {e}"))?;
        stream.set_read_timeout(Some(BOUND)).unwrap();
        stream.set_write_timeout(Some(BOUND)).unwrap();
        write!(
            stream,
            "GET /health HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
        )
        .map_err(|e| format!("send: {e}"))?;
        let mut answer = Vec::new();
        stream
            .read_to_end(&mut answer)
            .map_err(|e| format!("read: {e}"))?;
        let answer = String::from_utf8_lossy(&answer);
        match answer.split(' ').nth(1) {
            Some("200") => Ok(()),
            _ => Err(format!(
                "answered {:?}",
                answer.lines().next().unwrap_or("nothing")
            )),
        }
    })
    .await
    .unwrap()
}

/// The audit's own check: the histories a crash could leave are told from a sound one.
#[test]
fn the_audit_tells_doubled_and_malformed_histories_from_sound_ones() {
    use aws_sdk_sfn::types::{StateEnteredEventDetails, StateExitedEventDetails};
    use HistoryEventType as T;
    let event = |id: i64, kind: &T, state: &str| {
        let mut event = HistoryEvent::builder()
            .timestamp(aws_sdk_sfn::primitives::DateTime::from_secs(0))
            .r#type(kind.clone())
            .id(id)
            .previous_event_id(id - 1);
        if kind.as_str().ends_with("StateEntered") {
            let details = StateEnteredEventDetails::builder().name(state);
            event = event.state_entered_event_details(details.build().unwrap());
        } else if kind.as_str().ends_with("StateExited") {
            let details = StateExitedEventDetails::builder().name(state);
            event = event.state_exited_event_details(details.build().unwrap());
        }
        event.build().unwrap()
    };
    let history = |kinds: &[(T, &str)]| -> Vec<HistoryEvent> {
        (1..)
            .zip(kinds)
            .map(|(id, (kind, state))| event(id, kind, state))
            .collect()
    };
    let (start, end) = ((T::ExecutionStarted, ""), (T::ExecutionSucceeded, ""));
    let (enter, exit) = ((T::PassStateEntered, "P"), (T::PassStateExited, "P"));
    let sound = history(&[start.clone(), enter.clone(), exit.clone(), end.clone()]);
    let reference = visits(&sound);
    assert!(matches!(verdict(&sound, &reference, true), Verdict::Good));
    for doubled in [
        history(&[
            start.clone(),
            enter.clone(),
            exit.clone(),
            enter.clone(),
            exit.clone(),
            end.clone(),
        ]),
        history(&[
            start.clone(),
            enter.clone(),
            exit.clone(),
            end.clone(),
            end.clone(),
        ]),
        history(&[
            start.clone(),
            start.clone(),
            enter.clone(),
            exit.clone(),
            end.clone(),
        ]),
        {
            let mut gap = sound.clone();
            gap[3] = event(5, &end.0, "");
            gap
        },
    ] {
        assert!(matches!(
            verdict(&doubled, &reference, true),
            Verdict::Doubled(_)
        ));
    }
    for malformed in [
        history(&[start.clone(), end.clone()]),
        history(&[start.clone(), enter.clone(), exit.clone()]),
    ] {
        assert!(matches!(
            verdict(&malformed, &reference, true),
            Verdict::Malformed(_)
        ));
    }
}
