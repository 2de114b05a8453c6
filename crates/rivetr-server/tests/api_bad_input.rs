//! Hostile and malformed input through the REST API: names, URLs, refs,
//! paths and keys that could reach a shell, git, Docker or the file
//! system are refused with 422 and a message naming the field, and
//! nothing is stored.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::{Member, TestApi, call, error_code};
use reqwest::Method;
use serde_json::{Value, json};

async fn get(api: &TestApi, who: &Member, path: &str) -> Value {
    let response = call(api, who, Method::GET, path, None).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// A team with a project; returns its owner and the environment id.
async fn setup(api: &TestApi) -> (Member, String) {
    let owner = api.team("acme").await;
    let response = call(
        api,
        &owner,
        Method::POST,
        "/api/v1/projects",
        Some(json!({ "name": "Shop" })),
    )
    .await;
    assert_eq!(response.status(), 201);
    let project: Value = response.json().await.unwrap();
    (
        owner,
        project["environments"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

/// A valid app with `edit` applied to it.
fn app(environment: &str, edit: impl FnOnce(&mut Value)) -> Value {
    let mut body = json!({
        "environment_id": environment,
        "name": "shop",
        "spec": {
            "source": { "type": "git", "url": "https://github.com/acme/shop.git", "reference": "main" },
            "build": { "builder": "dockerfile", "dockerfile": "Dockerfile" },
            "run": { "port": 8080, "health_check": { "probe": { "type": "http", "path": "/health" } } },
        },
    });
    edit(&mut body);
    body
}

/// Expect 422 whose message names `field`.
async fn refused(response: reqwest::Response, field: &str, case: &str) {
    let (status, code, message) = error_code(response).await;
    assert_eq!(
        (status, code.as_str()),
        (422, "invalid_input"),
        "{case}: {message}"
    );
    assert!(
        message.contains(field),
        "{case}: the message should name {field:?}: {message}"
    );
}

#[tokio::test]
async fn hostile_app_specs_are_refused_and_nothing_is_stored() {
    let api = TestApi::start().await;
    let (owner, env) = setup(&api).await;
    type Edit = Box<dyn FnOnce(&mut Value)>;
    let cases: Vec<(&str, &str, Edit)> = vec![
        (
            "name with ;",
            "name: invalid app name",
            Box::new(|b| b["name"] = json!("shop;rm -rf /")),
        ),
        (
            "name with $()",
            "name: invalid app name",
            Box::new(|b| b["name"] = json!("$(reboot)")),
        ),
        (
            "name with a space",
            "name: invalid app name",
            Box::new(|b| b["name"] = json!("my shop")),
        ),
        (
            "name with ..",
            "name: invalid app name",
            Box::new(|b| b["name"] = json!("../etc")),
        ),
        (
            "git ext:: transport",
            "spec.source.url: invalid git URL",
            Box::new(|b| b["spec"]["source"]["url"] = json!("ext::sh -c touch% /tmp/pwned")),
        ),
        (
            "git --upload-pack",
            "spec.source.url: invalid git URL",
            Box::new(|b| b["spec"]["source"]["url"] = json!("--upload-pack=touch /tmp/pwned")),
        ),
        (
            "git file://",
            "source.url: invalid git URL",
            Box::new(|b| b["spec"]["source"]["url"] = json!("file:///etc/secrets.git")),
        ),
        (
            "git plain http://",
            "source.url: invalid git URL",
            Box::new(|b| b["spec"]["source"]["url"] = json!("http://github.com/acme/shop.git")),
        ),
        (
            "ref starting with -",
            "source.reference: invalid git ref",
            Box::new(|b| b["spec"]["source"]["reference"] = json!("--output=/tmp/x")),
        ),
        (
            "watch path with ..",
            "spec.source.watch_paths[0]: invalid path in the repository",
            Box::new(|b| b["spec"]["source"]["watch_paths"] = json!(["../other"])),
        ),
        (
            "Dockerfile path with ..",
            "spec.build.dockerfile: invalid path",
            Box::new(|b| b["spec"]["build"]["dockerfile"] = json!("../../etc/passwd")),
        ),
        (
            "absolute Dockerfile path",
            "spec.build.dockerfile: invalid path",
            Box::new(|b| b["spec"]["build"]["dockerfile"] = json!("/etc/passwd")),
        ),
        (
            "build arg key with =",
            "spec.build.build_args.A=B: invalid environment variable name",
            Box::new(|b| b["spec"]["build"]["build_args"] = json!({ "A=B": "x" })),
        ),
        (
            "image with a newline",
            "spec.source.image: invalid image reference",
            Box::new(|b| {
                b["spec"]["source"] = json!({ "type": "image", "image": "nginx\nRUN rm -rf /" });
            }),
        ),
        (
            "port 0",
            "spec.run.port: invalid port",
            Box::new(|b| b["spec"]["run"]["port"] = json!(0)),
        ),
        (
            "port 70000",
            "spec.run.port: invalid port",
            Box::new(|b| b["spec"]["run"]["port"] = json!(70000)),
        ),
        (
            "command as a shell string",
            "spec.run.command",
            Box::new(|b| b["spec"]["run"]["command"] = json!("sh -c 'curl x | sh'")),
        ),
        (
            "health path without /",
            "spec.run.health_check.probe.path: invalid HTTP path",
            Box::new(|b| b["spec"]["run"]["health_check"]["probe"]["path"] = json!("health")),
        ),
        (
            "memory nonsense",
            "spec.run.memory: invalid memory limit",
            Box::new(|b| b["spec"]["run"]["memory"] = json!("lots")),
        ),
        (
            "zero replicas",
            "spec.run.replicas",
            Box::new(|b| b["spec"]["run"]["replicas"] = json!(0)),
        ),
        (
            "git source without a url",
            "spec.source: a source of type git needs `url`",
            Box::new(|b| b["spec"]["source"] = json!({ "type": "git", "reference": "main" })),
        ),
        (
            "image source with a git url",
            "spec.source: `url` does not belong to a source of type image",
            Box::new(|b| {
                b["spec"]["source"] =
                    json!({ "type": "image", "image": "nginx:1", "url": "https://x.test/a.git" });
            }),
        ),
        (
            "http probe without a path",
            "spec.run.health_check.probe: an http probe needs `path`",
            Box::new(|b| b["spec"]["run"]["health_check"]["probe"] = json!({ "type": "http" })),
        ),
        (
            "10000 replicas",
            "spec.run.replicas",
            Box::new(|b| b["spec"]["run"]["replicas"] = json!(10_000)),
        ),
        (
            "a watch window of a year",
            "spec.deploy.watch_window_ms",
            Box::new(|b| b["spec"]["deploy"] = json!({ "watch_window_ms": 31_536_000_000_u64 })),
        ),
        (
            "probes without a pause",
            "spec.run.health_check.interval_ms",
            Box::new(|b| b["spec"]["run"]["health_check"]["interval_ms"] = json!(0)),
        ),
        (
            "volume mount with a relative target",
            "spec.run.volumes[0].target: invalid container path",
            Box::new(|b| {
                b["spec"]["run"]["volumes"] =
                    json!([{ "source": { "type": "volume", "name": "data" }, "target": "data" }]);
            }),
        ),
        (
            "volume name with /",
            "spec.run.volumes[0].source.name: invalid volume name",
            Box::new(|b| {
                b["spec"]["run"]["volumes"] = json!([{ "source": { "type": "volume", "name": "../../x" }, "target": "/data" }]);
            }),
        ),
        (
            "unknown top-level field",
            "unknown field `privileged`",
            Box::new(|b| b["privileged"] = json!(true)),
        ),
        (
            "unknown run field",
            "spec.run.network_mode: unknown field",
            Box::new(|b| b["spec"]["run"]["network_mode"] = json!("host")),
        ),
        (
            "unknown source type",
            "spec.source.type: unknown variant `shell`",
            Box::new(|b| b["spec"]["source"]["type"] = json!("shell")),
        ),
    ];
    for (case, field, edit) in cases {
        let response = call(
            &api,
            &owner,
            Method::POST,
            "/api/v1/apps",
            Some(app(&env, edit)),
        )
        .await;
        refused(response, field, case).await;
    }
    assert!(
        get(&api, &owner, "/api/v1/apps").await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The valid base is accepted: the refusals were the edits'.
    let response = call(
        &api,
        &owner,
        Method::POST,
        "/api/v1/apps",
        Some(app(&env, |_| {})),
    )
    .await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn hostile_changes_to_an_app_leave_it_unchanged() {
    let api = TestApi::start().await;
    let (owner, env) = setup(&api).await;
    let response = call(
        &api,
        &owner,
        Method::POST,
        "/api/v1/apps",
        Some(app(&env, |_| {})),
    )
    .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/apps/{id}");

    for (case, field, patch) in [
        (
            "git ext::",
            "source.url: invalid git URL",
            json!({ "source": { "type": "git", "url": "ext::sh", "reference": "main" } }),
        ),
        (
            "ref starting with -",
            "source.reference: invalid git ref",
            json!({ "source": { "type": "git", "url": "https://github.com/a/b.git", "reference": "-x" } }),
        ),
        (
            "Dockerfile with ..",
            "build.dockerfile: invalid path",
            json!({ "build": { "dockerfile": "../Dockerfile" } }),
        ),
        (
            "health path without /",
            "run.health_check.probe.path: invalid HTTP path",
            json!({ "run": { "health_check": { "probe": { "type": "http", "path": "x" } } } }),
        ),
        (
            "renaming is not a spec change",
            "unknown field `name`",
            json!({ "name": "other" }),
        ),
    ] {
        let response = call(&api, &owner, Method::PATCH, &path, Some(patch)).await;
        refused(response, field, case).await;
    }
    assert_eq!(get(&api, &owner, &path).await["spec"], created["spec"]);
}

#[tokio::test]
async fn hostile_env_domain_and_volume_input_is_refused() {
    let api = TestApi::start().await;
    let (owner, env) = setup(&api).await;
    let response = call(
        &api,
        &owner,
        Method::POST,
        "/api/v1/apps",
        Some(app(&env, |_| {})),
    )
    .await;
    let created: Value = response.json().await.unwrap();
    let app_id = created["id"].as_str().unwrap();
    let domains_before = get(&api, &owner, &format!("/api/v1/apps/{app_id}/domains")).await;

    for (case, key) in [
        ("key with =", "A=B"),
        ("key with a space", "A%20B"),
        ("key with $", "%24HOME"),
        ("key starting with a digit", "1A"),
    ] {
        let response = call(
            &api,
            &owner,
            Method::PUT,
            &format!("/api/v1/apps/{app_id}/env/{key}"),
            Some(json!({ "value": "x" })),
        )
        .await;
        refused(response, "key", case).await;
    }
    let response = call(
        &api,
        &owner,
        Method::PUT,
        &format!("/api/v1/apps/{app_id}/env/OK"),
        Some(json!({ "value": "a\u{0}b" })),
    )
    .await;
    refused(response, "value", "value with NUL").await;
    let response = call(
        &api,
        &owner,
        Method::PUT,
        &format!("/api/v1/apps/{app_id}/env/OK"),
        Some(json!({ "value": "x", "export": true })),
    )
    .await;
    refused(response, "export", "unknown env field").await;
    assert!(
        get(&api, &owner, &format!("/api/v1/apps/{app_id}/env")).await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    for (case, host) in [
        ("domain with a space", "shop example.test"),
        ("domain with ;", "shop.test;reboot"),
        ("domain with a path", "shop.test/../x"),
        ("empty domain", ""),
    ] {
        let response = call(
            &api,
            &owner,
            Method::POST,
            &format!("/api/v1/apps/{app_id}/domains"),
            Some(json!({ "host": host })),
        )
        .await;
        refused(response, "host", case).await;
    }
    assert_eq!(
        get(&api, &owner, &format!("/api/v1/apps/{app_id}/domains")).await,
        domains_before
    );

    for (case, field, body) in [
        (
            "volume name with /",
            "name",
            json!({ "name": "a/b", "mount_path": "/data" }),
        ),
        (
            "volume name with ..",
            "name",
            json!({ "name": "..", "mount_path": "/data" }),
        ),
        (
            "relative mount path",
            "mount_path",
            json!({ "name": "data", "mount_path": "data" }),
        ),
        (
            "mount path with ..",
            "mount_path",
            json!({ "name": "data", "mount_path": "/data/../etc" }),
        ),
    ] {
        let response = call(
            &api,
            &owner,
            Method::POST,
            &format!("/api/v1/apps/{app_id}/volumes"),
            Some(body),
        )
        .await;
        refused(response, field, case).await;
    }
    assert!(
        get(&api, &owner, &format!("/api/v1/apps/{app_id}/volumes")).await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        get(&api, &owner, &format!("/api/v1/apps/{app_id}")).await["spec"],
        created["spec"]
    );
}
