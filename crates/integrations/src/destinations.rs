//! The HTTP client of EventBridge API destinations ([`baton_events::destinations::Outbound`]):
//! an API destination, and the authorization endpoint of its connection, may reach exactly
//! what an `http:invoke` task may reach. The same `[http] allow` prefixes bound the URLs (none:
//! any `http://` or `https://` URL, as for the HTTP task), the same certificates are trusted
//! (`[http] ca_file` besides the system's roots), and a URL carrying credentials
//! (`user@host`) is refused whatever the list says, since a prefix cannot say which host it
//! reaches.
//!
//! One request per connection (EventBridge sends `Connection: close`), no redirects followed,
//! at most [`MAX_ANSWER_BYTES`] of an answer read (EventBridge asks for `Range:
//! bytes=0-1048575`: User Guide, "Headers included in requests to API destinations"), the
//! whole exchange within the request's timeout (5 s for API destinations).

use std::sync::Arc;

use async_trait::async_trait;
use baton_events::destinations::{
    without_query, Outbound, OutboundError, OutboundRequest, OutboundResponse,
};
use tokio_rustls::rustls::ClientConfig;

use crate::client::{send_to, Answer, Target};
use crate::config::Config;

/// The most of an answer that is read; the rest is left unread.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// What the HTTP task may reach, for API destinations.
pub struct HttpOutbound {
    /// URL prefixes (`None`: any `http://` or `https://` URL).
    allow: Option<Vec<String>>,
    /// Whom `https://` endpoints must prove to be; an error (a bad `ca_file`) fails each
    /// `https://` call with it.
    tls: Result<Arc<ClientConfig>, String>,
}

/// The client API destinations use on this node, from the configuration's `[http]` section:
/// hand it to `baton_events::Deliveries::attach_outbound`.
pub fn outbound(config: &Config) -> Arc<dyn Outbound> {
    Arc::new(HttpOutbound {
        allow: config.http.allow.clone(),
        tls: crate::client::tls_config(config.http.ca_file.as_deref()),
    })
}

impl HttpOutbound {
    /// Why `url` may not be reached, if it may not.
    /// Messages name the URL without its query (which may hold a connection's secrets).
    fn refusal(&self, url: &str) -> Option<String> {
        crate::http::refusal(self.allow.as_deref(), url, without_query(url))
    }
}

#[async_trait]
impl Outbound for HttpOutbound {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        if let Some(why) = self.refusal(&request.url) {
            return Err(OutboundError::Refused(why));
        }
        let tls = if request.url.starts_with("https://") {
            Some(self.tls.clone().map_err(OutboundError::Refused)?)
        } else {
            None
        };
        let url = without_query(&request.url).to_string();
        let timeout = request.timeout;
        match tokio::time::timeout(timeout, exchange(request, tls)).await {
            Ok(result) => result.map_err(OutboundError::Failed),
            Err(_) => Err(OutboundError::Failed(format!(
                "no answer from {url} within {} ms",
                timeout.as_millis()
            ))),
        }
    }
}

/// Sends `request` on a connection of its own (`Connection: close`) and reads the answer (up
/// to [`MAX_ANSWER_BYTES`]); errors name the URL without its query.
async fn exchange(
    request: OutboundRequest,
    tls: Option<Arc<ClientConfig>>,
) -> Result<OutboundResponse, String> {
    // The framing is the client's own.
    let framing = ["host", "connection", "content-length", "transfer-encoding"];
    let mut headers: Vec<(String, String)> = request
        .headers
        .into_iter()
        .filter(|(name, _)| !framing.iter().any(|f| name.eq_ignore_ascii_case(f)))
        .collect();
    headers.push(("connection".into(), "close".into()));
    let target = Target {
        url: &request.url,
        shown: without_query(&request.url),
    };
    let answer = Answer::AtMost(MAX_ANSWER_BYTES);
    let response = send_to(
        target,
        &request.method,
        &headers,
        request.body,
        tls.as_ref(),
        answer,
    )
    .await?;
    Ok(OutboundResponse {
        status: response.status.as_u16(),
        headers: response
            .headers
            .iter()
            .map(|(n, v)| {
                let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (n.as_str().to_string(), value)
            })
            .collect(),
        body: response.body.to_vec(),
    })
}

/// EventBridge and EventBridge Scheduler targets served by this node's Task integrations (a
/// Lambda function, an SQS queue, an SNS topic, a universal target's AWS API): each call is the
/// Task a state would make, with what the configuration allows and nothing more (an AWS
/// service needs `[aws]` to allow it). Hand it to `baton_events::Deliveries::attach_tasks`.
pub struct EventTargets(pub Arc<crate::Resources>);

