#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! Deployment logs on SQL: a chatty build stored in bounded chunks and read
//! back in pages, the per-deployment byte budget with its one truncation
//! notice, and pruning old logs.

mod common;

use std::time::Duration;

use chrono::Utc;
use rivetr_core::access::Scope;
use rivetr_core::id::{AppId, DeploymentId};
use rivetr_core::model::{
    AppSpec, Deployment, DeploymentStatus, DeploymentUpdate, LogStream, NewApp, NewDeployment,
    NewLogLine, NewProject, NewUser, Role, Trigger,
};
use rivetr_core::store::{AppRepo, DeploymentRepo, LogRepo, ProjectRepo, TeamRepo, UserRepo};
use rivetr_store::{LogLimits, SqlStore};
use sea_orm::sqlx::{Connection, PgConnection, SqliteConnection};

/// `db`'s database opened again with `limits` (the original handle stays
/// unused, so SQLite still has one writer at a time).
async fn with_limits(db: &common::TestDb, limits: LogLimits) -> SqlStore {
    let mut config = db.config.clone();
    config.logs = limits;
    SqlStore::open(config)
        .await
        .expect("open store with limits")
}

/// `(chunk rows, most lines in a chunk, most text bytes in a chunk)` in the
/// whole database, asked of the database directly.
async fn chunk_stats(db: &common::TestDb) -> (i64, i64, i64) {
    let sql = "SELECT COUNT(*), CAST(COALESCE(MAX(last_seq - first_seq + 1), 0) AS BIGINT), \
               CAST(COALESCE(MAX(bytes), 0) AS BIGINT) FROM log_chunks";
    let url = &db.config.url;
    if url.starts_with("sqlite:") {
        let mut conn = SqliteConnection::connect(url).await.expect("connect");
        sea_orm::sqlx::query_as(sql)
            .fetch_one(&mut conn)
            .await
            .expect("count chunks")
    } else {
        let mut conn = PgConnection::connect(url).await.expect("connect");
        sea_orm::sqlx::query_as(sql)
            .fetch_one(&mut conn)
            .await
            .expect("count chunks")
    }
}

/// A team owner's scope and a new app of theirs.
async fn owner_and_app(store: &SqlStore, label: &str) -> (Scope, AppId) {
    let system = Scope::system();
    let owner = store
        .create_user(
            &system,
            NewUser {
                email: format!("{label}@example.com").parse().unwrap(),
                name: label.parse().unwrap(),
                instance_admin: false,
            },
        )
        .await
        .unwrap();
    let team = store
        .create_team(&system, label.parse().unwrap(), owner.id)
        .await
        .unwrap();
    let scope = Scope::member(owner.id, team.id, Role::Owner);
    (scope.clone(), new_app(store, &scope, team.id, label).await)
}

/// Another app of the scope's team, in a project of its own.
async fn new_app(
    store: &SqlStore,
    scope: &Scope,
    team: rivetr_core::id::TeamId,
    name: &str,
) -> AppId {
    let project = store
        .create_project(
            scope,
            NewProject {
                team_id: team,
                name: format!("{name}-project").parse().unwrap(),
            },
        )
        .await
        .unwrap();
    let env = store.list_environments(scope, project.id).await.unwrap()[0].id;
    let app = NewApp {
        environment_id: env,
        name: name.parse().unwrap(),
        spec: AppSpec::from_image("example/web:v1".parse().unwrap()),
    };
    store.create_app(scope, app).await.unwrap().id
}

async fn enqueue(store: &SqlStore, scope: &Scope, app: AppId) -> Deployment {
    let new = NewDeployment {
        app_id: app,
        trigger: Trigger::Manual,
        requested_by: None,
        image: None,
    };
    store.enqueue_deployment(scope, new).await.unwrap()
}

/// Move `id` from `from` through `path`.
async fn advance(
    store: &SqlStore,
    scope: &Scope,
    id: DeploymentId,
    mut from: DeploymentStatus,
    path: &[DeploymentStatus],
) {
    for &to in path {
        store
            .transition_deployment(scope, id, from, DeploymentUpdate::to(to))
            .await
            .unwrap();
        from = to;
    }
}

fn build_lines(texts: impl IntoIterator<Item = String>) -> Vec<NewLogLine> {
    texts
        .into_iter()
        .map(|text| NewLogLine {
            at: Utc::now(),
            step: DeploymentStatus::Building,
            stream: LogStream::Stdout,
            text,
        })
        .collect()
}

