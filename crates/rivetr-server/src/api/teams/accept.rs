//! Accepting an invitation: by a signed-in user, or by a new user who
//! signs up with the invited address.

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use rivetr_core::ErrorKind;
use rivetr_core::access::Scope;
use rivetr_core::id::{TeamId, UserId};
use rivetr_core::input::{DisplayName, Email};
use rivetr_core::model::{Invitation, Membership, NewUser};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::token::{InvitationToken, TokenClaim};
use super::{TeamRole, record};
use crate::api::extract::Json;
use crate::api::{ApiError, ApiState, Signed};

/// This file's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(accept_invitation))
}

/// The signed-in user, if the request carries a credential: `None` without
/// one, but a credential that is bad (unknown, expired, missing CSRF
/// token) is refused as it would be anywhere else.
#[derive(Debug)]
pub(super) struct OptionalSigned(Option<Signed>);

impl FromRequestParts<ApiState> for OptionalSigned {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        let cookie = state.auth().cookie();
        let has_session = parts
            .headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|header| cookie.read(header).is_some());
        if !has_session && !parts.headers.contains_key(AUTHORIZATION) {
            return Ok(Self(None));
        }
        Signed::from_request_parts(parts, state)
            .await
            .map(|signed| Self(Some(signed)))
    }
}

/// An invitation token to redeem, and for a new account its name and
/// password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AcceptInvitationRequest {
    /// The invitation token (`rvi_…`).
    token: String,
    /// For a new account: the name shown in the dashboard.
    name: Option<String>,
    /// For a new account: its password (the password policy applies).
    password: Option<String>,
}

/// The membership an accepted invitation made.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct InvitationAccepted {
    /// The team joined.
    #[schema(value_type = String, format = Uuid)]
    team_id: TeamId,
    /// Its name.
    team_name: String,
    /// The member (the signed-in user, or the account just created).
    #[schema(value_type = String, format = Uuid)]
    user_id: UserId,
    /// The role granted.
    role: TeamRole,
    /// When the user joined.
    joined_at: DateTime<Utc>,
    /// Whether an account was made for the invited address (not signed in).
    user_created: bool,
}

/// Redeem an invitation. Signed in (session or API token), the invitation
/// is accepted for that account, whose e-mail must be the invited address.
/// Not signed in, an account is made for the invited address with the
/// given name and password, then joins the team (an address that already
/// has an account must sign in first). A token works once.
#[utoipa::path(
    post, path = "/api/v1/invitations/accept", tag = "teams",
    request_body = AcceptInvitationRequest,
    security((), ("token" = ["signed_in"]), ("session" = ["signed_in"])),
    responses(
        (status = 200, description = "joined", body = InvitationAccepted),
        (status = 400, description = "a name or password given while signed in"),
        (status = 401, description = "a credential was sent but is not valid"),
        (status = 403, description = "the signed-in user's e-mail is not the invited address"),
        (status = 404, description = "unknown token (never sent, revoked, replaced or already used)"),
        (status = 409, description = "already a member, or the address has an account: sign in first"),
        (status = 410, description = "the invitation has expired"),
        (status = 422, description = "malformed token, or a missing or invalid name or password"),
    )
)]
async fn accept_invitation(
    State(state): State<ApiState>,
    OptionalSigned(signed): OptionalSigned,
    Json(req): Json<AcceptInvitationRequest>,
) -> Result<axum::Json<InvitationAccepted>, ApiError> {
    let claim = InvitationToken::parse(req.token.trim())
        .map_err(|err| ApiError::from(rivetr_core::Error::invalid_input(err.to_string())))?;
    let now = Utc::now();
    let invitation = claimed_invitation(&state, &claim, now).await?;
    let system = Scope::system();
    let (membership, account_created) = match signed {
        Some(signed) => {
            if req.name.is_some() || req.password.is_some() {
                return Err(ApiError::bad_request(format!(
                    "signed in as {}: the invitation is accepted for this account; \
                     a name and password are only for a new account",
                    signed.user.email
                )));
            }
            let membership = state
                .store()
                .accept_invitation(&system, &claim.hash, signed.user.id, now)
                .await
                .map_err(|err| refused(err, &invitation))?;
            (membership, false)
        }
        None => {
            let membership = sign_up_and_accept(
                &state,
                &invitation,
                &claim.hash,
                req.name,
                req.password,
                now,
            )
            .await?;
            (membership, true)
        }
    };
    let team_name = state
        .store()
        .get_team(&system, membership.team_id)
        .await?
        .name
        .to_string();
    audit(&state, &membership, &invitation, account_created).await;
    Ok(axum::Json(InvitationAccepted {
        team_id: membership.team_id,
        team_name,
        user_id: membership.user_id,
        role: membership.role.into(),
        joined_at: membership.joined_at,
        user_created: account_created,
    }))
}

