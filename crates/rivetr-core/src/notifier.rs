//! The [`Notifier`] trait: tell people about events.
//!
//! # Implementing it
//!
//! Deliver each [`Notification`] once (retry transient failures inside
//! `notify` if you like; the engine does not), and run
//! `rivetr_core::testkit::notifier::conformance(&notifier)`.

use std::fmt;

use async_trait::async_trait;

use crate::error::Result;
use crate::model::Notification;

/// Sends notifications (Slack, Discord, a webhook, email, ...).
#[async_trait]
pub trait Notifier: fmt::Debug + Send + Sync + 'static {
    /// A short name for logs.
    fn name(&self) -> &str;

    /// Deliver `notification`.
    ///
    /// # Behavior
    /// - Never called concurrently for one notification; may be called
    ///   concurrently for different ones.
    /// - A failure is reported to the caller and logged by the engine; it
    ///   never fails a deployment. Transient failures are `Unavailable`.
    async fn notify(&self, notification: &Notification) -> Result<()>;
}
