//! `rivetr deploy` and `rivetr rollback`, and following a deployment until
//! it is live or has failed.

use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use clap::Args;
use rivetr_core::id::DeploymentId;
use serde_json::{Value, json};

use super::error::ClientError;
use super::http::ApiClient;
use super::progress::{self, Outcome, Progress};
use super::sse::SseEvent;
use super::views::{self, StreamItem};
use super::{Conn, apps, output};

/// How often a stream that closes before the deployment ended is reopened.
const MAX_RECONNECTS: u32 = 5;
/// Wait before reopening, unless the server asked for another delay.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);
/// The exit code after Ctrl-C (128 + SIGINT, as shells report it).
const INTERRUPTED: u8 = 130;
/// The longest wait a server's `retry:` may ask for.
const MAX_DELAY: Duration = Duration::from_secs(30);

/// `rivetr deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The app: its id, or its name when that is unique in the team.
    pub app: String,
    /// Stream the deployment's logs and progress until it is live (exit 0)
    /// or has failed or was cancelled (exit 1).
    #[arg(long, short)]
    pub follow: bool,
    /// Server, token and output options.
    #[command(flatten)]
    pub conn: Conn,
}

/// `rivetr rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The app: its id, or its name when that is unique in the team.
    pub app: String,
    /// The deployment (id) to go back to; default: the one before the live one.
    pub deployment: Option<String>,
    /// Follow the new deployment like `deploy --follow`.
    #[arg(long, short)]
    pub follow: bool,
    /// Server, token and output options.
    #[command(flatten)]
    pub conn: Conn,
}

/// `POST /api/v1/apps/{app}/deploy`.
pub(super) async fn deploy(args: DeployArgs) -> Result<ExitCode, ClientError> {
    let client = args.conn.client()?;
    let app = apps::resolve(&client, &args.app).await?;
    let answer = client
        .post(
            &format!("/api/v1/apps/{app}/deploy"),
            &views::deploy_request(),
        )
        .await?;
    started(&client, &answer, args.follow, args.conn.json).await
}

/// `POST /api/v1/apps/{app}/rollback`.
pub(super) async fn rollback(args: RollbackArgs) -> Result<ExitCode, ClientError> {
    let target = args
        .deployment
        .as_deref()
        .map(|d| {
            DeploymentId::from_str(d.trim())
                .map(|id| id.to_string())
                .map_err(|_| ClientError::Input(format!("{d:?} is not a deployment id (a UUID)")))
        })
        .transpose()?;
    let client = args.conn.client()?;
    let app = apps::resolve(&client, &args.app).await?;
    let answer = client
        .post(
            &format!("/api/v1/apps/{app}/rollback"),
            &views::rollback_request(target.as_deref()),
        )
        .await?;
    started(&client, &answer, args.follow, args.conn.json).await
}

