//! The [`Notifier`] conformance suite.

use crate::id::{AppId, DeploymentId, TeamId};
use crate::model::{Notification, NotificationLevel};
use crate::notifier::Notifier;

/// Run the notifier suite against `notifier`: its name is not empty, and a
/// notification of each level is delivered (`Ok`).
///
/// The notifier must be able to deliver (a test server, a recording
/// notifier): every notification must succeed.
///
/// # Panics
///
/// With a message naming the broken contract.
pub async fn conformance(notifier: &dyn Notifier) {
    assert!(
        !notifier.name().is_empty(),
        "notifier contract: name() must not be empty"
    );
    let team_id = TeamId::new();
    let levels = [
        (NotificationLevel::Success, "web is live"),
        (NotificationLevel::Info, "web: deployment queued"),
        (NotificationLevel::Failure, "web: deployment failed"),
    ];
    for (level, title) in levels {
        let notification = Notification {
            team_id,
            app_id: Some(AppId::new()),
            deployment_id: Some(DeploymentId::new()),
            level,
            title: format!("Rivetr conformance: {title}"),
            body: "Sent by rivetr_core::testkit::notifier::conformance.\nLine two.".to_owned(),
        };
        if let Err(e) = notifier.notify(&notification).await {
            panic!("notifier contract: notify must deliver a {level:?} notification: {e}");
        }
    }
}
