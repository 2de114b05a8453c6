//! System health and version.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rivetr_core::access::Scope;
use serde::Serialize;

use super::ApiState;

/// The health answer.
#[derive(Debug, Serialize)]
pub(super) struct Health {
    status: &'static str,
    store: &'static str,
}

/// `GET /health`: 200 when the store answers, 503 otherwise.
pub(super) async fn health(State(state): State<ApiState>) -> (StatusCode, Json<Health>) {
    match state.store.count_users(&Scope::system()).await {
        Ok(_) => (
            StatusCode::OK,
            Json(Health {
                status: "ok",
                store: "ok",
            }),
        ),
        Err(err) => {
            tracing::warn!(error = %err, "health check: the store did not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable",
                    store: "unavailable",
                }),
            )
        }
    }
}

/// The version answer.
#[derive(Debug, Serialize)]
pub(super) struct Version {
    version: &'static str,
}

/// `GET /api/v1/system/version`.
pub(super) async fn version() -> Json<Version> {
    Json(Version {
        version: env!("CARGO_PKG_VERSION"),
    })
}
