//! The log of webhook deliveries.

use async_trait::async_trait;
use chrono::Utc;

use super::MemoryStore;
use super::platform::{check_line, line};
use crate::access::Scope;
use crate::error::{Error, Result};
use crate::id::{AppId, WebhookDeliveryId};
use crate::model::{Action, NewWebhookDelivery, WebhookDelivery};
use crate::store::WebhookDeliveryRepo;
use crate::store::contract::{KEEP_WEBHOOK_DELIVERIES, MAX_WEBHOOK_EVENT, MAX_WEBHOOK_MESSAGE};

#[async_trait]
impl WebhookDeliveryRepo for MemoryStore {
    async fn record_webhook_delivery(
        &self,
        scope: &Scope,
        new: NewWebhookDelivery,
    ) -> Result<WebhookDelivery> {
        scope.require_system("record webhook deliveries")?;
        check_line("a webhook event", &new.event, MAX_WEBHOOK_EVENT)?;
        if let Some(id) = &new.delivery_id {
            check_line("a webhook delivery id", id, MAX_WEBHOOK_EVENT)?;
        }
        line(
            "a webhook delivery message",
            &new.message,
            MAX_WEBHOOK_MESSAGE,
        )?;
        let mut state = self.state();
        let team_id = match new.app_id {
            Some(app) => match state.apps.get(&app) {
                Some(row) => Some(row.team_id),
                None => return Err(Error::not_found(format!("app {app}"))),
            },
            None => None,
        };
        let delivery = WebhookDelivery {
            id: WebhookDeliveryId::new(),
            team_id,
            app_id: new.app_id,
            provider: new.provider,
            event: new.event,
            delivery_id: new.delivery_id,
            outcome: new.outcome,
            message: new.message,
            received_at: Utc::now(),
        };
        let log = &mut state.platform.webhook_deliveries;
        log.push(delivery.clone());
        let kept = log.iter().filter(|d| d.app_id == new.app_id).count();
        if kept > KEEP_WEBHOOK_DELIVERIES {
            let mut excess = kept - KEEP_WEBHOOK_DELIVERIES;
            // Oldest first: drop the first `excess` of this app's.
            log.retain(|d| {
                if excess > 0 && d.app_id == new.app_id {
                    excess -= 1;
                    false
                } else {
                    true
                }
            });
        }
        Ok(delivery)
    }

    async fn list_webhook_deliveries(
        &self,
        scope: &Scope,
        app: Option<AppId>,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>> {
        let state = self.state();
        match app {
            Some(app) => {
                state.app(scope, app, Action::Read)?;
            }
            None => scope.require_system("read webhook deliveries no app matched")?,
        }
        if limit == 0 {
            return Err(Error::invalid_input("a page must hold at least one item"));
        }
        Ok(state
            .platform
            .webhook_deliveries
            .iter()
            .rev()
            .filter(|d| d.app_id == app)
            .take(limit as usize)
            .cloned()
            .collect())
    }
}
