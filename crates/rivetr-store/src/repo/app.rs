//! `AppRepo` on SQL (in progress).

#![allow(unused_imports)]

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::Result;
use rivetr_core::id::{AppId, ProjectId};
use rivetr_core::model::{App, AppSpec, NewApp};
use rivetr_core::store::AppRepo;

use super::pending;
use crate::SqlStore;

#[async_trait]
impl AppRepo for SqlStore {
    async fn create_app(&self, _scope: &Scope, _new: NewApp) -> Result<App> {
        Err(pending())
    }

    async fn get_app(&self, _scope: &Scope, _id: AppId) -> Result<App> {
        Err(pending())
    }

    async fn list_apps(&self, _scope: &Scope, _project: Option<ProjectId>) -> Result<Vec<App>> {
        Err(pending())
    }

    async fn update_app_spec(&self, _scope: &Scope, _id: AppId, _spec: AppSpec) -> Result<App> {
        Err(pending())
    }

    async fn delete_app(&self, _scope: &Scope, _id: AppId) -> Result<()> {
        Err(pending())
    }
}
