//! `JobRepo` on SQL: a leased job queue.
//!
//! Every change to a job is a compare-and-set: the `UPDATE` names the state
//! it was computed from (`id`, `status`, `attempts`, `lease_token`), so a
//! writer that lost a race changes nothing. Claims also lock their
//! candidate: on PostgreSQL with `FOR UPDATE SKIP LOCKED` (concurrent
//! claimers take different jobs instead of queueing on one), on SQLite by
//! running on the single writer connection. Lease expiry is compared with
//! a `now` computed here and bound as a parameter, never the database's
//! clock, so both backends and the memory store agree.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, ErrorKind, Result};
use rivetr_core::id::JobId;
use rivetr_core::model::{Job, JobKind, JobLease, JobStatus, NewJob};
use rivetr_core::store::{JobRepo, contract};
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend,
    DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use crate::SqlStore;
use crate::codec::{self, uuid_of};
use crate::entity::jobs;
use crate::error::DbContext;

const DOING: &str = "use the job queue";

/// How many times `enqueue_job` tries again when the job holding its dedupe
/// key finished between the insert and the read.
const DEDUPE_TRIES: usize = 5;

/// `now + d` at the precision the store keeps.
fn after(now: DateTime<Utc>, d: Duration) -> Result<DateTime<Utc>> {
    contract::instant_after(now, d).map(codec::micros)
}

fn job_of(row: jobs::Model) -> Result<Job> {
    let lease = match (row.lease_worker, row.lease_expires_at) {
        (Some(worker), Some(expires_at)) => Some(JobLease {
            worker,
            token: codec::to_u64(row.lease_token, "job lease token")?,
            expires_at,
        }),
        _ => None,
    };
    Ok(Job {
        id: JobId::from_uuid(row.id),
        kind: codec::parse_text(&row.kind, "job kind")?,
        payload: codec::parse_json(&row.payload, "job payload")?,
        status: codec::parse_enum(&row.status, "job status")?,
        attempts: count_of(row.attempts, "job attempts")?,
        max_attempts: count_of(row.max_attempts, "job max attempts")?,
        run_after: row.run_after,
        lease,
        last_error: row.last_error,
        dedupe_key: row.dedupe_key,
        created_at: row.created_at,
        finished_at: row.finished_at,
    })
}

fn count_of(value: i32, what: &str) -> Result<u32> {
    u32::try_from(value).map_err(|_| codec::corrupt(what, &value.to_string()))
}

/// `row` with its lease dropped.
fn without_lease(mut row: jobs::Model) -> jobs::Model {
    row.lease_worker = None;
    row.lease_expires_at = None;
    row
}

/// Write `next` over `current` if the row is still in the state `current`
/// was read in; whether it was.
async fn compare_and_set<C: ConnectionTrait>(
    conn: &C,
    current: &jobs::Model,
    next: jobs::Model,
) -> Result<bool> {
    let updated = jobs::Entity::update_many()
        .set(next.into_active_model().reset_all())
        .filter(jobs::Column::Id.eq(current.id))
        .filter(jobs::Column::Status.eq(current.status.as_str()))
        .filter(jobs::Column::Attempts.eq(current.attempts))
        .filter(jobs::Column::LeaseToken.eq(current.lease_token))
        .exec(conn)
        .await
        .during("updating the job")?;
    Ok(updated.rows_affected == 1)
}

/// Conditions of a claimable job at `now`: queued and due, or running with
/// a lease that ran out.
fn claimable(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(
            Condition::all()
                .add(jobs::Column::Status.eq(JobStatus::Queued.as_str()))
                .add(jobs::Column::RunAfter.lte(now)),
        )
        .add(
            Condition::all()
                .add(jobs::Column::Status.eq(JobStatus::Running.as_str()))
                .add(
                    Condition::any()
                        .add(jobs::Column::LeaseExpiresAt.is_null())
                        .add(jobs::Column::LeaseExpiresAt.lte(now)),
                ),
        )
}

