//! The `rivetr` client commands, run as the real binary against a fake API
//! (canned JSON and event streams on 127.0.0.1:0), and `login` against the
//! real API on memory parts.

#![allow(clippy::unwrap_used, reason = "the shared test harness unwraps")]

mod common;

use std::convert::Infallible;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

const TOKEN: &str = "good-token";
const WEB: &str = "0190a000-0000-7000-8000-000000000001";
const BROKEN: &str = "0190a000-0000-7000-8000-000000000002";
const API_1: &str = "0190a000-0000-7000-8000-000000000003";
const API_2: &str = "0190a000-0000-7000-8000-000000000004";
const QUIET: &str = "0190a000-0000-7000-8000-000000000005";
const SLOW: &str = "0190a000-0000-7000-8000-000000000006";
const PROJECT_1: &str = "0190b000-0000-7000-8000-000000000001";
const PROJECT_2: &str = "0190b000-0000-7000-8000-000000000002";
const DEP_LIVE: &str = "0190c000-0000-7000-8000-000000000001";
const DEP_FAILED: &str = "0190c000-0000-7000-8000-000000000002";
const DEP_QUIET: &str = "0190c000-0000-7000-8000-000000000003";
const DEP_SLOW: &str = "0190c000-0000-7000-8000-000000000004";
const DEP_OLD: &str = "0190c000-0000-7000-8000-000000000009";

/// What the fake API was asked (method, path, body), in order.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<(String, String, Value)>>>);

impl Seen {
    fn push(&self, method: &str, path: String, body: Value) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((method.to_owned(), path, body));
    }

    fn posts(&self) -> Vec<(String, Value)> {
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
    let bytes = text.into_bytes();
    let chunks: Vec<Result<Vec<u8>, Infallible>> =
        bytes.chunks(7).map(|c| Ok(c.to_vec())).collect();
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(futures::stream::iter(chunks)))
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
async fn fake_api() -> (String, Seen) {
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

/// Run `rivetr args...` with a private config dir and `env`, feeding `stdin`.
async fn rivetr(config: &Path, env: &[(&str, &str)], args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rivetr"));
    command
        .args(args)
        .env_remove("RIVETR_URL")
        .env_remove("RIVETR_TOKEN")
        .env_remove("RIVETR_CA_FILE")
        .env("XDG_CONFIG_HOME", config)
        .env("HOME", config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let stdin = stdin.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().unwrap_or_else(|e| panic!("spawn: {e}"));
        if let Some(mut input) = child.stdin.take() {
            let _ = input.write_all(stdin.as_bytes());
        }
        child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("wait: {e}"))
    })
    .await
    .unwrap_or_else(|e| panic!("join: {e}"))
}

/// Run with `RIVETR_URL`/`RIVETR_TOKEN` set to the fake API and a token.
async fn as_user(base: &str, token: &str, args: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let out = rivetr(
        dir.path(),
        &[("RIVETR_URL", base), ("RIVETR_TOKEN", token)],
        args,
        "",
    )
    .await;
    (out, dir)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test(flavor = "multi_thread")]
