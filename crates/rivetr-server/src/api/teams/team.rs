//! Teams: list the caller's, create, read, delete.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rivetr_core::access::Scope;
use rivetr_core::id::TeamId;
use rivetr_core::input::DisplayName;
use rivetr_core::model::{Action, Team, TokenScope};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{TeamRole, act_in, record};
use crate::api::extract::{Json, Path};
use crate::api::{ApiError, ApiState, Credential, Signed};

/// This file's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams, create_team))
        .routes(routes!(get_team, delete_team))
}

/// A team, with the caller's role in it.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TeamView {
    /// Identity.
    #[schema(value_type = String, format = Uuid)]
    id: TeamId,
    /// Name shown in the dashboard.
    #[schema(value_type = String)]
    name: DisplayName,
    /// The caller's role in the team.
    role: TeamRole,
    /// When the team was created.
    created_at: DateTime<Utc>,
}

impl TeamView {
    fn new(team: Team, role: impl Into<TeamRole>) -> Self {
        Self {
            id: team.id,
            name: team.name,
            role: role.into(),
            created_at: team.created_at,
        }
    }
}

/// The caller's teams.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TeamList {
    /// Ordered by creation.
    items: Vec<TeamView>,
}

/// What it takes to create a team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewTeamRequest {
    /// Name shown in the dashboard (1 to 100 printable characters).
    name: String,
}

/// The teams the caller belongs to, with their role in each. A session
/// lists all of the user's teams; an API token only the team it acts in.
#[utoipa::path(
    get, path = "/api/v1/teams", tag = "teams",
    security(("token" = ["signed_in"]), ("session" = ["signed_in"])),
    responses(
        (status = 200, description = "the caller's teams", body = TeamList),
        (status = 401, description = "not signed in"),
    )
)]
async fn list_teams(
    State(state): State<ApiState>,
    signed: Signed,
) -> Result<axum::Json<TeamList>, ApiError> {
    // The system scope, asked about the caller's own user only.
    let teams = state
        .store()
        .teams_of_user(&Scope::system(), signed.user.id)
        .await?;
    let items = teams
        .into_iter()
        .filter(|(team, _)| match &signed.credential {
            Credential::Token(token) => token.team_id == team.id,
            Credential::Session(_) => true,
        })
        .map(|(team, role)| TeamView::new(team, role))
        .collect();
    Ok(axum::Json(TeamList { items }))
}

/// Create a team owned by the caller. An API token needs the `admin`
/// scope: a narrower token cannot create what it could then not manage.
#[utoipa::path(
    post, path = "/api/v1/teams", tag = "teams",
    request_body = NewTeamRequest,
    security(("token" = ["signed_in"]), ("session" = ["signed_in"])),
    responses(
        (status = 201, description = "created; the caller is its owner", body = TeamView),
        (status = 401, description = "not signed in"),
        (status = 403, description = "an API token without the admin scope"),
        (status = 422, description = "invalid name"),
    )
)]
async fn create_team(
    State(state): State<ApiState>,
    signed: Signed,
    Json(req): Json<NewTeamRequest>,
) -> Result<(StatusCode, axum::Json<TeamView>), ApiError> {
    let name = req.name.parse::<DisplayName>()?;
    if let Credential::Token(token) = &signed.credential
        && token.scope != TokenScope::Admin
    {
        return Err(rivetr_core::Error::permission_denied(
            "creating a team needs an API token with the admin scope (or a browser session)",
        )
        .into());
    }
    // The store lets the system create a team for any owner; the owner
    // here is always the caller.
    let team = state
        .store()
        .create_team(&Scope::system(), name, signed.user.id)
        .await?;
    let scope = state.store().scope_for(signed.user.id, team.id).await?;
    record(
        &state,
        &scope,
        team.id,
        "team.create",
        team.id.to_string(),
        json!({ "name": team.name.to_string() }),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        axum::Json(TeamView::new(team, TeamRole::Owner)),
    ))
}

/// One team the caller belongs to.
#[utoipa::path(
    get, path = "/api/v1/teams/{team}", tag = "teams",
    params(("team" = String, Path, description = "team id (UUID)")),
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 200, description = "the team", body = TeamView),
        (status = 401, description = "not signed in"),
        (status = 404, description = "no such team, or the caller is not a member"),
    )
)]
async fn get_team(
    State(state): State<ApiState>,
    signed: Signed,
    Path(team): Path<TeamId>,
) -> Result<axum::Json<TeamView>, ApiError> {
    let caller = act_in(&state, signed, team).await?;
    let found = state.store().get_team(&caller.scope, team).await?;
    Ok(axum::Json(TeamView::new(found, caller.role)))
}

/// Delete a team and everything it owns (owner only). Its audit log is
/// kept.
#[utoipa::path(
    delete, path = "/api/v1/teams/{team}", tag = "teams",
    params(("team" = String, Path, description = "team id (UUID)")),
    security(("token" = ["manage_team"]), ("session" = ["manage_team"])),
    responses(
        (status = 204, description = "deleted"),
        (status = 401, description = "not signed in"),
        (status = 403, description = "only an owner may delete the team"),
        (status = 404, description = "no such team, or the caller is not a member"),
    )
)]
async fn delete_team(
    State(state): State<ApiState>,
    signed: Signed,
    Path(team): Path<TeamId>,
) -> Result<StatusCode, ApiError> {
    let caller = act_in(&state, signed, team).await?;
    // Checked here too so that the entry is recorded only for an allowed
    // deletion: entries can be recorded only while the team exists.
    caller.scope.check(team, Action::ManageTeam)?;
    let found = state.store().get_team(&caller.scope, team).await?;
    record(
        &state,
        &caller.scope,
        team,
        "team.delete",
        team.to_string(),
        json!({ "name": found.name.to_string() }),
    )
    .await;
    state.store().delete_team(&caller.scope, team).await?;
    Ok(StatusCode::NO_CONTENT)
}
