//! The deployments API: deploy, archive upload, rollback, cancel,
//! stop/start/restart, history, build logs (JSON, SSE, WebSocket) and the
//! live containers' output and stats, on memory parts.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::time::Duration;

use common::{Member, TestApi, error_code};
use futures::StreamExt as _;
use reqwest::Method;
use rivetr_core::access::Scope;
use rivetr_core::id::{AppId, DeploymentId};
use rivetr_core::input::{GitRef, GitUrl};
use rivetr_core::memory::SourceOp;
use rivetr_core::model::Role;
use rivetr_core::model::{AppSpec, DeploymentStatus, NewApp, NewProject, SourceSpec};
use rivetr_core::store::{AppRepo as _, DeploymentRepo as _, ProjectRepo as _, TeamRepo as _};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// How long any awaited condition may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(20);

const REPO: &str = "https://git.example.test/acme/web.git";

fn dockerfile(version: &str) -> Vec<(String, Vec<u8>)> {
    let text =
        format!("FROM scratch\nRUN echo compiling {version}\nLABEL log=hello from {version}\n");
    vec![("Dockerfile".to_owned(), text.into_bytes())]
}

/// Publish `version` of the repository's `main`.
fn push(api: &TestApi, version: &str) {
    let url: GitUrl = REPO.parse().unwrap();
    let main: GitRef = "main".parse().unwrap();
    api.source.insert_git(&url, &main, dockerfile(version));
}

/// An app of `owner`'s team building `REPO` at `main`, no watch window.
/// It has no port: the memory runtime's containers listen nowhere, and the
/// platform's proxy probes an upstream before it switches to it.
async fn make_app(api: &TestApi, owner: &Member) -> AppId {
    let scope = api.store.scope_for(owner.user, owner.team).await.unwrap();
    let project = api
        .store
        .create_project(
            &scope,
            NewProject {
                team_id: owner.team,
                name: "web".parse().unwrap(),
            },
        )
        .await
        .unwrap();
    let env = api
        .store
        .list_environments(&scope, project.id)
        .await
        .unwrap()
        .remove(0);
    let mut spec = AppSpec::from_git(REPO.parse().unwrap(), "main".parse().unwrap());
    spec.deploy.watch_window = Duration::ZERO;
    spec.deploy.drain_timeout = Duration::ZERO;
    spec.deploy.stop_grace = Duration::from_millis(10);
    api.store
        .create_app(
            &scope,
            NewApp {
                environment_id: env.id,
                name: "web".parse().unwrap(),
                spec,
            },
        )
        .await
        .unwrap()
        .id
}

async fn post(api: &TestApi, who: &Member, path: &str) -> reqwest::Response {
    api.as_member(who, Method::POST, path).send().await.unwrap()
}

async fn get_json(api: &TestApi, who: &Member, path: &str) -> Value {
    let response = api.as_member(who, Method::GET, path).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

/// Deploy and return the answer (asserting 202).
async fn deploy(api: &TestApi, who: &Member, app: AppId) -> Value {
    let response = post(api, who, &format!("/api/v1/apps/{app}/deploy")).await;
    assert_eq!(response.status(), 202);
    response.json().await.unwrap()
}

fn id_of(deployment: &Value) -> DeploymentId {
    deployment["id"].as_str().unwrap().parse().unwrap()
}

/// Wait (on the engine's events) until the deployment has `status`.
async fn wait_status(api: &TestApi, id: DeploymentId, status: DeploymentStatus) {
    let engine = api.platform.engine();
    let system = Scope::system();
    let reached = engine.wait_for(&system, id, |d| {
        d.status == status || (d.status.is_terminal() && status != d.status)
    });
    let d = tokio::time::timeout(DEADLINE, reached)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        d.status, status,
        "deployment ended {:?}: {:?}",
        d.status, d.reason
    );
}

/// Deploy and wait until live.
async fn deploy_live(api: &TestApi, who: &Member, app: AppId) -> DeploymentId {
    let id = id_of(&deploy(api, who, app).await);
    wait_status(api, id, DeploymentStatus::Live).await;
    id
}

