//! Deployments, their status machine, and their log lines.

use std::fmt;
use std::net::SocketAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{AppId, DeploymentId, TeamId, UserId};
use crate::input::ImageRef;
use crate::runtime::ContainerId;

/// One attempt to put a version of an app live.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    /// Identity.
    pub id: DeploymentId,
    /// The app being deployed.
    pub app_id: AppId,
    /// Owning team (the app's).
    pub team_id: TeamId,
    /// Per-app sequence number, starting at 1.
    pub number: u64,
    /// Why it was started.
    pub trigger: Trigger,
    /// Who asked for it, when a person did.
    pub requested_by: Option<UserId>,
    /// Where it is in its life.
    pub status: DeploymentStatus,
    /// Why it failed, was cancelled, superseded or rolled back.
    pub reason: Option<String>,
    /// The commit that was fetched (git sources).
    pub commit: Option<CommitInfo>,
    /// The image that was built or pulled; a rollback reuses it.
    pub image: Option<ImageRef>,
    /// Containers started for this deployment.
    pub containers: Vec<RunningContainer>,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
    /// When work on it began (left `Queued`).
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached a terminal status or went live.
    pub finished_at: Option<DateTime<Utc>>,
}

/// What it takes to queue a [`Deployment`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDeployment {
    /// The app to deploy.
    pub app_id: AppId,
    /// Why.
    pub trigger: Trigger,
    /// Who asked.
    pub requested_by: Option<UserId>,
    /// For rollbacks: the image to reuse (no fetch, no build).
    pub image: Option<ImageRef>,
}

/// A container that belongs to a deployment, and where it answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunningContainer {
    /// Runtime id.
    pub id: ContainerId,
    /// Address the proxy forwards to, for apps with a port.
    pub address: Option<SocketAddr>,
}

/// The commit a git deployment was built from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    /// Full commit id.
    pub sha: String,
    /// First line of the commit message.
    pub summary: String,
    /// Author name.
    pub author: String,
}

/// Why a deployment was started.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Trigger {
    /// A person, from the dashboard or the API.
    Manual,
    /// A git push delivered by a webhook.
    Webhook {
        /// Provider name (`github`, `gitlab`, ...).
        provider: String,
    },
    /// The command-line client.
    Cli,
    /// A schedule.
    Schedule,
    /// A manual rollback to an earlier deployment's image.
    Rollback {
        /// The deployment whose image is reused.
        of: DeploymentId,
    },
}

/// Where a deployment is in its life.
///
/// ```text
/// Queued ─► Fetching ─► Building ─► Starting ─► Checking ─► Switching ─► Live ─► Replaced
///   │  └──────────────────┬─────────────┘ (image and rollback skip steps)   │ ▲        │
///   │                     ▼                                                   ▼ └────────┘
///   ├─► Superseded    Failed / Cancelled (from any step before Live)    RolledBack
///   └─► Cancelled / Failed
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentStatus {
    /// Persisted, waiting for the app's worker.
    Queued,
    /// Fetching source code or pulling the image.
    Fetching,
    /// Building the image.
    Building,
    /// Starting new containers on the private network.
    Starting,
    /// Waiting for the new containers to pass their health check.
    Checking,
    /// Switching traffic to the new containers and draining the old.
    Switching,
    /// Serving traffic.
    Live,
    /// Was live; a newer deployment replaced it.
    Replaced,
    /// Went live, then failed inside the watch window and was rolled back.
    RolledBack,
    /// Failed before going live; `reason` says why.
    Failed,
    /// Cancelled by a person.
    Cancelled,
    /// A newer deployment was queued before this one started.
    Superseded,
}

impl DeploymentStatus {
    /// Every status, in life order.
    pub const ALL: [DeploymentStatus; 12] = [
        Self::Queued,
        Self::Fetching,
        Self::Building,
        Self::Starting,
        Self::Checking,
        Self::Switching,
        Self::Live,
        Self::Replaced,
        Self::RolledBack,
        Self::Failed,
        Self::Cancelled,
        Self::Superseded,
    ];

    /// Whether the status machine allows going from `self` to `next`.
    ///
    /// ```
    /// use rivetr_core::model::DeploymentStatus::*;
    ///
    /// assert!(Queued.can_transition_to(Fetching));
    /// assert!(Building.can_transition_to(Failed));
    /// assert!(!Failed.can_transition_to(Live));
    /// assert!(!Queued.can_transition_to(Live));
    /// // A live deployment may be "moved" to live to update its containers.
    /// assert!(Live.can_transition_to(Live));
    /// ```
    #[must_use]
    pub fn can_transition_to(self, next: DeploymentStatus) -> bool {
        use DeploymentStatus::*;
        match (self, next) {
            (Queued, Fetching | Starting | Superseded | Cancelled | Failed) => true,
            (Fetching, Building | Starting | Failed | Cancelled) => true,
            (Building, Starting | Failed | Cancelled) => true,
            (Starting, Checking | Failed | Cancelled) => true,
            (Checking, Switching | Failed | Cancelled) => true,
            (Switching, Live | Failed | Cancelled) => true,
            (Live, Replaced | RolledBack) => true,
            // Refreshing a live deployment's containers (restart, restore).
            (Live, Live) => true,
            // An automatic rollback puts the replaced deployment back.
            (Replaced, Live) => true,
            _ => false,
        }
    }

