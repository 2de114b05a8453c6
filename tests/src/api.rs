//! A small client of the REST API for the scenarios: the first admin's
//! bootstrap (setup token → session → API token) and JSON calls.

use reqwest::Method;
use reqwest::header::{COOKIE, ORIGIN, SET_COOKIE};
use serde_json::{Value, json};

/// An authenticated API client.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    /// The bearer token it sends.
    pub token: String,
}

/// The first admin's e-mail address and password.
pub const ADMIN_EMAIL: &str = "admin@e2e.test";
/// The first admin's password.
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

impl Api {
    /// Create the first admin with `setup_token`, sign in with a session,
    /// and make an `admin` API token with it.
    ///
    /// # Panics
    ///
    /// When a step fails.
    pub async fn bootstrap(base: &str, setup_token: &str) -> Self {
        let http = reqwest::Client::new();
        let created = http
            .post(format!("{base}/api/v1/setup"))
            .json(&json!({
                "setup_token": setup_token, "email": ADMIN_EMAIL,
                "name": "E2E Admin", "password": ADMIN_PASSWORD,
            }))
            .send()
            .await
            .expect("POST /api/v1/setup");
        assert_eq!(created.status(), 201, "setup: {:?}", created.text().await);
        let cookie = created.headers()[SET_COOKIE]
            .to_str()
            .expect("cookie")
            .split(';')
            .next()
            .expect("cookie pair")
            .to_owned();
        let session: Value = created.json().await.expect("setup answer");
        let csrf = session["csrf_token"].as_str().expect("csrf token");
        let token: Value = http
            .post(format!("{base}/api/v1/tokens"))
            .header(COOKIE, cookie)
            .header("x-csrf-token", csrf)
            .header(ORIGIN, base)
            .json(&json!({ "name": "e2e", "scope": "admin" }))
            .send()
            .await
            .expect("POST /api/v1/tokens")
            .json()
            .await
            .expect("token answer");
        Self {
            http,
            base: base.to_owned(),
            token: token["secret"].as_str().expect("token secret").to_owned(),
        }
    }

    /// The API's base URL.
    #[must_use]
    pub fn base(&self) -> &str {
        &self.base
    }

    /// A request with the token.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    /// `method path` with an optional JSON body; the status and the JSON
    /// answer (`Value::Null` for an empty one).
    ///
    /// # Panics
    ///
    /// When the request cannot be sent.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("send an API request");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Like [`Api::call`], asserting the status.
    ///
    /// # Panics
    ///
    /// When the status differs (the answer is shown).
    pub async fn expect(
        &self,
        status: u16,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let (got, value) = self.call(method.clone(), path, body).await;
        assert_eq!(got, status, "{method} {path}: {value}");
        value
    }
}
