//! Projects and environments.

use async_trait::async_trait;

use crate::access::Scope;
use crate::error::Result;
use crate::id::{EnvironmentId, ProjectId};
use crate::input::DisplayName;
use crate::model::{Environment, NewProject, Project};

/// Projects and their environments.
#[async_trait]
pub trait ProjectRepo {
    /// Create a project with its first environment, `production`.
    ///
    /// # Behavior
    /// - Needs `ManageProjects` in `new.team_id`.
    /// - Name already used in the team: `Conflict`. Atomic.
    async fn create_project(&self, scope: &Scope, new: NewProject) -> Result<Project>;

    /// One project. Unknown or invisible: `NotFound`.
    async fn get_project(&self, scope: &Scope, id: ProjectId) -> Result<Project>;

    /// Projects visible to the scope, ordered by creation.
    async fn list_projects(&self, scope: &Scope) -> Result<Vec<Project>>;

    /// Delete a project.
    ///
    /// # Behavior
    /// - Needs `ManageProjects`. Still has apps: `Conflict`.
    async fn delete_project(&self, scope: &Scope, id: ProjectId) -> Result<()>;

    /// Add an environment to a project.
    ///
    /// # Behavior
    /// - Needs `ManageProjects`. Name already used in the project:
    ///   `Conflict`.
    async fn create_environment(
        &self,
        scope: &Scope,
        project: ProjectId,
        name: DisplayName,
    ) -> Result<Environment>;

    /// One environment. Unknown or invisible: `NotFound`.
    async fn get_environment(&self, scope: &Scope, id: EnvironmentId) -> Result<Environment>;

    /// A project's environments, ordered by creation.
    async fn list_environments(
        &self,
        scope: &Scope,
        project: ProjectId,
    ) -> Result<Vec<Environment>>;
}
