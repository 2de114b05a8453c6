//! `ProjectRepo` on SQL (in progress).

#![allow(unused_imports)]

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::Result;
use rivetr_core::id::{EnvironmentId, ProjectId};
use rivetr_core::input::DisplayName;
use rivetr_core::model::{Environment, NewProject, Project};
use rivetr_core::store::ProjectRepo;

use super::pending;
use crate::SqlStore;

#[async_trait]
impl ProjectRepo for SqlStore {
    async fn create_project(&self, _scope: &Scope, _new: NewProject) -> Result<Project> {
        Err(pending())
    }

    async fn get_project(&self, _scope: &Scope, _id: ProjectId) -> Result<Project> {
        Err(pending())
    }

    async fn list_projects(&self, _scope: &Scope) -> Result<Vec<Project>> {
        Err(pending())
    }

    async fn delete_project(&self, _scope: &Scope, _id: ProjectId) -> Result<()> {
        Err(pending())
    }

    async fn create_environment(
        &self,
        _scope: &Scope,
        _project: ProjectId,
        _name: DisplayName,
    ) -> Result<Environment> {
        Err(pending())
    }

    async fn get_environment(&self, _scope: &Scope, _id: EnvironmentId) -> Result<Environment> {
        Err(pending())
    }

    async fn list_environments(
        &self,
        _scope: &Scope,
        _project: ProjectId,
    ) -> Result<Vec<Environment>> {
        Err(pending())
    }
}