#[async_trait]
impl baton_events::deliver::TaskTargets for EventTargets {
    async fn call(
        &self,
        account: &str,
        region: &str,
        resource: &str,
        input: serde_json::Value,
    ) -> Result<(), (String, String)> {
        use baton_runtime::integration::{Integrations, TaskResult};
        let info = baton_engine::ExecutionInfo {
            execution_arn: format!("arn:aws:events:{region}:{account}:delivery"),
            execution_name: "delivery".into(),
            state_machine_arn: format!("arn:aws:events:{region}:{account}:delivery"),
            state_machine_name: "delivery".into(),
            role_arn: format!("arn:aws:iam::{account}:role/eventbridge"),
            region: region.into(),
            account: account.into(),
            partition: "aws".into(),
            redrive_count: 0,
            express: true,
            missing_activities: Vec::new(),
            mock_test_case: None,
        };
        let request = baton_engine::TaskRequest {
            id: 0,
            state_name: "EventBridge target".into(),
            resource: resource.into(),
            input,
            token: None,
            timeout_seconds: Some(60),
            heartbeat_seconds: None,
            credentials: None,
            purpose: Default::default(),
            trace: None,
        };
        match self.0.invoke(&info, &request, false).await {
            TaskResult::Succeeded(_) | TaskResult::Submitted(_) => Ok(()),
            TaskResult::Failed { error, cause } => Err((
                error.unwrap_or_else(|| "States.TaskFailed".into()),
                cause.unwrap_or_default(),
            )),
            TaskResult::Rejected(cause) => Err(("States.Runtime".into(), cause)),
            other => Err(("States.Runtime".into(), format!("{other:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn client(allow: Option<Vec<&str>>) -> HttpOutbound {
        HttpOutbound {
            allow: allow.map(|a| a.into_iter().map(str::to_string).collect()),
            tls: crate::client::tls_config(None),
        }
    }

    fn request(url: &str) -> OutboundRequest {
        OutboundRequest {
            method: "POST".into(),
            url: url.into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: b"{\"a\":1}".to_vec(),
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn only_what_the_http_task_may_reach_is_reached() {
        let open = client(None);
        assert!(open.refusal("http://127.0.0.1:9/x").is_none());
        assert!(open.refusal("https://api.example/x").is_none());
        assert!(open.refusal("ftp://api.example/x").is_some());
        assert!(open.refusal("file:///etc/passwd").is_some());
        let listed = client(Some(vec![
            "http://127.0.0.1:8080/",
            "https://api.example/*",
        ]));
        assert!(listed.refusal("http://127.0.0.1:8080/hook?x=1").is_none());
        assert!(listed.refusal("https://api.example/v1").is_none());
        assert!(listed.refusal("http://127.0.0.1:8081/hook").is_some());
        assert!(listed.refusal("https://api.example.evil/v1").is_some());
        // A prefix does not say which host a URL with credentials reaches.
        let loose = client(Some(vec!["http://127.0.0.1:"]));
        assert!(loose.refusal("http://127.0.0.1:@evil.example/").is_some());
        assert!(loose.refusal("http://127.0.0.1:80/").is_none());
    }

    #[tokio::test]
    async fn a_refused_url_is_not_called() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let only_other = client(Some(vec!["http://127.0.0.1:1/"]));
        let answer = only_other
            .send(request(&format!("http://127.0.0.1:{port}/hook")))
            .await;
        assert!(
            matches!(answer, Err(OutboundError::Refused(_))),
            "{answer:?}"
        );
        // Nothing connected.
        let accepted = tokio::time::timeout(Duration::from_millis(100), listener.accept()).await;
        assert!(accepted.is_err());
    }

    #[tokio::test]
    async fn the_request_is_sent_and_the_answer_read_within_bounds() {
        use axum::routing::post;
        let app = axum::Router::new()
            .route(
                "/hook",
                post(|headers: axum::http::HeaderMap, body: String| async move {
                    let kind = headers
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    (axum::http::StatusCode::ACCEPTED, format!("{kind} {body}"))
                }),
            )
            .route(
                "/large",
                post(|| async { "x".repeat(3 * MAX_ANSWER_BYTES) }),
            )
            .route(
                "/slow",
                post(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let open = client(None);
        let answer = open
            .send(request(&format!("http://{addr}/hook")))
            .await
            .unwrap();
        assert_eq!(answer.status, 202);
        assert_eq!(answer.body, b"application/json {\"a\":1}");
        let large = open
            .send(request(&format!("http://{addr}/large")))
            .await
            .unwrap();
        assert_eq!(large.status, 200);
        assert_eq!(large.body.len(), MAX_ANSWER_BYTES);
        let mut slow = request(&format!("http://{addr}/slow"));
        slow.timeout = Duration::from_millis(200);
        assert!(matches!(
            open.send(slow).await,
            Err(OutboundError::Failed(_))
        ));
        // Nothing listens there: no answer, to be tried again.
        let closed = {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            l.local_addr().unwrap()
        };
        assert!(matches!(
            open.send(request(&format!("http://{closed}/x"))).await,
            Err(OutboundError::Failed(_))
        ));
    }
}
