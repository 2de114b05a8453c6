//! The `jobs` check of the store conformance suite: queueing here, leases
//! and retries in the submodules.

use std::slice::from_ref;
use std::time::Duration;

use chrono::{SubsecRound, TimeDelta, Utc};
use serde_json::json;
use tokio::time::Instant;

use super::helpers::{denied, not_found, ok, parse, refused, tag};
use super::platform_fixtures::stranger;
use crate::access::Scope;
use crate::error::ErrorKind;
use crate::id::JobId;
use crate::model::{Job, JobKind, JobStatus, NewJob};
use crate::store::JobRepo;

mod leases;
mod retries;

use leases::{concurrent_claims, leases, takeover};
use retries::{dead_letters, retries};

/// A lease short enough to run out during the check.
const SHORT: Duration = Duration::from_millis(50);
/// A lease that never runs out during the check.
const LONG: Duration = Duration::from_secs(600);
/// How long the check waits for a short lease to run out.
const PATIENCE: Duration = Duration::from_secs(10);

/// The background job queue: system-only access, enqueue and dedupe,
/// claim order and `run_after`, leases (extend, expiry, takeover by
/// another worker, stale tokens refused), many concurrent claimers never
/// sharing a job, retries and dead-lettering, and `list_jobs`.
///
/// Every job it queues has a kind of its own (`testkit.<random>`), so jobs
/// already in the store are left alone.
pub async fn jobs<S: JobRepo + ?Sized>(store: &S) {
    access(store).await;
    enqueue_and_claim(store).await;
    leases(store).await;
    takeover(store).await;
    concurrent_claims(store).await;
    dedupe(store).await;
    retries(store).await;
    dead_letters(store).await;
}

/// A kind used only by one part of one run.
fn fresh_kind() -> JobKind {
    parse(&format!("testkit.k{}", tag()))
}

fn new_job(kind: &JobKind, max_attempts: u32) -> NewJob {
    NewJob {
        kind: kind.clone(),
        payload: json!({ "n": 1, "tag": tag() }),
        // Whole microseconds: the precision durable stores keep (PostgreSQL).
        run_after: Utc::now().trunc_subsecs(6),
        max_attempts,
        dedupe_key: None,
    }
}

async fn enqueue<S: JobRepo + ?Sized>(store: &S, new: NewJob) -> Job {
    ok(
        store.enqueue_job(&Scope::system(), new).await,
        "enqueue_job",
    )
}

async fn claim<S: JobRepo + ?Sized>(
    store: &S,
    worker: &str,
    kind: &JobKind,
    lease: Duration,
) -> Option<Job> {
    ok(
        store
            .claim_job(&Scope::system(), worker, from_ref(kind), lease)
            .await,
        "claim_job",
    )
}

