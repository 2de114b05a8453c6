//! System health and version.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rivetr_core::access::Scope;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiState;

/// This module's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(version))
}

/// Whether the server and its store answer.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Health {
    /// `ok` or `unavailable`.
    status: &'static str,
    /// `ok` or `unavailable`.
    store: &'static str,
}

/// The server's health: 200 when the store answers, 503 otherwise (also
/// served at `/health`).
#[utoipa::path(
    get,
    path = "/api/v1/system/health",
    tag = "system",
    security(()),
    responses(
        (status = 200, description = "healthy", body = Health),
        (status = 503, description = "the store does not answer", body = Health),
    )
)]
pub(super) async fn health(State(state): State<ApiState>) -> (StatusCode, Json<Health>) {
    match state.store().count_users(&Scope::system()).await {
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

/// The server's version.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Version {
    /// Semantic version of the running `rivetr`.
    version: &'static str,
}

/// The server's version.
#[utoipa::path(
    get,
    path = "/api/v1/system/version",
    tag = "system",
    security(()),
    responses((status = 200, description = "the version", body = Version))
)]
pub(super) async fn version() -> Json<Version> {
    Json(Version {
        version: env!("CARGO_PKG_VERSION"),
    })
}