#[tokio::test]
async fn deploy_answers_queued_at_once_and_the_deployment_goes_live() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let app = make_app(&api, &owner).await;
    push(&api, "v1");
    // The build is held: the answer must not wait for it.
    let stall = api.source.faults().stall(SourceOp::Fetch);
    let body = deploy(&api, &owner, app).await;
    assert_eq!(body["status"], "queued");
    assert_eq!(body["number"], 1);
    assert_eq!(body["trigger"], "manual");
    assert_eq!(body["app_id"], app.to_string());
    assert_eq!(body["requested_by"], owner.user.to_string());
    let id = id_of(&body);
    stall.release();
    wait_status(&api, id, DeploymentStatus::Live).await;

    let now = get_json(&api, &owner, &format!("/api/v1/deployments/{id}")).await;
    assert_eq!(now["status"], "live");
    assert!(now["commit"]["sha"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(now["image"].as_str().is_some());
    assert!(now["finished_at"].as_str().is_some());
    // An empty JSON object is the same request.
    let response = api
        .as_member(&owner, Method::POST, &format!("/api/v1/apps/{app}/deploy"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let response = api
        .as_member(&owner, Method::POST, &format!("/api/v1/apps/{app}/deploy"))
        .json(&json!({"branch": "main; rm -rf /"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
}

#[tokio::test]
async fn a_viewer_may_not_deploy_and_another_team_sees_nothing() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let viewer = api.member(owner.team, Role::Viewer, "v@acme.test").await;
    let stranger = api.team("other").await;
    let app = make_app(&api, &owner).await;
    push(&api, "v1");

    let (status, code, _) =
        error_code(post(&api, &viewer, &format!("/api/v1/apps/{app}/deploy")).await).await;
    assert_eq!((status, code.as_str()), (403, "permission_denied"));
    let (status, _, _) =
        error_code(post(&api, &stranger, &format!("/api/v1/apps/{app}/deploy")).await).await;
    assert_eq!(status, 404);
    for path in ["stop", "start", "restart", "rollback"] {
        let (status, _, _) =
            error_code(post(&api, &viewer, &format!("/api/v1/apps/{app}/{path}")).await).await;
        assert_eq!(status, 403, "viewer {path}");
        let (status, _, _) =
            error_code(post(&api, &stranger, &format!("/api/v1/apps/{app}/{path}")).await).await;
        assert_eq!(status, 404, "stranger {path}");
    }
    // Nothing was queued by the refused requests.
    let list = get_json(&api, &viewer, &format!("/api/v1/apps/{app}/deployments")).await;
    assert_eq!(list["items"], json!([]));

    let id = deploy_live(&api, &owner, app).await;
    // The viewer reads; the stranger cannot see it at all.
    get_json(&api, &viewer, &format!("/api/v1/deployments/{id}")).await;
    get_json(&api, &viewer, &format!("/api/v1/deployments/{id}/logs")).await;
    for path in [
        format!("/api/v1/deployments/{id}"),
        format!("/api/v1/deployments/{id}/logs"),
        format!("/api/v1/apps/{app}/deployments"),
        format!("/api/v1/apps/{app}/logs"),
        format!("/api/v1/apps/{app}/stats"),
    ] {
        let response = api
            .as_member(&stranger, Method::GET, &path)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "stranger GET {path}");
    }
    let (status, _, _) =
        error_code(post(&api, &stranger, &format!("/api/v1/deployments/{id}/cancel")).await).await;
    assert_eq!(status, 404);
    let (status, _, _) =
        error_code(post(&api, &viewer, &format!("/api/v1/deployments/{id}/cancel")).await).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn rollback_after_two_deploys_puts_the_first_version_live_again() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let app = make_app(&api, &owner).await;
    push(&api, "v1");
    let first = deploy_live(&api, &owner, app).await;
    // Only one version ever went live: nothing to roll back to.
    let (status, code, message) =
        error_code(post(&api, &owner, &format!("/api/v1/apps/{app}/rollback")).await).await;
    assert_eq!((status, code.as_str()), (409, "conflict"), "{message}");
    push(&api, "v2");
    let second = deploy_live(&api, &owner, app).await;
    let first_view = get_json(&api, &owner, &format!("/api/v1/deployments/{first}")).await;
    assert_eq!(first_view["status"], "replaced");

    let response = post(&api, &owner, &format!("/api/v1/apps/{app}/rollback")).await;
    assert_eq!(response.status(), 202);
    let rollback: Value = response.json().await.unwrap();
    assert_eq!(rollback["trigger"], "rollback");
    assert_eq!(rollback["rollback_of"], first.to_string());
    assert_eq!(rollback["number"], 3);
    let third = id_of(&rollback);
    wait_status(&api, third, DeploymentStatus::Live).await;
    let live = get_json(&api, &owner, &format!("/api/v1/deployments/{third}")).await;
    assert_eq!(live["image"], first_view["image"]);
    let second_view = get_json(&api, &owner, &format!("/api/v1/deployments/{second}")).await;
    assert_eq!(second_view["status"], "replaced");

    // To a named deployment that never went live: 409.
    let stall = api.source.faults().stall(SourceOp::Fetch);
    let queued = id_of(&deploy(&api, &owner, app).await);
    let response = api
        .as_member(
            &owner,
            Method::POST,
            &format!("/api/v1/apps/{app}/rollback"),
        )
        .json(&json!({ "deployment": queued }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    stall.release();
}

#[tokio::test]
async fn cancel_stops_a_queued_and_an_in_flight_deployment() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let app = make_app(&api, &owner).await;
    push(&api, "v1");
    let stall = api.source.faults().stall(SourceOp::Fetch);
    let running = id_of(&deploy(&api, &owner, app).await);
    stall.reached().await;
    // One deployment at a time per app: this one waits, queued.
    let queued = id_of(&deploy(&api, &owner, app).await);

    let response = post(
        &api,
        &owner,
        &format!("/api/v1/deployments/{queued}/cancel"),
    )
    .await;
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "cancelled");

    let response = post(
        &api,
        &owner,
        &format!("/api/v1/deployments/{running}/cancel"),
    )
    .await;
    assert_eq!(response.status(), 202);
    wait_status(&api, running, DeploymentStatus::Cancelled).await;
    stall.release();

    let (status, code, _) = error_code(
        post(
            &api,
            &owner,
            &format!("/api/v1/deployments/{running}/cancel"),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (409, "conflict"));
    let unknown = DeploymentId::new();
    let (status, _, _) = error_code(
        post(
            &api,
            &owner,
            &format!("/api/v1/deployments/{unknown}/cancel"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
    assert!(
        api.runtime.containers().is_empty(),
        "a cancelled deployment leaves no container"
    );
}

#[tokio::test]
async fn the_deployment_history_pages_newest_first() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let app = make_app(&api, &owner).await;
    push(&api, "v1");
    let stall = api.source.faults().stall(SourceOp::Fetch);
    for _ in 0..3 {
        deploy(&api, &owner, app).await;
    }
    let path = format!("/api/v1/apps/{app}/deployments");
    let page = get_json(&api, &owner, &format!("{path}?limit=2")).await;
    let numbers: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [3, 2]);
    assert_eq!(page["next"], 2);
    let page = get_json(&api, &owner, &format!("{path}?limit=2&before=2")).await;
    let numbers: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [1]);
    assert_eq!(page["next"], Value::Null);
    for bad in ["limit=0", "limit=101", "before=x", "sort=asc"] {
        let response = api
            .as_member(&owner, Method::GET, &format!("{path}?{bad}"))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_client_error(),
            "{bad}: {}",
            response.status()
        );
    }
    let unknown = AppId::new();
    let response = api
        .as_member(
            &owner,
            Method::GET,
            &format!("/api/v1/apps/{unknown}/deployments"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    stall.release();
}

/// Server-Sent Events read from a response: (event, id, data) each.
struct Events {
    body: futures::stream::BoxStream<'static, reqwest::Result<Vec<u8>>>,
    buffer: String,
}

impl Events {
    fn new(response: reqwest::Response) -> Self {
        assert_eq!(response.status(), 200);
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        Self {
            body: response
                .bytes_stream()
                .map(|r| r.map(|b| b.to_vec()))
                .boxed(),
            buffer: String::new(),
        }
    }

    /// The next event (comments skipped), or `None` when the stream ends.
    async fn next(&mut self) -> Option<(String, Option<String>, String)> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut event, mut id, mut data) = (String::from("message"), None, Vec::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push(v.strip_prefix(' ').unwrap_or(v).to_owned());
                    }
                }
                if data.is_empty() && id.is_none() {
                    continue;
                }
                return Some((event, id, data.join("\n")));
            }
            let chunk = tokio::time::timeout(DEADLINE, self.body.next())
                .await
                .unwrap()?;
            self.buffer
                .push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
    }
}

#[tokio::test]
async fn build_logs_page_and_follow_live_to_the_end_event() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let app = make_app(&api, &owner).await;
    push(&api, "v1");
    let build = api.source.faults().stall(SourceOp::Fetch);
    let id = id_of(&deploy(&api, &owner, app).await);
    build.reached().await;

    // Follow while the build is held: the build's lines come live.
    let response = api
        .as_member(
            &owner,
            Method::GET,
            &format!("/api/v1/deployments/{id}/logs?follow=true"),
        )
        .send()
        .await
        .unwrap();
    let mut events = Events::new(response);
    build.release();
    let mut lines = Vec::new();
    let mut last_seq = 0;
    let end = loop {
        let (event, id, data) = events
            .next()
            .await
            .expect("the stream ends with an end event");
        let data: Value = serde_json::from_str(&data).unwrap();
        match event.as_str() {
            "log" => {
                let seq = data["seq"].as_u64().unwrap();
                assert_eq!(id.as_deref(), Some(seq.to_string().as_str()));
                assert!(seq > last_seq, "lines in order, once each");
                last_seq = seq;
                lines.push(data["text"].as_str().unwrap().to_owned());
            }
            "status" => {}
            "end" => break data,
            other => panic!("unexpected event {other}"),
        }
    };
    assert_eq!(end["status"], "live", "{end} {lines:#?}");
    assert!(
        lines.iter().any(|l| l.contains("compiling v1")),
        "{lines:?}"
    );
    assert!(events.next().await.is_none(), "nothing after the end event");

    // The JSON page holds the same lines.
    let page = get_json(&api, &owner, &format!("/api/v1/deployments/{id}/logs")).await;
    assert_eq!(page["status"], "live");
    let texts: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap().to_owned())
        .collect();
    assert!(texts.len() >= lines.len());
    assert!(texts.iter().any(|l| l.contains("compiling v1")));
    assert_eq!(page["items"][0]["seq"], 1);
    let page = get_json(
        &api,
        &owner,
        &format!("/api/v1/deployments/{id}/logs?limit=1"),
    )
    .await;
    assert_eq!(page["next"], 1);
    let page = get_json(
        &api,
        &owner,
        &format!("/api/v1/deployments/{id}/logs?after=1&limit=1"),
    )
    .await;
    assert_eq!(page["items"][0]["seq"], 2);

    // A reconnecting client resumes after its Last-Event-ID; the
    // deployment is live already, so the stream ends at once.
    let response = api
        .as_member(
            &owner,
            Method::GET,
            &format!("/api/v1/deployments/{id}/logs"),
        )
        .header("accept", "text/event-stream")
        .header("last-event-id", "2")
        .send()
        .await
        .unwrap();
    let mut events = Events::new(response);
    let (event, id_field, _) = events.next().await.unwrap();
    assert_eq!((event.as_str(), id_field.as_deref()), ("log", Some("3")));
    let mut last = String::new();
    while let Some((event, _, _)) = events.next().await {
        last = event;
    }
    assert_eq!(last, "end");
}

