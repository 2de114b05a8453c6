#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! The webhook endpoint over HTTP: signed pushes from each provider deploy
//! exactly the team's apps built from the pushed repository and branch
//! (and watch paths), everything else deploys nothing; refused deliveries
//! (bad signature, unknown hook, rotated secret, oversized body) deploy
//! nothing and are logged; the team's hook settings and each app's
//! delivery log.

mod common;

#[path = "api_webhooks/support.rs"]
mod support;

use common::{Member, TestApi};
use reqwest::{Method, StatusCode};
use rivetr_core::access::Scope;
use rivetr_core::model::{
    DeploymentStatus, MountSource, Role, Trigger, VolumeMount, WebhookOutcome,
};
use rivetr_core::store::AppRepo;
use rivetr_server::config::ByteSize;
use serde_json::Value;
use support::{STOREFRONT, deliver, deployments, git_app, log, rotate, settle, signed, unmatched};

const GITHUB_PUSH: &str = include_str!("fixtures/webhooks/github_push.json");
const GITHUB_PING: &str = include_str!("fixtures/webhooks/github_ping.json");
const GITHUB_PR: &str = include_str!("fixtures/webhooks/github_pull_request.json");
const GITLAB_PUSH: &str = include_str!("fixtures/webhooks/gitlab_push.json");
const GITEA_PUSH: &str = include_str!("fixtures/webhooks/gitea_push.json");
const BITBUCKET_PUSH: &str = include_str!("fixtures/webhooks/bitbucket_push.json");

#[tokio::test]
async fn a_signed_github_push_deploys_exactly_the_matching_apps() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let api_app = git_app(&api, &owner, "api", STOREFRONT, "main", &["services/api"]).await;
    let web = git_app(
        &api,
        &owner,
        "web",
        "git@github.com:Northwind/storefront.git",
        "main",
        &[],
    )
    .await;
    let site = git_app(&api, &owner, "site", STOREFRONT, "main", &["website"]).await;
    let staging = git_app(&api, &owner, "staging", STOREFRONT, "staging", &[]).await;
    let other_repo = git_app(
        &api,
        &owner,
        "other",
        "https://github.com/northwind/storefront-admin",
        "main",
        &[],
    )
    .await;
    // Another team builds the same repository and branch: its hook is not
    // the one called, so it deploys nothing.
    let rival = api.team("rival").await;
    let rival_app = git_app(&api, &rival, "api", STOREFRONT, "main", &[]).await;
    rotate(&api, &rival, "github").await;

    let (secret, path) = rotate(&api, &owner, "github").await;
    let response = deliver(
        &api,
        &path,
        &signed("github", "push", GITHUB_PUSH, &secret),
        GITHUB_PUSH,
    )
    .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["result"], "deployed");
    let outcomes: Vec<(String, String)> = answer["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_owned(),
                a["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("api", "deployed"),
        ("web", "deployed"),
        ("site", "ignored"),
        ("staging", "ignored"),
    ];
    assert_eq!(
        outcomes,
        expected.map(|(n, o)| (n.to_owned(), o.to_owned()))
    );

    for app in [api_app, web] {
        let deployed = deployments(&api, app).await;
        assert_eq!(deployed.len(), 1, "{app}");
        assert_eq!(
            deployed[0].trigger,
            Trigger::Webhook {
                provider: "github".to_owned()
            }
        );
        assert_eq!(deployed[0].requested_by, None);
        assert_eq!(settle(&api, &deployed[0]).await, DeploymentStatus::Live);
        let entries = log(&api, &owner, app).await;
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["outcome"], "deployed");
        assert_eq!(entries[0]["provider"], "github");
        assert_eq!(entries[0]["event"], "push");
        assert_eq!(
            entries[0]["delivery_id"],
            "72d3162e-cc78-11e3-81ab-4c9367dc0958"
        );
        let message = entries[0]["message"].as_str().unwrap();
        assert!(
            message.contains("9ace8b386f3f60af49e68548bd188fae6620675a"),
            "{message}"
        );
    }
    for app in [site, staging, other_repo, rival_app] {
        assert!(deployments(&api, app).await.is_empty(), "{app} deployed");
    }
    let site_log = log(&api, &owner, site).await;
    assert_eq!(site_log[0]["outcome"], "ignored");
    assert!(
        site_log[0]["message"]
            .as_str()
            .unwrap()
            .contains("watch paths (website)"),
        "{site_log:?}"
    );
    let staging_log = log(&api, &owner, staging).await;
    assert_eq!(
        staging_log[0]["message"],
        "pushed branch main; the app deploys branch staging"
    );
    assert!(log(&api, &owner, other_repo).await.is_empty());
    assert!(log(&api, &rival, rival_app).await.is_empty());
    api.platform.shutdown().await;
}

