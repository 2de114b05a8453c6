//! `/metrics`: off by default, token-protected on the API's listener, or
//! on a listener of its own; the API's, engine's, proxy's and runtime's
//! figures in Prometheus's text format.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::TestApi;
use reqwest::Method;
use rivetr_server::config::Secret;

const TOKEN: &str = "metrics-token-0123456789abcdef";

#[tokio::test]
async fn metrics_are_off_by_default() {
    let api = TestApi::start().await;
    let response = api.anonymous(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(response.status(), 404);
    api.platform.shutdown().await;
}

#[tokio::test]
async fn metrics_on_the_api_listener_need_the_token_and_count_requests() {
    let api = TestApi::start_with(|config| {
        config.metrics.enabled = true;
        config.metrics.token = Some(Secret::new(TOKEN));
    })
    .await;
    for _ in 0..3 {
        let version = api
            .anonymous(Method::GET, "/api/v1/system/version")
            .send()
            .await
            .unwrap();
        assert_eq!(version.status(), 200);
    }
    let refused = api.anonymous(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let wrong = api
        .anonymous(Method::GET, "/metrics")
        .bearer_auth("metrics-token-0123456789abcdeX")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let response = api
        .anonymous(Method::GET, "/metrics")
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains(
            "rivetr_api_requests_total{route=\"/api/v1/system/version\",method=\"GET\",class=\"2xx\"} 3"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "rivetr_api_requests_total{route=\"/metrics\",method=\"GET\",class=\"4xx\"} 2"
        ),
        "{text}"
    );
    assert!(
        text.contains("rivetr_engine_deployment_transitions_total{status=\"live\"} 0"),
        "{text}"
    );
    assert!(text.contains("rivetr_proxy_"), "{text}");
    assert!(text.contains("rivetr_runtime_up 1"), "{text}");
    assert!(text.contains("process_resident_memory_bytes "), "{text}");
    api.platform.shutdown().await;
}

#[tokio::test]
async fn metrics_can_have_a_listener_of_their_own() {
    let api = TestApi::start_with(|config| {
        config.metrics.enabled = true;
        config.metrics.listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let addr = api.platform.metrics_addr().expect("a metrics listener");
    let own = api
        .http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    assert!(
        own.text()
            .await
            .unwrap()
            .contains("rivetr_runtime_containers 0")
    );
    let on_api = api.anonymous(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(on_api.status(), 404, "not on the API listener as well");
    api.platform.shutdown().await;
}