/// A WebSocket client just big enough for the test: the handshake, then
/// the server's (unmasked) frames.
struct WsClient {
    stream: tokio::net::TcpStream,
}

impl WsClient {
    async fn connect(api: &TestApi, who: &Member, path: &str) -> Self {
        let addr = api.platform.api_addr();
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Authorization: Bearer {}\r\n\r\n",
            who.token
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(stream.read_u8().await.unwrap());
        }
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        Self { stream }
    }

    /// The next frame: (opcode, payload).
    async fn frame(&mut self) -> (u8, Vec<u8>) {
        let read = async {
            let first = self.stream.read_u8().await.unwrap();
            let second = self.stream.read_u8().await.unwrap();
            assert_eq!(second & 0x80, 0, "server frames are not masked");
            let len = match second & 0x7f {
                126 => u64::from(self.stream.read_u16().await.unwrap()),
                127 => self.stream.read_u64().await.unwrap(),
                n => u64::from(n),
            };
            let mut payload = vec![0; usize::try_from(len).unwrap()];
            self.stream.read_exact(&mut payload).await.unwrap();
            (first & 0x0f, payload)
        };
        tokio::time::timeout(DEADLINE, read).await.unwrap()
    }
}

#[tokio::test]
async fn the_websocket_streams_the_log_live_then_closes() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let app = make_app(&api, &owner).await;
    push(&api, "v1");
    let held = api.source.faults().stall(SourceOp::Fetch);
    let id = id_of(&deploy(&api, &owner, app).await);
    held.reached().await;
    let mut ws =
        WsClient::connect(&api, &owner, &format!("/api/v1/deployments/{id}/logs/ws")).await;
    held.release();
    let mut texts = Vec::new();
    let end = loop {
        let (opcode, payload) = ws.frame().await;
        assert_eq!(opcode, 1, "text frames until the end");
        let frame: Value = serde_json::from_slice(&payload).unwrap();
        match frame["event"].as_str().unwrap() {
            "log" => texts.push(frame["data"]["text"].as_str().unwrap().to_owned()),
            "status" => {}
            "end" => break frame["data"].clone(),
            other => panic!("unexpected {other}"),
        }
    };
    assert_eq!(end["status"], "live");
    assert!(
        texts.iter().any(|t| t.contains("compiling v1")),
        "{texts:?}"
    );
    let (opcode, _) = ws.frame().await;
    assert_eq!(opcode, 8, "a close frame follows the end");

    // Not a WebSocket request: 426 in the API's error shape; another
    // team's deployment: 404, upgrade or not.
    let path = format!("/api/v1/deployments/{id}/logs/ws");
    let response = api
        .as_member(&owner, Method::GET, &path)
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_code(response).await;
    assert_eq!((status, code.as_str()), (426, "upgrade_required"));
    let stranger = api.team("other").await;
    let response = api
        .as_member(&stranger, Method::GET, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

fn uploads_dir(api: &TestApi) -> std::path::PathBuf {
    api.platform.engine().config().work_dir.join("uploads")
}

fn stored_uploads(api: &TestApi) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(uploads_dir(api)) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test]
async fn archive_uploads_are_capped_streamed_to_disk_and_deployed() {
    let api = TestApi::start_with(|config| {
        config.server.max_upload = rivetr_server::config::ByteSize::new(4096);
    })
    .await;
    let owner = api.team("acme").await;
    let viewer = api.member(owner.team, Role::Viewer, "v@acme.test").await;
    let app = make_app(&api, &owner).await;
    let path = format!("/api/v1/apps/{app}/deploy/archive");
    let mut too_big = vec![0x1f, 0x8b];
    too_big.resize(8192, 0);

    // Declared too large: refused before reading.
    let response = api
        .as_member(&owner, Method::POST, &path)
        .header("content-type", "application/gzip")
        .body(too_big.clone())
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_code(response).await;
    assert_eq!((status, code.as_str()), (413, "payload_too_large"));
    // Streamed without a length: refused once past the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        too_big.chunks(1024).map(|c| Ok(c.to_vec())).collect();
    let response = api
        .as_member(&owner, Method::POST, &path)
        .header("content-type", "application/octet-stream")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    // Not an archive, or the wrong media type: 415.
    for (kind, body) in [
        ("application/gzip", b"hello world".to_vec()),
        ("text/plain", vec![0x1f, 0x8b, 0, 0]),
    ] {
        let response = api
            .as_member(&owner, Method::POST, &path)
            .header("content-type", kind)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 415, "{kind}");
    }
    // A viewer may not.
    let response = api
        .as_member(&viewer, Method::POST, &path)
        .header("content-type", "application/gzip")
        .body(vec![0x1f, 0x8b, 8, 0])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // Nothing of the refused uploads was kept, nothing deployed or changed.
    assert_eq!(stored_uploads(&api), Vec::<std::path::PathBuf>::new());
    let list = get_json(&api, &owner, &format!("/api/v1/apps/{app}/deployments")).await;
    assert_eq!(list["items"], json!([]));
    let stored = api.store.get_app(&Scope::system(), app).await.unwrap();
    assert!(matches!(stored.spec.source, SourceSpec::Git { .. }));

    // Within the limit: stored where the archive source reads, and deployed.
    let archive = {
        let mut bytes = vec![0x1f, 0x8b, 8, 0];
        bytes.extend_from_slice(&[7; 2000]);
        bytes
    };
    let response = api
        .as_member(&owner, Method::POST, &path)
        .header("content-type", "application/gzip")
        .body(archive.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "queued");
    let stored = api.store.get_app(&Scope::system(), app).await.unwrap();
    let SourceSpec::Archive { upload } = stored.spec.source else {
        panic!(
            "the app's source is now the upload: {:?}",
            stored.spec.source
        );
    };
    let file = uploads_dir(&api).join(upload.to_string());
    assert_eq!(std::fs::read(&file).unwrap(), archive);
    assert_eq!(stored_uploads(&api), vec![file]);
}

