//! `ProjectRepo` on SQL.
//!
//! `delete_project` locks the project's row before counting its apps, and
//! `create_app` holds a shared lock on the same row while it inserts (see
//! `app.rs`), so an app can never slip into a project that is being
//! deleted (where the cascade would silently take it away).

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, Result};
use rivetr_core::id::{EnvironmentId, ProjectId, TeamId};
use rivetr_core::input::DisplayName;
use rivetr_core::model::{Action, Environment, NewProject, Project};
use rivetr_core::store::ProjectRepo;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, SqlErr, TransactionTrait,
};

use super::identity::team_id;
use super::{authorize, team_filter};
use crate::SqlStore;
use crate::codec::{self, parse_text, uuid_of};
use crate::entity::{apps, environments, projects, teams};
use crate::error::{DbContext, db_error};

/// The name of every project's first environment.
const FIRST_ENVIRONMENT: &str = "production";

#[async_trait]
impl ProjectRepo for SqlStore {
    async fn create_project(&self, scope: &Scope, new: NewProject) -> Result<Project> {
        const DOING: &str = "creating a project";
        let production: DisplayName = FIRST_ENVIRONMENT.parse().map_err(|e| {
            Error::internal(format!("the name of the first environment is refused: {e}"))
        })?;
        let txn = self.db().write.begin().await.during(DOING)?;
        let team = teams::Entity::find_by_id(uuid_of(new.team_id))
            .one(&txn)
            .await
            .during(DOING)?;
        authorize(scope, team, team_id, Action::ManageProjects, || {
            format!("team {}", new.team_id)
        })?;
        let now = codec::now();
        let project = Project {
            id: ProjectId::new(),
            team_id: new.team_id,
            name: new.name,
            created_at: now,
        };
        projects::Entity::insert(projects::ActiveModel {
            id: Set(uuid_of(project.id)),
            team_id: Set(uuid_of(project.team_id)),
            name: Set(project.name.as_str().to_owned()),
            created_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(|e| named_conflict(e, DOING, || project_exists(&project.name)))?;
        let environment = Environment {
            id: EnvironmentId::new(),
            project_id: project.id,
            team_id: project.team_id,
            name: production,
            created_at: now,
        };
        insert_environment(&txn, &environment).await?;
        txn.commit().await.during(DOING)?;
        Ok(project)
    }

    async fn get_project(&self, scope: &Scope, id: ProjectId) -> Result<Project> {
        let row = projects::Entity::find_by_id(uuid_of(id))
            .one(&self.db().read)
            .await
            .during("reading a project")?;
        project_of(&authorize(scope, row, project_team, Action::Read, || {
            format!("project {id}")
        })?)
    }

    async fn list_projects(&self, scope: &Scope) -> Result<Vec<Project>> {
        let mut query = projects::Entity::find();
        if let Some(team) = team_filter(scope) {
            query = query.filter(projects::Column::TeamId.eq(team));
        }
        query
            .order_by_asc(projects::Column::CreatedAt)
            .order_by_asc(projects::Column::Id)
            .all(&self.db().read)
            .await
            .during("listing projects")?
            .iter()
            .map(project_of)
            .collect()
    }

    async fn delete_project(&self, scope: &Scope, id: ProjectId) -> Result<()> {
        const DOING: &str = "deleting a project";
        let txn = self.db().write.begin().await.during(DOING)?;
        let row = projects::Entity::find_by_id(uuid_of(id))
            .lock(LockType::Update)
            .one(&txn)
            .await
            .during(DOING)?;
        let project = authorize(scope, row, project_team, Action::ManageProjects, || {
            format!("project {id}")
        })?;
        let apps = apps::Entity::find()
            .filter(apps::Column::ProjectId.eq(uuid_of(id)))
            .count(&txn)
            .await
            .during(DOING)?;
        if apps > 0 {
            return Err(Error::conflict(format!(
                "project \"{}\" still has {apps} app(s); delete them first",
                project.name
            )));
        }
        // Its environments go with it (cascading foreign key).
        projects::Entity::delete_by_id(uuid_of(id))
            .exec(&txn)
            .await
            .during(DOING)?;
        txn.commit().await.during(DOING)
    }

    async fn create_environment(
        &self,
        scope: &Scope,
        project: ProjectId,
        name: DisplayName,
    ) -> Result<Environment> {
        const DOING: &str = "creating an environment";
        let txn = self.db().write.begin().await.during(DOING)?;
        let row = projects::Entity::find_by_id(uuid_of(project))
            .lock(LockType::Share)
            .one(&txn)
            .await
            .during(DOING)?;
        let row = authorize(scope, row, project_team, Action::ManageProjects, || {
            format!("project {project}")
        })?;
        let environment = Environment {
            id: EnvironmentId::new(),
            project_id: project,
            team_id: project_team(&row),
            name,
            created_at: codec::now(),
        };
        insert_environment(&txn, &environment).await?;
        txn.commit().await.during(DOING)?;
        Ok(environment)
    }

    async fn get_environment(&self, scope: &Scope, id: EnvironmentId) -> Result<Environment> {
        let row = environments::Entity::find_by_id(uuid_of(id))
            .one(&self.db().read)
            .await
            .during("reading an environment")?;
        environment_of(&authorize(
            scope,
            row,
            environment_team,
            Action::Read,
            || format!("environment {id}"),
        )?)
    }

    async fn list_environments(
        &self,
        scope: &Scope,
        project: ProjectId,
    ) -> Result<Vec<Environment>> {
        const DOING: &str = "listing environments";
        let db = &self.db().read;
        let row = projects::Entity::find_by_id(uuid_of(project))
            .one(db)
            .await
            .during(DOING)?;
        authorize(scope, row, project_team, Action::Read, || {
            format!("project {project}")
        })?;
        environments::Entity::find()
            .filter(environments::Column::ProjectId.eq(uuid_of(project)))
            .order_by_asc(environments::Column::CreatedAt)
            .order_by_asc(environments::Column::Id)
            .all(db)
            .await
            .during(DOING)?
            .iter()
            .map(environment_of)
            .collect()
    }
}

/// The team of a project row (for [`authorize`]).
pub(super) fn project_team(row: &projects::Model) -> TeamId {
    TeamId::from_uuid(row.team_id)
}

/// The team of an environment row (for [`authorize`]).
pub(super) fn environment_team(row: &environments::Model) -> TeamId {
    TeamId::from_uuid(row.team_id)
}

/// A database error, with a unique violation told as `conflict()` (which
/// names what already exists) instead of the generic "already exists".
pub(super) fn named_conflict(
    err: sea_orm::DbErr,
    doing: &str,
    conflict: impl FnOnce() -> String,
) -> Error {
    if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        Error::conflict(conflict()).with_source(err)
    } else {
        db_error(err).context(doing)
    }
}

fn project_exists(name: &DisplayName) -> String {
    format!("project \"{name}\" already exists in this team")
}

async fn insert_environment(db: &impl ConnectionTrait, env: &Environment) -> Result<()> {
    const DOING: &str = "creating an environment";
    environments::Entity::insert(environments::ActiveModel {
        id: Set(uuid_of(env.id)),
        project_id: Set(uuid_of(env.project_id)),
        team_id: Set(uuid_of(env.team_id)),
        name: Set(env.name.as_str().to_owned()),
        created_at: Set(env.created_at),
    })
    .exec_without_returning(db)
    .await
    .map_err(|e| {
        named_conflict(e, DOING, || {
            format!(
                "environment \"{}\" already exists in this project",
                env.name
            )
        })
    })?;
    Ok(())
}

fn project_of(row: &projects::Model) -> Result<Project> {
    Ok(Project {
        id: ProjectId::from_uuid(row.id),
        team_id: TeamId::from_uuid(row.team_id),
        name: parse_text(&row.name, "project name")?,
        created_at: row.created_at,
    })
}

/// An environment row as the model.
pub(super) fn environment_of(row: &environments::Model) -> Result<Environment> {
    Ok(Environment {
        id: EnvironmentId::from_uuid(row.id),
        project_id: ProjectId::from_uuid(row.project_id),
        team_id: TeamId::from_uuid(row.team_id),
        name: parse_text(&row.name, "environment name")?,
        created_at: row.created_at,
    })
}
