//! The audit log of the caller's team.
//!
//! Who may read it follows the store's rule ([`AuditRepo::list_audit`]):
//! `manage_members`, so owners and admins. The log names who changed
//! members, tokens and secrets; the people it is about need not all read
//! it.
//!
//! [`AuditRepo::list_audit`]: rivetr_core::store::AuditRepo::list_audit

use axum::extract::State;
use chrono::{DateTime, Utc};
use rivetr_core::id::{AuditId, TeamId, UserId};
use rivetr_core::model::{AuditEntry, Page};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::extract::Query;
use crate::api::{ApiError, ApiState, Caller};

/// Entries per page when the request does not say.
const DEFAULT_LIMIT: u32 = 50;
/// The most entries one page may hold.
const MAX_LIMIT: u32 = 200;

/// This file's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// Which page of the log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct AuditQuery {
    /// Only entries older than this cursor (a previous page's `next`).
    before: Option<u64>,
    /// At most this many entries: 1 to 200, 50 when left out.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

/// One entry of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct AuditEntryView {
    /// Identity.
    #[schema(value_type = String, format = Uuid)]
    id: AuditId,
    /// Position in the log (the page cursor).
    seq: u64,
    /// The team it concerns.
    #[schema(value_type = Option<String>, format = Uuid)]
    team_id: Option<TeamId>,
    /// Who did it; `null` for the platform itself.
    #[schema(value_type = Option<String>, format = Uuid)]
    actor: Option<UserId>,
    /// What was done, as `noun.verb` (`member.remove`, `invitation.create`…).
    action: String,
    /// What it was done to (an id, an address, a name).
    target: String,
    /// Anything else recorded (never a secret value).
    #[schema(value_type = Object)]
    detail: serde_json::Value,
    /// When it was recorded.
    at: DateTime<Utc>,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(entry: AuditEntry) -> Self {
        Self {
            id: entry.id,
            seq: entry.seq,
            team_id: entry.team_id,
            actor: entry.actor,
            action: entry.action.to_string(),
            target: entry.target,
            detail: entry.detail,
            at: entry.at,
        }
    }
}

/// A page of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct AuditPage {
    /// Newest first.
    items: Vec<AuditEntryView>,
    /// The `before` of the next (older) page; `null` on the last page.
    next: Option<u64>,
}

/// The audit log of the caller's team (an API token's team, or for a
/// session the team named by `X-Rivetr-Team`, else the user's first),
/// newest first; owners and admins only.
#[utoipa::path(
    get, path = "/api/v1/audit", tag = "teams",
    params(AuditQuery),
    security(("token" = ["manage_members"]), ("session" = ["manage_members"])),
    responses(
        (status = 200, description = "a page of the log", body = AuditPage),
        (status = 401, description = "not signed in"),
        (status = 403, description = "the caller's role does not allow it"),
        (status = 422, description = "limit out of range"),
    )
)]
async fn list_audit(
    State(state): State<ApiState>,
    caller: Caller,
    Query(query): Query<AuditQuery>,
) -> Result<axum::Json<AuditPage>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(rivetr_core::Error::invalid_input(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        ))
        .into());
    }
    let entries = state
        .store()
        .list_audit(
            &caller.scope,
            Some(caller.team),
            Page {
                before: query.before,
                limit,
            },
        )
        .await?;
    let full = entries.len() == usize::try_from(limit).unwrap_or(usize::MAX);
    let next = if full {
        entries.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(axum::Json(AuditPage {
        items: entries.into_iter().map(AuditEntryView::from).collect(),
        next,
    }))
}
