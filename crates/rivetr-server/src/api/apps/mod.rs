//! Apps and their configuration: spec, env vars, domains, volumes.
//!
//! | route | permission |
//! | --- | --- |
//! | `GET /api/v1/apps?project=` | `read` |
//! | `POST /api/v1/apps` | `manage_apps` |
//! | `GET /api/v1/apps/{app}` | `read` (with its live deployment and domains) |
//! | `PATCH /api/v1/apps/{app}` | `manage_apps` (each spec section given replaces that section) |
//! | `DELETE /api/v1/apps/{app}` | `manage_apps` |
//! | `GET /api/v1/apps/{app}/env` | `read` (secret values masked) |
//! | `PUT`, `DELETE /api/v1/apps/{app}/env/{key}` | `manage_apps` |
//! | `POST /api/v1/apps/{app}/env/{key}/reveal` | `reveal_secrets` (audited) |
//! | `GET`, `POST /api/v1/apps/{app}/domains`, `DELETE /api/v1/domains/{domain}` | `read` / `manage_apps` |
//! | `GET`, `POST /api/v1/apps/{app}/volumes`, `DELETE /api/v1/volumes/{volume}` | `read` / `manage_apps` |
//!
//! Every string of a request is parsed into its core input type while the
//! body is read ([`AppName`](rivetr_core::input::AppName),
//! [`GitUrl`](rivetr_core::input::GitUrl), …): a refused value answers 422
//! with a message naming the field, and nothing is stored.

mod app;
mod domains;
mod env;
mod generated;
mod health;
mod run;
mod source;
mod spec;
mod teardown;
mod volumes;

use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;

use super::{ApiError, ApiState, Caller};

/// This module's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .merge(app::routes())
        .merge(env::routes())
        .merge(domains::routes())
        .merge(volumes::routes())
}

/// Record an audit entry in the caller's team. The change it records has
/// happened, so a failure to record is logged rather than answered (the
/// client would otherwise retry a change that was made).
pub(super) async fn record(
    state: &ApiState,
    caller: &Caller,
    action: &'static str,
    target: String,
    detail: serde_json::Value,
) {
    crate::api::audit_trail::record(state, &caller.scope, caller.team, action, target, detail)
        .await;
}

/// 422 naming the refused field.
fn invalid(field: &str, err: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
        format!("{field}: {err}"),
    )
}