/// Show the queued deployment at once, then follow it when asked (Ctrl-C
/// stops following, not the deployment).
async fn started(
    client: &ApiClient,
    answer: &Value,
    follow: bool,
    json: bool,
) -> Result<ExitCode, ClientError> {
    let row = views::deployment(answer);
    let id = row
        .id
        .as_deref()
        .and_then(|id| DeploymentId::from_str(id).ok())
        .ok_or_else(|| ClientError::Protocol("the answer holds no deployment id".to_owned()))?;
    if json {
        output::json_line(answer);
    } else {
        let number = row.number.map(|n| format!(" (#{n})")).unwrap_or_default();
        output::println(&format!("deployment {id}{number}"));
    }
    if !follow {
        return Ok(ExitCode::SUCCESS);
    }
    let outcome = tokio::select! {
        outcome = follow_deployment(client, id, row.status.as_deref(), json) => outcome?,
        _ = tokio::signal::ctrl_c() => {
            output::eprintln(&format!(
                "stopped following; deployment {id} goes on on the server"
            ));
            return Ok(ExitCode::from(INTERRUPTED));
        }
    };
    Ok(if outcome == Outcome::Live {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Stream the deployment's log (`GET /api/v1/deployments/{id}/logs?follow=true`)
/// until its status is final: log lines on standard output, status lines on
/// standard error (with `--json`, every event as a JSON line). A stream that
/// closes early is reopened from the last event id.
pub(super) async fn follow_deployment(
    client: &ApiClient,
    id: DeploymentId,
    initial: Option<&str>,
    json: bool,
) -> Result<Outcome, ClientError> {
    let mut progress = Progress::default();
    if let Some(status) = initial {
        progress.update(status, None);
    }
    let path = format!("/api/v1/deployments/{id}/logs");
    let query = [("follow", "true".to_owned())];
    let mut last_id: Option<String> = None;
    let mut reconnects = 0;
    loop {
        let mut delay = RECONNECT_DELAY;
        let mut broken = None;
        match client.events(&path, &query, last_id.as_deref()).await {
            Ok(mut stream) => {
                loop {
                    match stream.next().await {
                        Ok(Some(event)) => {
                            reconnects = 0;
                            if let Some(outcome) = show(&event, json, &mut progress) {
                                return Ok(outcome);
                            }
                            if is_end(&event) {
                                break;
                            }
                        }
                        Ok(None) => break,
                        Err(err) => {
                            broken = Some(err);
                            break;
                        }
                    }
                }
                last_id = stream.last_id().map(str::to_owned).or(last_id);
                delay = stream.retry().map_or(delay, |asked| asked.min(MAX_DELAY));
            }
            Err(err @ ClientError::Transport { .. }) => broken = Some(err),
            Err(err) => return Err(err),
        }
        // The stream ended before a final status: ask the deployment (a
        // server that is restarting is asked again after the delay).
        let now = match client.get(&format!("/api/v1/deployments/{id}"), &[]).await {
            Ok(now) => now,
            Err(err @ ClientError::Transport { .. }) => {
                broken = Some(err);
                Value::Null
            }
            Err(err) => return Err(err),
        };
        let row = views::deployment(&now);
        if let Some(status) = row.status.as_deref() {
            let outcome = progress::outcome(status);
            if outcome != Outcome::Running {
                if json {
                    output::json_line(&json!({ "event": "deployment", "data": now }));
                }
                progress.update(status, row.reason.as_deref());
                return Ok(outcome);
            }
        }
        reconnects += 1;
        if reconnects > MAX_RECONNECTS {
            return Err(broken.unwrap_or_else(|| {
                ClientError::Protocol(
                    "the log stream keeps closing before the deployment ends".to_owned(),
                )
            }));
        }
        tokio::time::sleep(delay).await;
    }
}

/// Print one event; the outcome when it announces a final status.
fn show(event: &SseEvent, json: bool, progress: &mut Progress) -> Option<Outcome> {
    if json {
        output::json_line(&event_json(event));
    }
    match views::stream_item(&event.event, &event.data) {
        StreamItem::Line(line) => {
            if !json {
                output::println(&line.text);
            }
            None
        }
        StreamItem::Status { status, reason } => {
            progress.update(&status, reason.as_deref());
            match progress::outcome(&status) {
                Outcome::Running => None,
                done => Some(done),
            }
        }
        StreamItem::End | StreamItem::Other => None,
    }
}

/// Whether the server says the stream is over.
fn is_end(event: &SseEvent) -> bool {
    views::stream_item(&event.event, &event.data) == StreamItem::End
}

/// An event as one JSON line: `{"event", "id", "data"}` (data parsed when
/// it is JSON).
pub(super) fn event_json(event: &SseEvent) -> Value {
    let data =
        serde_json::from_str(&event.data).unwrap_or_else(|_| Value::String(event.data.clone()));
    json!({ "event": event.event, "id": event.id, "data": data })
}
