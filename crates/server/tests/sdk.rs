//! The server as a real client sees it: aws-sdk-sfn over loopback TCP, against a fake service.
//!
//! StartSyncExecution (like TestState) has the host prefix `sync-` in the service model, and
//! the SDK prepends it to custom endpoints too: `http://127.0.0.1:PORT` becomes
//! `http://sync-127.0.0.1:PORT`, which does not resolve. aws-sdk-rust has no setting to turn
//! that off (botocore's `inject_host_prefix` has no counterpart in aws-sdk-sfn 1.125 or
//! aws-smithy-runtime 1.16), so the client here carries an interceptor that sends prefixed
//! requests to the unprefixed address while keeping the prefixed name in `Host`, as a hosts-file
//! entry or wildcard DNS would. The server must then answer whatever the `Host`.

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use aws_sdk_sfn::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_sfn::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_sfn::error::ProvideErrorMetadata;
use aws_sdk_sfn::operation::describe_execution::DescribeExecutionError;
use aws_sdk_sfn::operation::RequestId;
use aws_sdk_sfn::types::SyncExecutionStatus;
use axum::extract::Request;
use axum::http::header::HOST;
use axum::http::Uri;
use baton_server::{app, serve, Config};
use support::FakeService;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const MACHINE_ARN: &str = "arn:aws:states:eu-west-2:111122223333:stateMachine:Hello";

/// A server on a loopback port, the fake behind it, and the `Host` of every request it got.
struct Server {
    addr: SocketAddr,
    service: Arc<FakeService>,
    hosts: Arc<Mutex<Vec<String>>>,
    shutdown: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start() -> Server {
        let service = Arc::new(FakeService::default());
        let hosts = Arc::new(Mutex::new(Vec::new()));
        let recorded = hosts.clone();
        let router = app(service.clone(), Config::default()).layer(axum::middleware::map_request(
            move |request: Request| {
                let host = request.headers().get(HOST).and_then(|h| h.to_str().ok());
                if let (Some(host), Ok(mut hosts)) = (host, recorded.lock()) {
                    hosts.push(host.to_owned());
                }
                std::future::ready(request)
            },
        ));
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("a bound address");
        let (shutdown, stop) = oneshot::channel();
        let task = tokio::spawn(serve(listener, router, async {
            let _ = stop.await;
        }));
        Server {
            addr,
            service,
            hosts,
            shutdown,
            task,
        }
    }

    fn hosts(&self) -> Vec<String> {
        self.hosts.lock().map(|h| h.clone()).unwrap_or_default()
    }

    /// Stops the server and waits for it to finish.
    async fn stop(self) {
        let _ = self.shutdown.send(());
        self.task
            .await
            .expect("the server task ran to its end")
            .expect("the server stopped cleanly");
    }
}

/// Sends requests for `sync-<host>` to `<host>`, keeping `sync-<host>` in the `Host` header, and
/// records the prefixed authorities it saw.
#[derive(Debug, Default)]
struct SyncPrefixToLoopback {
    rewritten: Arc<Mutex<Vec<String>>>,
}

impl Intercept for SyncPrefixToLoopback {
    fn name(&self) -> &'static str {
        "SyncPrefixToLoopback"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let uri: Uri = request.uri().parse()?;
        let Some(prefixed) = uri.authority().map(|a| a.as_str().to_owned()) else {
            return Ok(());
        };
        let Some(unprefixed) = prefixed.strip_prefix("sync-") else {
            return Ok(());
        };
        let mut parts = uri.into_parts();
        parts.authority = Some(unprefixed.parse()?);
        request.set_uri(Uri::from_parts(parts)?)?;
        request.headers_mut().try_insert("host", prefixed.clone())?;
        if let Ok(mut rewritten) = self.rewritten.lock() {
            rewritten.push(prefixed);
        }
        Ok(())
    }
}

/// A client for `server` in `eu-west-2`, signing with the access key id `access_key_id`.
fn client(
    server: &Server,
    access_key_id: &str,
    interceptor: SyncPrefixToLoopback,
) -> aws_sdk_sfn::Client {
    let config = aws_sdk_sfn::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-2"))
        .endpoint_url(format!("http://{}", server.addr))
        .credentials_provider(Credentials::new(
            access_key_id,
            "secret",
            None,
            None,
            "test",
        ))
        .interceptor(interceptor)
        .build();
    aws_sdk_sfn::Client::from_conf(config)
}