async fn login_saves_a_private_file_that_later_commands_use() {
    let (base, _) = fake_api().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let out = rivetr(
        dir.path(),
        &[],
        &["login", "--url", &base, "--token", TOKEN],
        "",
    )
    .await;
    assert!(out.status.success(), "login: {}", stderr(&out));
    assert!(
        stdout(&out).contains("as owner@acme.test (team acme, role owner)"),
        "{}",
        stdout(&out)
    );
    let file = dir.path().join("rivetr").join("credentials.toml");
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&dir.path().join("rivetr")), 0o700);
    let saved: toml::Value = toml::from_str(&std::fs::read_to_string(&file).unwrap_or_default())
        .unwrap_or_else(|e| panic!("toml: {e}"));
    assert_eq!(saved["url"].as_str(), Some(base.as_str()));
    assert_eq!(saved["token"].as_str(), Some(TOKEN));

    let out = rivetr(dir.path(), &[], &["apps", "list"], "").await;
    assert!(out.status.success(), "apps list: {}", stderr(&out));
    assert!(stdout(&out).contains(WEB));

    let out = rivetr(dir.path(), &[], &["logout"], "").await;
    assert!(out.status.success());
    assert!(!file.exists());
    let out = rivetr(dir.path(), &[], &["apps", "list"], "").await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: not logged in: run `rivetr login"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn login_reads_the_token_from_standard_input() {
    let (base, _) = fake_api().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let out = rivetr(
        dir.path(),
        &[("RIVETR_URL", &base)],
        &["login"],
        "good-token\n",
    )
    .await;
    assert!(out.status.success(), "login: {}", stderr(&out));
    let text =
        std::fs::read_to_string(dir.path().join("rivetr/credentials.toml")).unwrap_or_default();
    assert!(text.contains("token = \"good-token\""), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn login_with_a_bad_token_shows_the_api_message_and_saves_nothing() {
    let (base, _) = fake_api().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let out = rivetr(
        dir.path(),
        &[],
        &["login", "--url", &base, "--token", "wrong"],
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: the token is not valid\n"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("rivetr").join("credentials.toml").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_token_on_any_command_shows_the_api_message() {
    let (base, _) = fake_api().await;
    let (out, _dir) = as_user(&base, "wrong", &["apps", "list"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: the token is not valid\n"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn apps_list_prints_a_table_or_the_api_json() {
    let (base, _) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["apps", "list"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 7, "{text}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["NAME", "ID", "PROJECT", "STATUS", "DOMAIN"]);
    let web: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(web, ["web", WEB, PROJECT_1, "live", "web.example.test"]);
    let broken: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(broken, ["broken", BROKEN, PROJECT_1, "-", "-"]);
    assert_eq!(lines[0].find("ID"), lines[1].find(WEB), "columns line up");

    let (out, _dir) = as_user(
        &base,
        TOKEN,
        &["apps", "list", "--json", "--project", PROJECT_2],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("json: {e}"));
    let ids: Vec<&str> = json["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|a| a["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, [API_2, QUIET, SLOW]);
}

#[tokio::test(flavor = "multi_thread")]
async fn status_shows_version_health_caller_and_app_count() {
    let (base, _) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["status"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for expected in [
        "version  9.9.9",
        "health   ok (store ok)",
        "user     owner@acme.test",
        "team     acme",
        "role     owner",
        "apps     6",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_follow_streams_the_log_and_exits_0_when_live() {
    let (base, seen) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["deploy", "web", "--follow"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("deployment {DEP_LIVE} (#4)\nStep 1/2 : FROM scratch\nStep 2/2 : COPY busybox /\n")
    );
    let progress: Vec<String> = stderr(&out).lines().map(str::to_owned).collect();
    assert_eq!(
        progress,
        [
            "[1/7] queued",
            "[2/7] fetching source",
            "[3/7] building",
            "[4/7] starting",
            "[5/7] health checking",
            "[7/7] live"
        ]
    );
    assert_eq!(
        seen.posts(),
        [(format!("/api/v1/apps/{WEB}/deploy"), json!({}))]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_follow_exits_1_with_the_reason_when_the_deployment_fails() {
    let (base, _) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["deploy", BROKEN, "--follow"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("Step 2/2 : COPY busybox /"));
    assert!(
        stderr(&out).ends_with("deployment failed: build failed: exit code 2\n"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_follow_asks_the_deployment_when_the_stream_ends_early() {
    let (base, _) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["deploy", "quiet", "-f", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let events: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    assert_eq!(events[0]["id"], DEP_QUIET);
    assert_eq!(events[3]["event"], "log");
    assert_eq!(events[3]["data"]["text"], "Step 1/2 : FROM scratch");
    assert_eq!(
        events.last().map(|e| e["data"]["status"].clone()),
        Some(json!("live"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_follow_resumes_a_closed_stream_after_the_last_event() {
    let (base, seen) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["deploy", "slow", "--follow"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("deployment {DEP_SLOW} (#4)\ncompiling\nlinking\n")
    );
    let streams: Vec<Value> = seen
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|(m, p, _)| m == "GET" && p.ends_with("/logs"))
        .map(|(_, _, b)| b["last_event_id"].clone())
        .collect();
    assert_eq!(streams, [Value::Null, json!("1")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_without_follow_prints_the_id_and_returns() {
    let (base, _) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["deploy", WEB]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("deployment {DEP_LIVE} (#4)\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ambiguous_app_name_lists_the_candidates_and_deploys_nothing() {
    let (base, seen) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["deploy", "api"]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: the app name \"api\" is ambiguous"),
        "{err}"
    );
    assert!(err.contains(API_1) && err.contains(API_2), "{err}");
    let (out, _dir) = as_user(&base, TOKEN, &["deploy", "nope"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no app named \"nope\""));
    assert!(seen.posts().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_sends_the_target_and_prints_the_new_deployment() {
    let (base, seen) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["rollback", "web", DEP_OLD]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("deployment {DEP_LIVE} (#4)\n"));
    assert_eq!(
        seen.posts(),
        [(
            format!("/api/v1/apps/{WEB}/rollback"),
            json!({"deployment": DEP_OLD})
        )]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_prints_the_last_lines_or_follows_them() {
    let (base, _) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["logs", "web", "--tail", "2"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "GET / 200\nGET /health 200\n");
    let (out, _dir) = as_user(&base, TOKEN, &["logs", "web", "--follow"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "listening on :8080\nGET / 200\nGET /health 200\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let out = rivetr(dir.path(), &[], &["deploy"], "").await;
    assert_eq!(out.status.code(), Some(2));
    let out = rivetr(
        dir.path(),
        &[("RIVETR_URL", "http://127.0.0.1:9"), ("RIVETR_TOKEN", "t")],
        &["rollback", "web", "not-an-id"],
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("\"not-an-id\" is not a deployment id"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn login_and_a_refused_token_against_the_real_api() {
    let api = common::TestApi::start().await;
    let owner = api.team("acme").await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let out = rivetr(
        dir.path(),
        &[],
        &["login", "--url", &api.base, "--token", &owner.token],
        "",
    )
    .await;
    assert!(out.status.success(), "login: {}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("as {} (team acme, role owner)", owner.email)),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        mode(&dir.path().join("rivetr").join("credentials.toml")),
        0o600
    );

    let other = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let mut bad = owner.token.clone();
    let last = if bad.ends_with('A') { "B" } else { "A" };
    bad.replace_range(bad.len() - 1.., last);
    let out = rivetr(
        other.path(),
        &[],
        &["login", "--url", &api.base, "--token", &bad],
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let answer = api
        .http
        .get(api.url("/api/v1/auth/me"))
        .bearer_auth(&bad)
        .send()
        .await
        .unwrap_or_else(|e| panic!("me: {e}"));
    let (status, _, message) = common::error_code(answer).await;
    assert_eq!(status, 401);
    assert_eq!(
        stderr(&out),
        format!("error: {message}\nhint: log in again with `rivetr login` or set RIVETR_TOKEN\n")
    );
    assert!(!other.path().join("rivetr").exists());
}