/// Claim until a job comes back, polling while a lease runs out.
async fn claim_when_ready<S: JobRepo + ?Sized>(
    store: &S,
    worker: &str,
    kind: &JobKind,
    contract: &str,
) -> Job {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(job) = claim(store, worker, kind, LONG).await {
            return job;
        }
        assert!(
            Instant::now() < deadline,
            "store contract: {contract}: nothing claimable within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn access<S: JobRepo + ?Sized>(store: &S) {
    let member = stranger();
    let kind = fresh_kind();
    let job = enqueue(store, new_job(&kind, 1)).await;
    denied(
        store.enqueue_job(&member, new_job(&kind, 1)).await,
        "enqueue_job from a member scope",
    );
    denied(
        store.claim_job(&member, "w", from_ref(&kind), LONG).await,
        "claim_job from a member scope",
    );
    denied(
        store.get_job(&member, job.id).await,
        "get_job from a member scope",
    );
    denied(
        store.list_jobs(&member, None, 10).await,
        "list_jobs from a member scope",
    );
    denied(
        store.extend_lease(&member, job.id, 1, LONG).await,
        "extend_lease from a member scope",
    );
    denied(
        store.complete_job(&member, job.id, 1).await,
        "complete_job from a member scope",
    );
    denied(
        store.fail_job(&member, job.id, 1, "no", None).await,
        "fail_job from a member scope",
    );
    let still = ok(store.get_job(&Scope::system(), job.id).await, "get_job");
    assert!(
        still == job,
        "store contract: refused job calls change nothing; got {still:?}"
    );
}

async fn enqueue_and_claim<S: JobRepo + ?Sized>(store: &S) {
    let system = Scope::system();
    let kind = fresh_kind();
    let invalid = |contract: &str| format!("{contract} is InvalidInput");

    let new = new_job(&kind, 3);
    let job = enqueue(store, new.clone()).await;
    assert!(
        job.kind == new.kind
            && job.payload == new.payload
            && job.run_after == new.run_after
            && job.max_attempts == 3
            && job.status == JobStatus::Queued
            && job.attempts == 0
            && job.lease.is_none()
            && job.last_error.is_none()
            && job.dedupe_key.is_none()
            && job.finished_at.is_none(),
        "store contract: enqueue_job returns a Queued job as given, without attempts or lease; got {job:?}"
    );
    let got = ok(store.get_job(&system, job.id).await, "get_job");
    assert!(
        got == job,
        "store contract: get_job returns the job as queued"
    );
    not_found(
        store.get_job(&system, JobId::new()).await,
        "get_job of an unknown job",
    );
    refused(
        store.enqueue_job(&system, new_job(&kind, 0)).await,
        ErrorKind::InvalidInput,
        &invalid("enqueue_job with max_attempts 0"),
    );
    refused(
        store.claim_job(&system, "", from_ref(&kind), LONG).await,
        ErrorKind::InvalidInput,
        &invalid("claim_job with an empty worker name"),
    );
    refused(
        store.claim_job(&system, "w", &[], LONG).await,
        ErrorKind::InvalidInput,
        &invalid("claim_job naming no kinds"),
    );
    refused(
        store
            .claim_job(&system, "w", from_ref(&kind), Duration::ZERO)
            .await,
        ErrorKind::InvalidInput,
        &invalid("claim_job with a zero lease"),
    );

    // Claiming.
    let other = fresh_kind();
    let none = claim(store, "w1", &other, LONG).await;
    assert!(
        none.is_none(),
        "store contract: claim_job of a kind with nothing queued is None; got {none:?}"
    );
    let before = Utc::now();
    let claimed = claim(store, "w1", &kind, LONG).await;
    let Some(claimed) = claimed else {
        panic!("store contract: claim_job hands out a queued job whose run_after has come")
    };
    let lease = claimed.lease.clone();
    assert!(
        claimed.id == job.id
            && claimed.status == JobStatus::Running
            && claimed.attempts == 1
            && lease.as_ref().is_some_and(|l| l.worker == "w1"
                && l.token == 1
                && l.expires_at >= before + TimeDelta::seconds(590)),
        "store contract: claim_job sets Running, counts the attempt and leases the job to the worker \
         with token = attempts, expiring `lease` from now; got {claimed:?}"
    );
    let again = claim(store, "w2", &kind, LONG).await;
    assert!(
        again.is_none(),
        "store contract: a job with a live lease is not claimed again; got {again:?}"
    );
    let got = ok(store.get_job(&system, job.id).await, "get_job");
    assert!(
        got == claimed,
        "store contract: get_job shows the claim as claim_job returned it; got {got:?}"
    );

    // Order: earliest run_after first, then earliest queued; the future waits.
    let kind = fresh_kind();
    let now = Utc::now();
    let at = |secs: i64| now + TimeDelta::seconds(secs);
    let later = enqueue(
        store,
        NewJob {
            run_after: at(-1),
            ..new_job(&kind, 1)
        },
    )
    .await;
    let first = enqueue(
        store,
        NewJob {
            run_after: at(-60),
            ..new_job(&kind, 1)
        },
    )
    .await;
    let tie = enqueue(
        store,
        NewJob {
            run_after: at(-1),
            ..new_job(&kind, 1)
        },
    )
    .await;
    let future = enqueue(
        store,
        NewJob {
            run_after: at(3600),
            ..new_job(&kind, 1)
        },
    )
    .await;
    let mut order = Vec::new();
    while let Some(job) = claim(store, "w", &kind, LONG).await {
        order.push(job.id);
    }
    assert!(
        order == vec![first.id, later.id, tie.id],
        "store contract: claim_job takes the earliest run_after first, then the earliest queued, \
         and never a job whose run_after is in the future; got {order:?}"
    );
    let waiting = ok(store.get_job(&system, future.id).await, "get_job");
    assert!(
        waiting.status == JobStatus::Queued && waiting.attempts == 0,
        "store contract: a job whose run_after is in the future stays Queued"
    );
}

async fn dedupe<S: JobRepo + ?Sized>(store: &S) {
    let system = Scope::system();
    let kind = fresh_kind();
    let key = format!("testkit-dedupe-{}", tag());
    let keyed = || NewJob {
        dedupe_key: Some(key.clone()),
        ..new_job(&kind, 2)
    };
    let first = enqueue(store, keyed()).await;
    assert!(
        first.dedupe_key.as_deref() == Some(key.as_str()),
        "store contract: enqueue_job keeps the dedupe key"
    );
    let second = enqueue(store, keyed()).await;
    assert!(
        second == first,
        "store contract: enqueue_job with the dedupe key of a Queued job returns that job; got {second:?}"
    );
    let Some(running) = claim(store, "w", &kind, LONG).await else {
        panic!("store contract: claim_job hands out a queued job")
    };
    let while_running = enqueue(store, keyed()).await;
    assert!(
        while_running.id == first.id && while_running.status == JobStatus::Running,
        "store contract: enqueue_job with the dedupe key of a Running job returns that job; got {while_running:?}"
    );
    let token = running.lease.as_ref().map_or(0, |l| l.token);
    ok(
        store.complete_job(&system, first.id, token).await,
        "complete_job",
    );
    let after = enqueue(store, keyed()).await;
    assert!(
        after.id != first.id && after.status == JobStatus::Queued,
        "store contract: once the keyed job finished, the same key queues a new job; got {after:?}"
    );
    let plain1 = enqueue(store, new_job(&kind, 1)).await;
    let plain2 = enqueue(store, new_job(&kind, 1)).await;
    assert!(
        plain1.id != plain2.id,
        "store contract: jobs without a dedupe key are never merged"
    );
    refused(
        store
            .enqueue_job(
                &system,
                NewJob {
                    dedupe_key: Some(String::new()),
                    ..new_job(&kind, 1)
                },
            )
            .await,
        ErrorKind::InvalidInput,
        "enqueue_job with an empty dedupe key is InvalidInput",
    );
}
