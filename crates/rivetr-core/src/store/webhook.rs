//! The log of webhook deliveries.

use async_trait::async_trait;

use crate::access::Scope;
use crate::error::Result;
use crate::id::AppId;
use crate::model::{NewWebhookDelivery, WebhookDelivery};

/// Every webhook delivery the server received and what came of it, so a
/// team can see why a push did (or did not) deploy. Webhooks arrive
/// anonymously (a signature proves them), so deliveries are recorded by
/// the platform; a team reads those of its apps. Deliveries no app matched
/// are the platform's only. Each app keeps its newest
/// [`KEEP_WEBHOOK_DELIVERIES`](super::contract::KEEP_WEBHOOK_DELIVERIES)
/// (as do the unmatched ones); deleting an app deletes its deliveries.
#[async_trait]
pub trait WebhookDeliveryRepo {
    /// Log a delivery; returns it as stored, with its app's team and the
    /// time it was recorded.
    ///
    /// # Behavior
    /// - System scope only. An unknown `app_id`: `NotFound`.
    /// - An `event` that is empty, or an `event` or `delivery_id` longer
    ///   than 200 characters, an empty `delivery_id`, or a `message` longer
    ///   than 1000 characters; any of them holding control characters:
    ///   `InvalidInput`.
    /// - When the app (or the unmatched log) then holds more than
    ///   `KEEP_WEBHOOK_DELIVERIES`, its oldest are deleted in the same
    ///   step.
    async fn record_webhook_delivery(
        &self,
        scope: &Scope,
        new: NewWebhookDelivery,
    ) -> Result<WebhookDelivery>;

    /// Deliveries for `app` (or, with `None`, those no app matched), newest
    /// first, at most `limit`.
    ///
    /// # Behavior
    /// - An app needs `Read` in its team; unknown or invisible: `NotFound`.
    ///   Unmatched deliveries: system scope only (`PermissionDenied`).
    /// - `limit` of 0: `InvalidInput`.
    async fn list_webhook_deliveries(
        &self,
        scope: &Scope,
        app: Option<AppId>,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>>;
}
