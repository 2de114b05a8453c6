//! Events on the engine's broadcast channel, and notifications for people.

use serde::{Deserialize, Serialize};

use super::{Deployment, DeploymentStatus, LogLine};
use crate::id::{AppId, DeploymentId, TeamId};
use crate::runtime::ContainerId;

/// Something that happened, for the API, the dashboard and notifiers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A deployment changed status.
    DeploymentChanged {
        /// Owning team.
        team_id: TeamId,
        /// The app.
        app_id: AppId,
        /// The deployment.
        deployment_id: DeploymentId,
        /// Its new status.
        status: DeploymentStatus,
        /// Why, when it failed or was cancelled, superseded or rolled back.
        reason: Option<String>,
    },
    /// A deployment produced a log line.
    DeploymentLog {
        /// Owning team.
        team_id: TeamId,
        /// The app.
        app_id: AppId,
        /// The line (carries its deployment id).
        line: LogLine,
    },
    /// A container of a live deployment stopped unexpectedly.
    ContainerDied {
        /// Owning team.
        team_id: TeamId,
        /// The app.
        app_id: AppId,
        /// The container.
        container: ContainerId,
    },
    /// The routes of an app changed (switch, rollback, restore).
    RoutesChanged {
        /// Owning team.
        team_id: TeamId,
        /// The app.
        app_id: AppId,
    },
}

impl Event {
    /// The `DeploymentChanged` event announcing `deployment` as it is now.
    #[must_use]
    pub fn deployment_changed(deployment: &Deployment) -> Self {
        Event::DeploymentChanged {
            team_id: deployment.team_id,
            app_id: deployment.app_id,
            deployment_id: deployment.id,
            status: deployment.status,
            reason: deployment.reason.clone(),
        }
    }

    /// The team the event belongs to (subscribers filter by it).
    #[must_use]
    pub fn team_id(&self) -> TeamId {
        match self {
            Event::DeploymentChanged { team_id, .. }
            | Event::DeploymentLog { team_id, .. }
            | Event::ContainerDied { team_id, .. }
            | Event::RoutesChanged { team_id, .. } => *team_id,
        }
    }
}

/// How much a notification matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationLevel {
    /// Good news (deployment live).
    Success,
    /// Worth knowing.
    Info,
    /// Something failed.
    Failure,
}

/// A message for people, sent through every configured notifier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Owning team.
    pub team_id: TeamId,
    /// The app concerned.
    pub app_id: Option<AppId>,
    /// The deployment concerned.
    pub deployment_id: Option<DeploymentId>,
    /// Severity.
    pub level: NotificationLevel,
    /// One line.
    pub title: String,
    /// Details.
    pub body: String,
}
