//! The SQL store on SQLite under a production-sized control database:
//! 1,000 apps across four teams and 100,000 deployments (one app with
//! 10,090 of them, the others 90 each), and one deployment with a
//! 10,000-line log.
//!
//! Measured, each many times in a row (p50 / p99 / max): listing one team's
//! apps, the newest page of an app's deployments and a keyset page in the
//! middle of its history, a page of a long log. Then a sustained log
//! append of 10,000 lines a second for 10 seconds (100 lines every 10 ms,
//! paced on an interval) while a reader keeps listing apps, paging
//! deployments and tailing the log being written.
//!
//! Targets: list apps and a deployment page p99 < 5 ms; 10,000 lines/s
//! sustained without blocking reads.
//!
//! Run: `cargo bench -p rivetr-benches --bench store`
//! (`RIVETR_BENCH_ITERATIONS`, default 2,000 per read measurement). See
//! `benches/store/README.md` for results.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark binary reports on stdout and fails loudly"
)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use rivetr_core::access::Scope;
use rivetr_core::id::{AppId, DeploymentId, EnvironmentId};
use rivetr_core::model::{
    AppSpec, DeploymentStatus, LogStream, NewApp, NewDeployment, NewLogLine, NewProject, NewUser,
    Page, Role, Trigger,
};
use rivetr_core::store::{AppRepo, DeploymentRepo, LogRepo, ProjectRepo, TeamRepo, UserRepo};
use rivetr_store::{Sealing, SqlStore, StoreConfig};

const TEAMS: usize = 4;
const PROJECTS_PER_TEAM: usize = 5;
const APPS: usize = 1_000;
const DEPLOYMENTS: usize = 100_000;
/// The one app with a long history (the rest share what is left evenly).
const HOT_APP_DEPLOYMENTS: usize = 10_090;
const LOG_LINES: usize = 10_000;
/// Writers seeding deployments at once (they queue on SQLite's one writer
/// connection; more than one keeps it busy).
const SEEDERS: usize = 8;

const APPEND_BATCH: usize = 100;
const APPEND_EVERY: Duration = Duration::from_millis(10);
const APPEND_FOR: Duration = Duration::from_secs(10);

/// What the measurements run against.
struct Seeded {
    /// A team member's scope (owner) of the first team.
    scope: Scope,
    /// Its app with 10,090 deployments.
    hot_app: AppId,
    /// A deployment with a 10,000-line log.
    logged: DeploymentId,
    /// A deployment with no log yet, for the append run.
    appending: DeploymentId,
}

fn line(n: usize) -> NewLogLine {
    NewLogLine {
        at: Utc::now(),
        step: DeploymentStatus::Building,
        stream: LogStream::Stdout,
        text: format!("#{n:06} Compiling some-crate v1.2.3 (/build/src/some-crate) in 0.42s"),
    }
}

fn deployment(app: AppId) -> NewDeployment {
    NewDeployment {
        app_id: app,
        trigger: Trigger::Manual,
        requested_by: None,
        image: None,
    }
}

