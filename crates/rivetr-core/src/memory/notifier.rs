//! [`MemoryNotifier`]: a [`Notifier`] that records what it is asked to send.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;

use super::faults::Faults;
use crate::error::Result;
use crate::model::Notification;
use crate::notifier::Notifier;

/// The operations of [`MemoryNotifier`] that can be scripted through
/// [`MemoryNotifier::faults`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotifierOp {
    /// [`Notifier::notify`].
    Notify,
}

/// A [`Notifier`] that keeps every notification it delivers, in order.
/// Cheap to clone: clones share state.
#[derive(Clone, Debug)]
pub struct MemoryNotifier {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    faults: Faults<NotifierOp>,
    sent: watch::Sender<Vec<Notification>>,
}

impl Default for MemoryNotifier {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryNotifier {
    /// A notifier that has sent nothing yet.
    #[must_use]
    pub fn new() -> Self {
        let (sent, _) = watch::channel(Vec::new());
        Self {
            inner: Arc::new(Inner {
                faults: Faults::default(),
                sent,
            }),
        }
    }

    /// The failures and stalls scripted for this notifier.
    #[must_use]
    pub fn faults(&self) -> &Faults<NotifierOp> {
        &self.inner.faults
    }

    /// Every notification delivered so far, oldest first (failed ones are
    /// not recorded).
    #[must_use]
    pub fn sent(&self) -> Vec<Notification> {
        self.inner.sent.borrow().clone()
    }

    /// Wait until at least `n` notifications have been delivered, and
    /// return them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Notification> {
        let mut sent = self.inner.sent.subscribe();
        // The sender lives in `self`: waiting can only end by success.
        match sent.wait_for(|sent| sent.len() >= n).await {
            Ok(sent) => sent.clone(),
            Err(_) => self.sent(),
        }
    }
}

#[async_trait]
impl Notifier for MemoryNotifier {
    fn name(&self) -> &str {
        "memory"
    }

    async fn notify(&self, notification: &Notification) -> Result<()> {
        self.inner.faults.enter(NotifierOp::Notify).await?;
        (self.inner.sent).send_modify(|sent| sent.push(notification.clone()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::id::TeamId;
    use crate::model::NotificationLevel;

    fn note(title: &str) -> Notification {
        Notification {
            team_id: TeamId::new(),
            app_id: None,
            deployment_id: None,
            level: NotificationLevel::Info,
            title: title.to_owned(),
            body: String::new(),
        }
    }

    #[tokio::test]
    async fn records_in_order_and_wait_for_wakes() {
        let notifier = MemoryNotifier::new();
        let waiter = notifier.clone();
        let waiting = tokio::spawn(async move { waiter.wait_for(2).await });
        notifier.notify(&note("one")).await.unwrap();
        notifier.notify(&note("two")).await.unwrap();
        let sent = waiting.await.unwrap();
        let titles: Vec<&str> = sent.iter().map(|n| n.title.as_str()).collect();
        assert_eq!(titles, ["one", "two"]);
        assert_eq!(notifier.sent(), sent);
    }

    #[tokio::test]
    async fn scripted_fail_and_stall() {
        let notifier = MemoryNotifier::new();
        let faults = notifier.faults();
        faults.fail_next(NotifierOp::Notify, Error::unavailable("smtp down"));
        let err = notifier.notify(&note("lost")).await.unwrap_err();
        assert!(err.is_retryable());
        assert!(
            notifier.sent().is_empty(),
            "a failed notification is not recorded"
        );
        let stall = faults.stall(NotifierOp::Notify);
        let release = async {
            stall.reached().await;
            assert!(notifier.sent().is_empty());
            stall.release();
        };
        let late = note("late");
        let (sent, ()) = tokio::join!(notifier.notify(&late), release);
        sent.unwrap();
        assert_eq!(notifier.wait_for(1).await.len(), 1);
    }
}
