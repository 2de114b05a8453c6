//! The first admin: created with the one-time setup token printed at the
//! first start (never "the first visitor wins").

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use rivetr_core::access::Scope;
use rivetr_core::input::{DisplayName, Email};
use rivetr_core::model::NewUser;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::cookies::start_session;
use super::password::{checked_hash, internal};
use crate::api::extract::Json;
use crate::api::{ApiError, ApiState};
use crate::auth::setup_token::SetupError;

/// Whether the instance still waits for its first admin.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SetupStatus {
    /// `true` until the first admin is created.
    pending: bool,
}

/// Whether setup is pending.
#[utoipa::path(
    get,
    path = "/api/v1/setup",
    tag = "auth",
    security(()),
    responses((status = 200, description = "setup state", body = SetupStatus))
)]
pub(super) async fn status(
    State(state): State<ApiState>,
) -> Result<axum::Json<SetupStatus>, ApiError> {
    let users = state.store().count_users(&Scope::system()).await?;
    let pending = users == 0 && state.auth().setup().is_pending().await.map_err(internal)?;
    Ok(axum::Json(SetupStatus { pending }))
}

/// The first admin.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewAdmin {
    /// The setup token from the server's first start (its log, or the
    /// file `<data dir>/setup-token`).
    setup_token: String,
    /// The admin's sign-in address.
    email: String,
    /// The admin's display name.
    name: String,
    /// The admin's password (checked against the minimum strength).
    password: String,
    /// The first team's name (default `Default`).
    #[serde(default)]
    team_name: Option<String>,
}

/// Create the first admin with the setup token; signs them in.
///
/// The token works once. Everything else is checked before it is used, so
/// a weak password or a malformed address does not burn it.
#[utoipa::path(
    post,
    path = "/api/v1/setup",
    tag = "auth",
    security(()),
    request_body = NewAdmin,
    responses(
        (status = 201, description = "admin created and signed in (session cookie set)", body = super::views::SessionView),
        (status = 401, description = "wrong setup token"),
        (status = 409, description = "setup already done"),
        (status = 422, description = "invalid e-mail, name or weak password"),
    )
)]
pub(super) async fn create_admin(
    State(state): State<ApiState>,
    Json(new): Json<NewAdmin>,
) -> Result<impl IntoResponse, ApiError> {
    let email: Email = new.email.parse()?;
    let name: DisplayName = new.name.parse()?;
    let team_name: DisplayName = new.team_name.as_deref().unwrap_or("Default").parse()?;
    let hash = checked_hash(&state, new.password, &email).await?;
    let system = Scope::system();
    if state.store().count_users(&system).await? > 0 {
        return Err(already_done());
    }
    state
        .auth()
        .setup()
        .redeem(&new.setup_token)
        .await
        .map_err(|err| match err {
            SetupError::Wrong => ApiError::unauthenticated("wrong setup token"),
            SetupError::AlreadyUsed => already_done(),
            other => internal(other),
        })?;
    let user = state
        .store()
        .create_user(
            &system,
            NewUser {
                email,
                name,
                instance_admin: true,
            },
        )
        .await?;
    state
        .store()
        .set_password_hash(&system, user.id, hash)
        .await?;
    state
        .store()
        .create_team(&system, team_name, user.id)
        .await?;
    tracing::info!(user = %user.id, "first admin created with the setup token");
    let (cookie, view) = start_session(&state, &user).await?;
    Ok((StatusCode::CREATED, cookie, axum::Json(view)))
}

fn already_done() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "conflict",
        "setup is done: an admin exists (sign in instead)",
    )
}
