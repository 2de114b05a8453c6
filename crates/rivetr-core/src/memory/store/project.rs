//! Projects, environments and apps.

use async_trait::async_trait;
use chrono::Utc;

use super::MemoryStore;
use crate::access::Scope;
use crate::error::{Error, Result};
use crate::id::{AppId, EnvironmentId, ProjectId};
use crate::input::DisplayName;
use crate::model::{Action, App, AppSpec, Environment, NewApp, NewProject, Project};
use crate::store::{AppRepo, ProjectRepo};

#[async_trait]
impl ProjectRepo for MemoryStore {
    async fn create_project(&self, scope: &Scope, new: NewProject) -> Result<Project> {
        let production: DisplayName = "production".parse().map_err(|e| {
            Error::internal(format!("the name of the first environment is refused: {e}"))
        })?;
        let mut state = self.state();
        state.team(scope, new.team_id, Action::ManageProjects)?;
        if state
            .projects
            .values()
            .any(|p| p.team_id == new.team_id && p.name == new.name)
        {
            return Err(Error::conflict(format!(
                "project \"{}\" already exists in this team",
                new.name
            )));
        }
        let now = Utc::now();
        let project = Project {
            id: ProjectId::new(),
            team_id: new.team_id,
            name: new.name,
            created_at: now,
        };
        let environment = Environment {
            id: EnvironmentId::new(),
            project_id: project.id,
            team_id: project.team_id,
            name: production,
            created_at: now,
        };
        let seq = state.next_seq();
        state.projects.insert(seq, project.id, project.clone());
        let seq = state.next_seq();
        state.environments.insert(seq, environment.id, environment);
        Ok(project)
    }

    async fn get_project(&self, scope: &Scope, id: ProjectId) -> Result<Project> {
        self.state().project(scope, id, Action::Read).cloned()
    }

    async fn list_projects(&self, scope: &Scope) -> Result<Vec<Project>> {
        let state = self.state();
        Ok(state
            .projects
            .ordered(|p| scope.sees(p.team_id))
            .into_iter()
            .cloned()
            .collect())
    }

    async fn delete_project(&self, scope: &Scope, id: ProjectId) -> Result<()> {
        let mut state = self.state();
        let project = state.project(scope, id, Action::ManageProjects)?;
        let apps = state.apps.values().filter(|a| a.project_id == id).count();
        if apps > 0 {
            return Err(Error::conflict(format!(
                "project \"{}\" still has {apps} app(s); delete them first",
                project.name
            )));
        }
        state.environments.retain(|e| e.project_id != id);
        state.projects.remove(&id);
        Ok(())
    }

    async fn create_environment(
        &self,
        scope: &Scope,
        project: ProjectId,
        name: DisplayName,
    ) -> Result<Environment> {
        let mut state = self.state();
        let team_id = state
            .project(scope, project, Action::ManageProjects)?
            .team_id;
        if state
            .environments
            .values()
            .any(|e| e.project_id == project && e.name == name)
        {
            return Err(Error::conflict(format!(
                "environment \"{name}\" already exists in this project"
            )));
        }
        let environment = Environment {
            id: EnvironmentId::new(),
            project_id: project,
            team_id,
            name,
            created_at: Utc::now(),
        };
        let seq = state.next_seq();
        state
            .environments
            .insert(seq, environment.id, environment.clone());
        Ok(environment)
    }

    async fn get_environment(&self, scope: &Scope, id: EnvironmentId) -> Result<Environment> {
        self.state().environment(scope, id, Action::Read).cloned()
    }

    async fn list_environments(
        &self,
        scope: &Scope,
        project: ProjectId,
    ) -> Result<Vec<Environment>> {
        let state = self.state();
        state.project(scope, project, Action::Read)?;
        Ok(state
            .environments
            .ordered(|e| e.project_id == project)
            .into_iter()
            .cloned()
            .collect())
    }
}

#[async_trait]
impl AppRepo for MemoryStore {
    async fn create_app(&self, scope: &Scope, new: NewApp) -> Result<App> {
        let mut state = self.state();
        let env = state
            .environment(scope, new.environment_id, Action::ManageApps)?
            .clone();
        if state
            .apps
            .values()
            .any(|a| a.environment_id == env.id && a.name == new.name)
        {
            return Err(Error::conflict(format!(
                "app \"{}\" already exists in this environment",
                new.name
            )));
        }
        let now = Utc::now();
        let app = App {
            id: AppId::new(),
            team_id: env.team_id,
            project_id: env.project_id,
            environment_id: env.id,
            name: new.name,
            spec: new.spec,
            created_at: now,
            updated_at: now,
        };
        let seq = state.next_seq();
        state.apps.insert(seq, app.id, app.clone());
        Ok(app)
    }

    async fn get_app(&self, scope: &Scope, id: AppId) -> Result<App> {
        self.state().app(scope, id, Action::Read).cloned()
    }

    async fn list_apps(&self, scope: &Scope, project: Option<ProjectId>) -> Result<Vec<App>> {
        let state = self.state();
        if let Some(project) = project {
            state.project(scope, project, Action::Read)?;
        }
        Ok(state
            .apps
            .ordered(|a| scope.sees(a.team_id) && project.is_none_or(|p| a.project_id == p))
            .into_iter()
            .cloned()
            .collect())
    }

    async fn update_app_spec(&self, scope: &Scope, id: AppId, spec: AppSpec) -> Result<App> {
        let mut state = self.state();
        state.app(scope, id, Action::ManageApps)?;
        let app = state
            .apps
            .get_mut(&id)
            .ok_or_else(|| Error::not_found(format!("app {id}")))?;
        app.spec = spec;
        app.updated_at = Utc::now().max(app.created_at);
        Ok(app.clone())
    }

    async fn delete_app(&self, scope: &Scope, id: AppId) -> Result<()> {
        let mut state = self.state();
        state.app(scope, id, Action::ManageApps)?;
        state.delete_app_rows(id);
        Ok(())
    }
}
