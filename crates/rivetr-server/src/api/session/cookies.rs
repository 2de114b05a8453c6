//! Starting a browser session: the cookie and the CSRF token.

use axum::http::header::SET_COOKIE;
use axum::http::{HeaderName, HeaderValue};
use axum::response::AppendHeaders;
use chrono::Utc;
use rivetr_core::access::Scope;
use rivetr_core::model::User;

use super::views::{MembershipView, SessionView, UserView};
use crate::api::{ApiError, ApiState};

/// A `Set-Cookie` response header.
pub(super) type SetCookie = AppendHeaders<[(HeaderName, HeaderValue); 1]>;

/// Start a session for `user`: the `Set-Cookie` header and the answer
/// carrying the session's CSRF token.
pub(super) async fn start_session(
    state: &ApiState,
    user: &User,
) -> Result<(SetCookie, SessionView), ApiError> {
    let auth = state.auth();
    let (id, _) = auth.sessions().start(user.id, Utc::now()).await?;
    let cookie = auth.cookie().set(&id, auth.sessions().ttl());
    let cookie = HeaderValue::from_str(&cookie)
        .map_err(|_| rivetr_core::Error::internal("the session cookie is not a header value"))?;
    let teams = state
        .store()
        .teams_of_user(&Scope::system(), user.id)
        .await?
        .iter()
        .map(|(team, role)| MembershipView::new(team, *role))
        .collect();
    let view = SessionView {
        user: UserView::from(user),
        csrf_token: auth.csrf().token(&id),
        teams,
    };
    Ok((AppendHeaders([(SET_COOKIE, cookie)]), view))
}

/// The `Set-Cookie` header that removes the session cookie.
pub(super) fn clear_cookie(state: &ApiState) -> SetCookie {
    let value = HeaderValue::from_str(&state.auth().cookie().clear())
        .unwrap_or_else(|_| HeaderValue::from_static(""));
    AppendHeaders([(SET_COOKIE, value)])
}
