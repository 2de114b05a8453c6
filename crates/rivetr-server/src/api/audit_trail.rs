//! Recording what the API changed in the team's audit log.

use rivetr_core::access::Scope;
use rivetr_core::id::TeamId;
use rivetr_core::model::{AuditAction, NewAuditEntry};

use super::ApiState;

/// Record `action` on `target` in `team`'s audit log. The change it
/// records has happened, so a failure to record is logged rather than
/// answered (the client would otherwise retry a change that was made).
pub(crate) async fn record(
    state: &ApiState,
    scope: &Scope,
    team: TeamId,
    action: &'static str,
    target: String,
    detail: serde_json::Value,
) {
    let action = match action.parse::<AuditAction>() {
        Ok(action) => action,
        Err(err) => {
            tracing::error!(error = %err, action, "not an audit action");
            return;
        }
    };
    let entry = NewAuditEntry {
        team_id: Some(team),
        action,
        target,
        detail,
    };
    if let Err(err) = state.store().record_audit(scope, entry).await {
        tracing::error!(error = %err, %team, "recording an audit entry failed");
    }
}
