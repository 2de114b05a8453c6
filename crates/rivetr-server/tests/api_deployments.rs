//! The deployments API: deploy, archive upload, rollback, cancel,
//! stop/start/restart and the history, on memory parts.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;
mod deploy_support;

use common::error_code;
use deploy_support::{
    DEADLINE, deploy, deploy_live, get_json, id_of, make_app, post, push, wait_status,
};
use reqwest::Method;
use rivetr_core::access::Scope;
use rivetr_core::id::{AppId, DeploymentId};
use rivetr_core::memory::SourceOp;
use rivetr_core::model::{DeploymentStatus, Role, SourceSpec};
use rivetr_core::store::{AppRepo as _, DeploymentRepo as _};
use serde_json::{Value, json};

use crate::common::TestApi;

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

fn uploads_dir(api: &TestApi) -> std::path::PathBuf {
    // The data dir, not the engine's work dir (swept at start-up).
    api.platform.uploads_dir().to_path_buf()
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
