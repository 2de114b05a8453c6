//! Leases: extending, completing, expiry and takeover, concurrent claims.

use std::collections::BTreeSet;
use std::slice::from_ref;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use futures::future::join_all;

use super::{LONG, SHORT, claim, claim_when_ready, enqueue, fresh_kind, new_job};
use crate::access::Scope;
use crate::error::ErrorKind;
use crate::id::JobId;
use crate::model::{JobStatus, NewJob};
use crate::store::JobRepo;
use crate::testkit::store::helpers::{conflict, not_found, ok, refused};

pub(super) async fn leases<S: JobRepo + ?Sized>(store: &S) {
    let system = Scope::system();
    let kind = fresh_kind();
    let job = enqueue(store, new_job(&kind, 3)).await;
    let Some(claimed) = claim(store, "w1", &kind, LONG).await else {
        panic!("store contract: claim_job hands out a queued job")
    };
    let token = claimed.lease.as_ref().map_or(0, |l| l.token);
    let old_expiry = claimed.lease.as_ref().map(|l| l.expires_at);

    refused(
        store
            .extend_lease(&system, job.id, token, Duration::ZERO)
            .await,
        ErrorKind::InvalidInput,
        "extend_lease with a zero lease is InvalidInput",
    );
    let extended = ok(
        store.extend_lease(&system, job.id, token, LONG * 2).await,
        "extend_lease with the current token",
    );
    let new_expiry = extended.lease.as_ref().map(|l| l.expires_at);
    assert!(
        extended.status == JobStatus::Running
            && extended.attempts == 1
            && extended
                .lease
                .as_ref()
                .is_some_and(|l| l.token == token && l.worker == "w1")
            && new_expiry > old_expiry,
        "store contract: extend_lease moves the expiry and keeps the token and worker; got {extended:?}"
    );
    conflict(
        store.extend_lease(&system, job.id, token + 1, LONG).await,
        "extend_lease with a token that was never issued",
    );
    conflict(
        store.complete_job(&system, job.id, token + 1).await,
        "complete_job with a wrong token",
    );
    not_found(
        store.complete_job(&system, JobId::new(), 1).await,
        "complete_job of an unknown job",
    );
    not_found(
        store.extend_lease(&system, JobId::new(), 1, LONG).await,
        "extend_lease of an unknown job",
    );
    not_found(
        store.fail_job(&system, JobId::new(), 1, "x", None).await,
        "fail_job of an unknown job",
    );

    let done = ok(
        store.complete_job(&system, job.id, token).await,
        "complete_job with the current token",
    );
    assert!(
        done.status == JobStatus::Succeeded && done.lease.is_none() && done.finished_at.is_some(),
        "store contract: complete_job sets Succeeded and finished_at and drops the lease; got {done:?}"
    );
    let got = ok(store.get_job(&system, job.id).await, "get_job");
    assert!(
        got == done,
        "store contract: get_job shows the completed job"
    );
    conflict(
        store.complete_job(&system, job.id, token).await,
        "complete_job of a job that already succeeded",
    );
    conflict(
        store.extend_lease(&system, job.id, token, LONG).await,
        "extend_lease of a job that already succeeded",
    );
    conflict(
        store.fail_job(&system, job.id, token, "late", None).await,
        "fail_job of a job that already succeeded",
    );
    let none = claim(store, "w2", &kind, LONG).await;
    assert!(
        none.is_none(),
        "store contract: a succeeded job is never claimed again; got {none:?}"
    );

    // A queued job has no lease to show.
    let queued = enqueue(
        store,
        NewJob {
            run_after: Utc::now() + TimeDelta::hours(1),
            ..new_job(&kind, 1)
        },
    )
    .await;
    conflict(
        store.complete_job(&system, queued.id, 0).await,
        "complete_job of a job that is still Queued",
    );

    // list_jobs: newest first, filtered by status, limited.
    let listed = ok(store.list_jobs(&system, None, 1000).await, "list_jobs");
    let position = |id: JobId| listed.iter().position(|j| j.id == id);
    assert!(
        matches!((position(queued.id), position(job.id)), (Some(a), Some(b)) if a < b),
        "store contract: list_jobs lists jobs newest first"
    );
    let succeeded = ok(
        store
            .list_jobs(&system, Some(JobStatus::Succeeded), 1000)
            .await,
        "list_jobs of one status",
    );
    assert!(
        succeeded.iter().all(|j| j.status == JobStatus::Succeeded)
            && succeeded.iter().any(|j| j.id == job.id)
            && succeeded.iter().all(|j| j.id != queued.id),
        "store contract: list_jobs with a status lists exactly the jobs in that status"
    );
    let one = ok(
        store.list_jobs(&system, None, 1).await,
        "list_jobs with limit 1",
    );
    assert!(
        one.len() == 1,
        "store contract: list_jobs returns at most `limit` jobs; got {}",
        one.len()
    );
    refused(
        store.list_jobs(&system, None, 0).await,
        ErrorKind::InvalidInput,
        "list_jobs with limit 0 is InvalidInput",
    );
}

