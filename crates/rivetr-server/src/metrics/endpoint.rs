//! `GET /metrics`, with the optional bearer token checked in constant
//! time.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use subtle::ConstantTimeEq;

use super::ServerMetrics;
use crate::api::ApiError;

/// What `/metrics` serves and the token it requires.
#[derive(Debug, Clone)]
pub struct MetricsEndpoint {
    metrics: ServerMetrics,
    token: Option<Arc<str>>,
}

impl MetricsEndpoint {
    /// Serve `metrics`, requiring `token` when given.
    #[must_use]
    pub fn new(metrics: ServerMetrics, token: Option<String>) -> Self {
        Self {
            metrics,
            token: token.map(Arc::from),
        }
    }
}

/// A router with `GET /metrics` alone.
pub fn metrics_router(endpoint: MetricsEndpoint) -> Router {
    Router::new()
        .route("/metrics", get(serve))
        .with_state(endpoint)
}

async fn serve(State(endpoint): State<MetricsEndpoint>, headers: HeaderMap) -> Response {
    if let Some(expected) = &endpoint.token {
        let presented = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) {
            return ApiError::unauthenticated(
                "/metrics needs `Authorization: Bearer <metrics.token>`",
            )
            .into_response();
        }
    }
    let body = endpoint.metrics.render().await;
    (
        StatusCode::OK,
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        body,
    )
        .into_response()
}
