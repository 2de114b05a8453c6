#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! Deployments on SQL under concurrency: numbers handed out by the
//! database, without gaps, repeats or "database is locked".

mod common;

use rivetr_core::ErrorKind;
use rivetr_core::access::Scope;
use rivetr_core::model::{
    AppSpec, DeploymentStatus, DeploymentUpdate, NewApp, NewDeployment, NewProject, NewUser, Page,
    Role, Trigger,
};
use rivetr_core::store::{AppRepo, DeploymentRepo, ProjectRepo, TeamRepo, UserRepo};
use rivetr_store::SqlStore;

/// A team owner's scope and a new app of theirs.
async fn owner_and_app(store: &SqlStore) -> (Scope, rivetr_core::id::AppId) {
    let system = Scope::system();
    let new_user = NewUser {
        email: "burst@example.com".parse().unwrap(),
        name: "Burst".parse().unwrap(),
        instance_admin: false,
    };
    let owner = store.create_user(&system, new_user).await.unwrap();
    let team = store
        .create_team(&system, "burst".parse().unwrap(), owner.id)
        .await
        .unwrap();
    let scope = Scope::member(owner.id, team.id, Role::Owner);
    let new_project = NewProject {
        team_id: team.id,
        name: "burst".parse().unwrap(),
    };
    let project = store.create_project(&scope, new_project).await.unwrap();
    let env = store.list_environments(&scope, project.id).await.unwrap()[0].id;
    let new_app = NewApp {
        environment_id: env,
        name: "web".parse().unwrap(),
        spec: AppSpec::from_image("example/web:v1".parse().unwrap()),
    };
    let app = store.create_app(&scope, new_app).await.unwrap();
    (scope, app.id)
}

on_both_backends!(fifty_concurrent_enqueues_get_numbers_1_to_50, |db| {
    let store = db.store.clone();
    let (owner, app) = owner_and_app(&store).await;
    // Spawned, so they really run in parallel on the runtime's threads.
    let tasks = (0..50).map(|_| {
        let (store, owner) = (store.clone(), owner.clone());
        tokio::spawn(async move {
            let new = NewDeployment {
                app_id: app,
                trigger: Trigger::Manual,
                requested_by: None,
                image: None,
            };
            store.enqueue_deployment(&owner, new).await
        })
    });
    let mut numbers: Vec<u64> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|joined| match joined.expect("task") {
            Ok(deployment) => deployment.number,
            Err(e) => panic!("concurrent enqueue_deployment failed: {e:?}"),
        })
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=50).collect::<Vec<u64>>());

    let listed = store
        .list_deployments(&owner, app, Page::first(100))
        .await
        .unwrap();
    let listed: Vec<u64> = listed.iter().map(|d| d.number).collect();
    assert_eq!(listed, (1..=50).rev().collect::<Vec<u64>>());
});

on_both_backends!(
    concurrent_takes_hand_out_one_deployment_and_supersede_each_once,
    |db| {
        use DeploymentStatus::*;
        let store = db.store.clone();
        let (owner, app) = owner_and_app(&store).await;
        for _ in 0..10 {
            let new = NewDeployment {
                app_id: app,
                trigger: Trigger::Manual,
                requested_by: None,
                image: None,
            };
            store.enqueue_deployment(&owner, new).await.unwrap();
        }
        let tasks = (0..8).map(|_| {
            let (store, owner) = (store.clone(), owner.clone());
            tokio::spawn(async move { store.take_next_queued(&owner, app).await })
        });
        let mut superseded = Vec::new();
        for joined in futures::future::join_all(tasks).await {
            let taken = joined.expect("task").unwrap().expect("something queued");
            assert_eq!(taken.deployment.number, 10, "the newest is the one to run");
            superseded.extend(taken.superseded.into_iter().map(|d| d.number));
        }
        superseded.sort_unstable();
        assert_eq!(
            superseded,
            (1..=9).collect::<Vec<u64>>(),
            "each superseded once"
        );

        // Racing moves of the taken deployment: exactly one wins.
        let taken = store.take_next_queued(&owner, app).await.unwrap().unwrap();
        let id = taken.deployment.id;
        let moves = (0..8).map(|_| {
            let (store, owner) = (store.clone(), owner.clone());
            tokio::spawn(async move {
                store
                    .transition_deployment(&owner, id, Queued, DeploymentUpdate::to(Fetching))
                    .await
            })
        });
        let mut won = 0;
        for joined in futures::future::join_all(moves).await {
            match joined.expect("task") {
                Ok(moved) => {
                    assert_eq!(moved.status, Fetching);
                    won += 1;
                }
                Err(e) => assert_eq!(e.kind(), ErrorKind::Conflict, "{e:?}"),
            }
        }
        assert_eq!(won, 1, "one compare-and-set succeeds, the rest conflict");
    }
);
