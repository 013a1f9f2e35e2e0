//! The web console that `baton serve` serves next to the API: a single-page app written by hand
//! (plain ES modules and CSS in `assets/`, no build step, nothing fetched from a network), built
//! into the binary with `include_str!`, and the one endpoint it needs beyond the Step Functions
//! API, `POST /console/api/graph`, which draws a definition with [`baton_graph`].
//!
//! [`router`] answers:
//!
//! * `GET /` and `GET /console/`: the page (`index.html`).
//! * `GET /console/<file>`: the scripts and the style sheet, with their content types.
//!
//! [`api_router`] answers (the server puts it behind signatures when keys are configured; the
//! page and its assets hold no data and stay open, so the page can ask for a key):
//!
//! * `POST /console/api/graph`: `{"definition": <string or object>, "statuses"?: {<state
//!   name>: "not-reached" | "running" | "succeeded" | "failed" | "caught"}, "badges"?: {<state
//!   name>: <text>}}` answered with `image/svg+xml`; a definition that does not parse or
//!   validate is HTTP 400 with `{"message": …}`.
//!
//! [`logs::router`] answers `GET /console/api/logs/…` with the logs of the processes tasks ran
//! (ECS tasks, command functions), for the state inspector (`optional=true`: an absent log is
//! an empty 200 marked `X-Baton-Log: absent`).
//!
//! The page calls the API itself (`POST /` with `X-Amz-Target`), so everything it shows is
//! what any SDK would see; status colours are computed in the browser from the event history
//! (`assets/history.js`) and sent here only to be drawn (a state cut off by a stopped or timed
//! out execution is drawn `not-reached` here and restyled `aborted` by the page).

pub mod logs;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use baton_asl::model::StateMachine;
use baton_asl::validate::{validate_with, MachineType, Options, Severity};
use baton_graph::{layout, to_svg, Graph, Status, Styles};
use serde::Deserialize;
use serde_json::{json, Value};

/// One embedded file: its name under `/console/`, content type and bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const INDEX: &str = include_str!("../assets/index.html");

const ASSETS: &[Asset] = &[
    Asset {
        name: "sign.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/sign.js"),
    },
    Asset {
        name: "style.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../assets/style.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/app.js"),
    },
    Asset {
        name: "api.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/api.js"),
    },
    Asset {
        name: "history.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/history.js"),
    },
    Asset {
        name: "pages.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/pages.js"),
    },
    Asset {
        name: "logs.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/logs.js"),
    },
    Asset {
        name: "inspector.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/inspector.js"),
    },
    Asset {
        name: "zoom.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/zoom.js"),
    },
    Asset {
        name: "execution.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/execution.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_str!("../assets/favicon.svg"),
    },
];

/// The console's page and assets, for any router state: merge them into the API's router.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/console", get(index))
        .route("/console/", get(index))
        .route("/console/{file}", get(asset))
        .layer(axum::middleware::map_response(protect))
}

/// The largest body `POST /console/api/graph` reads: 2 MiB (axum's default for a body read
/// whole), room for the largest definition AWS takes (1 MiB) written out as JSON text.
pub const API_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The console's own endpoint beyond the Step Functions API: `POST /console/api/graph`.
pub fn api_router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/console/api/graph", post(graph))
        .layer(axum::extract::DefaultBodyLimit::max(API_BODY_LIMIT))
        .layer(axum::middleware::map_response(protect))
}

/// The console's Content-Security-Policy. Scripts, styles, images and requests come from the
/// page's own origin only (the assets load nothing from a network, and no script is inline);
/// `style-src` also allows inline styles, because the graph's SVG carries a `<style>` element
/// and the pages' templates a few `style` attributes, which the browser sees as inline.
/// `frame-ancestors 'none'`: no other site may frame the console (clickjacking).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Adds the headers every console answer carries: the policy above, no MIME sniffing (a log
/// served as text stays text) and no `Referer` leaving the page.
pub async fn protect(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn with_type(content_type: &'static str, body: &'static str) -> Response {
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Assets change with the binary; revalidating is cheap on loopback.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

async fn index() -> Response {
    with_type("text/html; charset=utf-8", INDEX)
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == file) {
        Some(a) => with_type(a.content_type, a.body),
        None => (StatusCode::NOT_FOUND, "no such console file\n").into_response(),
    }
}

/// The body of `POST /console/api/graph`.
#[derive(Deserialize)]
struct GraphRequest {
    /// The definition as the API holds it (a JSON string) or as an object.
    definition: Value,
    #[serde(default)]
    statuses: BTreeMap<String, Status>,
    #[serde(default)]
    badges: BTreeMap<String, String>,
}

fn bad_request(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"message": message.into()})),
    )
        .into_response()
}

async fn graph(body: axum::body::Bytes) -> Response {
    let request: GraphRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(format!("body: {e}")),
    };
    match draw(request) {
        Ok(svg) => {
            let mut response = Response::new(Body::from(svg));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            );
            response
        }
        Err(message) => bad_request(message),
    }
}

/// The picture of a definition; the error is a message for the page.
fn draw(request: GraphRequest) -> Result<String, String> {
    let text = match &request.definition {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    // The API has validated stored definitions already; validating again gives a readable
    // message instead of a half-drawn picture when someone posts something else.
    let doc = baton_asl::parse::parse(&text, true).map_err(|d| d.message)?;
    let diagnostics = validate_with(
        &doc,
        &Options {
            machine_type: MachineType::Standard,
        },
    );
    if let Some(d) = diagnostics.iter().find(|d| d.severity == Severity::Error) {
        return Err(d.message.clone());
    }
    let machine = StateMachine::from_value(&doc.value).map_err(|e| e.to_string())?;
    let styles = Styles {
        status: request.statuses,
        badges: request.badges,
        ..Styles::default()
    };
    Ok(to_svg(&layout(&Graph::from_machine(&machine)), &styles))
}
