//! Signing in over HTTP: the first admin's setup token, sign-in with its
//! rate limit, sessions with CSRF protection, two-factor auth, password
//! changes and API tokens.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use chrono::Utc;
use common::{TestApi, error_code};
use reqwest::Method;
use reqwest::header::{COOKIE, ORIGIN, SET_COOKIE};
use rivetr_core::model::Role;
use rivetr_core::store::UserRepo;
use rivetr_server::auth::totp::{TotpSecret, code_at, step_at};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

/// A browser: its session cookie and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

impl Browser {
    fn from(headers: &reqwest::header::HeaderMap, body: &Value) -> Self {
        let set = headers
            .get(SET_COOKIE)
            .expect("a session cookie")
            .to_str()
            .unwrap();
        assert!(set.contains("HttpOnly"), "{set}");
        assert!(set.contains("SameSite=Lax"), "{set}");
        let cookie = set.split(';').next().unwrap().to_owned();
        Self {
            cookie,
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        }
    }

    fn request(&self, api: &TestApi, method: Method, path: &str) -> reqwest::RequestBuilder {
        api.anonymous(method, path).header(COOKIE, &self.cookie)
    }

    /// An unsafe request as the dashboard sends it: CSRF token + Origin.
    fn write(&self, api: &TestApi, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.request(api, method, path)
            .header("x-csrf-token", &self.csrf)
            .header(ORIGIN, &api.base)
    }
}

async fn setup_token(api: &TestApi) -> String {
    tokio::fs::read_to_string(api.platform.setup_token().path())
        .await
        .unwrap()
        .trim()
        .to_owned()
}

