//! Two-factor authentication (TOTP, RFC 6238): a new secret, turning it
//! on with a code from the authenticator app, turning it off.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use rivetr_core::access::Scope;
use rivetr_core::model::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::password::internal;
use crate::api::extract::Json;
use crate::api::{ApiError, ApiState, Signed};
use crate::auth::totp::{self, TotpSecret};

/// A fresh TOTP secret to load into an authenticator app.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct NewTotpSecret {
    /// Base32, for typing in.
    secret: String,
    /// `otpauth://` URI, for a QR code.
    uri: String,
}

/// A fresh TOTP secret (not yet active: turn it on with `PUT
/// /api/v1/auth/totp` and a code).
#[utoipa::path(
    post,
    path = "/api/v1/auth/totp/secret",
    tag = "auth",
    security(("token" = ["signed_in"]), ("session" = ["signed_in"])),
    responses((status = 200, description = "a new secret", body = NewTotpSecret))
)]
pub(super) async fn new_secret(signed: Signed) -> Result<axum::Json<NewTotpSecret>, ApiError> {
    let secret = TotpSecret::generate().map_err(internal)?;
    Ok(axum::Json(NewTotpSecret {
        secret: secret.to_base32(),
        uri: secret.provisioning_uri(&signed.user.email),
    }))
}

/// Turning two-factor auth on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct EnableTotp {
    /// The base32 secret from `POST /api/v1/auth/totp/secret`.
    secret: String,
    /// The authenticator's current code for it.
    code: String,
}

/// Turn two-factor auth on: the code proves the authenticator holds the
/// secret. From now on, sign-in needs a code.
#[utoipa::path(
    put,
    path = "/api/v1/auth/totp",
    tag = "auth",
    request_body = EnableTotp,
    security(("token" = ["signed_in"]), ("session" = ["signed_in"])),
    responses(
        (status = 204, description = "two-factor auth is on"),
        (status = 422, description = "malformed secret or wrong code"),
    )
)]
pub(super) async fn enable(
    State(state): State<ApiState>,
    signed: Signed,
    Json(form): Json<EnableTotp>,
) -> Result<StatusCode, ApiError> {
    let secret = TotpSecret::from_base32(form.secret.trim()).map_err(|err| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            format!("secret: {err}"),
        )
    })?;
    let step = totp::verify(&secret, &form.code, Utc::now(), None).map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "code: wrong for this secret (check the authenticator's clock)",
        )
    })?;
    state
        .store()
        .set_totp_secret(
            &Scope::system(),
            signed.user.id,
            Some(SecretString::new(secret.to_base32())),
        )
        .await?;
    state.auth().record_totp_step(signed.user.id, step);
    tracing::info!(user = %signed.user.id, "two-factor auth turned on");
    Ok(StatusCode::NO_CONTENT)
}

/// Turning two-factor auth off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct DisableTotp {
    /// A current code.
    code: String,
}

/// Turn two-factor auth off (needs a current code).
#[utoipa::path(
    delete,
    path = "/api/v1/auth/totp",
    tag = "auth",
    request_body = DisableTotp,
    security(("token" = ["signed_in"]), ("session" = ["signed_in"])),
    responses(
        (status = 204, description = "two-factor auth is off"),
        (status = 409, description = "two-factor auth is not on"),
        (status = 422, description = "wrong code"),
    )
)]
pub(super) async fn disable(
    State(state): State<ApiState>,
    signed: Signed,
    Json(form): Json<DisableTotp>,
) -> Result<StatusCode, ApiError> {
    let system = Scope::system();
    let user = signed.user.id;
    let Some(stored) = state.store().totp_secret(&system, user).await? else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "two-factor auth is not on",
        ));
    };
    let secret = TotpSecret::from_base32(stored.expose()).map_err(internal)?;
    let last = state.auth().last_totp_step(user);
    let step = totp::verify(&secret, &form.code, Utc::now(), last).map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "code: wrong",
        )
    })?;
    state.auth().record_totp_step(user, step);
    state.store().set_totp_secret(&system, user, None).await?;
    tracing::info!(%user, "two-factor auth turned off");
    Ok(StatusCode::NO_CONTENT)
}