#[tokio::test]
async fn list_state_machines_acts_in_the_account_of_a_twelve_digit_key_id() {
    let server = Server::start().await;
    let client = client(&server, "111122223333", SyncPrefixToLoopback::default());

    let output = client
        .list_state_machines()
        .send()
        .await
        .expect("ListStateMachines succeeds");
    let arns: Vec<&str> = output
        .state_machines()
        .iter()
        .map(|m| m.state_machine_arn())
        .collect();
    assert_eq!(arns, [MACHINE_ARN]);

    let seen = server.service.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].account_id, "111122223333");
    assert_eq!(seen[0].region, "eu-west-2");
    assert_eq!(output.request_id(), Some(seen[0].request_id.as_str()));

    drop(client);
    server.stop().await;
}

#[tokio::test]
async fn an_ordinary_key_id_acts_in_the_default_account() {
    let server = Server::start().await;
    let client = client(
        &server,
        "AKIAIOSFODNN7EXAMPLE",
        SyncPrefixToLoopback::default(),
    );

    client
        .list_state_machines()
        .send()
        .await
        .expect("ListStateMachines succeeds");
    let seen = server.service.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].account_id, "123456789012");
    assert_eq!(seen[0].region, "eu-west-2");

    drop(client);
    server.stop().await;
}

#[tokio::test]
async fn a_modeled_error_arrives_as_its_variant() {
    let server = Server::start().await;
    let client = client(&server, "111122223333", SyncPrefixToLoopback::default());
    let arn = "arn:aws:states:eu-west-2:111122223333:execution:Hello:missing";

    let error = client
        .describe_execution()
        .execution_arn(arn)
        .send()
        .await
        .expect_err("the execution does not exist")
        .into_service_error();
    assert!(
        matches!(error, DescribeExecutionError::ExecutionDoesNotExist(_)),
        "{error:?}"
    );
    assert_eq!(error.code(), Some("ExecutionDoesNotExist"));
    assert_eq!(
        error.message(),
        Some(format!("Execution Does Not Exist: '{arn}'").as_str())
    );

    drop(client);
    server.stop().await;
}

#[tokio::test]
async fn a_constraint_violation_arrives_as_a_validation_exception() {
    let server = Server::start().await;
    let client = client(&server, "111122223333", SyncPrefixToLoopback::default());

    let error = client
        .list_state_machines()
        .max_results(1001)
        .send()
        .await
        .expect_err("maxResults is at most 1000")
        .into_service_error();
    assert_eq!(error.code(), Some("ValidationException"));
    assert_eq!(
        error.message(),
        Some("1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000")
    );
    assert!(server.service.seen().is_empty());

    drop(client);
    server.stop().await;
}

#[tokio::test]
async fn start_sync_execution_is_answered_under_its_sync_host() {
    let server = Server::start().await;
    let interceptor = SyncPrefixToLoopback::default();
    let rewritten = interceptor.rewritten.clone();
    let client = client(&server, "111122223333", interceptor);

    let output = client
        .start_sync_execution()
        .state_machine_arn(MACHINE_ARN)
        .name("one")
        .input(r#"{"a":1}"#)
        .send()
        .await
        .expect("StartSyncExecution succeeds");
    assert_eq!(output.status(), &SyncExecutionStatus::Succeeded);
    assert_eq!(output.output(), Some(r#"{"a":1}"#));

    // The SDK did prefix the host, and the server answered under that name.
    let sync_host = format!("sync-{}", server.addr);
    let rewritten = rewritten.lock().map(|r| r.clone()).unwrap_or_default();
    assert_eq!(rewritten, [sync_host.as_str()]);
    assert_eq!(server.hosts(), [sync_host.as_str()]);

    // Operations without the prefix are left alone.
    client
        .list_state_machines()
        .send()
        .await
        .expect("ListStateMachines succeeds");
    assert_eq!(server.hosts()[1], server.addr.to_string());

    drop(client);
    server.stop().await;
}
