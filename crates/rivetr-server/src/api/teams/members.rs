//! A team's members: list, change a role, remove.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rivetr_core::access::Scope;
use rivetr_core::id::{TeamId, UserId};
use rivetr_core::input::{DisplayName, Email};
use rivetr_core::model::Membership;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{TeamRole, act_in, record};
use crate::api::extract::{Json, Path};
use crate::api::{ApiError, ApiState, Signed};

/// This file's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_members))
        .routes(routes!(set_member_role, remove_member))
}

/// A member of a team.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct MemberView {
    /// The member's user id.
    #[schema(value_type = String, format = Uuid)]
    user_id: UserId,
    /// Their sign-in address.
    #[schema(value_type = String, format = Email)]
    email: Email,
    /// Their name.
    #[schema(value_type = String)]
    name: DisplayName,
    /// Their role in the team.
    role: TeamRole,
    /// When they joined.
    joined_at: DateTime<Utc>,
}

/// A team's members.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct MemberList {
    /// Ordered by join time.
    items: Vec<MemberView>,
}

/// A member's new role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct MemberRoleRequest {
    /// The role to give.
    role: TeamRole,
}

async fn view(state: &ApiState, scope: &Scope, m: Membership) -> Result<MemberView, ApiError> {
    let user = state.store().get_user(scope, m.user_id).await?;
    Ok(MemberView {
        user_id: m.user_id,
        email: user.email,
        name: user.name,
        role: m.role.into(),
        joined_at: m.joined_at,
    })
}

/// The team's members, with their e-mail and name.
#[utoipa::path(
    get, path = "/api/v1/teams/{team}/members", tag = "teams",
    params(("team" = String, Path, description = "team id (UUID)")),
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 200, description = "the members", body = MemberList),
        (status = 401, description = "not signed in"),
        (status = 404, description = "no such team, or the caller is not a member"),
    )
)]
async fn list_members(
    State(state): State<ApiState>,
    signed: Signed,
    Path(team): Path<TeamId>,
) -> Result<axum::Json<MemberList>, ApiError> {
    let caller = act_in(&state, signed, team).await?;
    let members = state.store().list_members(&caller.scope, team).await?;
    let mut items = Vec::with_capacity(members.len());
    for m in members {
        items.push(view(&state, &caller.scope, m).await?);
    }
    Ok(axum::Json(MemberList { items }))
}

/// Change a member's role. Giving or taking away the owner role needs
/// `manage_team`; the last owner cannot be demoted (409). Only existing
/// members can be changed: new members join by invitation.
#[utoipa::path(
    put, path = "/api/v1/teams/{team}/members/{user}", tag = "teams",
    params(
        ("team" = String, Path, description = "team id (UUID)"),
        ("user" = String, Path, description = "user id (UUID)"),
    ),
    request_body = MemberRoleRequest,
    security(("token" = ["manage_members"]), ("session" = ["manage_members"])),
    responses(
        (status = 200, description = "the member with the new role", body = MemberView),
        (status = 401, description = "not signed in"),
        (status = 403, description = "the caller's role does not allow it"),
        (status = 404, description = "no such team or member"),
        (status = 409, description = "the team would be left without an owner"),
    )
)]
async fn set_member_role(
    State(state): State<ApiState>,
    signed: Signed,
    Path((team, user)): Path<(TeamId, UserId)>,
    Json(req): Json<MemberRoleRequest>,
) -> Result<axum::Json<MemberView>, ApiError> {
    let caller = act_in(&state, signed, team).await?;
    let members = state.store().list_members(&caller.scope, team).await?;
    let Some(before) = members.into_iter().find(|m| m.user_id == user) else {
        return Err(member_not_found(user));
    };
    let membership = state
        .store()
        .set_member(&caller.scope, team, user, req.role.into())
        .await?;
    if before.role != membership.role {
        record(
            &state,
            &caller.scope,
            team,
            "member.set_role",
            user.to_string(),
            json!({ "from": before.role.as_str(), "to": membership.role.as_str() }),
        )
        .await;
    }
    Ok(axum::Json(view(&state, &caller.scope, membership).await?))
}

/// Remove a member from the team; their API tokens for the team are
/// revoked. Removing an owner needs `manage_team`; the last owner cannot
/// be removed (409).
#[utoipa::path(
    delete, path = "/api/v1/teams/{team}/members/{user}", tag = "teams",
    params(
        ("team" = String, Path, description = "team id (UUID)"),
        ("user" = String, Path, description = "user id (UUID)"),
    ),
    security(("token" = ["manage_members"]), ("session" = ["manage_members"])),
    responses(
        (status = 204, description = "removed"),
        (status = 401, description = "not signed in"),
        (status = 403, description = "the caller's role does not allow it"),
        (status = 404, description = "no such team or member"),
        (status = 409, description = "the team would be left without an owner"),
    )
)]
async fn remove_member(
    State(state): State<ApiState>,
    signed: Signed,
    Path((team, user)): Path<(TeamId, UserId)>,
) -> Result<StatusCode, ApiError> {
    let caller = act_in(&state, signed, team).await?;
    let email = state
        .store()
        .get_user(&caller.scope, user)
        .await
        .map(|u| u.email.to_string())
        .map_err(|err| match err.kind() {
            rivetr_core::ErrorKind::NotFound => member_not_found(user),
            _ => err.into(),
        })?;
    state
        .store()
        .remove_member(&caller.scope, team, user)
        .await?;
    record(
        &state,
        &caller.scope,
        team,
        "member.remove",
        user.to_string(),
        json!({ "email": email }),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

fn member_not_found(user: UserId) -> ApiError {
    rivetr_core::Error::not_found(format!("user {user} is not a member of this team")).into()
}
