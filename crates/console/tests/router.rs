//! The console's routes without a socket: the page and its assets with their content types, the
//! graph endpoint's SVG with status colours, the API still answering `POST /` when the
//! console is merged into `baton_server::app`, and the log routes over a folder.

// The server's stand-in service: the console is tested inside the real `app`.
#[path = "../../server/tests/support/mod.rs"]
mod support;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use support::FakeService;
use tower::ServiceExt;

struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
}

fn app() -> (Arc<FakeService>, Router) {
    let service = Arc::new(FakeService::default());
    let app = baton_server::app(service.clone(), baton_server::Config::default());
    (service, app)
}

async fn send(app: Router, request: Request<Body>) -> Answer {
    let response = app.oneshot(request).await.expect("infallible");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().expect("ASCII").to_string())
        .unwrap_or_default();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    Answer {
        status,
        content_type,
        body: String::from_utf8(bytes.to_vec()).expect("UTF-8"),
    }
}

async fn get(path: &str) -> Answer {
    send(app().1, Request::get(path).body(Body::empty()).unwrap()).await
}

async fn graph(body: Value) -> Answer {
    let request = Request::post("/console/api/graph")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    send(app().1, request).await
}

#[tokio::test]
async fn the_page_and_its_assets_are_served_with_their_types() {
    let cases = [
        ("/", "text/html; charset=utf-8", "<script type=\"module\""),
        ("/console/", "text/html; charset=utf-8", "/console/app.js"),
        (
            "/console/app.js",
            "text/javascript; charset=utf-8",
            "import",
        ),
        (
            "/console/execution.js",
            "text/javascript; charset=utf-8",
            "GetExecutionHistory",
        ),
        (
            "/console/history.js",
            "text/javascript; charset=utf-8",
            "export function analyse",
        ),
        (
            "/console/api.js",
            "text/javascript; charset=utf-8",
            "X-Amz-Target",
        ),
        (
            "/console/pages.js",
            "text/javascript; charset=utf-8",
            "ListStateMachines",
        ),
        (
            "/console/inspector.js",
            "text/javascript; charset=utf-8",
            "Send success",
        ),
        (
            "/console/zoom.js",
            "text/javascript; charset=utf-8",
            "export function zoomable",
        ),
        (
            "/console/logs.js",
            "text/javascript; charset=utf-8",
            "optional=true",
        ),
        ("/console/style.css", "text/css; charset=utf-8", ".graph"),
        ("/console/favicon.svg", "image/svg+xml", "<svg"),
    ];
    for (path, content_type, needle) in cases {
        let answer = get(path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(answer.content_type, content_type, "{path}");
        assert!(answer.body.contains(needle), "{path} lacks {needle:?}");
    }
    let missing = get("/console/nope.js").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

/// Offline: nothing the page loads comes from another host.
#[tokio::test]
async fn the_assets_name_no_other_host() {
    for path in [
        "/",
        "/console/app.js",
        "/console/api.js",
        "/console/pages.js",
        "/console/execution.js",
        "/console/history.js",
        "/console/inspector.js",
        "/console/zoom.js",
        "/console/logs.js",
        "/console/style.css",
    ] {
        let body = get(path).await.body;
        assert!(
            !body.contains("https://") && !body.contains("http://"),
            "{path} names a URL"
        );
    }
}

const DEFINITION: &str = r#"{
  "StartAt": "First",
  "States": {
    "First": {"Type": "Pass", "Next": "Try"},
    "Try": {
      "Type": "Parallel",
      "Branches": [{"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Oops"}}}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handle"}],
      "Next": "Done"
    },
    "Handle": {"Type": "Pass", "Next": "Wait"},
    "Wait": {"Type": "Wait", "Seconds": 10, "Next": "Done"},
    "Done": {"Type": "Succeed"}
  }
}"#;

