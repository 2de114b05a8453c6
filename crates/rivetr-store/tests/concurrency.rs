#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! Many writers and readers at once on one store: no call fails (on SQLite
//! in particular, no "database is locked" reaches a caller), and every
//! write is there afterwards.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Utc;
use rivetr_core::access::Scope;
use rivetr_core::id::{AppId, DeploymentId, ProjectId};
use rivetr_core::model::{
    App, AppSpec, DeploymentStatus, LogStream, NewApp, NewDeployment, NewEnvVar, NewLogLine,
    NewProject, NewUser, Page, Role, SecretString, Trigger,
};
use rivetr_core::store::{
    AppRepo, DeploymentRepo, EnvVarRepo, LogRepo, ProjectRepo, TeamRepo, UserRepo,
};
use rivetr_store::SqlStore;
use tokio::sync::Barrier;

const WRITERS: usize = 200;
const ROUNDS: usize = 5;
const READERS: usize = 8;
const APPS: usize = 4;
const LINES_PER_APPEND: usize = 10;

/// What one write did, to look for afterwards.
#[derive(Debug)]
enum Wrote {
    Project(ProjectId, String),
    EnvVar(AppId, String, String),
    Deployment(AppId, DeploymentId),
    Logs(DeploymentId, Vec<(u64, String)>),
}

/// A team with one project and `APPS` apps, each with one deployment to
/// append logs to.
struct Setup {
    scope: Scope,
    team: rivetr_core::id::TeamId,
    apps: Vec<App>,
    deployments: Vec<DeploymentId>,
}

async fn setup(store: &SqlStore) -> Setup {
    let system = Scope::system();
    let owner = store
        .create_user(
            &system,
            NewUser {
                email: "owner@example.com".parse().unwrap(),
                name: "Owner".parse().unwrap(),
                instance_admin: false,
            },
        )
        .await
        .unwrap();
    let team = store
        .create_team(&system, "load".parse().unwrap(), owner.id)
        .await
        .unwrap()
        .id;
    let scope = Scope::member(owner.id, team, Role::Owner);
    let project = store
        .create_project(
            &scope,
            NewProject {
                team_id: team,
                name: "base".parse().unwrap(),
            },
        )
        .await
        .unwrap();
    let env = store
        .list_environments(&scope, project.id)
        .await
        .unwrap()
        .remove(0);
    let mut apps = Vec::new();
    let mut deployments = Vec::new();
    for a in 0..APPS {
        let app = store
            .create_app(
                &scope,
                NewApp {
                    environment_id: env.id,
                    name: format!("app-{a}").parse().unwrap(),
                    spec: AppSpec::from_image("example/web:v1".parse().unwrap()),
                },
            )
            .await
            .unwrap();
        deployments.push(
            store
                .enqueue_deployment(&scope, new_deployment(app.id))
                .await
                .unwrap()
                .id,
        );
        apps.push(app);
    }
    Setup {
        scope,
        team,
        apps,
        deployments,
    }
}

fn new_deployment(app: AppId) -> NewDeployment {
    NewDeployment {
        app_id: app,
        trigger: Trigger::Manual,
        requested_by: None,
        image: None,
    }
}

/// Writer `w`'s round `r`: one of the four writes, rotating.
async fn write(store: &SqlStore, setup: &Setup, w: usize, r: usize) -> rivetr_core::Result<Wrote> {
    let scope = &setup.scope;
    let app = setup.apps[(w + r) % APPS].id;
    match (w + r) % 4 {
        0 => {
            let name = format!("project-{w}-{r}");
            let project = store
                .create_project(
                    scope,
                    NewProject {
                        team_id: setup.team,
                        name: name.parse().unwrap(),
                    },
                )
                .await?;
            Ok(Wrote::Project(project.id, name))
        }
        1 => {
            let (key, value) = (format!("KEY_{w}_{r}"), format!("value {w} {r}"));
            store
                .set_env_var(
                    scope,
                    NewEnvVar {
                        app_id: app,
                        key: key.parse().unwrap(),
                        value: SecretString::new(value.clone()),
                        secret: w.is_multiple_of(2),
                    },
                )
                .await?;
            Ok(Wrote::EnvVar(app, key, value))
        }
        2 => {
            let deployment = store.enqueue_deployment(scope, new_deployment(app)).await?;
            Ok(Wrote::Deployment(app, deployment.id))
        }
        _ => {
            let deployment = setup.deployments[(w + r) % APPS];
            let lines = (0..LINES_PER_APPEND)
                .map(|i| NewLogLine {
                    at: Utc::now(),
                    step: DeploymentStatus::Building,
                    stream: LogStream::Stdout,
                    text: format!("writer {w} round {r} line {i}"),
                })
                .collect();
            let stored = store.append_logs(scope, deployment, lines).await?;
            Ok(Wrote::Logs(
                deployment,
                stored.into_iter().map(|l| (l.seq, l.text)).collect(),
            ))
        }
    }
}

/// One round of every kind of read a dashboard makes.
async fn read(store: &SqlStore, setup: &Setup, i: usize) -> rivetr_core::Result<()> {
    let scope = &setup.scope;
    let app = setup.apps[i % APPS].id;
    store.list_projects(scope).await?;
    store.list_apps(scope, None).await?;
    store.list_env_vars(scope, app).await?;
    store.list_deployments(scope, app, Page::first(20)).await?;
    store
        .read_logs(scope, setup.deployments[i % APPS], 0, 100)
        .await?;
    Ok(())
}

