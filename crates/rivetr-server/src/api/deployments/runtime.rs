//! What the runtime says about an app's live containers: their output
//! (once, or followed as Server-Sent Events) and resource readings.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt as _};
use rivetr_core::id::AppId;
use rivetr_core::model::Action;
use rivetr_core::runtime::{LogChunk, LogOptions};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::live::live_app;
use super::logs::wants_events;
use super::views::{AppStats, ContainerLogLine, ContainerLogPage, ContainerStatsView, stream_name};
use crate::api::extract::{Path, Query};
use crate::api::{ApiError, ApiState, Caller};

/// Lines per container unless `tail` says otherwise.
const DEFAULT_TAIL: u32 = 200;
/// The most lines per container.
const MAX_TAIL: u32 = 10_000;

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(app_logs))
        .routes(routes!(app_stats))
}

/// How much output, and whether to follow it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct AppLogQuery {
    /// The last N lines of each container, 1 to 10000 (default 200).
    tail: Option<u32>,
    /// Stream as Server-Sent Events (also chosen by `Accept:
    /// text/event-stream`).
    follow: Option<bool>,
}

/// The output of an app's running containers.
///
/// A JSON list of lines; or, with `?follow=true` or `Accept:
/// text/event-stream`, Server-Sent Events: `log` events (data: a line) as
/// the containers write them, and an `end` event when every container's
/// output has ended (they stopped).
#[utoipa::path(
    get, path = "/api/v1/apps/{app}/logs", tag = "deployments",
    params(("app" = String, Path, description = "app id (UUID)"), AppLogQuery),
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 200, description = "container output, or an event stream",
            content(
                (ContainerLogPage = "application/json"),
                (String = "text/event-stream"),
            )),
        (status = 404, description = "no such app in this team"),
        (status = 409, description = "the app has no live deployment"),
        (status = 422, description = "tail out of range"),
    )
)]
async fn app_logs(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    Path(app): Path<AppId>,
    Query(query): Query<AppLogQuery>,
) -> Result<Response, ApiError> {
    let tail = query.tail.unwrap_or(DEFAULT_TAIL);
    if !(1..=MAX_TAIL).contains(&tail) {
        return Err(rivetr_core::Error::invalid_input(format!(
            "tail must be between 1 and {MAX_TAIL}"
        ))
        .into());
    }
    let (_, live) = live_app(&state, &caller.scope, app, Action::Read).await?;
    let follow = wants_events(query.follow, &headers);
    let options = LogOptions {
        follow,
        since: None,
        tail: Some(tail),
    };
    let runtime = state.engine().parts().runtime.clone();
    let mut streams = Vec::with_capacity(live.containers.len());
    for container in &live.containers {
        let id = container.id.to_string();
        let stream = runtime.logs(&container.id, &options).await?;
        streams.push(stream.map(move |chunk| (id.clone(), chunk)).boxed());
    }
    let merged = futures::stream::select_all(streams);
    if follow {
        let events = merged
            .flat_map(|(container, chunk)| futures::stream::iter(lines_of(&container, chunk)))
            .map(|line| {
                let data = serde_json::to_string(&line).unwrap_or_else(|_| String::from("{}"));
                Event::default().event("log").data(data)
            })
            .chain(futures::stream::once(async {
                Event::default().event("end").data("{}")
            }))
            .map(Ok::<_, Infallible>);
        return Ok(Sse::new(events)
            .keep_alive(KeepAlive::default())
            .into_response());
    }
    let items = collect_lines(merged).await?;
    Ok(axum::Json(ContainerLogPage { items }).into_response())
}

/// Every line of finite output streams, container by container.
async fn collect_lines(
    merged: impl Stream<Item = (String, rivetr_core::Result<LogChunk>)> + Unpin,
) -> Result<Vec<ContainerLogLine>, ApiError> {
    let mut merged = merged;
    let mut items = Vec::new();
    while let Some((container, chunk)) = merged.next().await {
        let chunk = chunk?;
        items.extend(lines_of(&container, Ok(chunk)));
    }
    items.sort_by(|a, b| a.container.cmp(&b.container));
    Ok(items)
}

/// The lines of one chunk (a failed read becomes no line; it is logged).
fn lines_of(container: &str, chunk: rivetr_core::Result<LogChunk>) -> Vec<ContainerLogLine> {
    let chunk = match chunk {
        Ok(chunk) => chunk,
        Err(err) => {
            tracing::warn!(container, error = %err, "reading container output failed");
            return Vec::new();
        }
    };
    let text = String::from_utf8_lossy(&chunk.bytes);
    let stream = stream_name(chunk.stream);
    text.strip_suffix('\n')
        .unwrap_or(&text)
        .split('\n')
        .map(|line| ContainerLogLine {
            container: container.to_owned(),
            stream: stream.to_owned(),
            text: line.strip_suffix('\r').unwrap_or(line).to_owned(),
        })
        .collect()
}

/// Resource readings of an app's live containers.
#[utoipa::path(
    get, path = "/api/v1/apps/{app}/stats", tag = "deployments",
    params(("app" = String, Path, description = "app id (UUID)")),
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 200, description = "one reading per container", body = AppStats),
        (status = 404, description = "no such app in this team"),
        (status = 409, description = "the app has no live deployment"),
        (status = 501, description = "the runtime cannot read stats"),
    )
)]
async fn app_stats(
    State(state): State<ApiState>,
    caller: Caller,
    Path(app): Path<AppId>,
) -> Result<axum::Json<AppStats>, ApiError> {
    let (_, live) = live_app(&state, &caller.scope, app, Action::Read).await?;
    let runtime = &state.engine().parts().runtime;
    let mut items = Vec::with_capacity(live.containers.len());
    for container in &live.containers {
        let stats = runtime.stats(&container.id).await?;
        items.push(ContainerStatsView::new(container.id.to_string(), &stats));
    }
    Ok(axum::Json(AppStats {
        deployment: live.id,
        items,
    }))
}

#[cfg(test)]
mod tests {
    use rivetr_core::model::LogStream;

    use super::*;

    #[test]
    fn a_chunk_becomes_its_lines_without_newlines() {
        let chunk = LogChunk {
            stream: LogStream::Stderr,
            bytes: b"one\r\ntwo\n".to_vec(),
        };
        let lines = lines_of("c1", Ok(chunk));
        let texts: Vec<_> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["one", "two"]);
        assert!(
            lines
                .iter()
                .all(|l| l.stream == "stderr" && l.container == "c1")
        );
        assert!(lines_of("c1", Err(rivetr_core::Error::unavailable("gone"))).is_empty());
    }
}
