//! Changing one's password, and the checks every new password passes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use rivetr_core::access::Scope;
use rivetr_core::input::Email;
use rivetr_core::model::PasswordHash;
use serde::Deserialize;
use utoipa::ToSchema;

use super::cookies::start_session;
use crate::api::extract::Json;
use crate::api::{ApiError, ApiState, Credential, Signed};

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PasswordChange {
    /// The current password.
    current_password: String,
    /// The new one (checked against the minimum strength).
    new_password: String,
}

/// Change the caller's password; every session of theirs ends (a
/// browser gets a fresh one).
#[utoipa::path(
    put,
    path = "/api/v1/auth/password",
    tag = "auth",
    request_body = PasswordChange,
    security(("token" = ["signed_in"]), ("session" = ["signed_in"])),
    responses(
        (status = 200, description = "changed; a browser session is renewed", body = super::views::SessionView),
        (status = 204, description = "changed (API token caller)"),
        (status = 401, description = "the current password is wrong"),
        (status = 422, description = "the new password is too weak"),
    )
)]
pub(super) async fn change(
    State(state): State<ApiState>,
    signed: Signed,
    Json(change): Json<PasswordChange>,
) -> Result<axum::response::Response, ApiError> {
    let system = Scope::system();
    let user = &signed.user;
    let stored = state.store().password_hash(&system, user.id).await?;
    let ok = match stored {
        Some(hash) => state
            .auth()
            .passwords()
            .verify(change.current_password, hash)
            .await
            .map_err(internal)?,
        None => false,
    };
    if !ok {
        return Err(ApiError::unauthenticated("the current password is wrong"));
    }
    let hash = checked_hash(&state, change.new_password, &user.email).await?;
    state
        .store()
        .set_password_hash(&system, user.id, hash)
        .await?;
    let ended = state.auth().sessions().end_all(user.id).await?;
    tracing::info!(user = %user.id, sessions_ended = ended, "password changed");
    match signed.credential {
        Credential::Session(_) => {
            let (cookie, view) = start_session(&state, user).await?;
            Ok((cookie, axum::Json(view)).into_response())
        }
        Credential::Token(_) => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// Check `password` against the policy, then hash it.
pub(crate) async fn checked_hash(
    state: &ApiState,
    password: String,
    email: &Email,
) -> Result<PasswordHash, ApiError> {
    state
        .auth()
        .policy()
        .check(&password, Some(email))
        .map_err(|weak| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "weak_password",
                weak.to_string(),
            )
        })?;
    state
        .auth()
        .passwords()
        .hash(password)
        .await
        .map_err(internal)
}

/// An internal failure: logged, answered without details.
pub(crate) fn internal(err: impl std::fmt::Display) -> ApiError {
    rivetr_core::Error::internal(err.to_string()).into()
}
