//! Invitations: send, list and revoke them (accepting is in `accept`).

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, TimeDelta, Utc};
use rivetr_core::access::Scope;
use rivetr_core::id::{InvitationId, TeamId, UserId};
use rivetr_core::input::Email;
use rivetr_core::model::{Action, Invitation, NewInvitation};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::token::InvitationToken;
use super::{TeamRole, act_in, record};
use crate::api::extract::{Json, Path};
use crate::api::{ApiError, ApiState, Caller, Signed};

/// How long an invitation stays valid unless the request says otherwise.
const DEFAULT_HOURS: u32 = 7 * 24;
/// The longest validity a request may ask for.
const MAX_HOURS: u32 = 30 * 24;

/// This file's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_invitations, create_invitation))
        .routes(routes!(revoke_invitation))
}

/// An open invitation (sent, neither accepted nor revoked).
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct InvitationView {
    /// Identity.
    #[schema(value_type = String, format = Uuid)]
    id: InvitationId,
    /// The team to join.
    #[schema(value_type = String, format = Uuid)]
    team_id: TeamId,
    /// Who was invited: only the user with this address may accept.
    #[schema(value_type = String, format = Email)]
    email: Email,
    /// The role granted on acceptance.
    role: TeamRole,
    /// Who sent it.
    #[schema(value_type = String, format = Uuid)]
    invited_by: UserId,
    /// From this instant on the invitation is void.
    expires_at: DateTime<Utc>,
    /// Whether it has expired (it is listed until revoked).
    expired: bool,
    /// When it was sent.
    created_at: DateTime<Utc>,
}

impl InvitationView {
    pub(super) fn new(invitation: Invitation, now: DateTime<Utc>) -> Self {
        Self {
            id: invitation.id,
            team_id: invitation.team_id,
            email: invitation.email,
            role: invitation.role.into(),
            invited_by: invitation.invited_by,
            expired: invitation.expires_at <= now,
            expires_at: invitation.expires_at,
            created_at: invitation.created_at,
        }
    }
}

/// A team's open invitations.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct InvitationList {
    /// Ordered by creation; expired ones included.
    items: Vec<InvitationView>,
}

/// Whom to invite, with which role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewInvitationRequest {
    /// The address of the person invited (the account that accepts must
    /// have it).
    #[schema(format = Email)]
    email: String,
    /// The role granted on acceptance (`owner` needs `manage_team`).
    role: TeamRole,
    /// Hours until the invitation expires: 1 to 720, 168 (a week) when
    /// left out.
    #[schema(minimum = 1, maximum = 720)]
    expires_in_hours: Option<u32>,
}

/// A sent invitation and its token, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct InvitationCreated {
    /// The invitation.
    invitation: InvitationView,
    /// The token the invited person redeems at
    /// `POST /api/v1/invitations/accept`. Only a hash of it is kept: it
    /// cannot be shown again (send a new invitation instead).
    token: String,
}

/// The team's open invitations, expired ones included.
#[utoipa::path(
    get, path = "/api/v1/teams/{team}/invitations", tag = "teams",
    params(("team" = String, Path, description = "team id (UUID)")),
    security(("token" = ["manage_members"]), ("session" = ["manage_members"])),
    responses(
        (status = 200, description = "the open invitations", body = InvitationList),
        (status = 401, description = "not signed in"),
        (status = 403, description = "the caller's role does not allow it"),
        (status = 404, description = "no such team, or the caller is not a member"),
    )
)]
async fn list_invitations(
    State(state): State<ApiState>,
    signed: Signed,
    Path(team): Path<TeamId>,
) -> Result<axum::Json<InvitationList>, ApiError> {
    let caller = act_in(&state, signed, team).await?;
    let now = Utc::now();
    let items = state
        .store()
        .list_invitations(&caller.scope, team)
        .await?
        .into_iter()
        .map(|i| InvitationView::new(i, now))
        .collect();
    Ok(axum::Json(InvitationList { items }))
}

