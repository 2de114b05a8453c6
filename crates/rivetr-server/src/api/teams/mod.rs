//! Teams, their members, invitations to join them, and the audit log.
//!
//! Routes that name a team in their path act in THAT team: the caller must
//! be a member of it (an API token only of its own team); otherwise the
//! answer is 404, so whether a team exists does not leak. The store decides
//! what the member's role allows.
//!
//! | route | permission |
//! | --- | --- |
//! | `GET /api/v1/teams` | signed in (a token lists only its own team) |
//! | `POST /api/v1/teams` | signed in (a token needs the `admin` scope) |
//! | `GET /api/v1/teams/{team}` | `read` |
//! | `DELETE /api/v1/teams/{team}` | `manage_team` |
//! | `GET /api/v1/teams/{team}/members` | `read` |
//! | `PUT /api/v1/teams/{team}/members/{user}` | `manage_members` (`manage_team` for owner) |
//! | `DELETE /api/v1/teams/{team}/members/{user}` | `manage_members` (`manage_team` for an owner) |
//! | `GET`, `POST /api/v1/teams/{team}/invitations` | `manage_members` (`manage_team` to invite an owner) |
//! | `DELETE /api/v1/invitations/{invitation}` | `manage_members` |
//! | `POST /api/v1/invitations/accept` | public, or signed in |
//! | `GET /api/v1/audit` | `manage_members` |

mod accept;
mod audit;
mod invitations;
mod members;
mod team;
mod token;

use axum::http::StatusCode;
use rivetr_core::access::Scope;
use rivetr_core::id::TeamId;
use rivetr_core::model::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use super::{ApiError, ApiState, Caller, Credential, Signed};

/// This module's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .merge(team::routes())
        .merge(members::routes())
        .merge(invitations::routes())
        .merge(accept::routes())
        .merge(audit::routes())
}

/// A member's role in a team, from most to least powerful: `owner`
/// (everything, including deleting the team), `admin` (everything but
/// ownership), `developer` (builds and runs apps), `viewer` (reads only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum TeamRole {
    /// Full control, including deleting the team.
    Owner,
    /// Everything but ownership.
    Admin,
    /// Builds and runs apps.
    Developer,
    /// Reads only.
    Viewer,
}

impl From<Role> for TeamRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Owner => Self::Owner,
            Role::Admin => Self::Admin,
            Role::Developer => Self::Developer,
            Role::Viewer => Self::Viewer,
        }
    }
}

impl From<TeamRole> for Role {
    fn from(role: TeamRole) -> Self {
        match role {
            TeamRole::Owner => Self::Owner,
            TeamRole::Admin => Self::Admin,
            TeamRole::Developer => Self::Developer,
            TeamRole::Viewer => Self::Viewer,
        }
    }
}

/// Act in the team named by the path: the caller must be a member of it
/// (a token, of its own team). Anything else is 404, the same as for a
/// team that does not exist.
async fn act_in(state: &ApiState, signed: Signed, team: TeamId) -> Result<Caller, ApiError> {
    if let Credential::Token(token) = &signed.credential
        && token.team_id != team
    {
        return Err(team_not_found(team));
    }
    signed
        .in_team(state, Some(team))
        .await
        .map_err(|err| match err.code() {
            "no_team" => team_not_found(team),
            _ => err,
        })
}

fn team_not_found(team: TeamId) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("team {team} not found"),
    )
}

/// Record an audit entry in `team`. The change it records has happened,
/// so a failure to record is logged rather than turned into an error
/// answer (the client would otherwise retry a change that was made).
async fn record(
    state: &ApiState,
    scope: &Scope,
    team: TeamId,
    action: &'static str,
    target: String,
    detail: serde_json::Value,
) {
    crate::api::audit_trail::record(state, scope, team, action, target, detail).await;
}