async fn create_admin(api: &TestApi) -> Browser {
    let token = setup_token(api).await;
    let response = api
        .anonymous(Method::POST, "/api/v1/setup")
        .json(&json!({
            "setup_token": token, "email": "admin@example.test",
            "name": "Ada Admin", "password": PASSWORD,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let headers = response.headers().clone();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"]["email"], "admin@example.test");
    assert_eq!(body["teams"][0]["role"], "owner");
    Browser::from(&headers, &body)
}

async fn sign_in(api: &TestApi, email: &str, password: &str, code: Option<&str>) -> Browser {
    let response = try_sign_in(api, email, password, code).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let body: Value = response.json().await.unwrap();
    Browser::from(&headers, &body)
}

async fn try_sign_in(
    api: &TestApi,
    email: &str,
    password: &str,
    code: Option<&str>,
) -> reqwest::Response {
    let mut body = json!({ "email": email, "password": password });
    if let Some(code) = code {
        body["totp_code"] = json!(code);
    }
    api.anonymous(Method::POST, "/api/v1/auth/sign-in")
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_first_admin_needs_the_setup_token_which_works_once() {
    let api = TestApi::start().await;
    let status: Value = api
        .anonymous(Method::GET, "/api/v1/setup")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["pending"], true);

    let token = setup_token(&api).await;
    let attempt = |token: String, password: &'static str| {
        api.anonymous(Method::POST, "/api/v1/setup")
            .json(&json!({
                "setup_token": token, "email": "admin@example.test",
                "name": "Ada", "password": password,
            }))
            .send()
    };
    // A wrong token is refused and the right one stays valid.
    let (status, code, _) = error_code(attempt("wrong".into(), PASSWORD).await.unwrap()).await;
    assert_eq!((status, code.as_str()), (401, "unauthenticated"));
    // A weak password is refused before the token is used.
    let (status, code, message) = error_code(attempt(token.clone(), "short").await.unwrap()).await;
    assert_eq!((status, code.as_str()), (422, "weak_password"), "{message}");
    assert_eq!(
        api.store
            .count_users(&rivetr_core::access::Scope::system())
            .await
            .unwrap(),
        0
    );

    let created = attempt(token.clone(), PASSWORD).await.unwrap();
    assert_eq!(created.status(), 201);
    assert!(created.headers().get(SET_COOKIE).is_some());
    // Used: neither the same token nor any other creates a second admin.
    let (status, _, _) = error_code(attempt(token, PASSWORD).await.unwrap()).await;
    assert_eq!(status, 409);
    let status: Value = api
        .anonymous(Method::GET, "/api/v1/setup")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["pending"], false);
    api.platform.shutdown().await;
}

#[tokio::test]
async fn sign_in_is_rate_limited_and_does_not_tell_which_part_was_wrong() {
    let api = TestApi::start().await;
    create_admin(&api).await;
    let wrong_password = try_sign_in(&api, "admin@example.test", "nope nope nope", None).await;
    let unknown_user = try_sign_in(&api, "nobody@example.test", PASSWORD, None).await;
    let (a, b) = (
        error_code(wrong_password).await,
        error_code(unknown_user).await,
    );
    assert_eq!(a, b);
    assert_eq!(a.0, 401);
    // Ten attempts a minute per address; the one that just worked counted too.
    let mut last = None;
    for _ in 0..10 {
        last = Some(try_sign_in(&api, "admin@example.test", "nope nope nope", None).await);
    }
    let last = last.unwrap();
    assert_eq!(last.status(), 429);
    let retry: u64 = last.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    // Even the right password waits now.
    let right = try_sign_in(&api, "admin@example.test", PASSWORD, None).await;
    assert_eq!(right.status(), 429);
    api.platform.shutdown().await;
}

#[tokio::test]
async fn cookie_writes_need_the_csrf_token_and_the_same_origin() {
    let api = TestApi::start().await;
    let browser = create_admin(&api).await;
    let me: Value = browser
        .request(&api, Method::GET, "/api/v1/auth/me")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["authenticated_by"], "session");
    assert_eq!(me["role"], "owner");

    let body = json!({ "name": "ci", "scope": "deploy" });
    let no_csrf = browser
        .request(&api, Method::POST, "/api/v1/tokens")
        .header(ORIGIN, &api.base)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(no_csrf).await.1, "csrf");
    let other_site = browser
        .request(&api, Method::POST, "/api/v1/tokens")
        .header("x-csrf-token", &browser.csrf)
        .header(ORIGIN, "https://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(other_site).await.1, "csrf");
    let tokens: Value = browser
        .request(&api, Method::GET, "/api/v1/tokens")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        tokens["items"].as_array().unwrap().len(),
        0,
        "nothing was created"
    );

    let ok = browser
        .write(&api, Method::POST, "/api/v1/tokens")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 201);

    // Signing out ends the session.
    let out = browser
        .write(&api, Method::POST, "/api/v1/auth/sign-out")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let after = browser
        .request(&api, Method::GET, "/api/v1/auth/me")
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    api.platform.shutdown().await;
}

