//! Manual and automatic rollback.

use std::time::Duration;

use rivetr_core::ErrorKind;
use rivetr_core::memory::BuilderOp;
use rivetr_core::model::DeploymentStatus::*;
use rivetr_core::model::{NotificationLevel, Trigger};

use crate::{Harness, V1, V2, container_ids, statuses, upstreams};

#[tokio::test]
async fn manual_rollback_reuses_the_old_image_without_a_rebuild() {
    let h = Harness::new().await;
    let v1 = h.ship(V1).await;
    let v2 = h.ship(V2).await;
    assert_ne!(v1.image, v2.image);

    // Any build now would fail: a rollback must not build.
    h.world.builder.faults().fail_always(
        BuilderOp::Build,
        &rivetr_core::Error::internal("no builds during rollback"),
    );
    let mut events = h.engine.subscribe();
    let rb = h.engine.rollback(&h.scope, h.app.id, None).await.unwrap();
    assert_eq!(rb.status, Queued);
    assert_eq!(rb.trigger, Trigger::Rollback { of: v1.id });
    assert_eq!(
        statuses(&mut events, rb.id).await,
        vec![Queued, Starting, Checking, Switching, Live]
    );
    let rb = h.settle(rb.id).await;
    assert_eq!(rb.status, Live);
    assert_eq!(rb.image, v1.image, "the old image runs again");
    assert_eq!(h.get(v2.id).await.status, Replaced);
    assert_eq!(h.routed(), upstreams(&rb));
    assert!(
        h.log_text(rb.id)
            .await
            .contains("nothing is fetched or built")
    );
}

#[tokio::test]
async fn rollback_to_a_chosen_deployment_and_refusals() {
    let h = Harness::new().await;
    let v1 = h.ship(V1).await;
    let _v2 = h.ship(V2).await;
    let broken = h.ship("FROM scratch\nRUN exit 1\n").await;

    let err = h
        .engine
        .rollback(&h.scope, h.app.id, Some(broken.id))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Conflict,
        "a failed deployment is no rollback target"
    );

    let rb = h
        .engine
        .rollback(&h.scope, h.app.id, Some(v1.id))
        .await
        .unwrap();
    let rb = h.settle(rb.id).await;
    assert_eq!(rb.status, Live);
    assert_eq!(rb.image, v1.image);
}

#[tokio::test]
async fn nothing_to_roll_back_to() {
    let h = Harness::new().await;
    h.ship(V1).await;
    let err = h
        .engine
        .rollback(&h.scope, h.app.id, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn failure_inside_the_watch_window_rolls_back_automatically() {
    let mut h = Harness::new().await;
    let v1 = h.ship(V1).await;
    h.update_spec(|s| s.deploy.watch_window = Duration::from_secs(10))
        .await;

    // v2 passes its health check, goes live, then crashes.
    h.push("FROM scratch\nLABEL log=v2\nLABEL crash-after-probes=3\n");
    let d = h.deploy().await;
    let v2 = h.reach(d.id, Live).await;
    let v2 = h.settle(v2.id).await;
    assert_eq!(v2.status, RolledBack, "the crashing version is rolled back");
    let reason = v2.reason.clone().unwrap_or_default();
    assert!(reason.contains("#1"), "{reason}");

    let v1_now = h.get(v1.id).await;
    assert_eq!(v1_now.status, Live, "the previous version is live again");
    assert_eq!(h.routed(), upstreams(&v1_now), "and gets the traffic");
    assert_eq!(
        h.container_ids(),
        container_ids(&v1_now),
        "the failed version's containers are removed"
    );
    assert!(
        h.world
            .runtime
            .containers()
            .iter()
            .all(|c| c.state == rivetr_core::runtime::ContainerState::Running)
    );
    h.world.notifier.wait_for(3).await;
    assert!(
        h.world
            .notifier
            .sent()
            .iter()
            .any(|n| n.level == NotificationLevel::Failure && n.title.contains("rolled back"))
    );
}

#[tokio::test]
async fn a_healthy_version_survives_its_watch_window() {
    let mut h = Harness::new().await;
    let v1 = h.ship(V1).await;
    h.update_spec(|s| s.deploy.watch_window = Duration::from_millis(200))
        .await;
    let v2 = h.ship(V2).await;
    assert_eq!(v2.status, Live);
    assert_eq!(h.get(v1.id).await.status, Replaced);
    assert_eq!(
        h.container_ids(),
        container_ids(&v2),
        "v1's stopped containers are removed after the window"
    );
}