on_both_backends!(
    chatty_build_is_stored_in_bounded_chunks_and_read_in_pages,
    |db| {
        const LINES: u64 = 20_000;
        const BATCH: u64 = 500;
        let limits = LogLimits::default();
        let store = with_limits(&db, limits).await;
        let (owner, app) = owner_and_app(&store, "chatty").await;
        let d = enqueue(&store, &owner, app).await;
        let text = |seq: u64| format!("#{seq} Compiling crate-{seq} v1.0.{}", seq % 97);

        for start in (1..=LINES).step_by(BATCH as usize) {
            let stored = store
                .append_logs(&owner, d.id, build_lines((start..start + BATCH).map(text)))
                .await
                .unwrap();
            assert_eq!(
                stored.len() as u64,
                BATCH,
                "the whole batch fits the budget"
            );
            assert_eq!(stored[0].seq, start);
            assert_eq!(stored[stored.len() - 1].seq, start + BATCH - 1);
        }

        // Each append of 500 lines is two chunks (256 + 244): 80 rows, not
        // 20,000, and none past the per-chunk limits.
        let (chunks, most_lines, most_bytes) = chunk_stats(&db).await;
        let per_append = BATCH.div_ceil(u64::from(limits.lines_per_chunk));
        assert_eq!(chunks as u64, LINES / BATCH * per_append);
        assert!(chunks as u64 <= LINES.div_ceil(u64::from(limits.lines_per_chunk)) + 1);
        assert_eq!(most_lines, i64::from(limits.lines_per_chunk));
        assert!(most_bytes <= i64::from(limits.bytes_per_chunk));

        // Read back page by page: every line once, in order, as appended.
        let mut after = 0;
        loop {
            let page = store.read_logs(&owner, d.id, after, 1_000).await.unwrap();
            let Some(last) = page.last() else { break };
            assert!(
                page.len() == 1_000 || last.seq == LINES,
                "short page before the end"
            );
            for (line, seq) in page.iter().zip(after + 1..) {
                assert_eq!(line.seq, seq);
                assert_eq!(line.text, text(seq));
                assert_eq!(line.stream, LogStream::Stdout);
                assert_eq!(line.deployment_id, d.id);
            }
            after = last.seq;
        }
        assert_eq!(after, LINES, "every line was read");

        // A window in the middle of a chunk, and one across two chunks.
        let window = store.read_logs(&owner, d.id, 12_345, 10).await.unwrap();
        let seqs: Vec<u64> = window.iter().map(|l| l.seq).collect();
        assert_eq!(seqs, (12_346..=12_355).collect::<Vec<_>>());
        let across = store.read_logs(&owner, d.id, 250, 10).await.unwrap();
        assert_eq!(across.first().map(|l| l.seq), Some(251));
        assert_eq!(across.last().map(|l| l.seq), Some(260));
    }
);

on_both_backends!(chunks_respect_the_byte_limit, |db| {
    let mut limits = LogLimits::default();
    limits.bytes_per_chunk = 1_000;
    let store = with_limits(&db, limits).await;
    let (owner, app) = owner_and_app(&store, "wide").await;
    let d = enqueue(&store, &owner, app).await;
    // 100 lines of 90 bytes: 11 fit in a chunk of 1,000 bytes.
    let lines = build_lines((0..100).map(|i| format!("{i:>90}")));
    store.append_logs(&owner, d.id, lines).await.unwrap();
    let (chunks, most_lines, most_bytes) = chunk_stats(&db).await;
    assert_eq!((chunks, most_lines), (10, 11));
    assert!(most_bytes <= 1_000, "a chunk holds {most_bytes} bytes");
    let all = store.read_logs(&owner, d.id, 0, 1_000).await.unwrap();
    assert_eq!(all.len(), 100);
    assert!(all.iter().zip(1..).all(|(l, seq)| l.seq == seq));
});

