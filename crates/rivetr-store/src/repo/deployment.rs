//! `DeploymentRepo` on SQL: the engine's durable queue.
//!
//! Numbers come from `apps.last_deployment_number`, incremented in the
//! transaction that inserts the deployment (the `UPDATE` locks the app's row
//! on PostgreSQL; SQLite has one writer), so concurrent enqueues get
//! distinct, gap-free numbers. Status changes are compare-and-set
//! (`UPDATE .. WHERE id = ? AND status = ?`), and rows a write depends on
//! are read `FOR UPDATE` inside its transaction (PostgreSQL; SQLite ignores
//! the clause and needs nothing more).

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, Result};
use rivetr_core::id::{AppId, DeploymentId, TeamId, UserId};
use rivetr_core::model::{
    Action, Deployment, DeploymentStatus, DeploymentUpdate, NewDeployment, Page, Trigger,
};
use rivetr_core::store::{DeploymentRepo, TakenDeployment};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use super::{authorize, team_filter};
use crate::SqlStore;
use crate::codec::{self, uuid_of};
use crate::entity::{apps, deployments};
use crate::error::DbContext;

/// A status as stored (its serde name, which `as_str` spells the same).
fn status_text(status: DeploymentStatus) -> &'static str {
    status.as_str()
}

/// A row as the core model.
fn to_model(row: deployments::Model) -> Result<Deployment> {
    Ok(Deployment {
        id: DeploymentId::from_uuid(row.id),
        app_id: AppId::from_uuid(row.app_id),
        team_id: TeamId::from_uuid(row.team_id),
        number: codec::to_u64(row.number, "deployment number")?,
        trigger: codec::parse_json(&row.trigger, "deployment trigger")?,
        requested_by: row.requested_by.map(UserId::from_uuid),
        status: codec::parse_enum(&row.status, "deployment status")?,
        reason: row.reason,
        commit: row
            .commit_info
            .as_deref()
            .map(|text| codec::parse_json(text, "deployment commit"))
            .transpose()?,
        image: row
            .image
            .as_deref()
            .map(|text| codec::parse_text(text, "deployment image"))
            .transpose()?,
        containers: codec::parse_json(&row.containers, "deployment containers")?,
        created_at: row.created_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
    })
}

/// The columns a transition may change, set from `deployment`.
fn changes(deployment: &Deployment) -> Result<deployments::ActiveModel> {
    Ok(deployments::ActiveModel {
        status: Set(status_text(deployment.status).to_owned()),
        reason: Set(deployment.reason.clone()),
        commit_info: Set(deployment
            .commit
            .as_ref()
            .map(codec::json_text)
            .transpose()?),
        image: Set(deployment.image.as_ref().map(|i| i.as_str().to_owned())),
        containers: Set(codec::json_text(&deployment.containers)?),
        started_at: Set(deployment.started_at),
        finished_at: Set(deployment.finished_at),
        ..Default::default()
    })
}

/// Store `deployment`'s changed columns if its stored status is still
/// `from`; whether it was.
async fn compare_and_set<C: ConnectionTrait>(
    conn: &C,
    deployment: &Deployment,
    from: DeploymentStatus,
) -> Result<bool> {
    let done = deployments::Entity::update_many()
        .set(changes(deployment)?)
        .filter(deployments::Column::Id.eq(uuid_of(deployment.id)))
        .filter(deployments::Column::Status.eq(status_text(from)))
        .exec(conn)
        .await
        .during("updating a deployment")?;
    Ok(done.rows_affected == 1)
}

/// The team of `app` if `scope` may do `action` to it; a missing or
/// invisible app is `NotFound`.
async fn app_team<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    app: AppId,
    action: Action,
) -> Result<Uuid> {
    let team = apps::Entity::find_by_id(uuid_of(app))
        .select_only()
        .column(apps::Column::TeamId)
        .into_tuple::<Uuid>()
        .one(conn)
        .await
        .during("reading an app")?;
    authorize(
        scope,
        team,
        |team| TeamId::from_uuid(*team),
        action,
        || format!("app {app}"),
    )
}

/// A deployment's row if `scope` may do `action` to it; a missing or
/// invisible one is `NotFound`. `for_update` locks the row until the
/// transaction `conn` ends (PostgreSQL).
pub(super) async fn deployment_row<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    id: DeploymentId,
    action: Action,
    for_update: bool,
) -> Result<deployments::Model> {
    let mut query = deployments::Entity::find_by_id(uuid_of(id));
    if for_update {
        query = query.lock_exclusive();
    }
    let row = query.one(conn).await.during("reading a deployment")?;
    authorize(
        scope,
        row,
        |d| TeamId::from_uuid(d.team_id),
        action,
        || format!("deployment {id}"),
    )
}

