//! `DeploymentRepo` on SQL (in progress).

#![allow(unused_imports)]

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::Result;
use rivetr_core::id::{AppId, DeploymentId};
use rivetr_core::model::{
    Deployment, DeploymentStatus, DeploymentUpdate, LogLine, NewDeployment, NewLogLine, Page,
};
use rivetr_core::store::{DeploymentRepo, TakenDeployment};

use super::pending;
use crate::SqlStore;

#[async_trait]
impl DeploymentRepo for SqlStore {
    async fn enqueue_deployment(&self, _scope: &Scope, _new: NewDeployment) -> Result<Deployment> {
        Err(pending())
    }

    async fn get_deployment(&self, _scope: &Scope, _id: DeploymentId) -> Result<Deployment> {
        Err(pending())
    }

    async fn list_deployments(
        &self,
        _scope: &Scope,
        _app: AppId,
        _page: Page,
    ) -> Result<Vec<Deployment>> {
        Err(pending())
    }

    async fn transition_deployment(
        &self,
        _scope: &Scope,
        _id: DeploymentId,
        _from: DeploymentStatus,
        _update: DeploymentUpdate,
    ) -> Result<Deployment> {
        Err(pending())
    }

    async fn take_next_queued(
        &self,
        _scope: &Scope,
        _app: AppId,
    ) -> Result<Option<TakenDeployment>> {
        Err(pending())
    }

    async fn list_unfinished(&self, _scope: &Scope) -> Result<Vec<Deployment>> {
        Err(pending())
    }

    async fn live_deployment(&self, _scope: &Scope, _app: AppId) -> Result<Option<Deployment>> {
        Err(pending())
    }
}
