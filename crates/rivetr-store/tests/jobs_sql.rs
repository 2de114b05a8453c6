#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! The job queue on SQL beyond the conformance suite: a worker that crashes
//! mid-job loses its lease to a worker of a restarted store, and many
//! claimers on cloned handles never share a job.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::slice::from_ref;
use std::time::Duration;

use rivetr_core::access::Scope;
use rivetr_core::error::ErrorKind;
use rivetr_core::id::JobId;
use rivetr_core::model::{Job, JobKind, JobStatus, NewJob};
use rivetr_core::store::JobRepo;
use rivetr_store::SqlStore;
use serde_json::json;
use tokio::time::Instant;

/// A lease that runs out during the test.
const SHORT: Duration = Duration::from_secs(1);
/// A lease that never runs out during the test.
const LONG: Duration = Duration::from_secs(600);
/// How long a test waits for a short lease to run out.
const PATIENCE: Duration = Duration::from_secs(15);

fn kind(name: &str) -> JobKind {
    name.parse().expect("job kind")
}

async fn claim(store: &SqlStore, worker: &str, kind: &JobKind, lease: Duration) -> Option<Job> {
    store
        .claim_job(&Scope::system(), worker, from_ref(kind), lease)
        .await
        .expect("claim_job")
}

fn token(job: &Job) -> u64 {
    job.lease.as_ref().expect("a claimed job has a lease").token
}

on_both_backends!(a_crashed_workers_job_is_reclaimed_after_a_restart, |db| {
    let system = Scope::system();
    let kind = kind("test.crash");
    let job = db
        .store
        .enqueue_job(&system, NewJob::now(kind.clone(), json!({ "n": 1 })))
        .await
        .expect("enqueue");

    // A worker process claims the job and dies without completing it.
    let crashing = db.reopen().await;
    let lost = claim(&crashing, "crashing", &kind, SHORT)
        .await
        .expect("the queued job is claimed");
    assert_eq!(lost.id, job.id);
    drop(crashing);

    // After a restart the job stays leased until the lease runs out,
    // and is then claimed again, as a new attempt with a new token.
    let restarted = db.reopen().await;
    let lease_end = lost.lease.as_ref().map(|l| l.expires_at);
    let deadline = Instant::now() + PATIENCE;
    let rescued = loop {
        let claimed = claim(&restarted, "rescuer", &kind, LONG).await;
        let answered_at = chrono::Utc::now();
        if let Some(job) = claimed {
            assert!(
                lease_end.is_some_and(|end| end <= answered_at),
                "the job was handed out again before the crashed worker's lease ran out"
            );
            break job;
        }
        assert!(Instant::now() < deadline, "job never reclaimed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(rescued.id, job.id);
    assert_eq!(rescued.status, JobStatus::Running);
    assert_eq!(rescued.attempts, 2);
    assert_eq!(token(&rescued), 2);
    assert_eq!(
        rescued.lease.as_ref().map(|l| l.worker.as_str()),
        Some("rescuer")
    );

    // The crashed worker's token is stale for good.
    let stale = restarted.complete_job(&system, job.id, token(&lost)).await;
    assert_eq!(
        stale.map_err(|e| e.kind()).err(),
        Some(ErrorKind::Conflict),
        "a stale token completed the job"
    );
    let done = restarted
        .complete_job(&system, job.id, token(&rescued))
        .await
        .expect("complete by the lease holder");
    assert_eq!(done.status, JobStatus::Succeeded);
    assert_eq!(
        db.store.get_job(&system, job.id).await.expect("get_job"),
        done,
        "the first handle sees what the restarted one wrote"
    );
});

on_both_backends!(concurrent_workers_complete_every_job_exactly_once, |db| {
    const JOBS: usize = 200;
    const WORKERS: usize = 8;
    let system = Scope::system();
    let kind = kind("test.many");
    let mut queued = BTreeSet::new();
    for n in 0..JOBS {
        let job = db
            .store
            .enqueue_job(&system, NewJob::now(kind.clone(), json!({ "n": n })))
            .await
            .expect("enqueue");
        queued.insert(job.id);
    }

    let workers = (0..WORKERS).map(|n| {
        let store = db.store.clone();
        let kind = kind.clone();
        tokio::spawn(async move {
            let system = Scope::system();
            let worker = format!("worker-{n}");
            let mut completed = Vec::new();
            while let Some(job) = claim(&store, &worker, &kind, LONG).await {
                let done = store
                    .complete_job(&system, job.id, token(&job))
                    .await
                    .expect("the worker holding the lease completes the job");
                assert_eq!(done.status, JobStatus::Succeeded);
                completed.push(job.id);
            }
            completed
        })
    });
    let mut completions: BTreeMap<JobId, usize> = BTreeMap::new();
    for worker in workers.collect::<Vec<_>>() {
        for id in worker.await.expect("worker task") {
            *completions.entry(id).or_default() += 1;
        }
    }

    let twice: Vec<_> = completions.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "jobs completed more than once: {twice:?}");
    let done: BTreeSet<JobId> = completions.keys().copied().collect();
    assert_eq!(done, queued, "every queued job is completed exactly once");
    let succeeded = db
        .store
        .list_jobs(&system, Some(JobStatus::Succeeded), 1000)
        .await
        .expect("list_jobs");
    assert_eq!(succeeded.len(), JOBS);
    assert!(
        succeeded
            .iter()
            .all(|j| j.attempts == 1 && j.lease.is_none()),
        "each job was claimed once"
    );
});

on_both_backends!(
    concurrent_enqueues_with_one_dedupe_key_queue_one_job,
    |db| {
        const ENQUEUERS: usize = 8;
        let kind = kind("test.dedupe");
        let key = format!("test.dedupe:{}", uuid::Uuid::new_v4().simple());
        let enqueuers = (0..ENQUEUERS).map(|n| {
            let store = db.store.clone();
            let new = NewJob {
                dedupe_key: Some(key.clone()),
                ..NewJob::now(kind.clone(), json!({ "n": n }))
            };
            tokio::spawn(async move { store.enqueue_job(&Scope::system(), new).await })
        });
        let mut ids = BTreeSet::new();
        for enqueuer in enqueuers.collect::<Vec<_>>() {
            let job = enqueuer
                .await
                .expect("enqueue task")
                .expect("enqueue with a dedupe key");
            ids.insert(job.id);
        }
        assert_eq!(ids.len(), 1, "one open job per dedupe key: {ids:?}");
        let queued = db
            .store
            .list_jobs(&Scope::system(), Some(JobStatus::Queued), 1000)
            .await
            .expect("list_jobs");
        let keyed = queued
            .iter()
            .filter(|j| j.dedupe_key.as_deref() == Some(key.as_str()))
            .count();
        assert_eq!(keyed, 1, "exactly one job was queued");
    }
);