#[tokio::test]
async fn two_factor_auth_needs_a_fresh_code_at_sign_in() {
    let api = TestApi::start().await;
    let browser = create_admin(&api).await;
    let fresh: Value = browser
        .write(&api, Method::POST, "/api/v1/auth/totp/secret")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let base32 = fresh["secret"].as_str().unwrap().to_owned();
    assert!(
        fresh["uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    let secret = TotpSecret::from_base32(&base32).unwrap();
    let code = |step| code_at(&secret, step, 6);
    let now = step_at(Utc::now());

    let wrong = browser
        .write(&api, Method::PUT, "/api/v1/auth/totp")
        .json(&json!({ "secret": base32, "code": code(now + 10) }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 422);
    let on = browser
        .write(&api, Method::PUT, "/api/v1/auth/totp")
        .json(&json!({ "secret": base32, "code": code(now) }))
        .send()
        .await
        .unwrap();
    assert_eq!(on.status(), 204);

    let without = try_sign_in(&api, "admin@example.test", PASSWORD, None).await;
    assert_eq!(error_code(without).await.1, "totp_required");
    // The code used to turn it on cannot be used again.
    let replay = try_sign_in(&api, "admin@example.test", PASSWORD, Some(&code(now))).await;
    assert_eq!(replay.status(), 401);
    let next = code(now + 1);
    sign_in(&api, "admin@example.test", PASSWORD, Some(&next)).await;
    api.platform.shutdown().await;
}

#[tokio::test]
async fn a_password_change_ends_every_session() {
    let api = TestApi::start().await;
    let first = create_admin(&api).await;
    let second = sign_in(&api, "admin@example.test", PASSWORD, None).await;
    let wrong = second
        .write(&api, Method::PUT, "/api/v1/auth/password")
        .json(&json!({ "current_password": "not it at all", "new_password": "another long passphrase" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let changed = second
        .write(&api, Method::PUT, "/api/v1/auth/password")
        .json(&json!({ "current_password": PASSWORD, "new_password": "another long passphrase" }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    for old in [&first, &second] {
        let me = old
            .request(&api, Method::GET, "/api/v1/auth/me")
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), 401);
    }
    assert_eq!(
        try_sign_in(&api, "admin@example.test", PASSWORD, None)
            .await
            .status(),
        401
    );
    sign_in(&api, "admin@example.test", "another long passphrase", None).await;
    api.platform.shutdown().await;
}

#[tokio::test]
async fn tokens_are_shown_once_never_exceed_the_role_and_stop_working_when_revoked() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let viewer = api
        .member(owner.team, Role::Viewer, "viewer@acme.test")
        .await;

    // A token's scope is a ceiling on its owner's role: a viewer's
    // `deploy` token still acts as a viewer.
    let bounded: Value = api
        .as_member(&viewer, Method::POST, "/api/v1/tokens")
        .json(&json!({ "name": "deployer", "scope": "deploy" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let me: Value = api
        .anonymous(Method::GET, "/api/v1/auth/me")
        .bearer_auth(bounded["secret"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["role"].as_str(), me["token_scope"].as_str()),
        (Some("viewer"), Some("deploy"))
    );

    let created: Value = api
        .as_member(&owner, Method::POST, "/api/v1/tokens")
        .json(&json!({ "name": "ci", "scope": "read", "expires_in_days": 30 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("rvt_"));
    assert!(created["expires_at"].is_string());
    let listed = api
        .as_member(&owner, Method::GET, "/api/v1/tokens")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(&secret), "a listed token shows no secret");

    let me: Value = api
        .anonymous(Method::GET, "/api/v1/auth/me")
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["token_scope"], "read");
    // A read token may not make a stronger one.
    let escalate = api
        .anonymous(Method::POST, "/api/v1/tokens")
        .bearer_auth(&secret)
        .json(&json!({ "name": "more", "scope": "admin" }))
        .send()
        .await
        .unwrap();
    assert_eq!(escalate.status(), 403);

    let id = created["id"].as_str().unwrap();
    let revoked = api
        .as_member(&owner, Method::DELETE, &format!("/api/v1/tokens/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    let after = api
        .anonymous(Method::GET, "/api/v1/auth/me")
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(after).await.0, 401);

    let malformed = api
        .anonymous(Method::GET, "/api/v1/auth/me")
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 401);
    assert!(malformed.headers().contains_key("www-authenticate"));
    api.platform.shutdown().await;
}

#[tokio::test]
async fn only_admins_revoke_other_members_tokens() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let developer = api
        .member(owner.team, Role::Developer, "dev@acme.test")
        .await;
    let victim = api
        .member(owner.team, Role::Developer, "victim@acme.test")
        .await;
    let listed: Value = api
        .as_member(&owner, Method::GET, "/api/v1/tokens")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let victim_token = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["user_id"] == victim.user.to_string())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/tokens/{victim_token}");
    // Another developer's tokens are not even visible to a developer.
    let refused = api
        .as_member(&developer, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    let still = api
        .as_member(&victim, Method::GET, "/api/v1/auth/me")
        .send()
        .await
        .unwrap();
    assert_eq!(still.status(), 200);
    let revoked = api
        .as_member(&owner, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    let gone = api
        .as_member(&victim, Method::GET, "/api/v1/auth/me")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 401);
    api.platform.shutdown().await;
}
