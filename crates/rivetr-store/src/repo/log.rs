//! `LogRepo` on SQL (in progress).

#![allow(unused_imports)]

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::Result;
use rivetr_core::id::{AppId, DeploymentId};
use rivetr_core::model::{
    Deployment, DeploymentStatus, DeploymentUpdate, LogLine, NewDeployment, NewLogLine, Page,
};
use rivetr_core::store::LogRepo;

use super::pending;
use crate::SqlStore;

#[async_trait]
impl LogRepo for SqlStore {
    async fn append_logs(
        &self,
        _scope: &Scope,
        _deployment: DeploymentId,
        _lines: Vec<NewLogLine>,
    ) -> Result<Vec<LogLine>> {
        Err(pending())
    }

    async fn read_logs(
        &self,
        _scope: &Scope,
        _deployment: DeploymentId,
        _after: u64,
        _limit: u32,
    ) -> Result<Vec<LogLine>> {
        Err(pending())
    }
}