#[async_trait]
impl DeploymentRepo for SqlStore {
    async fn enqueue_deployment(&self, scope: &Scope, new: NewDeployment) -> Result<Deployment> {
        let txn = self
            .db()
            .write
            .begin()
            .await
            .during("starting a transaction")?;
        let team = app_team(&txn, scope, new.app_id, Action::Deploy).await?;
        if let Trigger::Rollback { of } = &new.trigger {
            let target = deployments::Entity::find_by_id(uuid_of(*of))
                .select_only()
                .column(deployments::Column::AppId)
                .into_tuple::<Uuid>()
                .one(&txn)
                .await
                .during("reading the deployment to roll back to")?;
            if target != Some(uuid_of(new.app_id)) {
                return Err(Error::invalid_input(format!(
                    "deployment {of} is not a deployment of this app, so it cannot be rolled back to"
                )));
            }
        }
        // Locks the app's row (PostgreSQL) until the insert commits, so the
        // number read back is this transaction's alone.
        let counted = apps::Entity::update_many()
            .col_expr(
                apps::Column::LastDeploymentNumber,
                Expr::col(apps::Column::LastDeploymentNumber).add(1),
            )
            .filter(apps::Column::Id.eq(uuid_of(new.app_id)))
            .exec(&txn)
            .await
            .during("numbering a deployment")?;
        if counted.rows_affected != 1 {
            return Err(Error::not_found(format!("app {}", new.app_id)));
        }
        let number = apps::Entity::find_by_id(uuid_of(new.app_id))
            .select_only()
            .column(apps::Column::LastDeploymentNumber)
            .into_tuple::<i64>()
            .one(&txn)
            .await
            .during("numbering a deployment")?
            .ok_or_else(|| Error::not_found(format!("app {}", new.app_id)))?;
        let deployment = Deployment {
            id: DeploymentId::new(),
            app_id: new.app_id,
            team_id: TeamId::from_uuid(team),
            number: codec::to_u64(number, "deployment number")?,
            trigger: new.trigger,
            requested_by: new.requested_by,
            status: DeploymentStatus::Queued,
            reason: None,
            commit: None,
            image: new.image,
            containers: Vec::new(),
            created_at: codec::now(),
            started_at: None,
            finished_at: None,
        };
        let mut row = changes(&deployment)?;
        row.id = Set(uuid_of(deployment.id));
        row.app_id = Set(uuid_of(deployment.app_id));
        row.team_id = Set(team);
        row.number = Set(number);
        row.trigger = Set(codec::json_text(&deployment.trigger)?);
        row.requested_by = Set(deployment.requested_by.map(uuid_of));
        row.log_lines = Set(0);
        row.log_bytes = Set(0);
        row.created_at = Set(deployment.created_at);
        deployments::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .during("storing a deployment")?;
        txn.commit().await.during("storing a deployment")?;
        Ok(deployment)
    }

    async fn get_deployment(&self, scope: &Scope, id: DeploymentId) -> Result<Deployment> {
        to_model(deployment_row(&self.db().read, scope, id, Action::Read, false).await?)
    }

    async fn list_deployments(
        &self,
        scope: &Scope,
        app: AppId,
        page: Page,
    ) -> Result<Vec<Deployment>> {
        if page.limit == 0 {
            return Err(Error::invalid_input("a page holds at least 1 item"));
        }
        let db = &self.db().read;
        app_team(db, scope, app, Action::Read).await?;
        let mut query =
            deployments::Entity::find().filter(deployments::Column::AppId.eq(uuid_of(app)));
        if let Some(before) = page.before {
            // A number past what the database holds excludes nothing.
            if let Ok(before) = i64::try_from(before) {
                query = query.filter(deployments::Column::Number.lt(before));
            }
        }
        query
            .order_by_desc(deployments::Column::Number)
            .limit(u64::from(page.limit))
            .all(db)
            .await
            .during("listing deployments")?
            .into_iter()
            .map(to_model)
            .collect()
    }

