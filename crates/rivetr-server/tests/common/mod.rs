//! A platform on memory parts (store, runtime, source, builder) with its
//! API on a free port, and callers of every role, for the API tests.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test binary uses a part of the harness, shared as a module"
)]

use std::sync::Arc;

use rivetr_core::access::Scope;
use rivetr_core::id::{TeamId, UserId};
use rivetr_core::memory::{MemoryBuilder, MemoryRuntime, MemorySource, MemoryStore};
use rivetr_core::model::{NewApiToken, NewUser, Role, TokenScope};
use rivetr_core::store::{TeamRepo, TokenRepo, UserRepo};
use rivetr_server::auth::api_token::ApiTokenSecret;
use rivetr_server::auth::password::HashParams;
use rivetr_server::auth::service::AuthSettings;
use rivetr_server::config::Config;
use rivetr_server::platform::Platform;

/// A running platform on memory parts.
pub struct TestApi {
    pub platform: Platform,
    /// `http://127.0.0.1:PORT` of the API.
    pub base: String,
    pub http: reqwest::Client,
    pub runtime: MemoryRuntime,
    pub source: MemorySource,
    pub store: Arc<MemoryStore>,
    _dir: tempfile::TempDir,
}

/// A user with an API token (scope `admin`, so the role is the limit).
#[derive(Clone, Debug)]
pub struct Member {
    pub user: UserId,
    pub team: TeamId,
    pub role: Role,
    pub email: String,
    pub token: String,
}

impl TestApi {
    /// Start a platform with its API and proxy on free loopback ports.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Start with changes to the config.
    pub async fn start_with(change: impl FnOnce(&mut Config)) -> Self {
        // reqwest's rustls has no provider compiled in.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.server.data_dir = dir.path().join("data");
        config.server.api_listen = "127.0.0.1:0".parse().unwrap();
        config.proxy.http_listen = "127.0.0.1:0".parse().unwrap();
        config.engine.work_dir = Some(dir.path().join("work"));
        change(&mut config);
        let store = Arc::new(MemoryStore::new());
        let runtime = MemoryRuntime::new();
        let source = MemorySource::new();
        let platform = Platform::builder(config)
            .store(Arc::clone(&store) as _)
            .runtime(Arc::new(runtime.clone()))
            .source(Arc::new(source.clone()))
            .builder(Arc::new(MemoryBuilder::new(runtime.clone())))
            .auth_settings(AuthSettings {
                hash_params: HashParams::INSECURE_FAST,
                ..AuthSettings::default()
            })
            .start()
            .await
            .unwrap();
        let base = format!("http://{}", platform.api_addr());
        Self {
            platform,
            base,
            http: reqwest::Client::new(),
            runtime,
            source,
            store,
            _dir: dir,
        }
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A new team whose owner is a new user.
    pub async fn team(&self, name: &str) -> Member {
        let system = Scope::system();
        let user = self.user(&format!("owner@{name}.test")).await;
        let team = self
            .store
            .create_team(&system, name.parse().unwrap(), user)
            .await
            .unwrap();
        self.token_for(user, team.id, Role::Owner, &format!("owner@{name}.test"))
            .await
    }

    /// A new user with `role` in `team`.
    pub async fn member(&self, team: TeamId, role: Role, email: &str) -> Member {
        let user = self.user(email).await;
        self.store
            .set_member(&Scope::system(), team, user, role)
            .await
            .unwrap();
        self.token_for(user, team, role, email).await
    }

    async fn user(&self, email: &str) -> UserId {
        self.store
            .create_user(
                &Scope::system(),
                NewUser {
                    email: email.parse().unwrap(),
                    name: "Test User".parse().unwrap(),
                    instance_admin: false,
                },
            )
            .await
            .unwrap()
            .id
    }

    async fn token_for(&self, user: UserId, team: TeamId, role: Role, email: &str) -> Member {
        let secret = ApiTokenSecret::generate().unwrap();
        self.store
            .create_token(
                &Scope::system(),
                NewApiToken {
                    user_id: user,
                    team_id: team,
                    name: "test".parse().unwrap(),
                    scope: TokenScope::Admin,
                    token_hash: self.platform.auth().tokens().hash(&secret),
                    expires_at: None,
                },
            )
            .await
            .unwrap();
        Member {
            user,
            team,
            role,
            email: email.to_owned(),
            token: secret.expose().to_owned(),
        }
    }

    /// A request as `member` (bearer token).
    pub fn as_member(
        &self,
        member: &Member,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&member.token)
    }

    /// An anonymous request.
    pub fn anonymous(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path))
    }
}

/// The `error.code` of an error answer.
pub async fn error_code(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap();
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// `method path` as `who`, with an optional JSON body.
pub async fn call(
    api: &TestApi,
    who: &Member,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> reqwest::Response {
    let request = api.as_member(who, method, path);
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    request.send().await.unwrap()
}

/// The JSON body of `response`, asserting its status (the body is shown
/// when it differs).
pub async fn ok_json(response: reqwest::Response, status: u16) -> serde_json::Value {
    let got = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap()
}
