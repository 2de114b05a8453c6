//! The `jobs` check of the store conformance suite.

use std::collections::BTreeSet;
use std::slice::from_ref;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use futures::future::join_all;
use serde_json::json;
use tokio::time::Instant;

use super::helpers::{conflict, denied, not_found, ok, parse, refused, tag};
use super::platform_fixtures::stranger;
use crate::access::Scope;
use crate::error::ErrorKind;
use crate::id::JobId;
use crate::model::{Job, JobKind, JobStatus, NewJob};
use crate::store::JobRepo;

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
        run_after: Utc::now(),
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

async fn leases<S: JobRepo + ?Sized>(store: &S) {
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

async fn takeover<S: JobRepo + ?Sized>(store: &S) {
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

async fn concurrent_claims<S: JobRepo + ?Sized>(store: &S) {
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

async fn retries<S: JobRepo + ?Sized>(store: &S) {
    let system = Scope::system();
    let kind = fresh_kind();
    let job = enqueue(store, new_job(&kind, 2)).await;

    // First attempt fails and asks for a retry at once.
    let Some(one) = claim(store, "w", &kind, LONG).await else {
        panic!("store contract: claim_job hands out a queued job")
    };
    let before = Utc::now();
    let requeued = ok(
        store
            .fail_job(&system, job.id, 1, "disk full", Some(Duration::ZERO))
            .await,
        "fail_job with attempts left and a retry",
    );
    assert!(
        one.attempts == 1
            && requeued.status == JobStatus::Queued
            && requeued.attempts == 1
            && requeued.lease.is_none()
            && requeued.last_error.as_deref() == Some("disk full")
            && requeued.run_after >= before - TimeDelta::seconds(1)
            && requeued.finished_at.is_none(),
        "store contract: fail_job with attempts left and retry_after queues the job again at \
         now + retry_after, keeping the error; got {requeued:?}"
    );

    // Second (last) attempt fails: attempts are used up, so Dead.
    let two = claim_when_ready(
        store,
        "w",
        &kind,
        "a job queued for retry at once is claimable",
    )
    .await;
    assert!(
        two.id == job.id && two.attempts == 2 && two.lease.as_ref().is_some_and(|l| l.token == 2),
        "store contract: the retry is a new attempt with a new token; got {two:?}"
    );
    conflict(
        store.fail_job(&system, job.id, 1, "stale", None).await,
        "fail_job with the token of an earlier attempt",
    );
    let dead = ok(
        store
            .fail_job(&system, job.id, 2, "disk still full", Some(Duration::ZERO))
            .await,
        "fail_job of the last attempt",
    );
    assert!(
        dead.status == JobStatus::Dead
            && dead.last_error.as_deref() == Some("disk still full")
            && dead.finished_at.is_some()
            && dead.lease.is_none(),
        "store contract: fail_job when attempts are used up dead-letters the job; got {dead:?}"
    );
    let none = claim(store, "w", &kind, LONG).await;
    assert!(
        none.is_none(),
        "store contract: a Dead job is never claimed; got {none:?}"
    );

    // No retry asked: Failed, even with attempts left.
    let job = enqueue(store, new_job(&kind, 5)).await;
    let Some(claimed) = claim(store, "w", &kind, LONG).await else {
        panic!("store contract: claim_job hands out a queued job")
    };
    let token = claimed.lease.as_ref().map_or(0, |l| l.token);
    let failed = ok(
        store
            .fail_job(&system, job.id, token, "bad payload", None)
            .await,
        "fail_job without a retry",
    );
    assert!(
        failed.status == JobStatus::Failed
            && failed.finished_at.is_some()
            && failed.last_error.as_deref() == Some("bad payload"),
        "store contract: fail_job without retry_after sets Failed; got {failed:?}"
    );

    // A retry later waits for its time.
    let job = enqueue(store, new_job(&kind, 5)).await;
    let Some(claimed) = claim(store, "w", &kind, LONG).await else {
        panic!("store contract: claim_job hands out a queued job")
    };
    let token = claimed.lease.as_ref().map_or(0, |l| l.token);
    let before = Utc::now();
    let later = ok(
        store
            .fail_job(
                &system,
                job.id,
                token,
                "busy",
                Some(Duration::from_secs(3600)),
            )
            .await,
        "fail_job with a retry in an hour",
    );
    assert!(
        later.status == JobStatus::Queued && later.run_after >= before + TimeDelta::seconds(3590),
        "store contract: fail_job sets run_after to now + retry_after; got {later:?}"
    );
    let none = claim(store, "w", &kind, LONG).await;
    assert!(
        none.is_none(),
        "store contract: a job to be retried later is not claimed before its time; got {none:?}"
    );
}

async fn dead_letters<S: JobRepo + ?Sized>(store: &S) {
    let system = Scope::system();
    let kind = fresh_kind();
    let job = enqueue(store, new_job(&kind, 1)).await;
    let Some(claimed) = claim(store, "crashing", &kind, SHORT).await else {
        panic!("store contract: claim_job hands out a queued job")
    };
    assert!(
        claimed.attempts == 1,
        "store contract: claim_job counts the attempt"
    );

    // Its only attempt's lease runs out: claims must dead-letter it, never
    // hand it out.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let got = claim(store, "rescuer", &kind, LONG).await;
        assert!(
            got.is_none(),
            "store contract: a job whose attempts are used up is never claimed again; got {got:?}"
        );
        let now = ok(store.get_job(&system, job.id).await, "get_job");
        if now.status == JobStatus::Dead {
            assert!(
                now.lease.is_none() && now.finished_at.is_some() && now.last_error.is_some(),
                "store contract: a job dead-lettered by claim_job has no lease, a finished_at and \
                 a last_error; got {now:?}"
            );
            break;
        }
        assert!(
            now.status == JobStatus::Running && Instant::now() < deadline,
            "store contract: a Running job whose lease ran out on its last attempt becomes Dead \
             when a worker tries to claim (still {now:?} after {PATIENCE:?})"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    conflict(
        store.complete_job(&system, job.id, 1).await,
        "complete_job of a dead-lettered job",
    );
}
