//! One worker per app: runs the app's deployments one at a time.
//!
//! A worker lives while its app has work. `kick` starts one or, if one is
//! running, tells it to look at the queue again (ending a watch window
//! early). A worker only exits under the registry lock after checking it
//! was not kicked meanwhile, so a queued deployment is never stranded.

use std::collections::BTreeSet;
use std::sync::Arc;

use tokio::sync::Notify;
use tracing::Instrument;

use super::{Inner, lock, pipeline};
use crate::access::Scope;
use crate::error::Result;
use crate::id::AppId;
use crate::model::{DeploymentStatus, Event};

/// Registry entry of a running worker.
pub(crate) struct WorkerEntry {
    /// Set by `kick`, cleared by the worker before it reads the queue.
    kicked: bool,
    /// Wakes a worker that is waiting out a watch window.
    pub(crate) wake: Arc<Notify>,
}

/// Make sure `app` has a worker that will look at its queue.
pub(crate) fn kick(inner: &Arc<Inner>, app: AppId) {
    if inner.shutdown.is_cancelled() {
        return;
    }
    let mut workers = lock(&inner.workers);
    if let Some(entry) = workers.get_mut(&app) {
        entry.kicked = true;
        entry.wake.notify_one();
        return;
    }
    let wake = Arc::new(Notify::new());
    workers.insert(
        app,
        WorkerEntry {
            kicked: true,
            wake: Arc::clone(&wake),
        },
    );
    drop(workers);
    let worker = Arc::clone(inner);
    inner.tasks.spawn(
        async move { run(worker, app, wake).await }.instrument(tracing::info_span!("worker", %app)),
    );
}

/// Start workers for every app that has queued deployments.
pub(crate) async fn resume_queued(inner: &Arc<Inner>) -> Result<()> {
    let unfinished = inner.parts.store.list_unfinished(&Scope::system()).await?;
    let apps: BTreeSet<AppId> = unfinished
        .iter()
        .filter(|d| d.status == DeploymentStatus::Queued)
        .map(|d| d.app_id)
        .collect();
    for app in apps {
        kick(inner, app);
    }
    Ok(())
}

/// First pause before re-reading the queue after a store error.
const RETRY_BASE: std::time::Duration = std::time::Duration::from_millis(100);
/// Longest pause between attempts.
const RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(30);

async fn run(inner: Arc<Inner>, app: AppId, wake: Arc<Notify>) {
    let scope = Scope::system();
    let mut failures: u32 = 0;
    loop {
        if inner.shutdown.is_cancelled() {
            break;
        }
        if let Some(entry) = lock(&inner.workers).get_mut(&app) {
            entry.kicked = false;
        }
        let taken = match inner.parts.store.take_next_queued(&scope, app).await {
            Ok(taken) => {
                failures = 0;
                taken
            }
            Err(err) => {
                // The store is having trouble: wait and try again (the
                // deployments stay queued), unless the engine stops.
                failures = failures.saturating_add(1);
                let pause = RETRY_BASE
                    .saturating_mul(1 << failures.min(6))
                    .min(RETRY_MAX);
                tracing::warn!(error = %err, ?pause, "cannot read the deployment queue; retrying");
                tokio::select! {
                    () = tokio::time::sleep(pause) => continue,
                    () = inner.shutdown.cancelled() => break,
                }
            }
        };
        let Some(taken) = taken else {
            let mut workers = lock(&inner.workers);
            if workers.get(&app).is_some_and(|e| e.kicked) {
                continue;
            }
            workers.remove(&app);
            drop(workers);
            inner.idle.notify_waiters();
            return;
        };
        for old in &taken.superseded {
            inner.emit(Event::deployment_changed(old));
        }
        pipeline::run(&inner, taken.deployment, &wake).await;
    }
    lock(&inner.workers).remove(&app);
    inner.idle.notify_waiters();
}
