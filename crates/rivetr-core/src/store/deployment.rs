//! Deployments (the engine's durable queue) and their logs.

use async_trait::async_trait;

use crate::access::Scope;
use crate::error::Result;
use crate::id::{AppId, DeploymentId};
use crate::model::{
    Deployment, DeploymentStatus, DeploymentUpdate, LogLine, NewDeployment, NewLogLine, Page,
};

/// What [`DeploymentRepo::take_next_queued`] hands the worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TakenDeployment {
    /// The newest queued deployment, to run now (still `Queued`).
    pub deployment: Deployment,
    /// Older queued deployments of the app, now `Superseded`.
    pub superseded: Vec<Deployment>,
}

/// Deployments: a queue of rows, each moving through the status machine.
#[async_trait]
pub trait DeploymentRepo {
    /// Persist a new deployment as `Queued` with the app's next number.
    ///
    /// # Behavior
    /// - Needs `Deploy` on the app. Unknown app: `NotFound`.
    /// - Numbers are per app, start at 1 and never repeat.
    async fn enqueue_deployment(&self, scope: &Scope, new: NewDeployment) -> Result<Deployment>;

    /// One deployment. Unknown or invisible: `NotFound`.
    async fn get_deployment(&self, scope: &Scope, id: DeploymentId) -> Result<Deployment>;

    /// An app's deployments, newest first, paged by number.
    async fn list_deployments(
        &self,
        scope: &Scope,
        app: AppId,
        page: Page,
    ) -> Result<Vec<Deployment>>;

    /// Compare-and-set a deployment's status.
    ///
    /// # Behavior
    /// - Needs `Deploy`.
    /// - Current status is not `from`, or the status machine forbids
    ///   `from → update.status`: `Conflict`, nothing changes.
    /// - Leaving `Queued` sets `started_at`; reaching `Live` or a terminal
    ///   status sets `finished_at` (a `Live → Live` update, which refreshes
    ///   the containers, keeps it).
    /// - At most one deployment per app is `Live`: when another deployment
    ///   of the app reaches `Live`, a deployment that was live becomes
    ///   `Replaced` in the same atomic write (reason "replaced by deployment
    ///   #n").
    async fn transition_deployment(
        &self,
        scope: &Scope,
        id: DeploymentId,
        from: DeploymentStatus,
        update: DeploymentUpdate,
    ) -> Result<Deployment>;

    /// Take the newest `Queued` deployment of `app` for running, marking
    /// the older queued ones `Superseded`, atomically.
    ///
    /// # Behavior
    /// - Needs `Deploy`. `Ok(None)` when nothing is queued.
    async fn take_next_queued(&self, scope: &Scope, app: AppId) -> Result<Option<TakenDeployment>>;

    /// Deployments that are `Queued` or in flight, across visible apps,
    /// oldest first (what the reconciler and workers resume from).
    async fn list_unfinished(&self, scope: &Scope) -> Result<Vec<Deployment>>;

    /// The app's `Live` deployment, if any.
    async fn live_deployment(&self, scope: &Scope, app: AppId) -> Result<Option<Deployment>>;
}

/// Deployment log lines.
#[async_trait]
pub trait LogRepo {
    /// Append lines to a deployment's log, numbering them.
    ///
    /// # Behavior
    /// - Needs `Deploy`. Sequence numbers continue without gaps from the
    ///   last stored line. Returns the stored lines.
    async fn append_logs(
        &self,
        scope: &Scope,
        deployment: DeploymentId,
        lines: Vec<NewLogLine>,
    ) -> Result<Vec<LogLine>>;

    /// Lines with `seq > after`, oldest first, at most `limit`.
    async fn read_logs(
        &self,
        scope: &Scope,
        deployment: DeploymentId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<LogLine>>;
}
