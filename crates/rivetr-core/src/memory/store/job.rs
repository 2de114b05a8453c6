//! The background job queue.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::platform::{after, check_line};
use super::{MemoryStore, State};
use crate::access::Scope;
use crate::error::{Error, Result};
use crate::id::JobId;
use crate::model::{Job, JobKind, JobLease, JobStatus, NewJob};
use crate::store::{JobRepo, contract};

const DOING: &str = "use the job queue";

impl State {
    fn job_mut(&mut self, id: JobId) -> Result<&mut Job> {
        self.platform
            .jobs
            .get_mut(&id)
            .ok_or_else(|| Error::not_found(format!("job {id}")))
    }

    /// The running job `id`, if `token` is its current lease token.
    fn leased_job(&mut self, id: JobId, token: u64) -> Result<&mut Job> {
        let job = self.job_mut(id)?;
        let current = job.lease.as_ref().map(|l| l.token);
        if job.status != JobStatus::Running || current != Some(token) {
            return Err(Error::conflict(format!(
                "job {id} is not leased with token {token} (status {}, current token {})",
                job.status.as_str(),
                current.map_or_else(|| "none".to_owned(), |t| t.to_string()),
            )));
        }
        Ok(job)
    }
}

/// Whether a running job's lease has run out at `now`.
fn expired(job: &Job, now: DateTime<Utc>) -> bool {
    job.status == JobStatus::Running && job.lease.as_ref().is_none_or(|l| l.expires_at <= now)
}

#[async_trait]
impl JobRepo for MemoryStore {
    async fn enqueue_job(&self, scope: &Scope, new: NewJob) -> Result<Job> {
        scope.require_system(DOING)?;
        if new.max_attempts == 0 {
            return Err(Error::invalid_input("a job needs at least one attempt"));
        }
        if let Some(key) = &new.dedupe_key {
            check_line("a dedupe key", key, contract::MAX_NAME)?;
        }
        let mut state = self.state();
        if let Some(key) = &new.dedupe_key {
            let pending = state.platform.jobs.values().find(|j| {
                j.dedupe_key.as_ref() == Some(key)
                    && matches!(j.status, JobStatus::Queued | JobStatus::Running)
            });
            if let Some(job) = pending {
                return Ok(job.clone());
            }
        }
        let job = Job {
            id: JobId::new(),
            kind: new.kind,
            payload: new.payload,
            status: JobStatus::Queued,
            attempts: 0,
            max_attempts: new.max_attempts,
            run_after: new.run_after,
            lease: None,
            last_error: None,
            dedupe_key: new.dedupe_key,
            created_at: Utc::now(),
            finished_at: None,
        };
        let seq = state.next_seq();
        state.platform.jobs.insert(seq, job.id, job.clone());
        Ok(job)
    }

    async fn claim_job(
        &self,
        scope: &Scope,
        worker: &str,
        kinds: &[JobKind],
        lease: Duration,
    ) -> Result<Option<Job>> {
        scope.require_system(DOING)?;
        if kinds.is_empty() {
            return Err(Error::invalid_input("name the job kinds this worker runs"));
        }
        check_line("a worker name", worker, contract::MAX_NAME)?;
        contract::lease(lease)?;
        let now = Utc::now();
        let expires_at = after(now, lease)?;
        let mut state = self.state();
        let wanted = |job: &Job| kinds.contains(&job.kind);
        let mut candidates: Vec<(DateTime<Utc>, u64, JobId)> = state
            .platform
            .jobs
            .rows
            .values()
            .filter(|(_, j)| wanted(j))
            .filter(|(_, j)| {
                (j.status == JobStatus::Queued && j.run_after <= now) || expired(j, now)
            })
            .map(|(seq, j)| (j.run_after, *seq, j.id))
            .collect();
        candidates.sort_unstable();
        for (_, _, id) in candidates {
            let job = state.job_mut(id)?;
            if job.attempts >= job.max_attempts {
                // Only an expired lease gets here: its last attempt is lost.
                job.status = JobStatus::Dead;
                job.lease = None;
                job.last_error = Some(format!(
                    "the worker's lease ran out on the last of {} attempts",
                    job.max_attempts
                ));
                job.finished_at = Some(now);
                continue;
            }
            job.attempts += 1;
            job.status = JobStatus::Running;
            job.lease = Some(JobLease {
                worker: worker.to_owned(),
                token: u64::from(job.attempts),
                expires_at,
            });
            return Ok(Some(job.clone()));
        }
        Ok(None)
    }

    async fn extend_lease(
        &self,
        scope: &Scope,
        id: JobId,
        token: u64,
        lease: Duration,
    ) -> Result<Job> {
        scope.require_system(DOING)?;
        contract::lease(lease)?;
        let expires_at = after(Utc::now(), lease)?;
        let mut state = self.state();
        let job = state.leased_job(id, token)?;
        if let Some(current) = &mut job.lease {
            current.expires_at = expires_at;
        }
        Ok(job.clone())
    }

    async fn complete_job(&self, scope: &Scope, id: JobId, token: u64) -> Result<Job> {
        scope.require_system(DOING)?;
        let mut state = self.state();
        let job = state.leased_job(id, token)?;
        job.status = JobStatus::Succeeded;
        job.lease = None;
        job.finished_at = Some(Utc::now());
        Ok(job.clone())
    }

    async fn fail_job(
        &self,
        scope: &Scope,
        id: JobId,
        token: u64,
        error: &str,
        retry_after: Option<Duration>,
    ) -> Result<Job> {
        scope.require_system(DOING)?;
        let now = Utc::now();
        let retry_at = retry_after.map(|d| after(now, d)).transpose()?;
        let mut state = self.state();
        let job = state.leased_job(id, token)?;
        job.lease = None;
        job.last_error = Some(error.to_owned());
        match retry_at {
            _ if job.attempts >= job.max_attempts => {
                job.status = JobStatus::Dead;
                job.finished_at = Some(now);
            }
            Some(at) => {
                job.status = JobStatus::Queued;
                job.run_after = at;
            }
            None => {
                job.status = JobStatus::Failed;
                job.finished_at = Some(now);
            }
        }
        Ok(job.clone())
    }

    async fn get_job(&self, scope: &Scope, id: JobId) -> Result<Job> {
        scope.require_system(DOING)?;
        self.state().job_mut(id).map(|j| j.clone())
    }

    async fn list_jobs(
        &self,
        scope: &Scope,
        status: Option<JobStatus>,
        limit: u32,
    ) -> Result<Vec<Job>> {
        scope.require_system(DOING)?;
        if limit == 0 {
            return Err(Error::invalid_input("a page must hold at least one item"));
        }
        let state = self.state();
        Ok(state
            .platform
            .jobs
            .ordered(|j| status.is_none_or(|s| j.status == s))
            .into_iter()
            .rev()
            .take(limit as usize)
            .cloned()
            .collect())
    }
}
