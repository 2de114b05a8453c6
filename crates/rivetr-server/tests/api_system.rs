//! The API's frame: system routes, the OpenAPI document, the error shape
//! of unknown routes and unauthenticated calls.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::{TestApi, error_code};
use reqwest::Method;

#[tokio::test]
async fn version_health_and_the_openapi_document_are_public() {
    let api = TestApi::start().await;
    let version: serde_json::Value = api
        .anonymous(Method::GET, "/api/v1/system/version")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(version["version"], env!("CARGO_PKG_VERSION"));
    let health = api.anonymous(Method::GET, "/health").send().await.unwrap();
    assert_eq!(health.status(), 200);

    let doc: serde_json::Value = api
        .anonymous(Method::GET, "/api/v1/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/api/v1/system/version"]["get"].is_object());
    assert!(doc["components"]["securitySchemes"]["token"].is_object());
    api.platform.shutdown().await;
}

#[tokio::test]
async fn unknown_routes_answer_the_error_shape() {
    let api = TestApi::start().await;
    let response = api
        .anonymous(Method::GET, "/api/v1/no-such-thing")
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_code(response).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    api.platform.shutdown().await;
}