#[tokio::test]
async fn a_bad_signature_deploys_nothing_and_is_logged_as_refused() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let app = git_app(&api, &owner, "web", STOREFRONT, "main", &[]).await;
    let (secret, path) = rotate(&api, &owner, "github").await;

    let wrong = signed("github", "push", GITHUB_PUSH, "not the secret");
    let tampered = GITHUB_PUSH.replace("Document the health", "Break the health");
    let unsigned: Vec<_> = wrong
        .iter()
        .filter(|(name, _)| *name != "X-Hub-Signature-256")
        .cloned()
        .collect();
    let cases = [
        (wrong, GITHUB_PUSH.to_owned(), "does not match"),
        (
            signed("github", "push", GITHUB_PUSH, &secret),
            tampered,
            "does not match",
        ),
        (unsigned, GITHUB_PUSH.to_owned(), "is missing"),
    ];
    for (headers, body, says) in cases {
        let (status, code, message) =
            common::error_code(deliver(&api, &path, &headers, &body).await).await;
        assert_eq!((status, code.as_str()), (401, "unauthenticated"));
        assert!(message.contains(says), "{message}");
        assert!(!message.contains(&secret));
    }
    assert!(deployments(&api, app).await.is_empty());
    assert!(log(&api, &owner, app).await.is_empty());
    let refused = unmatched(&api).await;
    assert_eq!(refused.len(), 3, "{refused:?}");
    for (outcome, message, delivery_id) in &refused {
        assert_eq!(*outcome, WebhookOutcome::Refused);
        assert!(message.starts_with("refused: "), "{message}");
        assert!(!message.contains(&secret));
        assert_eq!(
            delivery_id.as_deref(),
            Some("72d3162e-cc78-11e3-81ab-4c9367dc0958")
        );
    }
    api.platform.shutdown().await;
}

#[tokio::test]
async fn signed_pushes_from_gitlab_gitea_and_bitbucket_deploy() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let cases = [
        (
            "gitlab",
            "Push Hook",
            GITLAB_PUSH,
            "https://git.acme-infra.example/platform/payments/billing.git",
            "release/2026-12",
        ),
        (
            "gitea",
            "push",
            GITEA_PUSH,
            "https://code.hollow.example/hollow/wiki-engine",
            "main",
        ),
        (
            "bitbucket",
            "repo:push",
            BITBUCKET_PUSH,
            "git@bitbucket.org:lumen-labs/mobile-backend.git",
            "production",
        ),
    ];
    let mut secret = String::new();
    for (i, (provider, event, body, url, branch)) in cases.into_iter().enumerate() {
        let app = git_app(&api, &owner, &format!("app{i}"), url, branch, &[]).await;
        let (new_secret, path) = rotate(&api, &owner, provider).await;
        assert_ne!(new_secret, secret);
        secret = new_secret;
        let response = deliver(&api, &path, &signed(provider, event, body, &secret), body).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{provider}");
        let deployed = deployments(&api, app).await;
        assert_eq!(deployed.len(), 1, "{provider}");
        assert_eq!(
            deployed[0].trigger,
            Trigger::Webhook {
                provider: provider.to_owned()
            }
        );
        assert_eq!(
            settle(&api, &deployed[0]).await,
            DeploymentStatus::Live,
            "{provider}"
        );
        let entries = log(&api, &owner, app).await;
        assert_eq!(entries[0]["outcome"], "deployed", "{provider}");
        assert_eq!(entries[0]["provider"], provider);
        assert_eq!(entries[0]["event"], event);
    }
    api.platform.shutdown().await;
}