#[tokio::test]
async fn runtime_logs_and_stats_of_a_live_app() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let viewer = api.member(owner.team, Role::Viewer, "v@acme.test").await;
    let app = make_app(&api, &owner).await;
    // Nothing live yet: 409.
    let response = api
        .as_member(&owner, Method::GET, &format!("/api/v1/apps/{app}/stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    push(&api, "v1");
    let live = deploy_live(&api, &owner, app).await;

    let logs = get_json(&api, &viewer, &format!("/api/v1/apps/{app}/logs?tail=50")).await;
    let items = logs["items"].as_array().unwrap();
    assert!(items.iter().any(|l| l["text"] == "hello from v1"), "{logs}");
    let response = api
        .as_member(
            &owner,
            Method::GET,
            &format!("/api/v1/apps/{app}/logs?tail=0"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);

    let stats = get_json(&api, &viewer, &format!("/api/v1/apps/{app}/stats")).await;
    assert_eq!(stats["deployment"], live.to_string());
    assert_eq!(stats["items"].as_array().unwrap().len(), 1);
    assert!(stats["items"][0]["memory_bytes"].is_u64());

    let response = api
        .as_member(
            &viewer,
            Method::GET,
            &format!("/api/v1/apps/{app}/logs?follow=true"),
        )
        .send()
        .await
        .unwrap();
    let mut events = Events::new(response);
    loop {
        let (event, _, data) = events.next().await.expect("a log event");
        if event == "log"
            && serde_json::from_str::<Value>(&data).unwrap()["text"] == "hello from v1"
        {
            break;
        }
    }
}

#[tokio::test]
async fn stop_start_and_restart_act_on_the_live_containers() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let app = make_app(&api, &owner).await;
    let (status, _, _) =
        error_code(post(&api, &owner, &format!("/api/v1/apps/{app}/stop")).await).await;
    assert_eq!(status, 409, "nothing live to stop");
    push(&api, "v1");
    let live = deploy_live(&api, &owner, app).await;

    let response = post(&api, &owner, &format!("/api/v1/apps/{app}/stop")).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["deployment"]["id"], live.to_string());
    assert_eq!(body["containers"][0]["state"], "exited");
    assert!(
        api.runtime
            .containers()
            .iter()
            .all(|c| c.state != rivetr_core::runtime::ContainerState::Running)
    );

    let response = post(&api, &owner, &format!("/api/v1/apps/{app}/start")).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["containers"][0]["state"], "running");
    let deployment = api
        .store
        .get_deployment(&Scope::system(), live)
        .await
        .unwrap();
    assert_eq!(deployment.status, DeploymentStatus::Live);
    assert_eq!(body["deployment"]["status"], "live");

    // Not while a deployment of the app is under way.
    let held = api.source.faults().stall(SourceOp::Fetch);
    let busy = id_of(&deploy(&api, &owner, app).await);
    held.reached().await;
    let (status, _, message) =
        error_code(post(&api, &owner, &format!("/api/v1/apps/{app}/stop")).await).await;
    assert_eq!(status, 409, "{message}");
    held.release();
    wait_status(&api, busy, DeploymentStatus::Live).await;
    // The old version's container is removed once the worker is done.
    tokio::time::timeout(DEADLINE, api.platform.engine().wait_idle(app))
        .await
        .unwrap();

    let response = post(&api, &owner, &format!("/api/v1/apps/{app}/restart")).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["deployment"]["id"], busy.to_string());
    assert_eq!(body["containers"][0]["state"], "running");
    let states: Vec<_> = api.runtime.containers().iter().map(|c| c.state).collect();
    assert_eq!(
        states,
        [rivetr_core::runtime::ContainerState::Running],
        "the same container runs again; none was added"
    );
}
