//! The delivery log: what each delivery was and what came of it.
//! Deliveries are recorded by the platform (they arrive without a user);
//! a team reads those of its apps.

use axum::extract::State;
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use rivetr_core::access::Scope;
use rivetr_core::id::{AppId, WebhookDeliveryId};
use rivetr_core::model::{NewWebhookDelivery, WebhookDelivery, WebhookOutcome, WebhookProvider};
use rivetr_core::store::Store;
use rivetr_core::store::contract::{
    KEEP_WEBHOOK_DELIVERIES, MAX_WEBHOOK_EVENT, MAX_WEBHOOK_MESSAGE,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::logged_provider;
use crate::api::extract::{Path, Query};
use crate::api::{ApiError, ApiState, Caller};
use crate::webhooks::Provider;

/// Deliveries listed when the request does not say how many.
const DEFAULT_LIMIT: u32 = 50;

/// This file's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(list_deliveries))
}

/// What is known of a delivery before it is acted on: who sent it and
/// what it says it is (the event and id headers are recorded as sent,
/// cleaned of control characters, even when the signature is refused).
#[derive(Debug, Clone)]
pub(super) struct Delivery {
    provider: WebhookProvider,
    event: String,
    delivery_id: Option<String>,
}

impl Delivery {
    /// The delivery `provider` sent with `headers`.
    pub(super) fn new(provider: Provider, headers: &HeaderMap) -> Self {
        let first = |names: &[&str]| {
            names
                .iter()
                .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
                .map(|v| clean(v, MAX_WEBHOOK_EVENT))
                .filter(|v| !v.trim().is_empty())
        };
        Self {
            provider: logged_provider(provider),
            event: first(provider.event_headers()).unwrap_or_else(|| "unknown".to_owned()),
            delivery_id: first(provider.delivery_id_headers()),
        }
    }

    /// Log the delivery for `app` (or, with `None`, in the platform's log of
    /// deliveries no app matched). A failure to log is logged, not
    /// answered: what the delivery did has happened.
    pub(super) async fn record(
        &self,
        store: &dyn Store,
        app: Option<AppId>,
        outcome: WebhookOutcome,
        message: &str,
    ) {
        let new = NewWebhookDelivery {
            app_id: app,
            provider: self.provider,
            event: self.event.clone(),
            delivery_id: self.delivery_id.clone(),
            outcome,
            message: clean(message, MAX_WEBHOOK_MESSAGE),
        };
        if let Err(err) = store.record_webhook_delivery(&Scope::system(), new).await {
            tracing::error!(error = %err, app = ?app, "recording a webhook delivery failed");
        }
    }
}

/// `s` with control characters as spaces, at most `max` characters.
fn clean(s: &str, max: usize) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect()
}

/// How many deliveries to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct DeliveriesQuery {
    /// At most this many: 1 to 100, 50 when left out.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// One webhook delivery and what came of it for this app.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct WebhookDeliveryView {
    /// Identity.
    #[schema(value_type = String, format = Uuid)]
    id: WebhookDeliveryId,
    /// Who sent it: `github`, `gitlab`, `gitea` or `bitbucket`.
    provider: String,
    /// The event as the provider named it (`push`, `Push Hook`, `repo:push`…).
    event: String,
    /// The provider's id of the delivery, to find it in its "recent
    /// deliveries" page.
    delivery_id: Option<String>,
    /// `deployed`, `ignored`, `refused` or `failed`.
    outcome: String,
    /// Why, in a line (which deployment was queued, why nothing was).
    message: String,
    /// When it arrived.
    received_at: DateTime<Utc>,
}

impl From<WebhookDelivery> for WebhookDeliveryView {
    fn from(d: WebhookDelivery) -> Self {
        Self {
            id: d.id,
            provider: d.provider.as_str().to_owned(),
            event: d.event,
            delivery_id: d.delivery_id,
            outcome: d.outcome.as_str().to_owned(),
            message: d.message,
            received_at: d.received_at,
        }
    }
}

/// An app's deliveries.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct WebhookDeliveryList {
    /// Newest first; the newest 100 are kept.
    items: Vec<WebhookDeliveryView>,
}

/// The webhook deliveries that concerned an app (its repository was
/// pushed to, or a pull request was made in it), newest first, with what
/// came of each. Deliveries refused before their body could be trusted
/// (a bad signature) name no app and are not listed here.
#[utoipa::path(
    get, path = "/api/v1/apps/{app}/webhook-deliveries", tag = "webhooks",
    params(("app" = String, Path, description = "app id (UUID)"), DeliveriesQuery),
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 200, description = "the app's deliveries", body = WebhookDeliveryList),
        (status = 401, description = "not signed in"),
        (status = 404, description = "no such app in this team"),
        (status = 422, description = "limit out of range"),
    )
)]
async fn list_deliveries(
    State(state): State<ApiState>,
    caller: Caller,
    Path(app): Path<AppId>,
    Query(query): Query<DeliveriesQuery>,
) -> Result<axum::Json<WebhookDeliveryList>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let max = u32::try_from(KEEP_WEBHOOK_DELIVERIES).unwrap_or(u32::MAX);
    if !(1..=max).contains(&limit) {
        return Err(rivetr_core::Error::invalid_input(format!(
            "limit must be between 1 and {max}"
        ))
        .into());
    }
    let items = state
        .store()
        .list_webhook_deliveries(&caller.scope, Some(app), limit)
        .await?
        .into_iter()
        .map(WebhookDeliveryView::from)
        .collect();
    Ok(axum::Json(WebhookDeliveryList { items }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning_drops_control_characters_and_bounds_length() {
        assert_eq!(clean("push\r\nX-Evil: 1", 200), "push  X-Evil: 1");
        assert_eq!(clean("ééé", 2), "éé");
    }
}
