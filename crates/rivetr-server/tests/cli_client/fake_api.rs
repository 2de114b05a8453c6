//! The fake API: canned JSON and event streams for the routes the client
//! uses, on 127.0.0.1:0, remembering what it was asked.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

pub(crate) const TOKEN: &str = "good-token";
pub(crate) const WEB: &str = "0190a000-0000-7000-8000-000000000001";
pub(crate) const BROKEN: &str = "0190a000-0000-7000-8000-000000000002";
pub(crate) const API_1: &str = "0190a000-0000-7000-8000-000000000003";
pub(crate) const API_2: &str = "0190a000-0000-7000-8000-000000000004";
pub(crate) const QUIET: &str = "0190a000-0000-7000-8000-000000000005";
pub(crate) const SLOW: &str = "0190a000-0000-7000-8000-000000000006";
pub(crate) const ENDLESS: &str = "0190a000-0000-7000-8000-000000000007";
pub(crate) const PROJECT_1: &str = "0190b000-0000-7000-8000-000000000001";
pub(crate) const PROJECT_2: &str = "0190b000-0000-7000-8000-000000000002";
pub(crate) const DEP_LIVE: &str = "0190c000-0000-7000-8000-000000000001";
pub(crate) const DEP_FAILED: &str = "0190c000-0000-7000-8000-000000000002";
pub(crate) const DEP_QUIET: &str = "0190c000-0000-7000-8000-000000000003";
pub(crate) const DEP_SLOW: &str = "0190c000-0000-7000-8000-000000000004";
pub(crate) const DEP_ENDLESS: &str = "0190c000-0000-7000-8000-000000000005";
pub(crate) const DEP_OLD: &str = "0190c000-0000-7000-8000-000000000009";

/// What the fake API was asked (method, path, body), in order.
#[derive(Clone, Default)]
pub(crate) struct Seen(pub(crate) Arc<Mutex<Vec<(String, String, Value)>>>);

impl Seen {
    fn push(&self, method: &str, path: String, body: Value) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((method.to_owned(), path, body));
    }

    pub(crate) fn posts(&self) -> Vec<(String, Value)> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(m, _, _)| m == "POST")
            .map(|(_, p, b)| (p.clone(), b.clone()))
            .collect()
    }
}

fn api_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

/// The 401 the API answers unless the caller has the token.
fn refusal(headers: &HeaderMap) -> Option<Response> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if auth == Some(&format!("Bearer {TOKEN}")) {
        None
    } else {
        Some(api_error(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "the token is not valid",
        ))
    }
}

fn apps() -> Vec<Value> {
    vec![
        json!({"id": WEB, "name": "web", "project_id": PROJECT_1,
               "live_deployment": {"id": DEP_OLD, "status": "live"},
               "domains": ["web.example.test"]}),
        json!({"id": BROKEN, "name": "broken", "project_id": PROJECT_1, "live_deployment": null, "domains": []}),
        json!({"id": API_1, "name": "api", "project_id": PROJECT_1, "live_deployment": null, "domains": []}),
        json!({"id": API_2, "name": "api", "project_id": PROJECT_2, "live_deployment": null, "domains": []}),
        json!({"id": QUIET, "name": "quiet", "project_id": PROJECT_2, "live_deployment": null, "domains": []}),
        json!({"id": SLOW, "name": "slow", "project_id": PROJECT_2, "live_deployment": null, "domains": []}),
    ]
}

/// An event stream whose body arrives in pieces cut inside lines.
fn event_stream(text: String) -> Response {
    stream_response(text, false)
}

/// The same, but the stream stays open after `text` (a deployment that
/// never ends).
fn endless_event_stream(text: String) -> Response {
    stream_response(text, true)
}

fn stream_response(text: String, endless: bool) -> Response {
    use futures::StreamExt;
    let bytes = text.into_bytes();
    let chunks: Vec<Result<Vec<u8>, Infallible>> =
        bytes.chunks(7).map(|c| Ok(c.to_vec())).collect();
    let body = futures::stream::iter(chunks);
    let body = if endless {
        Body::from_stream(body.chain(futures::stream::pending()))
    } else {
        Body::from_stream(body)
    };
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(body)
        .unwrap_or_else(|e| panic!("response: {e}"))
}

fn status_event(status: &str, reason: Option<&str>) -> String {
    format!(
        "event: status\ndata: {}\n\n",
        json!({"status": status, "reason": reason})
    )
}

fn log_event(seq: u32, text: &str) -> String {
    format!(
        "id: {seq}\nevent: log\ndata: {}\n\n",
        json!({"seq": seq, "stream": "stdout", "text": text})
    )
}

