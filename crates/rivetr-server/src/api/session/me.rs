//! The caller: who they are, their teams, the team they act in.

use axum::extract::State;
use axum::http::request::Parts;
use rivetr_core::access::Scope;
use rivetr_core::id::TeamId;
use rivetr_core::model::{Role, TokenScope};
use serde::Serialize;
use utoipa::ToSchema;

use super::views::{MembershipView, UserView};
use crate::api::caller::TEAM_HEADER;
use crate::api::{ApiError, ApiState, Credential, Signed};

/// Who is calling.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Me {
    /// The user.
    user: UserView,
    /// Their teams and roles.
    teams: Vec<MembershipView>,
    /// The team this request acts in (the token's, the `X-Rivetr-Team`
    /// header's, or the first), if any.
    #[schema(value_type = Option<String>, format = Uuid)]
    team: Option<TeamId>,
    /// The role there.
    #[schema(value_type = Option<String>, example = "owner")]
    role: Option<Role>,
    /// `token` or `session`.
    authenticated_by: &'static str,
    /// For a token: what it may do (`read`, `deploy`, `write`, `admin`).
    #[schema(value_type = Option<String>)]
    token_scope: Option<TokenScope>,
    /// For a session: the CSRF token its unsafe requests must send.
    csrf_token: Option<String>,
}

/// The signed-in user, their teams, and the team this request acts in.
#[utoipa::path(
    get,
    path = "/api/v1/auth/me",
    tag = "auth",
    security(("token" = ["signed_in"]), ("session" = ["signed_in"])),
    responses(
        (status = 200, description = "the caller", body = Me),
        (status = 401, description = "not signed in"),
    )
)]
pub(super) async fn me(
    State(state): State<ApiState>,
    parts: Parts,
    signed: Signed,
) -> Result<axum::Json<Me>, ApiError> {
    let teams: Vec<MembershipView> = state
        .store()
        .teams_of_user(&Scope::system(), signed.user.id)
        .await?
        .iter()
        .map(|(team, role)| MembershipView::new(team, *role))
        .collect();
    let (authenticated_by, token_scope, csrf_token) = match &signed.credential {
        Credential::Token(token) => ("token", Some(token.scope), None),
        Credential::Session(id) => ("session", None, Some(state.auth().csrf().token(id))),
    };
    let asked = parts
        .headers
        .get(TEAM_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<TeamId>().ok());
    let user = UserView::from(&signed.user);
    let acting = signed.in_team(&state, asked).await.ok();
    Ok(axum::Json(Me {
        user,
        teams,
        team: acting.as_ref().map(|c| c.team),
        role: acting.as_ref().map(|c| c.role),
        authenticated_by,
        token_scope,
        csrf_token,
    }))
}