async fn all_deployments(store: &SqlStore, scope: &Scope, app: AppId) -> Vec<(u64, DeploymentId)> {
    let mut all = Vec::new();
    let mut page = Page::first(50);
    loop {
        let batch = store.list_deployments(scope, app, page).await.unwrap();
        let Some(last) = batch.last() else { break };
        page.before = Some(last.number);
        all.extend(batch.iter().map(|d| (d.number, d.id)));
    }
    all
}

async fn all_logs(store: &SqlStore, scope: &Scope, deployment: DeploymentId) -> Vec<(u64, String)> {
    let mut all = Vec::new();
    loop {
        let after = all.last().map_or(0, |(seq, _): &(u64, String)| *seq);
        let batch = store
            .read_logs(scope, deployment, after, 500)
            .await
            .unwrap();
        if batch.is_empty() {
            break;
        }
        all.extend(batch.into_iter().map(|l| (l.seq, l.text)));
    }
    all
}

async fn many_writers_and_readers(store: SqlStore) {
    let setup = Arc::new(setup(&store).await);
    let start = Arc::new(Barrier::new(WRITERS + READERS));
    let writing = Arc::new(AtomicBool::new(true));

    let readers: Vec<_> = (0..READERS)
        .map(|i| {
            let (store, setup, start, writing) = (
                store.clone(),
                Arc::clone(&setup),
                Arc::clone(&start),
                Arc::clone(&writing),
            );
            tokio::spawn(async move {
                start.wait().await;
                let (mut errors, mut rounds) = (Vec::new(), 0_usize);
                while writing.load(Ordering::Relaxed) || rounds == 0 {
                    if let Err(e) = read(&store, &setup, i + rounds).await {
                        errors.push(format!("reader {i}: {e:?}"));
                    }
                    rounds += 1;
                }
                errors
            })
        })
        .collect();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (store, setup, start) = (store.clone(), Arc::clone(&setup), Arc::clone(&start));
            tokio::spawn(async move {
                start.wait().await;
                let mut done = Vec::new();
                for r in 0..ROUNDS {
                    done.push(
                        write(&store, &setup, w, r)
                            .await
                            .map_err(|e| format!("writer {w} round {r}: {e:?}")),
                    );
                }
                done
            })
        })
        .collect();

    let mut wrote = Vec::new();
    let mut errors = Vec::new();
    for writer in writers {
        for result in writer.await.unwrap() {
            match result {
                Ok(w) => wrote.push(w),
                Err(e) => errors.push(e),
            }
        }
    }
    writing.store(false, Ordering::Relaxed);
    for reader in readers {
        errors.extend(reader.await.unwrap());
    }
    assert!(
        errors.is_empty(),
        "{} calls failed, first ones: {:#?}",
        errors.len(),
        &errors[..errors.len().min(10)]
    );
    assert_eq!(wrote.len(), WRITERS * ROUNDS);

    // Every write is there.
    let scope = &setup.scope;
    let projects: BTreeMap<ProjectId, String> = store
        .list_projects(scope)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.id, p.name.as_str().to_owned()))
        .collect();
    let mut env_vars = BTreeMap::new();
    let mut deployments = BTreeMap::new();
    for app in &setup.apps {
        for var in store.list_env_vars(scope, app.id).await.unwrap() {
            let value = var.value.map(|v| v.expose().to_owned());
            env_vars.insert((app.id, var.key.as_str().to_owned()), value);
        }
        let listed = all_deployments(&store, scope, app.id).await;
        let numbers: BTreeSet<u64> = listed.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers.len(), listed.len(), "a deployment number repeats");
        deployments.extend(listed.into_iter().map(|(_, id)| (id, app.id)));
    }
    let mut logs = BTreeMap::new();
    for deployment in &setup.deployments {
        let lines = all_logs(&store, scope, *deployment).await;
        let seqs: Vec<u64> = lines.iter().map(|(seq, _)| *seq).collect();
        let expected: Vec<u64> = (1..=seqs.len() as u64).collect();
        assert_eq!(seqs, expected, "log of {deployment} has gaps or repeats");
        logs.insert(*deployment, lines);
    }
    let mut appended = BTreeMap::<DeploymentId, usize>::new();
    for w in &wrote {
        match w {
            Wrote::Project(id, name) => {
                assert_eq!(projects.get(id), Some(name), "project {name} missing");
            }
            Wrote::EnvVar(app, key, value) => {
                assert_eq!(
                    env_vars.get(&(*app, key.clone())),
                    Some(&Some(value.clone())),
                    "env var {key} missing or changed"
                );
            }
            Wrote::Deployment(app, id) => {
                assert_eq!(deployments.get(id), Some(app), "deployment {id} missing");
            }
            Wrote::Logs(deployment, lines) => {
                assert_eq!(lines.len(), LINES_PER_APPEND);
                let stored = &logs[deployment];
                for (seq, text) in lines {
                    let at = usize::try_from(*seq - 1).unwrap();
                    assert_eq!(
                        stored.get(at).map(|(_, t)| t),
                        Some(text),
                        "log line {seq} of {deployment}"
                    );
                }
                assert!(
                    lines.windows(2).all(|p| p[1].0 == p[0].0 + 1),
                    "one append's lines are not contiguous: {lines:?}"
                );
                *appended.entry(*deployment).or_default() += lines.len();
            }
        }
    }
    for (deployment, count) in appended {
        assert_eq!(
            logs[&deployment].len(),
            count,
            "extra lines in {deployment}"
        );
    }
}

on_both_backends!(two_hundred_writers_and_eight_readers_at_once, |db| {
    many_writers_and_readers(db.store.clone()).await;
});
