//! The background job queue, with leases.

use std::time::Duration;

use async_trait::async_trait;

use crate::access::Scope;
use crate::error::Result;
use crate::id::JobId;
use crate::model::{Job, JobKind, JobStatus, NewJob};

/// A durable queue of background jobs (backups, certificate renewals,
/// clean-up; deployments have their own queue in
/// [`DeploymentRepo`](super::DeploymentRepo)).
///
/// A worker claims a job for a lease; while it works it extends the lease,
/// and at the end it completes or fails the job, each time showing the
/// lease token it got. A worker that crashes stops extending; when its lease
/// runs out another worker claims the job, and the first worker's token is
/// stale from then on. Every method is for the platform only: member scopes
/// get `PermissionDenied`.
#[async_trait]
pub trait JobRepo {
    /// Queue a job.
    ///
    /// # Behavior
    /// - System scope only.
    /// - `max_attempts` of 0, or a `dedupe_key` that is empty, longer than
    ///   200 characters or holds control characters: `InvalidInput`.
    /// - When a job with the same `dedupe_key` is `Queued` or `Running`,
    ///   that job is returned unchanged and nothing is queued. Finished
    ///   jobs do not count.
    /// - The new job is `Queued` with no attempts and no lease.
    async fn enqueue_job(&self, scope: &Scope, new: NewJob) -> Result<Job>;

    /// Lease the oldest claimable job of one of `kinds` to `worker` for
    /// `lease`.
    ///
    /// # Behavior
    /// - System scope only. No `kinds`, an empty `worker` name (or one over
    ///   200 characters, or with control characters), or a zero `lease`:
    ///   `InvalidInput`.
    /// - Claimable: `Queued` with `run_after` not in the future, or
    ///   `Running` with an expired lease (its worker crashed). Oldest means
    ///   earliest `run_after`, then earliest queued.
    /// - Claiming sets `Running`, adds one to `attempts` and issues a lease
    ///   whose token is the new attempt count, expiring `lease` from now.
    /// - A `Running` job whose lease expired and whose attempts are used up
    ///   is never handed out: the claim turns it `Dead` (with a
    ///   `last_error` saying so) and looks further.
    /// - Atomic: two claimers never get the same lease. `Ok(None)` when
    ///   nothing is claimable.
    async fn claim_job(
        &self,
        scope: &Scope,
        worker: &str,
        kinds: &[JobKind],
        lease: Duration,
    ) -> Result<Option<Job>>;

    /// Extend the lease to `lease` from now.
    ///
    /// # Behavior
    /// - System scope only. Unknown job: `NotFound`. Zero `lease`:
    ///   `InvalidInput`.
    /// - The job is not `Running`, or `token` is not its current lease
    ///   token (another worker claimed it since): `Conflict`. A lease that
    ///   expired but was not claimed by anyone may still be extended.
    async fn extend_lease(
        &self,
        scope: &Scope,
        id: JobId,
        token: u64,
        lease: Duration,
    ) -> Result<Job>;

    /// Mark the job `Succeeded`, dropping the lease; returns it.
    ///
    /// # Behavior
    /// - System scope only. Unknown job: `NotFound`.
    /// - Not `Running` or stale `token`: `Conflict`, nothing changes.
    /// - Sets `finished_at`.
    async fn complete_job(&self, scope: &Scope, id: JobId, token: u64) -> Result<Job>;

    /// Record a failed attempt; returns the job.
    ///
    /// # Behavior
    /// - System scope only. Unknown job: `NotFound`.
    /// - Not `Running` or stale `token`: `Conflict`, nothing changes.
    /// - Stores `error` as `last_error` and drops the lease. Then:
    ///   attempts left and `retry_after` given → `Queued` again with
    ///   `run_after` = now + `retry_after`; attempts used up → `Dead`;
    ///   no `retry_after` → `Failed`. `Dead` and `Failed` set `finished_at`.
    async fn fail_job(
        &self,
        scope: &Scope,
        id: JobId,
        token: u64,
        error: &str,
        retry_after: Option<Duration>,
    ) -> Result<Job>;

    /// One job.
    ///
    /// # Behavior
    /// - System scope only. Unknown: `NotFound`.
    async fn get_job(&self, scope: &Scope, id: JobId) -> Result<Job>;

    /// Jobs, optionally only those in `status`, newest first, at most
    /// `limit`.
    ///
    /// # Behavior
    /// - System scope only. `limit` of 0: `InvalidInput`.
    async fn list_jobs(
        &self,
        scope: &Scope,
        status: Option<JobStatus>,
        limit: u32,
    ) -> Result<Vec<Job>>;
}
