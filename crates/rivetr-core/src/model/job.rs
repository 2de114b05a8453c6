//! Background jobs: the durable queue for work other than deployments
//! (backups, certificate renewals, clean-up).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::JobId;

dotted_name!(
    /// What a job does, and so which worker runs it: a short dotted
    /// lowercase name such as `backup.run` or `cert.renew` (parts of
    /// lowercase letters, digits and `_`, each starting with a letter,
    /// separated by `.`; at most 64 characters).
    ///
    /// ```
    /// use rivetr_core::model::JobKind;
    ///
    /// let kind: JobKind = "backup.run".parse()?;
    /// assert_eq!(kind.as_str(), "backup.run");
    /// assert!("Backup.Run".parse::<JobKind>().is_err());
    /// assert!("backup..run".parse::<JobKind>().is_err());
    /// # Ok::<(), rivetr_core::input::InputError>(())
    /// ```
    JobKind, "job kind", min_segments = 1
);

/// Where a job is in its life.
///
/// ```text
/// Queued ──claim──▶ Running ──complete──▶ Succeeded
///   ▲                 │ │
///   └──fail (retry)───┘ └──fail──▶ Failed (no retry asked)
///                                  Dead   (attempts used up, or the lease
///                                          ran out on the last attempt)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for `run_after` and a worker.
    Queued,
    /// Leased to a worker.
    Running,
    /// Done.
    Succeeded,
    /// The worker gave up and asked for no retry.
    Failed,
    /// Every attempt was used: dead-lettered, kept for people to look at.
    Dead,
}

impl JobStatus {
    /// Lowercase name (`queued`, `running`, ...).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Dead => "dead",
        }
    }

    /// Whether the job is over (`Succeeded`, `Failed` or `Dead`).
    #[must_use]
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Dead)
    }
}

/// Who holds a running job, and until when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobLease {
    /// The worker that claimed it (a name for logs, e.g. host and task).
    pub worker: String,
    /// Proof of holding the lease: equal to the job's attempt count when it
    /// was claimed, so it grows with every claim and a worker whose lease
    /// was taken over holds a stale token.
    pub token: u64,
    /// After this instant another worker may claim the job.
    pub expires_at: DateTime<Utc>,
}

/// A background job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Identity.
    pub id: JobId,
    /// What it does.
    pub kind: JobKind,
    /// Its input, for the worker.
    pub payload: serde_json::Value,
    /// Where it is in its life.
    pub status: JobStatus,
    /// How many times it has been claimed.
    pub attempts: u32,
    /// The most claims it may get (at least 1).
    pub max_attempts: u32,
    /// Not claimed before this instant.
    pub run_after: DateTime<Utc>,
    /// The current lease, while `Running`.
    pub lease: Option<JobLease>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The key that keeps a second copy from being queued, if any.
    pub dedupe_key: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it reached `Succeeded`, `Failed` or `Dead`.
    pub finished_at: Option<DateTime<Utc>>,
}

/// What it takes to queue a [`Job`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewJob {
    /// What it does.
    pub kind: JobKind,
    /// Its input.
    pub payload: serde_json::Value,
    /// Not claimed before this instant (the past means now).
    pub run_after: DateTime<Utc>,
    /// The most claims it may get (at least 1).
    pub max_attempts: u32,
    /// While a job with this key is `Queued` or `Running`, queueing another
    /// one with the same key returns that job instead (keys are compared
    /// across every kind, so include the kind in it).
    pub dedupe_key: Option<String>,
}

impl NewJob {
    /// A job of `kind` to run now, with up to 3 attempts and no dedupe key.
    #[must_use]
    pub fn now(kind: JobKind, payload: serde_json::Value) -> Self {
        Self {
            kind,
            payload,
            run_after: Utc::now(),
            max_attempts: 3,
            dedupe_key: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_round_trips_through_json_and_kinds_are_checked_on_the_way_in() {
        let job = Job {
            id: JobId::new(),
            kind: "backup.run".parse().unwrap(),
            payload: serde_json::json!({ "app": "web" }),
            status: JobStatus::Running,
            attempts: 1,
            max_attempts: 3,
            run_after: Utc::now(),
            lease: Some(JobLease {
                worker: "host-1/worker-2".to_owned(),
                token: 1,
                expires_at: Utc::now(),
            }),
            last_error: None,
            dedupe_key: Some("backup.run:web".to_owned()),
            created_at: Utc::now(),
            finished_at: None,
        };
        let text = serde_json::to_string(&job).unwrap();
        assert!(text.contains("\"status\":\"running\""), "{text}");
        assert_eq!(serde_json::from_str::<Job>(&text).unwrap(), job);
        let forged = text.replace("backup.run\"", "Backup Run\"");
        assert!(serde_json::from_str::<Job>(&forged).is_err());
    }

    #[test]
    fn finished_statuses() {
        use JobStatus::*;
        let finished: Vec<_> = [Queued, Running, Succeeded, Failed, Dead]
            .into_iter()
            .filter(|s| s.is_finished())
            .map(JobStatus::as_str)
            .collect();
        assert_eq!(finished, ["succeeded", "failed", "dead"]);
    }
}
