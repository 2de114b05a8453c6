//! The JSON shapes of deployments, their log lines and what the runtime
//! says about an app's containers.

use chrono::{DateTime, Utc};
use rivetr_core::id::{AppId, DeploymentId, UserId};
use rivetr_core::model::{Deployment, DeploymentStatus, LogLine, LogStream, Trigger};
use rivetr_core::runtime::{ContainerInfo, ContainerState, ContainerStats};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A deployment: one attempt to put a version of an app live.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(super) struct DeploymentView {
    /// Identity.
    #[schema(value_type = String, format = Uuid)]
    pub(super) id: DeploymentId,
    /// The app deployed.
    #[schema(value_type = String, format = Uuid)]
    pub(super) app_id: AppId,
    /// Per-app sequence number, from 1.
    pub(super) number: u64,
    /// `queued`, `fetching`, `building`, `starting`, `checking`,
    /// `switching`, `live`, `replaced`, `rolled_back`, `failed`,
    /// `cancelled` or `superseded`.
    pub(super) status: String,
    /// Why it failed, was cancelled, superseded or rolled back.
    pub(super) reason: Option<String>,
    /// Why it was started: `manual`, `webhook`, `cli`, `schedule`,
    /// `rollback`.
    pub(super) trigger: String,
    /// For rollbacks: the deployment whose image is reused.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub(super) rollback_of: Option<DeploymentId>,
    /// Who asked for it, when a person did.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub(super) requested_by: Option<UserId>,
    /// The commit built (git sources).
    pub(super) commit: Option<CommitView>,
    /// The image built or reused.
    pub(super) image: Option<String>,
    /// When it was requested.
    pub(super) created_at: DateTime<Utc>,
    /// When work on it began.
    pub(super) started_at: Option<DateTime<Utc>>,
    /// When it went live or ended.
    pub(super) finished_at: Option<DateTime<Utc>>,
}

/// The commit a deployment was built from.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(super) struct CommitView {
    /// Full commit id.
    pub(super) sha: String,
    /// First line of the message.
    pub(super) summary: String,
    /// Author name.
    pub(super) author: String,
}

impl From<Deployment> for DeploymentView {
    fn from(d: Deployment) -> Self {
        let (trigger, rollback_of) = match &d.trigger {
            Trigger::Manual => ("manual", None),
            Trigger::Webhook { .. } => ("webhook", None),
            Trigger::Cli => ("cli", None),
            Trigger::Schedule => ("schedule", None),
            Trigger::Rollback { of } => ("rollback", Some(*of)),
            _ => ("other", None),
        };
        Self {
            id: d.id,
            app_id: d.app_id,
            number: d.number,
            status: d.status.as_str().to_owned(),
            reason: d.reason,
            trigger: trigger.to_owned(),
            rollback_of,
            requested_by: d.requested_by,
            commit: d.commit.map(|c| CommitView {
                sha: c.sha,
                summary: c.summary,
                author: c.author,
            }),
            image: d.image.map(|i| i.to_string()),
            created_at: d.created_at,
            started_at: d.started_at,
            finished_at: d.finished_at,
        }
    }
}

/// A page of deployments, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct DeploymentList {
    /// The deployments.
    pub(super) items: Vec<DeploymentView>,
    /// Pass as `before` for the next (older) page; `null` on the last.
    pub(super) next: Option<u64>,
}

/// One line of a deployment's build and deploy log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(super) struct DeploymentLogLine {
    /// Position in the log, from 1, without gaps (the SSE event id).
    pub(super) seq: u64,
    /// When it was produced.
    pub(super) at: DateTime<Utc>,
    /// The step that produced it (a deployment status).
    pub(super) step: String,
    /// `stdout`, `stderr` or `system` (Rivetr's own account).
    pub(super) stream: String,
    /// The text.
    pub(super) text: String,
}