    async fn transition_deployment(
        &self,
        scope: &Scope,
        id: DeploymentId,
        from: DeploymentStatus,
        update: DeploymentUpdate,
    ) -> Result<Deployment> {
        let txn = self
            .db()
            .write
            .begin()
            .await
            .during("starting a transaction")?;
        let mut deployment =
            to_model(deployment_row(&txn, scope, id, Action::Deploy, true).await?)?;
        if deployment.status != from {
            return Err(Error::conflict(format!(
                "deployment #{} is {}, not {from}",
                deployment.number, deployment.status
            )));
        }
        if !from.can_transition_to(update.status) {
            return Err(Error::conflict(format!(
                "a deployment cannot go from {from} to {}",
                update.status
            )));
        }
        let now = codec::now();
        if update.status == DeploymentStatus::Live && from != DeploymentStatus::Live {
            // At most one live deployment per app (a partial unique index):
            // the one it replaces leaves Live first, in the same transaction.
            let reason = format!("replaced by deployment #{}", deployment.number);
            let live = deployments::Entity::find()
                .filter(deployments::Column::AppId.eq(uuid_of(deployment.app_id)))
                .filter(deployments::Column::Status.eq(status_text(DeploymentStatus::Live)))
                .filter(deployments::Column::Id.ne(uuid_of(id)))
                .lock_exclusive()
                .all(&txn)
                .await
                .during("reading the live deployment")?;
            for row in live {
                let mut previous = to_model(row)?;
                let replaced =
                    DeploymentUpdate::to(DeploymentStatus::Replaced).reason(reason.clone());
                previous.apply_update(replaced, now);
                compare_and_set(&txn, &previous, DeploymentStatus::Live).await?;
            }
        }
        deployment.apply_update(update, now);
        if !compare_and_set(&txn, &deployment, from).await? {
            return Err(Error::conflict(format!(
                "deployment #{} changed while it was being moved from {from}",
                deployment.number
            )));
        }
        txn.commit().await.during("updating a deployment")?;
        Ok(deployment)
    }

    async fn take_next_queued(&self, scope: &Scope, app: AppId) -> Result<Option<TakenDeployment>> {
        let txn = self
            .db()
            .write
            .begin()
            .await
            .during("starting a transaction")?;
        app_team(&txn, scope, app, Action::Deploy).await?;
        let mut queued = deployments::Entity::find()
            .filter(deployments::Column::AppId.eq(uuid_of(app)))
            .filter(deployments::Column::Status.eq(status_text(DeploymentStatus::Queued)))
            .order_by_asc(deployments::Column::Number)
            .lock_exclusive()
            .all(&txn)
            .await
            .during("reading queued deployments")?;
        let Some(newest) = queued.pop() else {
            return Ok(None);
        };
        let deployment = to_model(newest)?;
        let now = codec::now();
        let mut superseded = Vec::with_capacity(queued.len());
        for row in queued {
            let mut older = to_model(row)?;
            let update = DeploymentUpdate::to(DeploymentStatus::Superseded)
                .reason(format!("superseded by deployment #{}", deployment.number));
            older.apply_update(update, now);
            if compare_and_set(&txn, &older, DeploymentStatus::Queued).await? {
                superseded.push(older);
            }
        }
        txn.commit()
            .await
            .during("superseding queued deployments")?;
        Ok(Some(TakenDeployment {
            deployment,
            superseded,
        }))
    }

    async fn list_unfinished(&self, scope: &Scope) -> Result<Vec<Deployment>> {
        let unfinished = DeploymentStatus::ALL
            .into_iter()
            .filter(|s| *s == DeploymentStatus::Queued || s.is_in_flight())
            .map(status_text);
        let mut query =
            deployments::Entity::find().filter(deployments::Column::Status.is_in(unfinished));
        if let Some(team) = team_filter(scope) {
            query = query.filter(deployments::Column::TeamId.eq(team));
        }
        query
            .order_by_asc(deployments::Column::CreatedAt)
            .order_by_asc(deployments::Column::Id)
            .all(&self.db().read)
            .await
            .during("listing unfinished deployments")?
            .into_iter()
            .map(to_model)
            .collect()
    }

    /// The app's `Live` deployment (the database allows at most one).
    async fn live_deployment(&self, scope: &Scope, app: AppId) -> Result<Option<Deployment>> {
        let db = &self.db().read;
        app_team(db, scope, app, Action::Read).await?;
        deployments::Entity::find()
            .filter(deployments::Column::AppId.eq(uuid_of(app)))
            .filter(deployments::Column::Status.eq(status_text(DeploymentStatus::Live)))
            .order_by_desc(deployments::Column::Number)
            .one(db)
            .await
            .during("reading the live deployment")?
            .map(to_model)
            .transpose()
    }
}