/// The open invitation the token claims to be for, looked up before
/// anything changes: unknown is 404, expired 410. Whether the token really
/// is that invitation's is decided by the store when it is redeemed (the
/// hash covers the claim).
async fn claimed_invitation(
    state: &ApiState,
    claim: &TokenClaim,
    now: DateTime<Utc>,
) -> Result<Invitation, ApiError> {
    // The system scope: the token is the credential here, and only the
    // invitations of the team it names are read.
    let invitations = match state
        .store()
        .list_invitations(&Scope::system(), claim.team)
        .await
    {
        Ok(list) => list,
        Err(err) if err.kind() == ErrorKind::NotFound => return Err(unknown()),
        Err(err) => return Err(err.into()),
    };
    let invitation = invitations
        .into_iter()
        .find(|i| i.email.as_str().eq_ignore_ascii_case(claim.email.as_str()))
        .ok_or_else(unknown)?;
    if invitation.expires_at <= now {
        return Err(expired(&invitation));
    }
    Ok(invitation)
}

/// Make (or finish making) the invited person's account, redeem the
/// invitation for it, then give it its password.
///
/// The store has no lookup of an invitation by token hash, so a token is
/// proven only by redeeming it, which needs the account first. The account
/// therefore gets its password only after the store accepted the token: a
/// wrong token leaves at most an account with no password and no team,
/// which nobody can sign in to and which the next valid token for the
/// address completes.
async fn sign_up_and_accept(
    state: &ApiState,
    invitation: &Invitation,
    token_hash: &str,
    name: Option<String>,
    password: Option<String>,
    now: DateTime<Utc>,
) -> Result<Membership, ApiError> {
    let system = Scope::system();
    let name = name
        .ok_or_else(|| rivetr_core::Error::invalid_input("a name is needed for the new account"))?
        .parse::<DisplayName>()?;
    let password = password.ok_or_else(|| {
        rivetr_core::Error::invalid_input("a password is needed for the new account")
    })?;
    check_password(state, &password, &invitation.email)?;
    let user = unfinished_account(state, &invitation.email, name).await?;
    let password_hash = state
        .auth()
        .passwords()
        .hash(password)
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "hashing a new user's password failed");
            ApiError::from(rivetr_core::Error::internal("password hashing failed"))
        })?;
    let membership = state
        .store()
        .accept_invitation(&system, token_hash, user, now)
        .await
        .map_err(|err| refused(err, invitation))?;
    state
        .store()
        .set_password_hash(&system, user, password_hash)
        .await?;
    Ok(membership)
}

/// A new account for `email`, or the unfinished one (no password, no
/// team) a refused earlier attempt left. An account in use is 409: its
/// owner signs in and accepts.
async fn unfinished_account(
    state: &ApiState,
    email: &Email,
    name: DisplayName,
) -> Result<UserId, ApiError> {
    let system = Scope::system();
    let store = state.store();
    if let Some(user) = store.find_user_by_email(&system, email).await? {
        let unfinished = store.password_hash(&system, user.id).await?.is_none()
            && store.teams_of_user(&system, user.id).await?.is_empty();
        if unfinished {
            return Ok(user.id);
        }
        return Err(rivetr_core::Error::conflict(format!(
            "{email} already has an account: sign in, then accept the invitation"
        ))
        .into());
    }
    let user = store
        .create_user(
            &system,
            NewUser {
                email: email.clone(),
                name,
                instance_admin: false,
            },
        )
        .await?;
    Ok(user.id)
}

fn check_password(state: &ApiState, password: &str, email: &Email) -> Result<(), ApiError> {
    state
        .auth()
        .policy()
        .check(password, Some(email))
        .map_err(|weak| rivetr_core::Error::invalid_input(weak.to_string()).into())
}

/// The store's refusal, in the words of this endpoint.
fn refused(err: rivetr_core::Error, invitation: &Invitation) -> ApiError {
    match err.kind() {
        ErrorKind::NotFound => unknown(),
        ErrorKind::InvalidInput => expired(invitation),
        ErrorKind::PermissionDenied => ApiError::new(
            StatusCode::FORBIDDEN,
            "permission_denied",
            "this invitation was sent to another e-mail address: sign in with the invited address",
        ),
        ErrorKind::Conflict => ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "you are already a member of this team",
        ),
        _ => err.into(),
    }
}

fn unknown() -> ApiError {
    rivetr_core::Error::not_found(
        "no such invitation: it was revoked, already used, replaced by a newer one, or never sent",
    )
    .into()
}

fn expired(invitation: &Invitation) -> ApiError {
    ApiError::new(
        StatusCode::GONE,
        "expired",
        format!(
            "this invitation expired at {}: ask for a new one",
            invitation.expires_at.to_rfc3339()
        ),
    )
}

async fn audit(state: &ApiState, m: &Membership, invitation: &Invitation, user_created: bool) {
    let scope = match state.store().scope_for(m.user_id, m.team_id).await {
        Ok(scope) => scope,
        Err(err) => {
            tracing::error!(error = %err, "the new member has no scope");
            return;
        }
    };
    record(
        state,
        &scope,
        m.team_id,
        "invitation.accept",
        invitation.email.to_string(),
        json!({
            "invitation": invitation.id.to_string(),
            "role": m.role.as_str(),
            "user_created": user_created,
        }),
    )
    .await;
}
