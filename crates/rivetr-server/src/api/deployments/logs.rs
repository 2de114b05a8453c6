//! A deployment's build and deploy log: a JSON page, or followed live as
//! Server-Sent Events.
//!
//! SSE events: `log` (data: a [`DeploymentLogLine`], `id:` its `seq`, so a
//! reconnecting client's `Last-Event-ID` resumes after it), `status`
//! (data: `{status, reason}`, first the current status, then each change)
//! and a last `end` (data: the final `{status, reason}`) once the
//! deployment is live or finished.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::ACCEPT;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;
use rivetr_core::id::DeploymentId;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::follow::{FollowItem, follow};
use super::views::{DeploymentLogLine, DeploymentLogPage};
use crate::api::extract::{Path, Query};
use crate::api::{ApiError, ApiState, Caller};

/// Lines per page unless `limit` says otherwise.
const DEFAULT_LIMIT: u32 = 500;
/// The largest page.
const MAX_LIMIT: u32 = 5000;

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(deployment_logs))
}

/// Which part of the log, and whether to follow it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct DeploymentLogQuery {
    /// Only lines after this sequence number (default 0: from the start).
    after: Option<u64>,
    /// Page size, 1 to 5000 (default 500); not used when following.
    limit: Option<u32>,
    /// Stream as Server-Sent Events until the deployment is live or ends
    /// (also chosen by `Accept: text/event-stream`).
    follow: Option<bool>,
}

/// Whether the client asks for an event stream.
pub(super) fn wants_events(follow: Option<bool>, headers: &HeaderMap) -> bool {
    follow.unwrap_or(false)
        || headers
            .get_all(ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains("text/event-stream"))
}

/// A deployment's build and deploy log.
///
/// A JSON page of lines, oldest first; or, with `?follow=true` or
/// `Accept: text/event-stream`, Server-Sent Events: `log` events (the
/// stored lines, then new ones as they come; `id` = `seq`, and
/// `Last-Event-ID` resumes), `status` events, and a last `end` event with
/// the final status when the deployment is live or has ended.
#[utoipa::path(
    get, path = "/api/v1/deployments/{deployment}/logs", tag = "deployments",
    params(("deployment" = String, Path, description = "deployment id (UUID)"), DeploymentLogQuery),
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 200, description = "a page of log lines, or an event stream",
            content(
                (DeploymentLogPage = "application/json"),
                (String = "text/event-stream"),
            )),
        (status = 404, description = "no such deployment in this team"),
        (status = 422, description = "limit out of range"),
    )
)]
async fn deployment_logs(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<DeploymentId>,
    Query(query): Query<DeploymentLogQuery>,
) -> Result<Response, ApiError> {
    let deployment = state.store().get_deployment(&caller.scope, id).await?;
    if wants_events(query.follow, &headers) {
        let resume = headers
            .get("last-event-id")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let after = resume.or(query.after).unwrap_or(0);
        let events = follow(state, caller.scope, &deployment, after)
            .map(|item| Ok::<_, Infallible>(sse_event(&item)));
        return Ok(Sse::new(events)
            .keep_alive(KeepAlive::default())
            .into_response());
    }
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(rivetr_core::Error::invalid_input(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        ))
        .into());
    }
    let lines = state
        .store()
        .read_logs(&caller.scope, id, query.after.unwrap_or(0), limit)
        .await?;
    let full = lines.len() == usize::try_from(limit).unwrap_or(usize::MAX);
    let next = lines.last().filter(|_| full).map(|line| line.seq);
    Ok(axum::Json(DeploymentLogPage {
        items: lines.into_iter().map(DeploymentLogLine::from).collect(),
        next,
        status: deployment.status.as_str().to_owned(),
    })
    .into_response())
}

/// The SSE event of one followed item.
fn sse_event(item: &FollowItem) -> Event {
    let (name, data, id) = match item {
        FollowItem::Line(line) => ("log", serde_json::to_string(line), Some(line.seq)),
        FollowItem::Status(status) => ("status", serde_json::to_string(status), None),
        FollowItem::End(status) => ("end", serde_json::to_string(status), None),
    };
    let event = Event::default()
        .event(name)
        .data(data.unwrap_or_else(|_| String::from("{}")));
    match id {
        Some(id) => event.id(id.to_string()),
        None => event,
    }
}