#[tokio::test]
async fn the_graph_endpoint_draws_statuses() {
    let answer = graph(json!({
        "definition": DEFINITION,
        "statuses": {"First": "succeeded", "Try": "caught", "Boom": "failed", "Handle": "succeeded", "Wait": "running"},
        "badges": {"Try": "1/1 branches"}
    }))
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.content_type, "image/svg+xml");
    let svg = &answer.body;
    assert!(svg.starts_with("<svg"), "{svg}");
    for (state, status) in [
        ("First", "succeeded"),
        ("Try", "caught"),
        ("Boom", "failed"),
        ("Handle", "succeeded"),
        ("Wait", "running"),
        ("Done", "not-reached"),
    ] {
        let marker = format!("status-{status}\" data-id=\"");
        let at = svg
            .find(&format!("data-state=\"{state}\""))
            .unwrap_or_else(|| panic!("no node for {state}"));
        let open = svg[..at].rfind("<g class=").expect("the node's group");
        assert!(
            svg[open..at].contains(&marker),
            "{state} is not {status}: {}",
            &svg[open..at + 20]
        );
    }
    assert!(svg.contains("1/1 branches"));
    // The colours themselves travel in the picture's style sheet.
    assert!(svg.contains(".status-running>rect{fill:#d2e3fc"));
    assert!(svg.contains(".status-caught>rect{fill:#feefc3"));
}

#[tokio::test]
async fn the_graph_endpoint_takes_an_object_and_no_statuses() {
    let definition: Value = serde_json::from_str(DEFINITION).unwrap();
    let answer = graph(json!({ "definition": definition })).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.body.contains("data-state=\"Handle\""));
    assert!(!answer.body.contains("class=\"state pass status-"));
}