async fn seed(store: &SqlStore) -> Seeded {
    let system = Scope::system();
    let mut scopes = Vec::new();
    let mut envs: Vec<(Scope, EnvironmentId)> = Vec::new();
    for t in 0..TEAMS {
        let owner = store
            .create_user(
                &system,
                NewUser {
                    email: format!("owner{t}@example.com").parse().unwrap(),
                    name: format!("Owner {t}").parse().unwrap(),
                    instance_admin: false,
                },
            )
            .await
            .unwrap();
        let team = store
            .create_team(&system, format!("team-{t}").parse().unwrap(), owner.id)
            .await
            .unwrap()
            .id;
        let scope = Scope::member(owner.id, team, Role::Owner);
        for p in 0..PROJECTS_PER_TEAM {
            let project = store
                .create_project(
                    &scope,
                    NewProject {
                        team_id: team,
                        name: format!("project-{p}").parse().unwrap(),
                    },
                )
                .await
                .unwrap();
            let env = store.list_environments(&scope, project.id).await.unwrap()[0].id;
            envs.push((scope.clone(), env));
        }
        scopes.push(scope);
    }
    let mut apps: Vec<(Scope, AppId)> = Vec::new();
    for a in 0..APPS {
        // Apps go round the teams, so each team holds APPS / TEAMS of them.
        let (scope, env) = &envs[(a % TEAMS) * PROJECTS_PER_TEAM + (a / TEAMS) % PROJECTS_PER_TEAM];
        let app = store
            .create_app(
                scope,
                NewApp {
                    environment_id: *env,
                    name: format!("app-{a}").parse().unwrap(),
                    spec: AppSpec::from_image("example/web:v1".parse().unwrap()),
                },
            )
            .await
            .unwrap();
        apps.push((scope.clone(), app.id));
    }

    // Deployments: the hot app's first, then the others', from SEEDERS
    // tasks taking turns over the list.
    let per_app = (DEPLOYMENTS - HOT_APP_DEPLOYMENTS) / (APPS - 1);
    let mut work: Vec<(Scope, AppId)> = vec![apps[0].clone(); HOT_APP_DEPLOYMENTS];
    for app in &apps[1..] {
        work.extend(std::iter::repeat_n(app.clone(), per_app));
    }
    assert_eq!(work.len(), DEPLOYMENTS);
    let work = Arc::new(work);
    let seeders: Vec<_> = (0..SEEDERS)
        .map(|s| {
            let (store, work) = (store.clone(), Arc::clone(&work));
            tokio::spawn(async move {
                for (scope, app) in work.iter().skip(s).step_by(SEEDERS) {
                    store
                        .enqueue_deployment(scope, deployment(*app))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for seeder in seeders {
        seeder.await.unwrap();
    }

    let scope = scopes[0].clone();
    let (_, hot_app) = apps[0];
    let logged = store
        .enqueue_deployment(&scope, deployment(hot_app))
        .await
        .unwrap()
        .id;
    for start in (0..LOG_LINES).step_by(250) {
        let lines = (start..start + 250).map(line).collect();
        store.append_logs(&scope, logged, lines).await.unwrap();
    }
    let appending = store
        .enqueue_deployment(&scope, deployment(hot_app))
        .await
        .unwrap()
        .id;
    Seeded {
        scope,
        hot_app,
        logged,
        appending,
    }
}

/// Latencies of one operation.
struct Samples(Vec<Duration>);

impl Samples {
    fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        // Nearest rank.
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }

    fn max(&self) -> Duration {
        self.0.iter().copied().max().unwrap_or_default()
    }

    fn row(&self, what: &str) {
        println!(
            "{what:<58} {:>7} {:>9.3} {:>9.3} {:>9.3}",
            self.0.len(),
            ms(self.quantile(0.50)),
            ms(self.quantile(0.99)),
            ms(self.max())
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn header() {
    println!(
        "{:<58} {:>7} {:>9} {:>9} {:>9}",
        "operation", "n", "p50 ms", "p99 ms", "max ms"
    );
}

/// Run `op` `iterations` times in a row (after a tenth as many for warm-up)
/// and time each call.
async fn measure<F, Fut, T>(iterations: usize, mut op: F) -> Samples
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = rivetr_core::Result<T>>,
{
    for i in 0..iterations / 10 {
        op(i).await.unwrap();
    }
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..iterations {
        let start = Instant::now();
        op(i).await.unwrap();
        samples.push(start.elapsed());
    }
    Samples(samples)
}

/// Append 100 lines every 10 ms for 10 s while a reader lists apps, pages
/// deployments and tails the log being written.
async fn sustained_append(store: &SqlStore, seeded: &Seeded) {
    let writing = Arc::new(AtomicBool::new(true));
    let reader = {
        let (store, writing) = (store.clone(), Arc::clone(&writing));
        let (scope, hot_app, appending) = (seeded.scope.clone(), seeded.hot_app, seeded.appending);
        tokio::spawn(async move {
            let (mut apps, mut pages, mut tails) = (Vec::new(), Vec::new(), Vec::new());
            let mut seen = 0;
            while writing.load(Ordering::Relaxed) {
                let start = Instant::now();
                store.list_apps(&scope, None).await.unwrap();
                apps.push(start.elapsed());
                let start = Instant::now();
                store
                    .list_deployments(&scope, hot_app, Page::first(50))
                    .await
                    .unwrap();
                pages.push(start.elapsed());
                // A dashboard tailing the log: up to 100 lines it has not
                // seen yet.
                let start = Instant::now();
                let lines = store.read_logs(&scope, appending, seen, 100).await.unwrap();
                tails.push(start.elapsed());
                seen = lines.last().map_or(seen, |l| l.seq);
            }
            (Samples(apps), Samples(pages), Samples(tails))
        })
    };

    let ticks = (APPEND_FOR.as_millis() / APPEND_EVERY.as_millis()) as usize;
    let mut interval = tokio::time::interval(APPEND_EVERY);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut batches = Vec::with_capacity(ticks);
    let mut appended = 0;
    let started = Instant::now();
    for t in 0..ticks {
        interval.tick().await;
        let lines = (t * APPEND_BATCH..(t + 1) * APPEND_BATCH)
            .map(line)
            .collect();
        let start = Instant::now();
        appended += store
            .append_logs(&seeded.scope, seeded.appending, lines)
            .await
            .unwrap()
            .len();
        batches.push(start.elapsed());
    }
    let elapsed = started.elapsed();
    writing.store(false, Ordering::Relaxed);
    let (apps, pages, tails) = reader.await.unwrap();

    let stored = store
        .read_logs(&seeded.scope, seeded.appending, appended as u64 - 1, 10)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1, "the last appended line is not stored");

    println!();
    println!(
        "sustained append: {appended} lines in {:.2} s = {:.0} lines/s (target {} lines/s)",
        elapsed.as_secs_f64(),
        appended as f64 / elapsed.as_secs_f64(),
        APPEND_BATCH as u128 * 1000 / APPEND_EVERY.as_millis()
    );
    header();
    Samples(batches).row("append_logs, one batch of 100 lines");
    apps.row("during append: list_apps (one team)");
    pages.row("during append: list_deployments first page (50)");
    tails.row("during append: read_logs tail page (100) of that log");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let iterations: usize = std::env::var("RIVETR_BENCH_ITERATIONS")
        .ok()
        .map_or(2_000, |v| v.parse().expect("RIVETR_BENCH_ITERATIONS"));
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::open(StoreConfig::new(
        format!("sqlite://{}", dir.path().join("rivetr.db").display()),
        Sealing::KeyFile(dir.path().join("sealing.keys")),
    ))
    .await
    .unwrap();

    let started = Instant::now();
    let seeded = seed(&store).await;
    let size = std::fs::metadata(dir.path().join("rivetr.db"))
        .unwrap()
        .len()
        + std::fs::metadata(dir.path().join("rivetr.db-wal")).map_or(0, |m| m.len());
    println!(
        "seeded {APPS} apps in {TEAMS} teams, {DEPLOYMENTS} deployments, a {LOG_LINES}-line log \
         in {:.1} s ({:.1} MB on disk)",
        started.elapsed().as_secs_f64(),
        size as f64 / 1e6
    );
    println!();

    let (store, s) = (&store, &seeded);
    let listed = store.list_apps(&s.scope, None).await.unwrap().len();
    let mut middle = Page::first(50);
    middle.before = Some((HOT_APP_DEPLOYMENTS / 2) as u64);
    let hot_page = store
        .list_deployments(&s.scope, s.hot_app, middle)
        .await
        .unwrap();
    assert_eq!(hot_page.len(), 50);
    assert_eq!(listed, APPS / TEAMS);

    header();
    measure(iterations, |_| store.list_apps(&s.scope, None))
        .await
        .row(&format!("list_apps (one team, {listed} apps)"));
    measure(iterations, |_| {
        store.list_deployments(&s.scope, s.hot_app, Page::first(50))
    })
    .await
    .row(&format!(
        "list_deployments first page (50 of {HOT_APP_DEPLOYMENTS})"
    ));
    measure(iterations, |_| {
        store.list_deployments(&s.scope, s.hot_app, middle)
    })
    .await
    .row(&format!(
        "list_deployments keyset page (50 before #{})",
        HOT_APP_DEPLOYMENTS / 2
    ));
    measure(iterations, |i| {
        // Pages spread over the whole log, not the same one each time.
        let after = (i * 97 % (LOG_LINES - 100)) as u64;
        store.read_logs(&s.scope, s.logged, after, 100)
    })
    .await
    .row(&format!("read_logs page (100 of {LOG_LINES} lines)"));

    sustained_append(store, s).await;
}
