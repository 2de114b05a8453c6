//! Following a deployment's log: the stored lines after a cursor, then new
//! ones as the engine announces them, until the deployment goes live or
//! ends. Shared by the SSE and WebSocket endpoints.
//!
//! The engine's events are subscribed to *before* the store is read, so no
//! line falls between the two; a line already read is skipped by its
//! sequence number, and a gap (a lagging subscriber) is filled from the
//! store. Nothing polls: every wake-up is an engine event.

use futures::Stream;
use rivetr_core::access::Scope;
use rivetr_core::id::DeploymentId;
use rivetr_core::model::{Deployment, DeploymentStatus, Event};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use super::views::{DeploymentLogLine, DeploymentStatusEvent};
use crate::api::ApiState;

/// Lines read from the store per query while catching up.
const CATCH_UP_BATCH: u32 = 500;
/// Items buffered for a slow client before the follower waits for it.
const BUFFER: usize = 256;

/// One item of a followed deployment log.
#[derive(Debug, Clone)]
pub(super) enum FollowItem {
    /// A log line.
    Line(DeploymentLogLine),
    /// The deployment's status (first the current one, then each change).
    Status(DeploymentStatusEvent),
    /// The deployment is live or finished: the stream ends after this.
    End(DeploymentStatusEvent),
}

/// Whether following stops at `status`: live, or nothing more will happen.
pub(super) fn is_final(status: DeploymentStatus) -> bool {
    status == DeploymentStatus::Live || status.is_terminal()
}

/// Follow `deployment` (already read with `scope`, so visible to the
/// caller) from the line after `after`. The stream ends after
/// [`FollowItem::End`], or when the engine stops; dropping it stops the
/// follower.
pub(super) fn follow(
    state: ApiState,
    scope: Scope,
    deployment: &Deployment,
    after: u64,
) -> impl Stream<Item = FollowItem> + Send + 'static {
    let (tx, rx) = mpsc::channel(BUFFER);
    let id = deployment.id;
    // Subscribe now, before anything is read from the store.
    let events = state.engine().subscribe();
    tokio::spawn(async move {
        let mut follower = Follower {
            state,
            scope,
            id,
            cursor: after,
            tx,
        };
        if let Err(err) = follower.run(events).await {
            tracing::debug!(deployment = %id, error = %err, "log follower ended");
        }
    });
    futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}

/// Why a follower stopped early.
#[derive(Debug, thiserror::Error)]
enum Stop {
    /// The client went away.
    #[error("the client went away")]
    Gone,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] rivetr_core::Error),
}

struct Follower {
    state: ApiState,
    scope: Scope,
    id: DeploymentId,
    cursor: u64,
    tx: mpsc::Sender<FollowItem>,
}

impl Follower {
    async fn run(
        &mut self,
        mut events: tokio::sync::broadcast::Receiver<Event>,
    ) -> Result<(), Stop> {
        let current = self
            .state
            .store()
            .get_deployment(&self.scope, self.id)
            .await?;
        self.catch_up().await?;
        if self.announce(current.status, current.reason).await? {
            return Ok(());
        }
        loop {
            let event = tokio::select! {
                event = events.recv() => event,
                () = self.tx.closed() => return Err(Stop::Gone),
            };
            match event {
                Ok(Event::DeploymentLog { line, .. }) if line.deployment_id == self.id => {
                    if line.seq == self.cursor + 1 {
                        self.cursor = line.seq;
                        self.send(FollowItem::Line(line.into())).await?;
                    } else if line.seq > self.cursor {
                        self.catch_up().await?;
                    }
                }
                Ok(Event::DeploymentChanged {
                    deployment_id,
                    status,
                    reason,
                    ..
                }) if deployment_id == self.id => {
                    self.catch_up().await?;
                    if self.announce(status, reason).await? {
                        return Ok(());
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => {
                    self.catch_up().await?;
                    let now = self
                        .state
                        .store()
                        .get_deployment(&self.scope, self.id)
                        .await?;
                    if self.announce(now.status, now.reason).await? {
                        return Ok(());
                    }
                }
                Err(RecvError::Closed) => return Ok(()),
            }
        }
    }

    /// Send the status; at a final one also the end. True when ended.
    async fn announce(
        &mut self,
        status: DeploymentStatus,
        reason: Option<String>,
    ) -> Result<bool, Stop> {
        let event = DeploymentStatusEvent::new(status, reason);
        self.send(FollowItem::Status(event.clone())).await?;
        if is_final(status) {
            self.send(FollowItem::End(event)).await?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Send every stored line after the cursor.
    async fn catch_up(&mut self) -> Result<(), Stop> {
        loop {
            let lines = self
                .state
                .store()
                .read_logs(&self.scope, self.id, self.cursor, CATCH_UP_BATCH)
                .await?;
            let done = lines.len() < CATCH_UP_BATCH as usize;
            for line in lines {
                self.cursor = self.cursor.max(line.seq);
                self.send(FollowItem::Line(line.into())).await?;
            }
            if done {
                return Ok(());
            }
        }
    }

    async fn send(&self, item: FollowItem) -> Result<(), Stop> {
        self.tx.send(item).await.map_err(|_| Stop::Gone)
    }
}
