//! The happy path, and who may deploy.

use rivetr_core::ErrorKind;
use rivetr_core::access::Scope;
use rivetr_core::id::{TeamId, UserId};
use rivetr_core::model::{DeploymentStatus::*, NotificationLevel, Role, Trigger};

use crate::{Harness, V1, V2, container_ids, statuses, upstreams};

#[tokio::test]
async fn first_deploy_goes_live_through_every_step() {
    let h = Harness::new().await;
    let commit = h.push(V1);
    let mut events = h.engine.subscribe();
    let queued = h.deploy().await;
    assert_eq!(queued.number, 1);

    let seen = statuses(&mut events, queued.id).await;
    assert_eq!(
        seen,
        vec![
            Queued, Fetching, Building, Starting, Checking, Switching, Live
        ],
        "a git deployment passes every step in order"
    );
    let live = h.settle(queued.id).await;
    assert_eq!(live.status, Live);
    assert_eq!(live.commit.as_ref().map(|c| &c.sha), Some(&commit.sha));
    assert!(
        live.image.is_some(),
        "the built image is recorded for rollbacks"
    );
    assert!(live.started_at.is_some() && live.finished_at.is_some());

    // The container joined its team's own network.
    let network = rivetr_core::engine::EngineConfig::default().team_network(h.app.team_id);
    assert_eq!(h.world.runtime.networks(), [network]);

    // Traffic for the app's host goes to the new container.
    assert_eq!(live.containers.len(), 1);
    assert_eq!(h.routed(), upstreams(&live));
    assert_eq!(h.container_ids(), container_ids(&live));

    // The log tells the story, step by step.
    let logs = h.logs(live.id).await;
    let text = logs
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        text.contains("Step 1/3 : FROM scratch"),
        "build output is stored:\n{text}"
    );
    assert!(text.contains("is live"), "{text}");
    let seqs: Vec<u64> = logs.iter().map(|l| l.seq).collect();
    assert_eq!(
        seqs,
        (1..=logs.len() as u64).collect::<Vec<_>>(),
        "log lines are numbered without gaps"
    );
    assert!(
        logs.iter().any(|l| l.step == Building),
        "lines are labelled with their step"
    );

    h.world.notifier.wait_for(1).await;
    let sent = h.world.notifier.sent();
    assert_eq!(sent[0].level, NotificationLevel::Success);
    assert_eq!(sent[0].deployment_id, Some(live.id));
}

#[tokio::test]
async fn redeploy_replaces_the_old_version_and_removes_its_containers() {
    let h = Harness::new().await;
    let v1 = h.ship(V1).await;
    let v2 = h.ship(V2).await;
    assert_eq!(v2.status, Live);
    assert_eq!(v2.number, 2);
    assert_eq!(h.get(v1.id).await.status, Replaced);
    assert_eq!(h.routed(), upstreams(&v2));
    assert_eq!(
        h.container_ids(),
        container_ids(&v2),
        "only the new version's containers remain"
    );
}

#[tokio::test]
async fn replicas_all_serve_and_env_vars_reach_the_containers() {
    use rivetr_core::model::{NewEnvVar, SecretString};
    use rivetr_core::store::EnvVarRepo;
    let mut h = Harness::new().await;
    h.update_spec(|s| s.run.replicas = 3).await;
    h.world
        .store
        .set_env_var(
            &h.scope,
            NewEnvVar {
                app_id: h.app.id,
                key: "DATABASE_URL".parse().unwrap(),
                value: SecretString::new("postgres://db/shop"),
                secret: true,
            },
        )
        .await
        .unwrap();
    let live = h.ship(V1).await;
    assert_eq!(live.status, Live);
    assert_eq!(live.containers.len(), 3);
    let mut routed = h.routed();
    routed.sort();
    let mut expected = upstreams(&live);
    expected.sort();
    assert_eq!(routed, expected, "every replica is an upstream");
    // The secret went into the container, not into the log.
    let text = h.log_text(live.id).await;
    assert!(
        !text.contains("postgres://db/shop"),
        "secrets never reach the log"
    );
}

#[tokio::test]
async fn image_sources_are_pulled_not_built() {
    let mut h = Harness::new().await;
    let image: rivetr_core::input::ImageRef = "registry.example.com/acme/api:1.4".parse().unwrap();
    h.world
        .runtime
        .add_registry_image(&image, rivetr_core::memory::ImageBehavior::default());
    h.update_spec(|s| {
        s.source = rivetr_core::model::SourceSpec::Image {
            image: image.clone(),
        }
    })
    .await;
    let mut events = h.engine.subscribe();
    let d = h.deploy().await;
    assert_eq!(
        statuses(&mut events, d.id).await,
        vec![Queued, Fetching, Starting, Checking, Switching, Live]
    );
    let live = h.settle(d.id).await;
    assert_eq!(live.image.as_ref(), Some(&image));
    assert!(h.log_text(d.id).await.contains("Pulling"));
}

#[tokio::test]
async fn deploy_is_scoped_to_the_callers_team_and_role() {
    let h = Harness::new().await;
    h.push(V1);
    let team = h.app.team_id;
    let viewer = Scope::member(UserId::new(), team, Role::Viewer);
    let err = h
        .engine
        .deploy(&viewer, h.app.id, Trigger::Manual)
        .await
        .expect_err("a viewer may not deploy");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);

    let stranger = Scope::member(UserId::new(), TeamId::new(), Role::Owner);
    let err = h
        .engine
        .deploy(&stranger, h.app.id, Trigger::Manual)
        .await
        .expect_err("another team cannot see the app");
    assert_eq!(err.kind(), ErrorKind::NotFound);

    let developer = Scope::member(UserId::new(), team, Role::Developer);
    let d = h
        .engine
        .deploy(&developer, h.app.id, Trigger::Cli)
        .await
        .expect("a developer may deploy");
    assert_eq!(d.requested_by, developer.user());
    assert_eq!(h.settle(d.id).await.status, Live);
}

#[tokio::test]
async fn log_lines_of_a_step_arrive_before_the_next_status() {
    use rivetr_core::model::Event;
    let h = Harness::new().await;
    h.push(V1);
    let mut events = h.engine.subscribe();
    let d = h.deploy().await;
    // Collect everything up to the Live event.
    let mut lines_before_live = Vec::new();
    loop {
        match events.recv().await.unwrap() {
            Event::DeploymentLog { line, .. } if line.deployment_id == d.id => {
                lines_before_live.push(line.seq);
            }
            Event::DeploymentChanged {
                deployment_id,
                status: Live,
                ..
            } if deployment_id == d.id => break,
            _ => {}
        }
    }
    h.settle(d.id).await;
    let stored: Vec<u64> = h
        .logs(d.id)
        .await
        .into_iter()
        .filter(|l| l.step != Live)
        .map(|l| l.seq)
        .collect();
    assert!(!stored.is_empty());
    for seq in stored {
        assert!(
            lines_before_live.contains(&seq),
            "line {seq}, written before the switch ended, was announced before the Live status"
        );
    }
}
