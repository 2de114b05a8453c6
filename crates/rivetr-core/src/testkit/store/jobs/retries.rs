//! Failed attempts: retries, `Failed`, and dead-lettering.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use tokio::time::Instant;

use super::{LONG, PATIENCE, SHORT, claim, claim_when_ready, enqueue, fresh_kind, new_job};
use crate::access::Scope;
use crate::model::JobStatus;
use crate::store::JobRepo;
use crate::testkit::store::helpers::{conflict, ok};

pub(super) async fn retries<S: JobRepo + ?Sized>(store: &S) {
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

pub(super) async fn dead_letters<S: JobRepo + ?Sized>(store: &S) {
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