#[tokio::test]
async fn a_bad_definition_or_body_is_a_400_with_a_message() {
    for body in [
        json!({"definition": "{"}),
        json!({"definition": {"StartAt": "Nowhere", "States": {}}}),
        json!({"definition": DEFINITION, "statuses": {"First": "purple"}}),
        json!({"nothing": true}),
    ] {
        let answer = graph(body.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        let message: Value = serde_json::from_str(&answer.body).expect("JSON");
        assert!(message["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

/// `GET /` is the console, `POST /` is still the API, and `/health` is untouched.
#[tokio::test]
async fn the_api_still_answers_post_on_the_same_path() {
    let (service, app) = app();
    let request = Request::post("/")
        .header("x-amz-target", "AWSStepFunctions.ListStateMachines")
        .header(header::CONTENT_TYPE, "application/x-amz-json-1.0")
        .body(Body::from("{}"))
        .unwrap();
    let answer = send(app.clone(), request).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.content_type, "application/x-amz-json-1.0");
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["stateMachines"][0]["name"], "Hello");
    assert_eq!(service.seen().len(), 1);

    let health = send(
        app.clone(),
        Request::get("/health").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(health.body, r#"{"status":"ok"}"#);
    let page = send(app, Request::get("/").body(Body::empty()).unwrap()).await;
    assert!(page.content_type.starts_with("text/html"));
}

/// A folder under the system's temporary one, removed when dropped.
struct Folder(std::path::PathBuf);

impl Folder {
    fn new(name: &str) -> Folder {
        let path =
            std::env::temp_dir().join(format!("baton-console-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(path.join("functions")).expect("log folder");
        std::fs::create_dir_all(path.join("ecs")).expect("log folder");
        Folder(path)
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn log(dir: &Folder, path: &str) -> (StatusCode, Option<String>, String) {
    let router = baton_console::logs::router(dir.0.clone());
    let response = router
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .expect("infallible");
    let status = response.status();
    let marker = response
        .headers()
        .get(baton_console::logs::ABSENT_HEADER)
        .map(|v| v.to_str().expect("ASCII").to_string());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, marker, String::from_utf8(bytes.to_vec()).unwrap())
}

/// A log that exists is answered either way; one that does not is a 404, or with
/// `optional=true` an empty 200 marked absent (what the console asks, so the browser logs no
/// failed request); bad names stay a 400.
#[tokio::test]
async fn an_absent_log_is_a_404_or_an_optional_empty_answer() {
    let dir = Folder::new("logs");
    std::fs::write(
        dir.0.join("functions/Echo.log"),
        "--- RequestId: r1\nfirst\n--- RequestId: r2\nsecond\n",
    )
    .unwrap();
    let ecs = "0123456789abcdef0123456789abcdef";
    std::fs::write(dir.0.join(format!("ecs/{ecs}.log")), "task out\n").unwrap();

    for (path, body) in [
        ("/console/api/logs/functions/Echo?requestId=r2", "second\n"),
        (
            "/console/api/logs/functions/Echo?requestId=r2&optional=true",
            "second\n",
        ),
        (
            &format!("/console/api/logs/ecs/{ecs}") as &str,
            "task out\n",
        ),
        (
            &format!("/console/api/logs/ecs/{ecs}?optional=true"),
            "task out\n",
        ),
    ] {
        assert_eq!(
            log(&dir, path).await,
            (StatusCode::OK, None, body.to_string()),
            "{path}"
        );
    }
    let other = "fedcba9876543210fedcba9876543210";
    for missing in [
        "/console/api/logs/functions/Nobody".to_string(),
        "/console/api/logs/functions/Echo?requestId=r3".to_string(),
        format!("/console/api/logs/ecs/{other}"),
    ] {
        let (status, marker, _) = log(&dir, &missing).await;
        assert_eq!((status, marker), (StatusCode::NOT_FOUND, None), "{missing}");
        let optional = format!(
            "{missing}{}optional=true",
            if missing.contains('?') { '&' } else { '?' }
        );
        assert_eq!(
            log(&dir, &optional).await,
            (StatusCode::OK, Some("absent".to_string()), String::new()),
            "{optional}"
        );
    }
    for bad in [
        "/console/api/logs/functions/a.b?optional=true",
        "/console/api/logs/ecs/nothex?optional=true",
    ] {
        assert_eq!(log(&dir, bad).await.0, StatusCode::BAD_REQUEST, "{bad}");
    }
}

/// Batch jobs' and Glue job runs' logs, by the ids their results carry; anything else is a 400
/// before it names a file.
#[tokio::test]
async fn batch_and_glue_logs_are_served_by_their_ids() {
    let dir = Folder::new("job-logs");
    std::fs::create_dir_all(dir.0.join("batch")).unwrap();
    std::fs::create_dir_all(dir.0.join("glue")).unwrap();
    let job = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
    let run = format!("jr_{}", "ab".repeat(32));
    std::fs::write(dir.0.join(format!("batch/{job}.log")), "batch out\n").unwrap();
    std::fs::write(dir.0.join(format!("batch/{job}:3.log")), "child 3\n").unwrap();
    std::fs::write(dir.0.join(format!("glue/{run}.log")), "glue out\n").unwrap();
    for (path, body) in [
        (format!("/console/api/logs/batch/{job}"), "batch out\n"),
        (format!("/console/api/logs/batch/{job}:3"), "child 3\n"),
        (format!("/console/api/logs/glue/{run}"), "glue out\n"),
    ] {
        assert_eq!(
            log(&dir, &path).await,
            (StatusCode::OK, None, body.to_string()),
            "{path}"
        );
    }
    let other = "00000000-0000-4000-8000-000000000000";
    assert_eq!(
        log(&dir, &format!("/console/api/logs/batch/{other}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    for bad in [
        "/console/api/logs/batch/..%2F..%2Fbaton.toml",
        "/console/api/logs/batch/not-a-uuid",
        "/console/api/logs/batch/6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b:x",
        "/console/api/logs/glue/jr_short",
        "/console/api/logs/glue/..%2Fecs",
    ] {
        assert_eq!(log(&dir, bad).await.0, StatusCode::BAD_REQUEST, "{bad}");
    }
}
