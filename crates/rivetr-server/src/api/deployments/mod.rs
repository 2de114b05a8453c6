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
    crate::api::audit_trail::record(state, &caller.scope, caller.team, action, target, detail)
        .await;
}