on_both_backends!(log_past_the_budget_is_truncated_once, |db| {
    let mut limits = LogLimits::default();
    limits.bytes_per_deployment = 10_000;
    let store = with_limits(&db, limits).await;
    let (owner, app) = owner_and_app(&store, "budget").await;
    let d = enqueue(&store, &owner, app).await;
    let hundred = |i: u64| format!("{i:0>100}");

    // 250 lines of 100 bytes in five appends: the first 100 fill the
    // budget exactly, the 101st becomes the notice, the rest is dropped.
    let mut returned = Vec::new();
    for batch in 0..5u64 {
        let lines = build_lines((batch * 50..batch * 50 + 50).map(hundred));
        returned.push(store.append_logs(&owner, d.id, lines).await.unwrap());
    }
    let counts: Vec<usize> = returned.iter().map(Vec::len).collect();
    assert_eq!(
        counts,
        [50, 50, 1, 0, 0],
        "append_logs returns only what it stored"
    );
    let more = build_lines(["short".to_owned()]);
    assert!(
        store
            .append_logs(&owner, d.id, more)
            .await
            .unwrap()
            .is_empty(),
        "a truncated log takes nothing more, even a line that would fit"
    );

    let all = store.read_logs(&owner, d.id, 0, 1_000).await.unwrap();
    assert_eq!(all.len(), 101);
    assert!(
        all[..100]
            .iter()
            .zip(0..)
            .all(|(l, i)| l.text == hundred(i))
    );
    let notice = &all[100];
    assert_eq!(notice.seq, 101);
    assert_eq!(notice.stream, LogStream::System);
    assert_eq!(
        notice.text,
        "log truncated: the rest of this deployment's log exceeded 10000 bytes and was dropped"
    );
    assert_eq!(&returned[2][0], notice, "the notice is returned as stored");
    let notices = all
        .iter()
        .filter(|l| l.text.starts_with("log truncated"))
        .count();
    assert_eq!(notices, 1, "one notice, not one per append");

    // Another deployment of the app has its own budget.
    let next = enqueue(&store, &owner, app).await;
    let stored = store
        .append_logs(&owner, next.id, build_lines([hundred(1)]))
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
});

on_both_backends!(
    prune_deletes_old_finished_logs_but_keeps_newest_and_unfinished,
    |db| {
        use DeploymentStatus::*;
        let mut limits = LogLimits::default();
        limits.keep_per_app = 2;
        limits.retention = Duration::from_secs(24 * 60 * 60);
        let store = with_limits(&db, limits).await;
        let (owner, app) = owner_and_app(&store, "prune").await;

        // #1 is building and #2 live (neither finished for good); #3..#6
        // failed; #5 and #6 are the app's two newest.
        let mut ds = Vec::new();
        for _ in 0..6 {
            let d = enqueue(&store, &owner, app).await;
            let lines = build_lines((0..3).map(|i| format!("deployment #{} line {i}", d.number)));
            store.append_logs(&owner, d.id, lines).await.unwrap();
            ds.push(d);
        }
        advance(&store, &owner, ds[0].id, Queued, &[Fetching, Building]).await;
        advance(
            &store,
            &owner,
            ds[1].id,
            Queued,
            &[Starting, Checking, Switching, Live],
        )
        .await;
        for d in &ds[2..] {
            advance(&store, &owner, d.id, Queued, &[Failed]).await;
        }
        // Another app's only deployment, finished: among its app's newest.
        let team = owner.team().unwrap();
        let other_app = new_app(&store, &owner, team, "prune-other").await;
        let other = enqueue(&store, &owner, other_app).await;
        store
            .append_logs(&owner, other.id, build_lines(["other".to_owned()]))
            .await
            .unwrap();
        advance(&store, &owner, other.id, Queued, &[Failed]).await;

        // Nothing is older than a day yet.
        let report = store.prune_logs().await.unwrap();
        assert_eq!((report.deployments, report.chunks), (0, 0));

        // With no retention, #3 and #4 go: finished, and not among the two
        // newest of their app.
        limits.retention = Duration::ZERO;
        drop(store);
        let store = with_limits(&db, limits).await;
        let report = store.prune_logs().await.unwrap();
        assert_eq!((report.deployments, report.chunks), (2, 2));
        for (i, d) in ds.iter().enumerate() {
            let lines = store.read_logs(&owner, d.id, 0, 100).await.unwrap();
            let pruned = d.number == 3 || d.number == 4;
            assert_eq!(
                lines.len(),
                if pruned { 0 } else { 3 },
                "deployment #{}",
                i + 1
            );
            let row = store.get_deployment(&owner, d.id).await.unwrap();
            assert_eq!(row.number, d.number, "the deployment row stays");
        }
        let kept = store.read_logs(&owner, other.id, 0, 100).await.unwrap();
        assert_eq!(
            kept.len(),
            1,
            "the other app's newest deployment keeps its log"
        );

        let again = store.prune_logs().await.unwrap();
        assert_eq!(
            (again.deployments, again.chunks),
            (0, 0),
            "pruning twice deletes nothing more"
        );

        // Numbering goes on after the pruned lines (a late line of #3).
        let late = store
            .append_logs(&owner, ds[2].id, build_lines(["late".to_owned()]))
            .await
            .unwrap();
        assert_eq!(late[0].seq, 4);
    }
);
