//! `AppRepo` on SQL: the spec is stored as JSON; an app's deployments,
//! logs, env vars, domains and volume records hang off its row by
//! cascading foreign keys, so deleting the row deletes them.

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, Result};
use rivetr_core::id::{AppId, EnvironmentId, ProjectId, TeamId};
use rivetr_core::model::{Action, App, AppSpec, NewApp};
use rivetr_core::store::AppRepo;
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::project::{environment_team, named_conflict, project_team};
use super::{authorize, team_filter};
use crate::SqlStore;
use crate::codec::{self, json_text, parse_json, parse_text, uuid_of};
use crate::entity::{apps, environments, projects};
use crate::error::DbContext;

#[async_trait]
impl AppRepo for SqlStore {
    async fn create_app(&self, scope: &Scope, new: NewApp) -> Result<App> {
        const DOING: &str = "creating an app";
        let env_id = new.environment_id;
        let txn = self.db().write.begin().await.during(DOING)?;
        let env = environments::Entity::find_by_id(uuid_of(env_id))
            .one(&txn)
            .await
            .during(DOING)?;
        let env = authorize(scope, env, environment_team, Action::ManageApps, || {
            format!("environment {env_id}")
        })?;
        // Hold the project while the app goes in: `delete_project` counts
        // apps under an exclusive lock of the same row.
        let project = projects::Entity::find_by_id(env.project_id)
            .lock(LockType::Share)
            .one(&txn)
            .await
            .during(DOING)?;
        if project.is_none() {
            return Err(Error::not_found(format!("environment {env_id}")));
        }
        let now = codec::now();
        let app = App {
            id: AppId::new(),
            team_id: environment_team(&env),
            project_id: ProjectId::from_uuid(env.project_id),
            environment_id: env_id,
            name: new.name,
            spec: new.spec,
            created_at: now,
            updated_at: now,
        };
        apps::Entity::insert(apps::ActiveModel {
            id: Set(uuid_of(app.id)),
            team_id: Set(uuid_of(app.team_id)),
            project_id: Set(uuid_of(app.project_id)),
            environment_id: Set(uuid_of(app.environment_id)),
            name: Set(app.name.as_str().to_owned()),
            spec: Set(json_text(&app.spec)?),
            last_deployment_number: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(|e| {
            named_conflict(e, DOING, || {
                format!("app \"{}\" already exists in this environment", app.name)
            })
        })?;
        txn.commit().await.during(DOING)?;
        Ok(app)
    }

    async fn get_app(&self, scope: &Scope, id: AppId) -> Result<App> {
        let row = apps::Entity::find_by_id(uuid_of(id))
            .one(&self.db().read)
            .await
            .during("reading an app")?;
        app_of(&authorize(scope, row, app_team, Action::Read, || {
            format!("app {id}")
        })?)
    }

    async fn list_apps(&self, scope: &Scope, project: Option<ProjectId>) -> Result<Vec<App>> {
        const DOING: &str = "listing apps";
        let db = &self.db().read;
        let mut query = apps::Entity::find();
        if let Some(project) = project {
            let row = projects::Entity::find_by_id(uuid_of(project))
                .one(db)
                .await
                .during(DOING)?;
            authorize(scope, row, project_team, Action::Read, || {
                format!("project {project}")
            })?;
            query = query.filter(apps::Column::ProjectId.eq(uuid_of(project)));
        }
        if let Some(team) = team_filter(scope) {
            query = query.filter(apps::Column::TeamId.eq(team));
        }
        query
            .order_by_asc(apps::Column::CreatedAt)
            .order_by_asc(apps::Column::Id)
            .all(db)
            .await
            .during(DOING)?
            .iter()
            .map(app_of)
            .collect()
    }

    async fn update_app_spec(&self, scope: &Scope, id: AppId, spec: AppSpec) -> Result<App> {
        const DOING: &str = "changing an app's spec";
        let txn = self.db().write.begin().await.during(DOING)?;
        let row = apps::Entity::find_by_id(uuid_of(id))
            .lock(LockType::NoKeyUpdate)
            .one(&txn)
            .await
            .during(DOING)?;
        let row = authorize(scope, row, app_team, Action::ManageApps, || {
            format!("app {id}")
        })?;
        let updated_at = codec::now().max(row.created_at);
        let spec_text = json_text(&spec)?;
        apps::Entity::update_many()
            .col_expr(apps::Column::Spec, Expr::value(spec_text.clone()))
            .col_expr(apps::Column::UpdatedAt, Expr::value(updated_at))
            .filter(apps::Column::Id.eq(uuid_of(id)))
            .exec(&txn)
            .await
            .during(DOING)?;
        txn.commit().await.during(DOING)?;
        app_of(&apps::Model {
            spec: spec_text,
            updated_at,
            ..row
        })
    }

    async fn delete_app(&self, scope: &Scope, id: AppId) -> Result<()> {
        const DOING: &str = "deleting an app";
        let txn = self.db().write.begin().await.during(DOING)?;
        let row = apps::Entity::find_by_id(uuid_of(id))
            .lock(LockType::Update)
            .one(&txn)
            .await
            .during(DOING)?;
        authorize(scope, row, app_team, Action::ManageApps, || {
            format!("app {id}")
        })?;
        // Deployments (and their log chunks), env vars, domains and volume
        // records go with the row (cascading foreign keys); the deployment
        // counter is a column of the row itself.
        apps::Entity::delete_by_id(uuid_of(id))
            .exec(&txn)
            .await
            .during(DOING)?;
        txn.commit().await.during(DOING)
    }
}

/// The team of an app row (for [`authorize`]).
pub(super) fn app_team(row: &apps::Model) -> TeamId {
    TeamId::from_uuid(row.team_id)
}

/// An app row as the model.
pub(super) fn app_of(row: &apps::Model) -> Result<App> {
    Ok(App {
        id: AppId::from_uuid(row.id),
        team_id: TeamId::from_uuid(row.team_id),
        project_id: ProjectId::from_uuid(row.project_id),
        environment_id: EnvironmentId::from_uuid(row.environment_id),
        name: parse_text(&row.name, "app name")?,
        spec: parse_json(&row.spec, "app spec")?,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
