//! `WebhookDeliveryRepo` on SQL. A delivery's app is a foreign key, so
//! deleting an app (or its team) deletes its deliveries; `team_id` is kept
//! beside it for scoping. Recording trims the app's log to its newest
//! `KEEP_WEBHOOK_DELIVERIES` in the same transaction.

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, Result};
use rivetr_core::id::{AppId, TeamId, WebhookDeliveryId};
use rivetr_core::model::{Action, NewWebhookDelivery, WebhookDelivery};
use rivetr_core::store::WebhookDeliveryRepo;
use rivetr_core::store::contract::{
    self, KEEP_WEBHOOK_DELIVERIES, MAX_WEBHOOK_EVENT, MAX_WEBHOOK_MESSAGE,
};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set,
    TransactionTrait,
};

use super::app::app_team;
use super::authorize;
use crate::SqlStore;
use crate::codec::{self, enum_text, parse_enum, uuid_of};
use crate::entity::{apps, webhook_deliveries as deliveries};
use crate::error::DbContext;

fn delivery_of(row: deliveries::Model) -> Result<WebhookDelivery> {
    Ok(WebhookDelivery {
        id: WebhookDeliveryId::from_uuid(row.id),
        team_id: row.team_id.map(TeamId::from_uuid),
        app_id: row.app_id.map(AppId::from_uuid),
        provider: parse_enum(&row.provider, "webhook provider")?,
        event: row.event,
        delivery_id: row.delivery_id,
        outcome: parse_enum(&row.outcome, "webhook outcome")?,
        message: row.message,
        received_at: row.received_at,
    })
}

/// The deliveries of `app` (or those no app matched), newest first.
fn of_app(app: Option<AppId>) -> Select<deliveries::Entity> {
    let query = deliveries::Entity::find();
    match app {
        Some(app) => query.filter(deliveries::Column::AppId.eq(uuid_of(app))),
        None => query.filter(deliveries::Column::AppId.is_null()),
    }
    .order_by_desc(deliveries::Column::ReceivedAt)
    .order_by_desc(deliveries::Column::Id)
}

/// Delete what is older than the app's newest `KEEP_WEBHOOK_DELIVERIES`.
async fn trim(db: &impl ConnectionTrait, app: Option<AppId>) -> Result<()> {
    const DOING: &str = "trimming the webhook delivery log";
    let keep = u64::try_from(KEEP_WEBHOOK_DELIVERIES).unwrap_or(u64::MAX);
    let Some(newest_dropped) = of_app(app).offset(keep).one(db).await.during(DOING)? else {
        return Ok(());
    };
    let at = newest_dropped.received_at;
    let same_app = match app {
        Some(app) => deliveries::Column::AppId.eq(uuid_of(app)),
        None => deliveries::Column::AppId.is_null(),
    };
    deliveries::Entity::delete_many()
        .filter(same_app)
        .filter(
            Condition::any()
                .add(deliveries::Column::ReceivedAt.lt(at))
                .add(
                    Condition::all()
                        .add(deliveries::Column::ReceivedAt.eq(at))
                        .add(deliveries::Column::Id.lte(newest_dropped.id)),
                ),
        )
        .exec(db)
        .await
        .during(DOING)?;
    Ok(())
}

#[async_trait]
impl WebhookDeliveryRepo for SqlStore {
    async fn record_webhook_delivery(
        &self,
        scope: &Scope,
        new: NewWebhookDelivery,
    ) -> Result<WebhookDelivery> {
        const DOING: &str = "recording a webhook delivery";
        scope.require_system("record webhook deliveries")?;
        contract::line("a webhook event", &new.event, MAX_WEBHOOK_EVENT)?;
        if let Some(id) = &new.delivery_id {
            contract::line("a webhook delivery id", id, MAX_WEBHOOK_EVENT)?;
        }
        contract::optional_line(
            "a webhook delivery message",
            &new.message,
            MAX_WEBHOOK_MESSAGE,
        )?;
        let txn = self.db().write.begin().await.during(DOING)?;
        let team_id = match new.app_id {
            Some(app) => match apps::Entity::find_by_id(uuid_of(app))
                .one(&txn)
                .await
                .during(DOING)?
            {
                Some(row) => Some(app_team(&row)),
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
            received_at: codec::now(),
        };
        // The app's foreign key refuses an app deleted meanwhile.
        deliveries::Entity::insert(deliveries::ActiveModel {
            id: Set(*delivery.id.as_uuid()),
            team_id: Set(delivery.team_id.map(uuid_of)),
            app_id: Set(delivery.app_id.map(uuid_of)),
            provider: Set(enum_text(&delivery.provider)?),
            event: Set(delivery.event.clone()),
            delivery_id: Set(delivery.delivery_id.clone()),
            outcome: Set(enum_text(&delivery.outcome)?),
            message: Set(delivery.message.clone()),
            received_at: Set(delivery.received_at),
        })
        .exec_without_returning(&txn)
        .await
        .during(DOING)?;
        trim(&txn, delivery.app_id).await?;
        txn.commit().await.during(DOING)?;
        Ok(delivery)
    }

    async fn list_webhook_deliveries(
        &self,
        scope: &Scope,
        app: Option<AppId>,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>> {
        const DOING: &str = "listing webhook deliveries";
        let db = &self.db().read;
        match app {
            Some(app) => {
                let row = apps::Entity::find_by_id(uuid_of(app))
                    .one(db)
                    .await
                    .during(DOING)?;
                authorize(scope, row, app_team, Action::Read, || format!("app {app}"))?;
            }
            None => scope.require_system("read webhook deliveries no app matched")?,
        }
        if limit == 0 {
            return Err(Error::invalid_input("a page must hold at least one item"));
        }
        of_app(app)
            .limit(u64::from(limit))
            .all(db)
            .await
            .during(DOING)?
            .into_iter()
            .map(delivery_of)
            .collect()
    }
}