impl SqlStore {
    /// Read job `id` inside `txn` for an update (locked on PostgreSQL).
    async fn job_for_update(&self, txn: &DatabaseTransaction, id: JobId) -> Result<jobs::Model> {
        let mut query = jobs::Entity::find_by_id(uuid_of(id));
        if self.db().backend == DatabaseBackend::Postgres {
            query = query.lock(LockType::Update);
        }
        query
            .one(txn)
            .await
            .during("reading the job")?
            .ok_or_else(|| Error::not_found(format!("job {id}")))
    }

    /// Apply `change` to the running job `id` if `token` is its current
    /// lease token: `NotFound` for an unknown job, `Conflict` (changing
    /// nothing) for a job not running or a stale token.
    async fn change_leased(
        &self,
        id: JobId,
        token: u64,
        change: impl FnOnce(jobs::Model) -> jobs::Model + Send,
    ) -> Result<Job> {
        let txn = self
            .db()
            .write
            .begin()
            .await
            .during("starting a transaction")?;
        let row = self.job_for_update(&txn, id).await?;
        let current = row.lease_worker.as_ref().map(|_| row.lease_token);
        let holds = row.status == JobStatus::Running.as_str()
            && i64::try_from(token).is_ok_and(|token| current == Some(token));
        if !holds {
            return Err(Error::conflict(format!(
                "job {id} is not leased with token {token} (status {}, current token {})",
                row.status,
                current.map_or_else(|| "none".to_owned(), |t| t.to_string()),
            )));
        }
        let next = change(row.clone());
        if !compare_and_set(&txn, &row, next.clone()).await? {
            return Err(Error::conflict(format!(
                "job {id} changed while updating it; its lease with token {token} is gone"
            )));
        }
        txn.commit().await.during("committing the job")?;
        job_of(next)
    }
}

#[async_trait]
impl JobRepo for SqlStore {
    async fn enqueue_job(&self, scope: &Scope, new: NewJob) -> Result<Job> {
        scope.require_system(DOING)?;
        if new.max_attempts == 0 {
            return Err(Error::invalid_input("a job needs at least one attempt"));
        }
        let max_attempts = i32::try_from(new.max_attempts).map_err(|_| {
            Error::invalid_input(format!("{} attempts are too many", new.max_attempts))
        })?;
        if let Some(key) = &new.dedupe_key {
            contract::line("a dedupe key", key, contract::MAX_NAME)?;
        }
        let row = jobs::Model {
            id: uuid_of(JobId::new()),
            kind: new.kind.as_str().to_owned(),
            payload: codec::json_text(&new.payload)?,
            status: JobStatus::Queued.as_str().to_owned(),
            attempts: 0,
            max_attempts,
            run_after: codec::micros(new.run_after),
            lease_worker: None,
            lease_token: 0,
            lease_expires_at: None,
            last_error: None,
            dedupe_key: new.dedupe_key,
            created_at: codec::now(),
            finished_at: None,
        };
        let db = &self.db().write;
        let Some(key) = row.dedupe_key.clone() else {
            row.clone()
                .into_active_model()
                .reset_all()
                .insert(db)
                .await
                .during("queueing the job")?;
            return job_of(row);
        };
        // The partial unique index on open jobs' dedupe keys decides between
        // concurrent enqueues; the loser returns the winner's job.
        for _ in 0..DEDUPE_TRIES {
            let open = jobs::Entity::find()
                .filter(jobs::Column::DedupeKey.eq(key.as_str()))
                .filter(
                    jobs::Column::Status
                        .is_in([JobStatus::Queued.as_str(), JobStatus::Running.as_str()]),
                )
                .one(db)
                .await
                .during("looking for an open job with the dedupe key")?;
            if let Some(open) = open {
                return job_of(open);
            }
            let inserted = row
                .clone()
                .into_active_model()
                .reset_all()
                .insert(db)
                .await
                .during("queueing the job");
            match inserted {
                Ok(_) => return job_of(row),
                Err(e) if e.kind() == ErrorKind::Conflict => {}
                Err(e) => return Err(e),
            }
        }
        Err(Error::unavailable(format!(
            "jobs with dedupe key {key:?} keep finishing and being queued; try again"
        )))
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
        contract::line("a worker name", worker, contract::MAX_NAME)?;
        contract::lease(lease)?;
        let now = codec::now();
        let expires_at = after(now, lease)?;
        let kinds: Vec<&str> = kinds.iter().map(JobKind::as_str).collect();
        let txn = self
            .db()
            .write
            .begin()
            .await
            .during("starting a transaction")?;
        loop {
            let mut query = jobs::Entity::find()
                .filter(jobs::Column::Kind.is_in(kinds.iter().copied()))
                .filter(claimable(now))
                .order_by_asc(jobs::Column::RunAfter)
                .order_by_asc(jobs::Column::CreatedAt)
                .order_by_asc(jobs::Column::Id)
                .limit(1);
            if self.db().backend == DatabaseBackend::Postgres {
                // Concurrent claimers skip each other's candidates.
                query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
            }
            let Some(row) = query.one(&txn).await.during("finding a claimable job")? else {
                txn.commit().await.during("committing the claim")?;
                return Ok(None);
            };
            let mut next = without_lease(row.clone());
            if row.attempts >= row.max_attempts {
                // Only an expired lease gets here: its last attempt is lost.
                next.status = JobStatus::Dead.as_str().to_owned();
                next.last_error = Some(format!(
                    "the worker's lease ran out on the last of {} attempts",
                    row.max_attempts
                ));
                next.finished_at = Some(now);
                compare_and_set(&txn, &row, next).await?;
                continue;
            }
            next.attempts += 1;
            next.status = JobStatus::Running.as_str().to_owned();
            next.lease_worker = Some(worker.to_owned());
            next.lease_token = i64::from(next.attempts);
            next.lease_expires_at = Some(expires_at);
            if compare_and_set(&txn, &row, next.clone()).await? {
                txn.commit().await.during("committing the claim")?;
                return job_of(next).map(Some);
            }
            // Changed under us (another store on the same database): look again.
        }
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
        let expires_at = after(codec::now(), lease)?;
        self.change_leased(id, token, |mut row| {
            row.lease_expires_at = Some(expires_at);
            row
        })
        .await
    }

