//! `GET /console/api/logs/…`: the logs of the processes Baton ran for tasks, read from the data
//! folder's `logs/` (where the integrations write them), as plain text.
//!
//! * `ecs/<task id>`: an ECS task's stdout and stderr (the id is the 32 hex digits that end its
//!   `TaskArn`).
//! * `batch/<job id>`: a Batch job's (a UUID; an array job's child `<id>:<index>`).
//! * `glue/<run id>`: a Glue job run's (`jr_` and 64 hex digits).
//! * `functions/<name>[?requestId=<id>]`: a command function's stderr, every invocation or only
//!   the one with that request id (its section starts `--- RequestId: <id>`).
//!
//! Names are checked before they become paths (hex digits; Lambda's function-name characters),
//! so nothing outside `logs/` can be read; at most the last [`MAX_BYTES`] are answered.
//!
//! A log that does not exist is HTTP 404, unless the request says `optional=true`: then it is
//! HTTP 200 with an empty body and `X-Baton-Log: absent` (the console asks so, and a task that
//! wrote nothing is not a failed request in the browser).

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

/// The most a log answer holds: its last bytes.
pub const MAX_BYTES: u64 = 1024 * 1024;

/// The log routes over the log folder `dir` (`<data>/logs`).
pub fn router(dir: PathBuf) -> Router {
    Router::new()
        .route("/console/api/logs/ecs/{id}", get(ecs))
        .route("/console/api/logs/batch/{id}", get(batch))
        .route("/console/api/logs/glue/{id}", get(glue))
        .route("/console/api/logs/functions/{name}", get(function))
        .with_state(Arc::new(dir))
        .layer(axum::middleware::map_response(crate::protect))
}

fn text(status: StatusCode, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// The header that marks an absent log answered with `optional=true`.
pub const ABSENT_HEADER: &str = "x-baton-log";

#[derive(Deserialize)]
struct Optional {
    #[serde(default)]
    optional: bool,
}

fn not_found(what: &str, optional: bool) -> Response {
    if optional {
        let mut response = text(StatusCode::OK, String::new());
        response
            .headers_mut()
            .insert(ABSENT_HEADER, HeaderValue::from_static("absent"));
        return response;
    }
    text(StatusCode::NOT_FOUND, format!("no log for {what}\n"))
}

/// The last [`MAX_BYTES`] of a file, as text; `None` when there is no such file.
fn tail(path: &std::path::Path) -> std::io::Result<Option<String>> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    if len > MAX_BYTES {
        file.seek(SeekFrom::Start(len - MAX_BYTES))?;
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

async fn read(path: PathBuf) -> Result<Option<String>, Response> {
    tokio::task::spawn_blocking(move || tail(&path))
        .await
        .map_err(|e| text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")))?
        .map_err(|e| text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")))
}

async fn ecs(
    State(dir): State<Arc<PathBuf>>,
    Path(id): Path<String>,
    Query(query): Query<Optional>,
) -> Response {
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return text(
            StatusCode::BAD_REQUEST,
            "an ECS task id is 32 hex digits\n".into(),
        );
    }
    match read(dir.join("ecs").join(format!("{id}.log"))).await {
        Ok(Some(log)) => text(StatusCode::OK, log),
        Ok(None) => not_found(&format!("ECS task {id}"), query.optional),
        Err(response) => response,
    }
}

/// A Batch job id: a UUID, and an array job's child's `:<index>`.
fn is_batch_job_id(id: &str) -> bool {
    let (job, index) = match id.split_once(':') {
        Some((job, index)) => (job, Some(index)),
        None => (id, None),
    };
    uuid::Uuid::try_parse(job).is_ok_and(|u| u.hyphenated().to_string() == job)
        && index
            .is_none_or(|i| !i.is_empty() && i.len() <= 5 && i.bytes().all(|b| b.is_ascii_digit()))
}

async fn batch(
    State(dir): State<Arc<PathBuf>>,
    Path(id): Path<String>,
    Query(query): Query<Optional>,
) -> Response {
    if !is_batch_job_id(&id) {
        return text(
            StatusCode::BAD_REQUEST,
            "a Batch job id is a UUID (an array job's child: UUID:index)\n".into(),
        );
    }
    match read(dir.join("batch").join(format!("{id}.log"))).await {
        Ok(Some(log)) => text(StatusCode::OK, log),
        Ok(None) => not_found(&format!("Batch job {id}"), query.optional),
        Err(response) => response,
    }
}

async fn glue(
    State(dir): State<Arc<PathBuf>>,
    Path(id): Path<String>,
    Query(query): Query<Optional>,
) -> Response {
    let valid = id
        .strip_prefix("jr_")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if !valid {
        return text(
            StatusCode::BAD_REQUEST,
            "a Glue job run id is jr_ and 64 hex digits\n".into(),
        );
    }
    match read(dir.join("glue").join(format!("{id}.log"))).await {
        Ok(Some(log)) => text(StatusCode::OK, log),
        Ok(None) => not_found(&format!("Glue job run {id}"), query.optional),
        Err(response) => response,
    }
}

#[derive(Deserialize)]
struct FunctionQuery {
    #[serde(rename = "requestId")]
    request_id: Option<String>,
    #[serde(default)]
    optional: bool,
}

/// Lambda's function-name characters.
fn is_function_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 140
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

async fn function(
    State(dir): State<Arc<PathBuf>>,
    Path(name): Path<String>,
    Query(query): Query<FunctionQuery>,
) -> Response {
    if !is_function_name(&name) {
        return text(
            StatusCode::BAD_REQUEST,
            "a function name has letters, digits, - and _\n".into(),
        );
    }
    let log = match read(dir.join("functions").join(format!("{name}.log"))).await {
        Ok(Some(log)) => log,
        Ok(None) => return not_found(&format!("function {name}"), query.optional),
        Err(response) => return response,
    };
    match query.request_id {
        None => text(StatusCode::OK, log),
        Some(id) => match section(&log, &id) {
            Some(part) => text(StatusCode::OK, part.to_string()),
            None => not_found(&format!("request {id} of function {name}"), query.optional),
        },
    }
}

/// The part of a function's log one invocation wrote, without its `--- RequestId:` line.
fn section<'a>(log: &'a str, request_id: &str) -> Option<&'a str> {
    let marker = format!("--- RequestId: {request_id}\n");
    let start = log.find(&marker)? + marker.len();
    let rest = &log[start..];
    let end = rest.find("--- RequestId: ").unwrap_or(rest.len());
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::section;

    #[test]
    fn a_section_is_one_invocation() {
        let log = "--- RequestId: a\none\n--- RequestId: b\ntwo\nmore\n";
        assert_eq!(section(log, "a"), Some("one\n"));
        assert_eq!(section(log, "b"), Some("two\nmore\n"));
        assert_eq!(section(log, "c"), None);
    }
}
