//! The logs API: a deployment's build log (JSON page, Server-Sent Events,
//! WebSocket) and the live containers' output and stats, on memory parts.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;
mod deploy_support;

use common::{TestApi, error_code};
use deploy_support::{Events, WsClient, deploy, deploy_live, get_json, id_of, make_app, push};
use reqwest::Method;
use rivetr_core::memory::SourceOp;
use rivetr_core::model::Role;
use serde_json::Value;

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
