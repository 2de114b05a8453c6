//! Shared by the deployments and logs API tests: an app on the memory
//! parts, deploying and waiting, and small SSE and WebSocket readers.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test binary uses a part of the support, shared as a module"
)]

use std::time::Duration;

use futures::StreamExt as _;
use reqwest::Method;
use rivetr_core::access::Scope;
use rivetr_core::id::{AppId, DeploymentId};
use rivetr_core::input::{GitRef, GitUrl};
use rivetr_core::model::{AppSpec, DeploymentStatus, NewApp, NewProject};
use rivetr_core::store::{AppRepo as _, ProjectRepo as _, TeamRepo as _};
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::common::{Member, TestApi};

/// How long any awaited condition may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

pub const REPO: &str = "https://git.example.test/acme/web.git";

pub fn dockerfile(version: &str) -> Vec<(String, Vec<u8>)> {
    let text =
        format!("FROM scratch\nRUN echo compiling {version}\nLABEL log=hello from {version}\n");
    vec![("Dockerfile".to_owned(), text.into_bytes())]
}

/// Publish `version` of the repository's `main`.
pub fn push(api: &TestApi, version: &str) {
    let url: GitUrl = REPO.parse().unwrap();
    let main: GitRef = "main".parse().unwrap();
    api.source.insert_git(&url, &main, dockerfile(version));
}

/// An app of `owner`'s team building `REPO` at `main`, no watch window.
/// It has no port: the memory runtime's containers listen nowhere, and the
/// platform's proxy probes an upstream before it switches to it.
pub async fn make_app(api: &TestApi, owner: &Member) -> AppId {
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

pub async fn post(api: &TestApi, who: &Member, path: &str) -> reqwest::Response {
    api.as_member(who, Method::POST, path).send().await.unwrap()
}

pub async fn get_json(api: &TestApi, who: &Member, path: &str) -> Value {
    let response = api.as_member(who, Method::GET, path).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

/// Deploy and return the answer (asserting 202).
pub async fn deploy(api: &TestApi, who: &Member, app: AppId) -> Value {
    let response = post(api, who, &format!("/api/v1/apps/{app}/deploy")).await;
    assert_eq!(response.status(), 202);
    response.json().await.unwrap()
}

pub fn id_of(deployment: &Value) -> DeploymentId {
    deployment["id"].as_str().unwrap().parse().unwrap()
}

/// Wait (on the engine's events) until the deployment has `status`.
pub async fn wait_status(api: &TestApi, id: DeploymentId, status: DeploymentStatus) {
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
pub async fn deploy_live(api: &TestApi, who: &Member, app: AppId) -> DeploymentId {
    let id = id_of(&deploy(api, who, app).await);
    wait_status(api, id, DeploymentStatus::Live).await;
    id
}

/// Server-Sent Events read from a response: (event, id, data) each.
pub struct Events {
    body: futures::stream::BoxStream<'static, reqwest::Result<Vec<u8>>>,
    buffer: String,
}

impl Events {
    pub fn new(response: reqwest::Response) -> Self {
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
    pub async fn next(&mut self) -> Option<(String, Option<String>, String)> {
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

/// A WebSocket client just big enough for the test: the handshake, then
/// the server's (unmasked) frames.
pub struct WsClient {
    stream: tokio::net::TcpStream,
}

impl WsClient {
    pub async fn connect(api: &TestApi, who: &Member, path: &str) -> Self {
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
    pub async fn frame(&mut self) -> (u8, Vec<u8>) {
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