    /// Work on it is under way (between `Queued` and `Live`).
    #[must_use]
    pub fn is_in_flight(self) -> bool {
        use DeploymentStatus::*;
        matches!(self, Fetching | Building | Starting | Checking | Switching)
    }

    /// No further work will happen on it (`Replaced` may still come back live
    /// through an automatic rollback).
    #[must_use]
    pub fn is_terminal(self) -> bool {
        use DeploymentStatus::*;
        matches!(
            self,
            Replaced | RolledBack | Failed | Cancelled | Superseded
        )
    }

    /// Lowercase name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        use DeploymentStatus::*;
        match self {
            Queued => "queued",
            Fetching => "fetching",
            Building => "building",
            Starting => "starting",
            Checking => "checking",
            Switching => "switching",
            Live => "live",
            Replaced => "replaced",
            RolledBack => "rolled_back",
            Failed => "failed",
            Cancelled => "cancelled",
            Superseded => "superseded",
        }
    }
}

impl fmt::Display for DeploymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A compare-and-set change of a deployment's status, with the fields that
/// the step filled in. Fields left `None` keep their value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentUpdate {
    /// The new status.
    pub status: DeploymentStatus,
    /// Reason (for failures, cancellation, supersession, rollback).
    pub reason: Option<String>,
    /// The fetched commit.
    pub commit: Option<CommitInfo>,
    /// The built or pulled image.
    pub image: Option<ImageRef>,
    /// The containers started.
    pub containers: Option<Vec<RunningContainer>>,
}

impl DeploymentUpdate {
    /// Move to `status`, changing nothing else.
    #[must_use]
    pub fn to(status: DeploymentStatus) -> Self {
        Self {
            status,
            reason: None,
            commit: None,
            image: None,
            containers: None,
        }
    }

    /// Set the reason.
    #[must_use]
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Set the commit.
    #[must_use]
    pub fn commit(mut self, commit: CommitInfo) -> Self {
        self.commit = Some(commit);
        self
    }

    /// Set the image.
    #[must_use]
    pub fn image(mut self, image: ImageRef) -> Self {
        self.image = Some(image);
        self
    }

    /// Set the containers.
    #[must_use]
    pub fn containers(mut self, containers: Vec<RunningContainer>) -> Self {
        self.containers = Some(containers);
        self
    }
}

impl Deployment {
    /// Apply a transition the caller has already checked (see
    /// [`DeploymentStatus::can_transition_to`]), with the timestamp rules
    /// of `DeploymentRepo::transition_deployment`: leaving `Queued` sets
    /// `started_at`; reaching `Live` or a terminal status sets
    /// `finished_at` the first time (a deployment that went live keeps the
    /// instant it did so when it is later replaced). Stores call this so
    /// the rules have one definition.
    pub fn apply_update(&mut self, update: DeploymentUpdate, now: DateTime<Utc>) {
        if self.status == DeploymentStatus::Queued && update.status != DeploymentStatus::Queued {
            self.started_at.get_or_insert(now);
        }
        if update.status == DeploymentStatus::Live || update.status.is_terminal() {
            self.finished_at.get_or_insert(now);
        }
        self.status = update.status;
        if let Some(reason) = update.reason {
            self.reason = Some(reason);
        }
        if let Some(commit) = update.commit {
            self.commit = Some(commit);
        }
        if let Some(image) = update.image {
            self.image = Some(image);
        }
        if let Some(containers) = update.containers {
            self.containers = containers;
        }
    }
}

/// Which stream a log line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogStream {
    /// Standard output of a build or container.
    Stdout,
    /// Standard error of a build or container.
    Stderr,
    /// Rivetr's own account of what it is doing.
    System,
}

/// A log line not yet stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewLogLine {
    /// When it was produced.
    pub at: DateTime<Utc>,
    /// The step that produced it.
    pub step: DeploymentStatus,
    /// Which stream.
    pub stream: LogStream,
    /// The text, without trailing newline.
    pub text: String,
}

/// A stored deployment log line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// The deployment it belongs to.
    pub deployment_id: DeploymentId,
    /// Position in the deployment's log, from 1, without gaps.
    pub seq: u64,
    /// When it was produced.
    pub at: DateTime<Utc>,
    /// The step that produced it.
    pub step: DeploymentStatus,
    /// Which stream.
    pub stream: LogStream,
    /// The text.
    pub text: String,
}

/// Keyset pagination: items older than `before` (a deployment number or log
/// sequence number), at most `limit` of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// Exclusive upper bound, `None` for the newest.
    pub before: Option<u64>,
    /// Maximum number of items (at least 1).
    pub limit: u32,
}

impl Page {
    /// The newest `limit` items.
    #[must_use]
    pub fn first(limit: u32) -> Self {
        Self {
            before: None,
            limit,
        }
    }
}
