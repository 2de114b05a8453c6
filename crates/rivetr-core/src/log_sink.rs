//! [`LogSink`]: how plug-ins report progress lines during a deployment step.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Utc;
use tokio::sync::mpsc;

use crate::model::{DeploymentStatus, LogStream, NewLogLine};

/// Where a source fetcher or builder writes its output while it works.
///
/// The engine reads the other end, stores each line and sends it to live
/// subscribers. Sending never blocks and never fails the step: when nobody
/// listens any more the line is dropped.
///
/// ```
/// use rivetr_core::log_sink::LogSink;
/// use rivetr_core::model::DeploymentStatus;
///
/// let (sink, mut rx) = LogSink::channel(DeploymentStatus::Building);
/// sink.info("Step 1/3 : FROM scratch");
/// assert_eq!(rx.try_recv().unwrap().text, "Step 1/3 : FROM scratch");
/// ```
#[derive(Clone, Debug)]
pub struct LogSink {
    step: DeploymentStatus,
    tx: mpsc::UnboundedSender<NewLogLine>,
    /// Lines sent through this channel so far (shared by every clone), so
    /// the reader can tell when it has caught up.
    sent: Arc<AtomicU64>,
}

impl LogSink {
    /// A sink for `step` and the receiver of its lines.
    #[must_use]
    pub fn channel(step: DeploymentStatus) -> (Self, mpsc::UnboundedReceiver<NewLogLine>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let sent = Arc::new(AtomicU64::new(0));
        (Self { step, tx, sent }, rx)
    }

    /// A sink that drops everything (for callers outside a deployment).
    #[must_use]
    pub fn discard() -> Self {
        let (sink, _rx) = Self::channel(DeploymentStatus::Queued);
        sink
    }

    /// The same channel, labelled with another step.
    #[must_use]
    pub fn for_step(&self, step: DeploymentStatus) -> Self {
        Self {
            step,
            tx: self.tx.clone(),
            sent: Arc::clone(&self.sent),
        }
    }

    /// Write one line (a trailing newline is removed; embedded newlines
    /// split it into several lines).
    pub fn line(&self, stream: LogStream, text: &str) {
        let text = text.strip_suffix('\n').unwrap_or(text);
        for part in text.split('\n') {
            let part = part.strip_suffix('\r').unwrap_or(part);
            let line = NewLogLine {
                at: Utc::now(),
                step: self.step,
                stream,
                text: part.to_owned(),
            };
            if self.tx.send(line).is_ok() {
                self.sent.fetch_add(1, Ordering::AcqRel);
            }
        }
    }

    /// How many lines have been sent through this sink's channel (by any
    /// clone). A reader that has received this many has caught up.
    #[must_use]
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Acquire)
    }

    /// A line from Rivetr itself.
    pub fn info(&self, text: &str) {
        self.line(LogStream::System, text);
    }

    /// A line of a tool's standard output.
    pub fn stdout(&self, text: &str) {
        self.line(LogStream::Stdout, text);
    }

    /// A line of a tool's standard error.
    pub fn stderr(&self, text: &str) {
        self.line(LogStream::Stderr, text);
    }
}