/// Invite someone by e-mail. The answer holds the invitation token, shown
/// only this once. Inviting an address again replaces the earlier
/// invitation (whose token stops working).
#[utoipa::path(
    post, path = "/api/v1/teams/{team}/invitations", tag = "teams",
    params(("team" = String, Path, description = "team id (UUID)")),
    request_body = NewInvitationRequest,
    security(("token" = ["manage_members"]), ("session" = ["manage_members"])),
    responses(
        (status = 201, description = "sent; the token is shown once", body = InvitationCreated),
        (status = 401, description = "not signed in"),
        (status = 403, description = "the caller's role does not allow it"),
        (status = 404, description = "no such team, or the caller is not a member"),
        (status = 409, description = "the address is already a member's"),
        (status = 422, description = "invalid e-mail address or validity"),
    )
)]
async fn create_invitation(
    State(state): State<ApiState>,
    signed: Signed,
    Path(team): Path<TeamId>,
    Json(req): Json<NewInvitationRequest>,
) -> Result<(StatusCode, axum::Json<InvitationCreated>), ApiError> {
    let caller = act_in(&state, signed, team).await?;
    let email = req.email.trim().parse::<Email>()?;
    let hours = req.expires_in_hours.unwrap_or(DEFAULT_HOURS);
    if !(1..=MAX_HOURS).contains(&hours) {
        return Err(rivetr_core::Error::invalid_input(format!(
            "expires_in_hours must be between 1 and {MAX_HOURS} (30 days)"
        ))
        .into());
    }
    // The store enforces this too; checked first so that nobody else
    // learns from a 409 whether an address belongs to a member.
    caller.scope.check(team, Action::ManageMembers)?;
    refuse_members(&state, &caller, &email).await?;
    let token = InvitationToken::generate(team, &email)?;
    let now = Utc::now();
    let invitation = state
        .store()
        .create_invitation(
            &caller.scope,
            NewInvitation {
                team_id: team,
                email,
                role: req.role.into(),
                invited_by: caller.user.id,
                token_hash: token.hash(),
                expires_at: now + TimeDelta::hours(i64::from(hours)),
            },
        )
        .await?;
    record(
        &state,
        &caller.scope,
        team,
        "invitation.create",
        invitation.email.to_string(),
        json!({ "invitation": invitation.id.to_string(), "role": invitation.role.as_str() }),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        axum::Json(InvitationCreated {
            invitation: InvitationView::new(invitation, now),
            token: token.expose().to_owned(),
        }),
    ))
}

/// 409 when `email` already belongs to a member of the caller's team.
async fn refuse_members(state: &ApiState, caller: &Caller, email: &Email) -> Result<(), ApiError> {
    // The system scope: e-mail lookups are a server flow; the answer only
    // decides whether the address is one of this team's members, which
    // the caller may read anyway.
    let Some(user) = state
        .store()
        .find_user_by_email(&Scope::system(), email)
        .await?
    else {
        return Ok(());
    };
    let members = state
        .store()
        .list_members(&caller.scope, caller.team)
        .await?;
    if members.iter().any(|m| m.user_id == user.id) {
        return Err(rivetr_core::Error::conflict(format!(
            "{email} is already a member of this team (change their role instead)"
        ))
        .into());
    }
    Ok(())
}

/// Withdraw an invitation of the caller's team (an API token's team, or
/// for a session the team named by `X-Rivetr-Team`, else the user's
/// first); its token stops working.
#[utoipa::path(
    delete, path = "/api/v1/invitations/{invitation}", tag = "teams",
    params(("invitation" = String, Path, description = "invitation id (UUID)")),
    security(("token" = ["manage_members"]), ("session" = ["manage_members"])),
    responses(
        (status = 204, description = "revoked"),
        (status = 401, description = "not signed in"),
        (status = 403, description = "the caller's role does not allow it"),
        (status = 404, description = "no such open invitation in the caller's team"),
    )
)]
async fn revoke_invitation(
    State(state): State<ApiState>,
    caller: Caller,
    Path(invitation): Path<InvitationId>,
) -> Result<StatusCode, ApiError> {
    state
        .store()
        .revoke_invitation(&caller.scope, invitation)
        .await?;
    record(
        &state,
        &caller.scope,
        caller.team,
        "invitation.revoke",
        invitation.to_string(),
        serde_json::Value::Null,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
