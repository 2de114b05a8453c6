//! The REST API under `/api/v1`: JSON in and out, one error shape
//! ([`ApiError`]) for every failure (unknown routes included), and an
//! OpenAPI document at `/api/v1/openapi.json` generated from the handlers.
//!
//! Who may call what is decided where data is read: handlers pass the
//! [`Caller`]'s scope to every store call, and the store refuses what the
//! role does not allow. Each operation's security requirement in the
//! document names the permission it needs (see [`mod@openapi`] and [`permissions`]).

mod apps;
mod audit_trail;
pub mod caller;
mod client_ip;
mod deployments;
mod error;
pub mod extract;
pub mod openapi;
pub mod permissions;
mod projects;
mod session;
mod state;
mod system;
mod teams;
mod webhooks;

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

pub use caller::{Caller, Credential, Signed};
pub use client_ip::ClientIp;
pub use error::ApiError;
pub use state::{ApiSettings, ApiState};

/// The API's routes, `/api/v1/openapi.json` and `/health` included.
pub fn router(state: ApiState) -> Router {
    let (router, mut doc) = documented_routes().split_for_parts();
    openapi::finish(&mut doc);
    let document = match doc.to_json() {
        Ok(json) => json,
        Err(err) => {
            tracing::error!(error = %err, "the OpenAPI document does not serialize");
            String::from("{}")
        }
    };
    router
        .route("/health", get(system::health))
        .route(
            "/api/v1/openapi.json",
            get(move || async move { ([(CONTENT_TYPE, "application/json")], document) }),
        )
        .fallback(|| async { ApiError::no_route() })
        .with_state(state)
}

/// The OpenAPI document of every route.
#[must_use]
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = documented_routes().split_for_parts().1;
    openapi::finish(&mut doc);
    doc
}

fn documented_routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(system::routes())
        .merge(session::routes())
        .merge(projects::routes())
        .merge(apps::routes())
        .merge(deployments::routes())
        .merge(teams::routes())
        .merge(webhooks::routes())
}
