//! Deploying and observing apps: deploy (from the configured source or an
//! uploaded archive), roll back, cancel, stop/start/restart, the
//! deployment history, build logs (JSON, Server-Sent Events, WebSocket),
//! and the live containers' output and resource use.
//!
//! Every handler passes the caller's scope to the store or the engine,
//! which refuse what the role does not allow; the runtime endpoints first
//! read the app with that scope and check the action on its team.

mod archive;
mod deploy;
mod follow;
mod lifecycle;
mod live;
mod logs;
mod read;
mod runtime;
mod views;
mod ws;

use rivetr_core::model::NewAuditEntry;
use utoipa_axum::router::OpenApiRouter;

use super::{ApiState, Caller};

/// This module's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .merge(deploy::routes())
        .merge(archive::routes())
        .merge(lifecycle::routes())
        .merge(read::routes())
        .merge(logs::routes())
        .merge(ws::routes())
        .merge(runtime::routes())
}

/// Record an audit entry for a write (a failure to record is logged, the
/// write stands).
async fn audit(
    state: &ApiState,
    caller: &Caller,
    action: &'static str,
    target: String,
    detail: serde_json::Value,
) {
    let action = match action.parse() {
        Ok(action) => action,
        Err(err) => {
            tracing::error!(error = %err, action, "not an audit action");
            return;
        }
    };
    let entry = NewAuditEntry {
        team_id: Some(caller.team),
        action,
        target,
        detail,
    };
    if let Err(err) = state.store().record_audit(&caller.scope, entry).await {
        tracing::error!(error = %err, "recording an audit entry failed");
    }
}