#[tokio::test]
async fn a_ping_is_answered_and_a_pull_request_recorded() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let app = git_app(&api, &owner, "web", STOREFRONT, "main", &[]).await;
    let (secret, path) = rotate(&api, &owner, "github").await;

    let response = deliver(
        &api,
        &path,
        &signed("github", "ping", GITHUB_PING, &secret),
        GITHUB_PING,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["result"], "pong");

    let response = deliver(
        &api,
        &path,
        &signed("github", "pull_request", GITHUB_PR, &secret),
        GITHUB_PR,
    )
    .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["result"], "recorded");
    assert!(deployments(&api, app).await.is_empty());
    let entries = log(&api, &owner, app).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["event"], "pull_request");
    assert_eq!(entries[0]["outcome"], "ignored");
    assert!(
        entries[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("pull request #"),
        "{entries:?}"
    );
    api.platform.shutdown().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_unread() {
    let api =
        TestApi::start_with(|config| config.server.max_webhook_body = ByteSize::new(1024)).await;
    let owner = api.team("acme").await;
    let app = git_app(&api, &owner, "web", STOREFRONT, "main", &[]).await;
    let (secret, path) = rotate(&api, &owner, "github").await;
    assert!(GITHUB_PUSH.len() > 1024);

    let response = deliver(
        &api,
        &path,
        &signed("github", "push", GITHUB_PUSH, &secret),
        GITHUB_PUSH,
    )
    .await;
    let (status, code, message) = common::error_code(response).await;
    assert_eq!((status, code.as_str()), (413, "payload_too_large"));
    assert!(message.contains("1024 bytes"), "{message}");
    assert!(deployments(&api, app).await.is_empty());
    assert_eq!(unmatched(&api).await[0].0, WebhookOutcome::Refused);

    // Under the limit, the same hook works.
    let response = deliver(
        &api,
        &path,
        &signed("github", "ping", GITHUB_PING, &secret),
        GITHUB_PING,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    api.platform.shutdown().await;
}

#[tokio::test]
async fn unknown_hooks_get_the_answer_a_bad_signature_gets() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let app = git_app(&api, &owner, "web", STOREFRONT, "main", &[]).await;
    let without_secret = api.team("quiet").await;
    let (_, path) = rotate(&api, &owner, "github").await;
    let headers = signed("github", "push", GITHUB_PUSH, "a guess");
    let bad = common::error_code(deliver(&api, &path, &headers, GITHUB_PUSH).await).await;
    assert_eq!(bad.0, 401);

    for hook in [
        rivetr_core::id::TeamId::new().to_string(),
        "not-a-hook".to_owned(),
        without_secret.team.to_string(),
    ] {
        let path = format!("/api/v1/hooks/github/{hook}");
        let got = common::error_code(deliver(&api, &path, &headers, GITHUB_PUSH).await).await;
        assert_eq!(got, bad, "{hook}");
    }
    assert!(deployments(&api, app).await.is_empty());
    let refused = unmatched(&api).await;
    assert_eq!(refused.len(), 4);
    assert!(
        refused
            .iter()
            .all(|(o, _, _)| *o == WebhookOutcome::Refused)
    );
    assert_eq!(
        refused
            .iter()
            .filter(|(_, m, _)| m.contains("unknown hook"))
            .count(),
        3
    );

    let (status, code, _) =
        common::error_code(deliver(&api, "/api/v1/hooks/gogs/x", &headers, GITHUB_PUSH).await)
            .await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    api.platform.shutdown().await;
}

#[tokio::test]
async fn a_rotated_secret_refuses_deliveries_signed_with_the_old_one() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let app = git_app(&api, &owner, "web", STOREFRONT, "main", &[]).await;
    let (old, path) = rotate(&api, &owner, "github").await;
    let (new, _) = rotate(&api, &owner, "github").await;
    assert_ne!(old, new);

    let response = deliver(
        &api,
        &path,
        &signed("github", "push", GITHUB_PUSH, &old),
        GITHUB_PUSH,
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(deployments(&api, app).await.is_empty());

    let response = deliver(
        &api,
        &path,
        &signed("github", "push", GITHUB_PUSH, &new),
        GITHUB_PUSH,
    )
    .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(deployments(&api, app).await.len(), 1);
    api.platform.shutdown().await;
}

#[tokio::test]
async fn the_team_sees_its_hook_and_only_its_own_deliveries() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let viewer = api.member(owner.team, Role::Viewer, "v@acme.test").await;
    let developer = api.member(owner.team, Role::Developer, "d@acme.test").await;
    let other = api.team("rival").await;
    let app = git_app(&api, &owner, "web", STOREFRONT, "main", &[]).await;

    let show = |member: &Member| {
        api.as_member(member, Method::GET, "/api/v1/webhooks")
            .send()
    };
    let before: Value = show(&viewer).await.unwrap().json().await.unwrap();
    assert_eq!(before["secret_set"], false);
    assert_eq!(before["hook"], owner.team.to_string());
    assert_eq!(before["urls"].as_array().unwrap().len(), 4);

    // A viewer may not set the secret; a developer may.
    let (status, code, _) = common::error_code(
        api.as_member(&viewer, Method::POST, "/api/v1/webhooks")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_str()), (403, "permission_denied"));
    let (secret, path) = rotate(&api, &developer, "github").await;
    let after: Value = show(&viewer).await.unwrap().json().await.unwrap();
    assert_eq!(after["secret_set"], true);
    assert!(!after.to_string().contains(&secret));

    deliver(
        &api,
        &path,
        &signed("github", "push", GITHUB_PUSH, &secret),
        GITHUB_PUSH,
    )
    .await;
    assert_eq!(log(&api, &viewer, app).await.len(), 1);
    let (status, _, _) = common::error_code(
        api.as_member(
            &other,
            Method::GET,
            &format!("/api/v1/apps/{app}/webhook-deliveries"),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = common::error_code(
        api.as_member(
            &owner,
            Method::GET,
            &format!("/api/v1/apps/{app}/webhook-deliveries?limit=0"),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
    api.platform.shutdown().await;
}

#[tokio::test]
async fn deletions_tags_and_malformed_payloads_deploy_nothing() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let main = git_app(&api, &owner, "web", STOREFRONT, "main", &[]).await;
    let feature = git_app(
        &api,
        &owner,
        "preview",
        STOREFRONT,
        "feature/checkout-v2",
        &[],
    )
    .await;
    let (secret, path) = rotate(&api, &owner, "github").await;

    for (body, app, says) in [
        (
            include_str!("fixtures/webhooks/github_push_delete.json"),
            feature,
            "the push deleted branch feature/checkout-v2: nothing to deploy",
        ),
        (
            include_str!("fixtures/webhooks/github_push_tag.json"),
            main,
            "pushed tag v2.4.0; the app deploys branch main",
        ),
    ] {
        let response = deliver(&api, &path, &signed("github", "push", body, &secret), body).await;
        assert_eq!(response.status(), StatusCode::OK);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["result"], "ignored");
        assert_eq!(log(&api, &owner, app).await[0]["message"], says);
    }

    let malformed = r#"{"ref": 5}"#;
    let (status, code, _) = common::error_code(
        deliver(
            &api,
            &path,
            &signed("github", "push", malformed, &secret),
            malformed,
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "bad_request"));
    assert_eq!(unmatched(&api).await[0].0, WebhookOutcome::Refused);

    for app in [main, feature] {
        assert!(deployments(&api, app).await.is_empty());
    }
    api.platform.shutdown().await;
}

#[tokio::test]
async fn a_deploy_the_engine_refuses_is_answered_and_logged_as_failed() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let app = git_app(&api, &owner, "web", STOREFRONT, "main", &[]).await;
    // The engine refuses to mount the container engine's socket.
    let mut spec = api.store.get_app(&Scope::system(), app).await.unwrap().spec;
    spec.run.volumes.push(VolumeMount {
        source: MountSource::Bind("/var/run/docker.sock".parse().unwrap()),
        target: "/var/run/docker.sock".parse().unwrap(),
        read_only: false,
    });
    api.store
        .update_app_spec(&Scope::system(), app, spec)
        .await
        .unwrap();
    let (secret, path) = rotate(&api, &owner, "github").await;

    let response = deliver(
        &api,
        &path,
        &signed("github", "push", GITHUB_PUSH, &secret),
        GITHUB_PUSH,
    )
    .await;
    let (status, code, message) = common::error_code(response).await;
    assert_eq!((status, code.as_str()), (500, "deploy_failed"));
    assert!(message.starts_with("web: deploy failed: "), "{message}");
    assert!(deployments(&api, app).await.is_empty());
    let entries = log(&api, &owner, app).await;
    assert_eq!(entries[0]["outcome"], "failed");
    assert!(
        entries[0]["message"].as_str().unwrap().contains("socket"),
        "{entries:?}"
    );
    api.platform.shutdown().await;
}
