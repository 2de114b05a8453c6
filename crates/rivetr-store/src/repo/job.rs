//! `JobRepo` on SQL (in progress).

#![allow(unused_imports)]

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::Result;
use rivetr_core::id::JobId;
use rivetr_core::model::{Job, JobKind, JobStatus, NewJob};
use rivetr_core::store::JobRepo;
use std::time::Duration;

use super::pending;
use crate::SqlStore;

#[async_trait]
impl JobRepo for SqlStore {
    async fn enqueue_job(&self, _scope: &Scope, _new: NewJob) -> Result<Job> {
        Err(pending())
    }

    async fn claim_job(
        &self,
        _scope: &Scope,
        _worker: &str,
        _kinds: &[JobKind],
        _lease: Duration,
    ) -> Result<Option<Job>> {
        Err(pending())
    }

    async fn extend_lease(
        &self,
        _scope: &Scope,
        _id: JobId,
        _token: u64,
        _lease: Duration,
    ) -> Result<Job> {
        Err(pending())
    }

    async fn complete_job(&self, _scope: &Scope, _id: JobId, _token: u64) -> Result<Job> {
        Err(pending())
    }

    async fn fail_job(
        &self,
        _scope: &Scope,
        _id: JobId,
        _token: u64,
        _error: &str,
        _retry_after: Option<Duration>,
    ) -> Result<Job> {
        Err(pending())
    }

    async fn get_job(&self, _scope: &Scope, _id: JobId) -> Result<Job> {
        Err(pending())
    }

    async fn list_jobs(
        &self,
        _scope: &Scope,
        _status: Option<JobStatus>,
        _limit: u32,
    ) -> Result<Vec<Job>> {
        Err(pending())
    }
}
