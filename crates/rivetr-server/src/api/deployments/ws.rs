//! A deployment's log over a WebSocket: the same items as the SSE stream,
//! one JSON text frame each (`{"event": "log" | "status" | "end", "data":
//! ...}`), then a normal close.

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::http::StatusCode;
use axum::response::Response;
use futures::{SinkExt as _, StreamExt as _};
use rivetr_core::access::Scope;
use rivetr_core::id::DeploymentId;
use rivetr_core::model::Deployment;
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::follow::{FollowItem, follow};
use crate::api::extract::{Path, Query};
use crate::api::{ApiError, ApiState, Caller};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(deployment_logs_ws))
}

/// Where to start.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct DeploymentLogWsQuery {
    /// Only lines after this sequence number (default 0: from the start).
    after: Option<u64>,
}

/// Follow a deployment's log over a WebSocket.
///
/// Each text frame is one JSON object: `{"event": "log", "data": line}`,
/// `{"event": "status", "data": {status, reason}}`, and last
/// `{"event": "end", "data": {status, reason}}` when the deployment is
/// live or has ended; the server then closes the socket.
#[utoipa::path(
    get, path = "/api/v1/deployments/{deployment}/logs/ws", tag = "deployments",
    params(("deployment" = String, Path, description = "deployment id (UUID)"), DeploymentLogWsQuery),
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 101, description = "switching to the WebSocket protocol"),
        (status = 404, description = "no such deployment in this team"),
        (status = 426, description = "not a WebSocket upgrade request"),
    )
)]
async fn deployment_logs_ws(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<DeploymentId>,
    Query(query): Query<DeploymentLogWsQuery>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let deployment = state.store().get_deployment(&caller.scope, id).await?;
    let upgrade = upgrade.map_err(|rejection| {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "upgrade_required",
            format!("this endpoint speaks WebSocket only: {rejection}"),
        )
    })?;
    let after = query.after.unwrap_or(0);
    Ok(upgrade.on_upgrade(move |socket| send_log(socket, state, caller.scope, deployment, after)))
}

async fn send_log(
    socket: WebSocket,
    state: ApiState,
    scope: Scope,
    deployment: Deployment,
    after: u64,
) {
    let (mut sink, mut incoming) = socket.split();
    let mut items = Box::pin(follow(state, scope, &deployment, after));
    loop {
        let item = tokio::select! {
            item = items.next() => item,
            // The client closed (or broke) the socket; pings are answered
            // by the library.
            message = incoming.next() => match message {
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => continue,
            },
        };
        let Some(item) = item else { break };
        let (event, data) = match &item {
            FollowItem::Line(line) => ("log", json!(line)),
            FollowItem::Status(status) => ("status", json!(status)),
            FollowItem::End(status) => ("end", json!(status)),
        };
        let frame = json!({ "event": event, "data": data }).to_string();
        if sink.send(Message::Text(frame.into())).await.is_err() {
            return;
        }
    }
    let close = CloseFrame {
        code: close_code::NORMAL,
        reason: "end of the deployment log".into(),
    };
    let _ = sink.send(Message::Close(Some(close))).await;
}
