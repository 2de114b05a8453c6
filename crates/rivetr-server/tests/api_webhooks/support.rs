//! Helpers of the webhook API tests: signing deliveries as each provider
//! does, sending them, setting the team's secret, making git apps, and
//! reading deployments and delivery logs back.

use reqwest::{Method, StatusCode};
use ring::hmac;
use rivetr_core::access::Scope;
use rivetr_core::id::AppId;
use rivetr_core::model::{
    AppSpec, Deployment, DeploymentStatus, NewApp, NewProject, Page, SourceSpec, WebhookOutcome,
};
use rivetr_core::store::{AppRepo, DeploymentRepo, ProjectRepo, TeamRepo, WebhookDeliveryRepo};
use serde_json::Value;

use crate::common::{Member, TestApi};

/// The repository of the GitHub fixtures, pushed to on `main`.
pub(crate) const STOREFRONT: &str = "https://github.com/northwind/storefront";

fn hmac_hex(secret: &str, body: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let tag = hmac::sign(&key, body.as_bytes());
    tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The headers `provider` sends with `body` for `event`, signed with
/// `secret`, and a delivery id.
pub(crate) fn signed(
    provider: &str,
    event: &str,
    body: &str,
    secret: &str,
) -> Vec<(&'static str, String)> {
    let sig = hmac_hex(secret, body);
    match provider {
        "github" => vec![
            ("X-Hub-Signature-256", format!("sha256={sig}")),
            ("X-GitHub-Event", event.to_owned()),
            (
                "X-GitHub-Delivery",
                "72d3162e-cc78-11e3-81ab-4c9367dc0958".to_owned(),
            ),
        ],
        "gitlab" => vec![
            ("X-Gitlab-Token", secret.to_owned()),
            ("X-Gitlab-Event", event.to_owned()),
            (
                "X-Gitlab-Event-UUID",
                "13792a34-cac6-4fda-95a8-c58e00a3954e".to_owned(),
            ),
        ],
        "gitea" => vec![
            ("X-Gitea-Signature", sig),
            ("X-Gitea-Event", event.to_owned()),
            (
                "X-Gitea-Delivery",
                "f6266f16-1bf3-46a5-9ea4-602e06ead473".to_owned(),
            ),
        ],
        "bitbucket" => vec![
            ("X-Hub-Signature", format!("sha256={sig}")),
            ("X-Event-Key", event.to_owned()),
            (
                "X-Request-UUID",
                "afe7b1a2-7e30-4a5e-9d1c-2c1b7a1d9f00".to_owned(),
            ),
        ],
        other => panic!("no such provider {other}"),
    }
}

/// POST `body` to the hook at `path` with `headers`.
pub(crate) async fn deliver(
    api: &TestApi,
    path: &str,
    headers: &[(&'static str, String)],
    body: &str,
) -> reqwest::Response {
    let mut request = api
        .anonymous(Method::POST, path)
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.send().await.unwrap()
}

/// Sets (or rotates) the team's secret; returns it and the hook path of
/// `provider`.
pub(crate) async fn rotate(api: &TestApi, owner: &Member, provider: &str) -> (String, String) {
    let response = api
        .as_member(owner, Method::POST, "/api/v1/webhooks")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let secret = body["secret"].as_str().unwrap().to_owned();
    let url = body["urls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["provider"] == provider)
        .unwrap()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(url, format!("/api/v1/hooks/{provider}/{}", owner.team));
    (secret, url)
}

/// An app of `owner`'s team built from `url` at `reference`, watching
/// `watch`, created through the store as the owner.
pub(crate) async fn git_app(
    api: &TestApi,
    owner: &Member,
    name: &str,
    url: &str,
    reference: &str,
    watch: &[&str],
) -> AppId {
    let scope = api.store.scope_for(owner.user, owner.team).await.unwrap();
    let project = match api.store.list_projects(&scope).await.unwrap().first() {
        Some(project) => project.id,
        None => {
            api.store
                .create_project(
                    &scope,
                    NewProject {
                        team_id: owner.team,
                        name: "web".parse().unwrap(),
                    },
                )
                .await
                .unwrap()
                .id
        }
    };
    let environment = api.store.list_environments(&scope, project).await.unwrap()[0].id;
    let mut spec = AppSpec::from_git(url.parse().unwrap(), reference.parse().unwrap());
    if let SourceSpec::Git { watch_paths, .. } = &mut spec.source {
        *watch_paths = watch.iter().map(|p| p.parse().unwrap()).collect();
    }
    // The tree a deploy fetches: enough for the memory builder.
    api.source.insert_git(
        &url.parse().unwrap(),
        &reference.parse().unwrap(),
        [("Dockerfile".to_owned(), b"FROM scratch\n".to_vec())],
    );
    api.store
        .create_app(
            &scope,
            NewApp {
                environment_id: environment,
                name: name.parse().unwrap(),
                spec,
            },
        )
        .await
        .unwrap()
        .id
}

pub(crate) async fn deployments(api: &TestApi, app: AppId) -> Vec<Deployment> {
    api.store
        .list_deployments(&Scope::system(), app, Page::first(50))
        .await
        .unwrap()
}

/// The app's delivery log, read through the API as `member`.
pub(crate) async fn log(api: &TestApi, member: &Member, app: AppId) -> Vec<Value> {
    let response = api
        .as_member(
            member,
            Method::GET,
            &format!("/api/v1/apps/{app}/webhook-deliveries"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

/// The platform's log of deliveries that named no app, newest first.
pub(crate) async fn unmatched(api: &TestApi) -> Vec<(WebhookOutcome, String, Option<String>)> {
    api.store
        .list_webhook_deliveries(&Scope::system(), None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.outcome, d.message, d.delivery_id))
        .collect()
}

/// Waits for `deployment` to finish and says how it ended.
pub(crate) async fn settle(api: &TestApi, deployment: &Deployment) -> DeploymentStatus {
    api.platform
        .engine()
        .wait_for(&Scope::system(), deployment.id, |d| {
            d.status == DeploymentStatus::Live || d.status.is_terminal()
        })
        .await
        .unwrap()
        .status
}