    async fn complete_job(&self, scope: &Scope, id: JobId, token: u64) -> Result<Job> {
        scope.require_system(DOING)?;
        let now = codec::now();
        self.change_leased(id, token, |row| {
            let mut row = without_lease(row);
            row.status = JobStatus::Succeeded.as_str().to_owned();
            row.finished_at = Some(now);
            row
        })
        .await
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
        let now = codec::now();
        let retry_at = retry_after.map(|d| after(now, d)).transpose()?;
        let error = error.to_owned();
        self.change_leased(id, token, move |row| {
            let mut row = without_lease(row);
            row.last_error = Some(error);
            let status = match retry_at {
                _ if row.attempts >= row.max_attempts => JobStatus::Dead,
                Some(at) => {
                    row.run_after = at;
                    JobStatus::Queued
                }
                None => JobStatus::Failed,
            };
            if status != JobStatus::Queued {
                row.finished_at = Some(now);
            }
            row.status = status.as_str().to_owned();
            row
        })
        .await
    }

    async fn get_job(&self, scope: &Scope, id: JobId) -> Result<Job> {
        scope.require_system(DOING)?;
        let row = jobs::Entity::find_by_id(uuid_of(id))
            .one(&self.db().read)
            .await
            .during("reading the job")?
            .ok_or_else(|| Error::not_found(format!("job {id}")))?;
        job_of(row)
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
        let mut query = jobs::Entity::find()
            .order_by_desc(jobs::Column::CreatedAt)
            .order_by_desc(jobs::Column::Id)
            .limit(u64::from(limit));
        if let Some(status) = status {
            query = query.filter(jobs::Column::Status.eq(status.as_str()));
        }
        query
            .all(&self.db().read)
            .await
            .during("listing jobs")?
            .into_iter()
            .map(job_of)
            .collect()
    }
}