pub(super) async fn takeover<S: JobRepo + ?Sized>(store: &S) {
    let system = Scope::system();
    let kind = fresh_kind();
    let job = enqueue(store, new_job(&kind, 3)).await;
    let Some(first) = claim(store, "crashing", &kind, SHORT).await else {
        panic!("store contract: claim_job hands out a queued job")
    };
    let stale = first.lease.as_ref().map_or(0, |l| l.token);

    let second = claim_when_ready(
        store,
        "rescuer",
        &kind,
        "a job whose lease expired is claimable by another worker",
    )
    .await;
    let fresh = second.lease.as_ref().map_or(0, |l| l.token);
    assert!(
        second.id == job.id
            && second.status == JobStatus::Running
            && second.attempts == 2
            && fresh == 2
            && second.lease.as_ref().is_some_and(|l| l.worker == "rescuer"),
        "store contract: reclaiming an expired lease counts a new attempt and issues a new token \
         to the new worker; got {second:?}"
    );
    conflict(
        store.complete_job(&system, job.id, stale).await,
        "complete_job by the worker whose lease was taken over",
    );
    conflict(
        store.extend_lease(&system, job.id, stale, LONG).await,
        "extend_lease by the worker whose lease was taken over",
    );
    conflict(
        store.fail_job(&system, job.id, stale, "late", None).await,
        "fail_job by the worker whose lease was taken over",
    );
    let got = ok(store.get_job(&system, job.id).await, "get_job");
    assert!(
        got == second,
        "store contract: calls with a stale token change nothing; got {got:?}"
    );
    let done = ok(
        store.complete_job(&system, job.id, fresh).await,
        "complete_job by the worker holding the lease",
    );
    assert!(
        done.status == JobStatus::Succeeded,
        "store contract: the new lease holder completes the job"
    );
}

pub(super) async fn concurrent_claims<S: JobRepo + ?Sized>(store: &S) {
    const JOBS: usize = 12;
    const CLAIMERS: usize = 8;
    let system = Scope::system();
    let kind = fresh_kind();
    let mut queued = BTreeSet::new();
    for _ in 0..JOBS {
        queued.insert(enqueue(store, new_job(&kind, 1)).await.id);
    }
    let claimers = (0..CLAIMERS).map(|n| {
        let kind = kind.clone();
        let system = system.clone();
        async move {
            let worker = format!("worker-{n}");
            let mut got = Vec::new();
            loop {
                let claimed = store
                    .claim_job(&system, &worker, from_ref(&kind), LONG)
                    .await;
                match ok(claimed, "claim_job from concurrent workers") {
                    Some(job) => got.push(job.id),
                    None => return got,
                }
            }
        }
    });
    let claimed: Vec<JobId> = join_all(claimers).await.into_iter().flatten().collect();
    let distinct: BTreeSet<JobId> = claimed.iter().copied().collect();
    assert!(
        distinct.len() == claimed.len(),
        "store contract: concurrent claim_job calls never hand out the same job twice; \
         {} claims of {} jobs",
        claimed.len(),
        distinct.len()
    );
    assert!(
        distinct == queued,
        "store contract: concurrent claimers together claim every queued job exactly once"
    );
}