impl From<LogLine> for DeploymentLogLine {
    fn from(line: LogLine) -> Self {
        Self {
            seq: line.seq,
            at: line.at,
            step: line.step.as_str().to_owned(),
            stream: stream_name(line.stream).to_owned(),
            text: line.text,
        }
    }
}

/// The name of a log stream.
pub(super) fn stream_name(stream: LogStream) -> &'static str {
    match stream {
        LogStream::Stdout => "stdout",
        LogStream::Stderr => "stderr",
        LogStream::System => "system",
    }
}

/// A page of a deployment's log, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct DeploymentLogPage {
    /// The lines.
    pub(super) items: Vec<DeploymentLogLine>,
    /// Pass as `after` for the next page; `null` when this page was not
    /// full (for now, the end of the log).
    pub(super) next: Option<u64>,
    /// The deployment's status when the page was read.
    pub(super) status: String,
}

/// The data of the `status` and `end` events of a log stream.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(super) struct DeploymentStatusEvent {
    /// The deployment's status.
    pub(super) status: String,
    /// Why, when it failed or was cancelled.
    pub(super) reason: Option<String>,
}

impl DeploymentStatusEvent {
    /// The event for `status` and `reason`.
    pub(super) fn new(status: DeploymentStatus, reason: Option<String>) -> Self {
        Self {
            status: status.as_str().to_owned(),
            reason,
        }
    }
}

/// A line of a container's output.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(super) struct ContainerLogLine {
    /// The container (runtime id).
    pub(super) container: String,
    /// `stdout` or `stderr`.
    pub(super) stream: String,
    /// The text, without its newline.
    pub(super) text: String,
}

/// Container output of an app's live deployment.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ContainerLogPage {
    /// The lines, container by container.
    pub(super) items: Vec<ContainerLogLine>,
}

/// A container of an app's live deployment and its state.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(super) struct AppContainerView {
    /// Runtime id.
    pub(super) id: String,
    /// `created`, `running`, `restarting` or `exited`.
    pub(super) state: String,
    /// Exit code, when exited.
    pub(super) exit_code: Option<i64>,
}

impl From<ContainerInfo> for AppContainerView {
    fn from(info: ContainerInfo) -> Self {
        Self {
            id: info.id.to_string(),
            state: state_name(info.state).to_owned(),
            exit_code: info.exit_code,
        }
    }
}

fn state_name(state: ContainerState) -> &'static str {
    match state {
        ContainerState::Created => "created",
        ContainerState::Running => "running",
        ContainerState::Restarting => "restarting",
        ContainerState::Exited => "exited",
    }
}

/// What a start, stop or restart did: the live deployment and its
/// containers as they are now.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct AppRunState {
    /// The live deployment whose containers were acted on.
    pub(super) deployment: DeploymentView,
    /// Its containers.
    pub(super) containers: Vec<AppContainerView>,
}

/// A resource reading of one container.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ContainerStatsView {
    /// The container (runtime id).
    pub(super) container: String,
    /// CPU use, percent of one core.
    pub(super) cpu_percent: f64,
    /// Memory in use, bytes.
    pub(super) memory_bytes: u64,
    /// Memory limit, bytes (0: none).
    pub(super) memory_limit_bytes: u64,
    /// Bytes received.
    pub(super) network_rx_bytes: u64,
    /// Bytes sent.
    pub(super) network_tx_bytes: u64,
}

impl ContainerStatsView {
    /// The reading `stats` of `container`.
    pub(super) fn new(container: String, stats: &ContainerStats) -> Self {
        Self {
            container,
            cpu_percent: stats.cpu_percent,
            memory_bytes: stats.memory_bytes,
            memory_limit_bytes: stats.memory_limit_bytes,
            network_rx_bytes: stats.network_rx_bytes,
            network_tx_bytes: stats.network_tx_bytes,
        }
    }
}

/// Resource readings of an app's live containers.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct AppStats {
    /// The live deployment.
    #[schema(value_type = String, format = Uuid)]
    pub(super) deployment: DeploymentId,
    /// One reading per container.
    pub(super) items: Vec<ContainerStatsView>,
}