async fn deployment_logs(
    State(seen): State<Seen>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Some(refused) = refusal(&headers) {
        return refused;
    }
    let wants_sse = headers
        .get(header::ACCEPT)
        .is_some_and(|v| v == "text/event-stream");
    if !wants_sse || query.get("follow").map(String::as_str) != Some("true") {
        return api_error(StatusCode::BAD_REQUEST, "bad_request", "fake: follow only");
    }
    let resumed_after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    seen.push(
        "GET",
        format!("/api/v1/deployments/{id}/logs"),
        json!({ "last_event_id": resumed_after }),
    );
    if id == DEP_ENDLESS {
        return endless_event_stream(format!(
            "{}{}",
            status_event("building", None),
            log_event(1, "compiling")
        ));
    }
    if id == DEP_SLOW {
        // Closes after its first line; the rest comes when resumed.
        let body = match resumed_after.as_deref() {
            None => format!(
                "retry: 10\n\n{}{}",
                status_event("building", None),
                log_event(1, "compiling")
            ),
            Some(_) => format!("{}{}", log_event(2, "linking"), status_event("live", None)),
        };
        return event_stream(body);
    }
    let mut body = String::from(": hello\n\n");
    body += &status_event("fetching", None);
    body += &status_event("building", None);
    body += &log_event(1, "Step 1/2 : FROM scratch");
    body += &log_event(2, "Step 2/2 : COPY busybox /");
    match id.as_str() {
        DEP_LIVE => {
            body += &status_event("starting", None);
            body += &status_event("checking", None);
            body += &status_event("live", None);
        }
        DEP_FAILED => body += &status_event("failed", Some("build failed: exit code 2")),
        // The stream closes before the end; the deployment says live.
        _ => {}
    }
    event_stream(body)
}

async fn deployment(headers: HeaderMap, UrlPath(id): UrlPath<String>) -> Response {
    if let Some(refused) = refusal(&headers) {
        return refused;
    }
    let status = if id == DEP_SLOW { "building" } else { "live" };
    axum::Json(json!({"id": id, "number": 4, "status": status})).into_response()
}

async fn start_deployment(
    State(seen): State<Seen>,
    headers: HeaderMap,
    UrlPath((app, action)): UrlPath<(String, String)>,
    body: String,
) -> Response {
    if let Some(refused) = refusal(&headers) {
        return refused;
    }
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    seen.push("POST", format!("/api/v1/apps/{app}/{action}"), body);
    let id = match (app.as_str(), action.as_str()) {
        (WEB, "deploy" | "rollback") => DEP_LIVE,
        (BROKEN, "deploy") => DEP_FAILED,
        (QUIET, "deploy") => DEP_QUIET,
        (SLOW, "deploy") => DEP_SLOW,
        (ENDLESS, "deploy") => DEP_ENDLESS,
        _ => return api_error(StatusCode::NOT_FOUND, "not_found", "no such app"),
    };
    (
        StatusCode::ACCEPTED,
        axum::Json(json!({"id": id, "app_id": app, "number": 4, "status": "queued"})),
    )
        .into_response()
}

async fn app_logs(
    headers: HeaderMap,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Some(refused) = refusal(&headers) {
        return refused;
    }
    let lines = ["listening on :8080", "GET / 200", "GET /health 200"];
    let tail: usize = query.get("tail").and_then(|t| t.parse().ok()).unwrap_or(3);
    let lines = &lines[lines.len().saturating_sub(tail)..];
    if query.get("follow").map(String::as_str) == Some("true") {
        let body: String = lines
            .iter()
            .map(|l| format!("data: {}\n\n", json!({"stream": "stdout", "text": l})))
            .collect();
        return event_stream(body);
    }
    let items: Vec<Value> = lines
        .iter()
        .map(|l| json!({"stream": "stdout", "text": l}))
        .collect();
    axum::Json(json!({ "items": items })).into_response()
}

/// Start the fake API; its base URL and what it was asked.
pub(crate) async fn fake_api() -> (String, Seen) {
    let seen = Seen::default();
    let router = Router::new()
        .route(
            "/api/v1/auth/me",
            get(|headers: HeaderMap| async move {
                match refusal(&headers) {
                    None => axum::Json(json!({
                        "user": {"id": "u1", "email": "owner@acme.test"},
                        "teams": [
                            {"team_id": "t0", "team_name": "other", "role": "viewer"},
                            {"team_id": "t1", "team_name": "acme", "role": "owner"}
                        ],
                        "team": "t1",
                        "role": "owner",
                        "authenticated_by": "token"
                    }))
                    .into_response(),
                    Some(refused) => refused,
                }
            }),
        )
        .route(
            "/api/v1/system/version",
            get(|| async { axum::Json(json!({"version": "9.9.9"})) }),
        )
        .route(
            "/api/v1/system/health",
            get(|| async { axum::Json(json!({"status": "ok", "store": "ok"})) }),
        )
        .route(
            "/api/v1/apps",
            get(
                |headers: HeaderMap,
                 Query(q): Query<std::collections::HashMap<String, String>>| async move {
                    if let Some(refused) = refusal(&headers) {
                        return refused;
                    }
                    let items: Vec<Value> = apps()
                        .into_iter()
                        .filter(|a| q.get("project").is_none_or(|p| a["project_id"] == **p))
                        .collect();
                    axum::Json(json!({ "items": items })).into_response()
                },
            ),
        )
        .route("/api/v1/apps/{app}/{action}", post(start_deployment))
        .route("/api/v1/apps/{app}/logs", get(app_logs))
        .route("/api/v1/deployments/{id}", get(deployment))
        .route("/api/v1/deployments/{id}/logs", get(deployment_logs))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("addr: {e}"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("http://{addr}"), seen)
}
