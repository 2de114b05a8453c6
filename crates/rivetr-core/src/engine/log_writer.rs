//! Moves a deployment's log lines from its [`LogSink`] into the store and
//! onto the event channel, in batches.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::Inner;
use crate::access::Scope;
use crate::log_sink::LogSink;
use crate::model::{Deployment, DeploymentStatus, Event, NewLogLine};

/// Lines stored per write at most.
const BATCH: usize = 256;

/// The writer task of one deployment and the sink that feeds it.
pub(crate) struct LogWriter {
    sink: LogSink,
    task: JoinHandle<()>,
    /// How many lines the task has taken off the channel and handled.
    handled: watch::Receiver<u64>,
}

impl LogWriter {
    /// Start writing the log of `deployment`.
    pub(crate) fn spawn(inner: &Arc<Inner>, deployment: &Deployment) -> Self {
        let (sink, rx) = LogSink::channel(DeploymentStatus::Queued);
        let (handled_tx, handled) = watch::channel(0);
        let task = tokio::spawn(write_lines(
            Arc::clone(inner),
            deployment.clone(),
            rx,
            handled_tx,
        ));
        Self {
            sink,
            task,
            handled,
        }
    }

    /// Wait (at most `timeout`) until every line sent so far is stored and
    /// announced, so a status change announced next comes after them.
    pub(crate) async fn flush(&self, timeout: Duration) {
        let target = self.sink.sent();
        let mut handled = self.handled.clone();
        let caught_up = handled.wait_for(|n| *n >= target);
        if tokio::time::timeout(timeout, caught_up).await.is_err() {
            tracing::warn!("log writer is behind; a status change may overtake log lines");
        }
    }

    /// A sink labelled with `step`.
    pub(crate) fn sink(&self, step: DeploymentStatus) -> LogSink {
        self.sink.for_step(step)
    }

    /// Close the sink and wait (at most `timeout`) until every line is
    /// stored. A plug-in that kept a clone of the sink cannot hold the
    /// deployment up for longer than that.
    pub(crate) async fn finish(self, timeout: Duration) {
        let Self { sink, mut task, .. } = self;
        drop(sink);
        if tokio::time::timeout(timeout, &mut task).await.is_err() {
            tracing::warn!("log writer did not finish in time; later lines are dropped");
            task.abort();
        }
    }
}

async fn write_lines(
    inner: Arc<Inner>,
    deployment: Deployment,
    mut rx: mpsc::UnboundedReceiver<NewLogLine>,
    handled: watch::Sender<u64>,
) {
    let scope = Scope::system();
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(line) => batch.push(line),
                Err(_) => break,
            }
        }
        let lines = std::mem::take(&mut batch);
        let count = lines.len() as u64;
        match inner
            .parts
            .store
            .append_logs(&scope, deployment.id, lines)
            .await
        {
            Ok(stored) => {
                for line in stored {
                    inner.emit(Event::DeploymentLog {
                        team_id: deployment.team_id,
                        app_id: deployment.app_id,
                        line,
                    });
                }
            }
            Err(err) => tracing::warn!(error = %err, "cannot store deployment log lines"),
        }
        handled.send_modify(|n| *n += count);
    }
}
