//! Apps.

use async_trait::async_trait;

use crate::access::Scope;
use crate::error::Result;
use crate::id::{AppId, ProjectId};
use crate::model::{App, AppSpec, NewApp};

/// Apps and their specs.
#[async_trait]
pub trait AppRepo {
    /// Create an app in an environment.
    ///
    /// # Behavior
    /// - Needs `ManageApps` in the environment's team.
    /// - Name already used in the environment: `Conflict`.
    async fn create_app(&self, scope: &Scope, new: NewApp) -> Result<App>;

    /// One app. Unknown or invisible: `NotFound`.
    async fn get_app(&self, scope: &Scope, id: AppId) -> Result<App>;

    /// Apps visible to the scope, optionally of one project, ordered by
    /// creation.
    async fn list_apps(&self, scope: &Scope, project: Option<ProjectId>) -> Result<Vec<App>>;

    /// Replace an app's spec; returns the updated app.
    ///
    /// # Behavior
    /// - Needs `ManageApps`.
    async fn update_app_spec(&self, scope: &Scope, id: AppId, spec: AppSpec) -> Result<App>;

    /// Delete an app with its deployments, logs, env vars, domains and
    /// volume records.
    ///
    /// # Behavior
    /// - Needs `ManageApps`. Unknown: `NotFound`.
    async fn delete_app(&self, scope: &Scope, id: AppId) -> Result<()>;
}
