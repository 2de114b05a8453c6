//! Signing in with e-mail, password and (when enabled) a TOTP code, and
//! signing out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Utc;
use rivetr_core::access::Scope;
use rivetr_core::input::Email;
use rivetr_core::model::User;
use serde::Deserialize;
use utoipa::ToSchema;

use super::cookies::{clear_cookie, start_session};
use super::password::internal;
use crate::api::extract::Json;
use crate::api::{ApiError, ApiState, ClientIp, Credential, Signed};
use crate::auth::totp::{self, TotpError, TotpSecret};

/// Credentials for signing in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SignIn {
    /// The account's e-mail address.
    email: String,
    /// Its password.
    password: String,
    /// The current 6-digit code, for accounts with two-factor auth.
    #[serde(default)]
    totp_code: Option<String>,
}

/// Sign in; sets the session cookie and answers the session's CSRF token.
///
/// Attempts are limited per client address (trusting `X-Forwarded-For`
/// only from configured proxies). A wrong e-mail and a wrong password get
/// the same answer in the same time.
#[utoipa::path(
    post,
    path = "/api/v1/auth/sign-in",
    tag = "auth",
    security(()),
    request_body = SignIn,
    responses(
        (status = 200, description = "signed in (session cookie set)", body = super::views::SessionView),
        (status = 401, description = "wrong e-mail, password or code; `totp_required` when a code is needed"),
        (status = 429, description = "too many attempts from this address (see Retry-After)"),
    )
)]
pub(super) async fn sign_in(
    State(state): State<ApiState>,
    ClientIp(client): ClientIp,
    Json(form): Json<SignIn>,
) -> Result<impl IntoResponse, ApiError> {
    if let Err(retry) = state.auth().check_login_rate(client) {
        return Err(ApiError::too_many(retry.to_string(), retry.seconds()));
    }
    let user = verify_password(&state, &form.email, form.password).await?;
    check_totp(&state, &user, form.totp_code.as_deref()).await?;
    tracing::info!(user = %user.id, %client, "signed in");
    let (cookie, view) = start_session(&state, &user).await?;
    Ok((cookie, axum::Json(view)))
}

async fn verify_password(
    state: &ApiState,
    email: &str,
    password: String,
) -> Result<User, ApiError> {
    let wrong = || ApiError::unauthenticated("wrong e-mail or password");
    let system = Scope::system();
    let passwords = state.auth().passwords();
    let user = match email.parse::<Email>() {
        Ok(email) => state.store().find_user_by_email(&system, &email).await?,
        Err(_) => None,
    };
    let Some(user) = user else {
        passwords
            .verify_unknown_user(password)
            .await
            .map_err(internal)?;
        return Err(wrong());
    };
    let Some(hash) = state.store().password_hash(&system, user.id).await? else {
        passwords
            .verify_unknown_user(password)
            .await
            .map_err(internal)?;
        return Err(wrong());
    };
    let rehash = passwords.needs_rehash(&hash);
    let kept = rehash.then(|| password.clone());
    if !passwords.verify(password, hash).await.map_err(internal)? {
        return Err(wrong());
    }
    if let Some(password) = kept {
        // Parameters changed since this hash was made: replace it.
        let fresh = passwords.hash(password).await.map_err(internal)?;
        state
            .store()
            .set_password_hash(&system, user.id, fresh)
            .await?;
    }
    Ok(user)
}

async fn check_totp(state: &ApiState, user: &User, code: Option<&str>) -> Result<(), ApiError> {
    let Some(secret) = state.store().totp_secret(&Scope::system(), user.id).await? else {
        return Ok(());
    };
    let Some(code) = code else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "totp_required",
            "this account uses two-factor authentication: send `totp_code`",
        ));
    };
    let secret = TotpSecret::from_base32(secret.expose()).map_err(internal)?;
    let last = state.auth().last_totp_step(user.id);
    match totp::verify(&secret, code, Utc::now(), last) {
        Ok(step) => {
            state.auth().record_totp_step(user.id, step);
            Ok(())
        }
        Err(TotpError::Replayed) => Err(ApiError::unauthenticated(
            "this code was already used; wait for the next one",
        )),
        Err(_) => Err(ApiError::unauthenticated("wrong two-factor code")),
    }
}

/// Sign out: ends the browser session and removes its cookie (an API
/// token stays valid: revoke it instead).
#[utoipa::path(
    post,
    path = "/api/v1/auth/sign-out",
    tag = "auth",
    security(("token" = ["signed_in"]), ("session" = ["signed_in"])),
    responses((status = 204, description = "signed out"))
)]
pub(super) async fn sign_out(
    State(state): State<ApiState>,
    signed: Signed,
) -> Result<impl IntoResponse, ApiError> {
    if let Credential::Session(id) = &signed.credential {
        state.auth().sessions().end(id).await?;
    }
    Ok((StatusCode::NO_CONTENT, clear_cookie(&state)))
}
