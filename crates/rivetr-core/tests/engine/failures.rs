//! Failures before the switch leave the old version serving.

use rivetr_core::model::DeploymentStatus::*;
use rivetr_core::model::NotificationLevel;

use crate::{Harness, V1, container_ids, upstreams};

#[tokio::test]
async fn build_failure_keeps_the_old_version_live_and_routed() {
    let h = Harness::new().await;
    let v1 = h.ship(V1).await;
    assert_eq!(v1.status, Live);

    let broken = h.ship("FROM scratch\nRUN exit 3\n").await;
    assert_eq!(broken.status, Failed);
    let reason = broken.reason.clone().unwrap_or_default();
    assert!(
        reason.contains("build failed"),
        "the reason says what failed: {reason}"
    );
    assert!(broken.image.is_none());

    let v1_now = h.get(v1.id).await;
    assert_eq!(v1_now.status, Live, "the old version stays live");
    assert_eq!(h.routed(), upstreams(&v1), "and keeps its traffic");
    assert_eq!(h.container_ids(), container_ids(&v1));
    let text = h.log_text(broken.id).await;
    assert!(
        text.contains("RUN exit 3"),
        "the log shows the failing step:\n{text}"
    );
    assert!(text.contains("Deployment failed"), "{text}");

    h.world.notifier.wait_for(2).await;
    let failure = h
        .world
        .notifier
        .sent()
        .into_iter()
        .find(|n| n.deployment_id == Some(broken.id))
        .expect("a failure is notified");
    assert_eq!(failure.level, NotificationLevel::Failure);
}

#[tokio::test]
async fn failed_health_check_means_no_switch_and_the_new_container_removed() {
    let h = Harness::new().await;
    let v1 = h.ship(V1).await;

    h.push("FROM scratch\nLABEL health=unhealthy\n");
    let d = h.deploy().await;
    let failed = h.settle(d.id).await;
    assert_eq!(failed.status, Failed);
    let reason = failed.reason.clone().unwrap_or_default();
    assert!(reason.contains("health check"), "{reason}");
    assert_eq!(
        failed.containers.len(),
        1,
        "the deployment recorded its container"
    );

    assert_eq!(h.routed(), upstreams(&v1), "traffic never moved");
    assert_eq!(h.get(v1.id).await.status, Live);
    assert_eq!(
        h.container_ids(),
        container_ids(&v1),
        "the unhealthy container is gone"
    );
}

#[tokio::test]
async fn a_first_deploy_that_fails_leaves_nothing_behind() {
    let h = Harness::new().await;
    let failed = h.ship("FROM scratch\nLABEL health=unhealthy\n").await;
    assert_eq!(failed.status, Failed);
    assert!(h.routed().is_empty());
    assert!(h.container_ids().is_empty());
}

#[tokio::test]
async fn a_runtime_error_fails_the_deployment_with_its_reason() {
    use rivetr_core::Error;
    use rivetr_core::memory::RuntimeOp;
    let h = Harness::new().await;
    let v1 = h.ship(V1).await;
    h.world.runtime.faults().fail_next(
        RuntimeOp::CreateContainer,
        Error::unavailable("docker daemon is not answering"),
    );
    let failed = h.ship(V1).await;
    assert_eq!(failed.status, Failed);
    assert!(
        failed
            .reason
            .unwrap_or_default()
            .contains("docker daemon is not answering")
    );
    assert_eq!(h.routed(), upstreams(&v1));
}

#[tokio::test]
async fn missing_source_fails_clearly() {
    let h = Harness::new().await;
    // Nothing pushed: the branch does not exist.
    let d = h.deploy().await;
    let failed = h.settle(d.id).await;
    assert_eq!(failed.status, Failed);
    let reason = failed.reason.unwrap_or_default();
    assert!(
        reason.contains("no git repository at https://git.example.com/acme/web.git"),
        "the reason names what is missing: {reason}"
    );
}

#[tokio::test]
async fn bind_mounts_outside_the_allowed_roots_are_refused_before_anything_runs() {
    use rivetr_core::ErrorKind;
    use rivetr_core::model::{MountSource, VolumeMount};
    use rivetr_core::store::DeploymentRepo;
    let mut h = Harness::new().await;
    h.push(V1);
    for path in ["/etc", "/var/run/docker.sock", "/srv/apps/../../etc"] {
        let Ok(source) = path.parse() else {
            continue; // `..` never even parses into a HostPath
        };
        h.update_spec(|s| {
            s.run.volumes = vec![VolumeMount {
                source: MountSource::Bind(source),
                target: "/data".parse().unwrap(),
                read_only: false,
            }];
        })
        .await;
        let err = h
            .engine
            .deploy(&h.scope, h.app.id, rivetr_core::model::Trigger::Manual)
            .await
            .err()
            .unwrap_or_else(|| panic!("a bind mount of {path} is refused"));
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    }
    let queued = h
        .world
        .store
        .list_deployments(&h.scope, h.app.id, rivetr_core::model::Page::first(10))
        .await
        .unwrap();
    assert!(queued.is_empty(), "nothing was queued");
    assert!(h.container_ids().is_empty());
}

#[tokio::test]
async fn bind_mounts_under_an_allowed_root_run_but_never_the_engine_socket() {
    use rivetr_core::ErrorKind;
    use rivetr_core::model::{DeploymentStatus, MountSource, Trigger, VolumeMount};
    let mut h = Harness::new().await;
    h.engine.shutdown().await;
    h.engine = h
        .world
        .engine_with(&h.routes, |c| {
            c.allowed_bind_roots = vec!["/srv/apps".parse().unwrap()];
        })
        .await;
    h.push(V1);
    let mount = |path: &str| VolumeMount {
        source: MountSource::Bind(path.parse().unwrap()),
        target: "/data".parse().unwrap(),
        read_only: true,
    };
    h.update_spec(|s| s.run.volumes = vec![mount("/srv/apps/shop/uploads")])
        .await;
    let live = h.ship(V1).await;
    assert_eq!(live.status, DeploymentStatus::Live);
    let spec = h
        .world
        .runtime
        .spec(&live.containers[0].id)
        .expect("the container exists");
    assert_eq!(spec.volumes, vec![mount("/srv/apps/shop/uploads")]);

    h.update_spec(|s| s.run.volumes = vec![mount("/srv/apps/docker.sock")])
        .await;
    let err = h
        .engine
        .deploy(&h.scope, h.app.id, Trigger::Manual)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(err.message().contains("socket"), "{err}");
}

#[tokio::test]
async fn publishing_host_ports_needs_the_admin_and_other_apps_images_are_off_limits() {
    use rivetr_core::ErrorKind;
    use rivetr_core::model::{PublishSpec, SourceSpec, Trigger};
    let mut h = Harness::new().await;
    h.push(V1);
    h.update_spec(|s| {
        s.run.publish = Some(PublishSpec {
            host_port: "8080".parse().unwrap(),
            public: false,
        });
    })
    .await;
    let err = h
        .engine
        .deploy(&h.scope, h.app.id, Trigger::Manual)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(err.message().contains("publishing"), "{err}");

    h.update_spec(|s| s.run.publish = None).await;
    let foreign: rivetr_core::input::ImageRef = "rivetr/app-0190c5d27a8b7c3d9e4f0a1b2c3d4e5f:1-abc"
        .parse()
        .unwrap();
    h.update_spec(|s| s.source = SourceSpec::Image { image: foreign })
        .await;
    let err = h
        .engine
        .deploy(&h.scope, h.app.id, Trigger::Manual)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(err.message().contains("another app"), "{err}");
}

#[tokio::test]
async fn two_teams_volumes_of_the_same_name_never_meet() {
    use rivetr_core::model::{DeploymentStatus, MountSource, Trigger, VolumeMount};
    let mut h = Harness::new().await;
    let data = VolumeMount {
        source: MountSource::Volume("data".parse().unwrap()),
        target: "/data".parse().unwrap(),
        read_only: false,
    };
    h.update_spec(|s| s.run.volumes = vec![data.clone()]).await;
    let ours = h.ship(V1).await;
    assert_eq!(ours.status, DeploymentStatus::Live);

    // Another team, its own app, the same volume name.
    let other =
        rivetr_core::testkit::seed::team_with_project(&h.world.store, "b@example.com").await;
    let mut spec = h.app.spec.clone();
    spec.run.volumes = vec![data];
    let theirs = other.app(&h.world.store, "web", spec).await;
    let d = h
        .engine
        .deploy(&other.scope, theirs.id, Trigger::Manual)
        .await
        .unwrap();
    let theirs_live = h
        .engine
        .wait_for(&other.scope, d.id, |d| {
            d.status.is_terminal() || d.status == DeploymentStatus::Live
        })
        .await
        .unwrap();
    assert_eq!(
        theirs_live.status,
        DeploymentStatus::Live,
        "{:?}",
        theirs_live.reason
    );

    let volume_of = |d: &rivetr_core::model::Deployment| {
        let spec = h.world.runtime.spec(&d.containers[0].id).unwrap();
        match &spec.volumes[0].source {
            MountSource::Volume(name) => name.to_string(),
            MountSource::Bind(path) => panic!("unexpected bind {path}"),
        }
    };
    let (a, b) = (volume_of(&ours), volume_of(&theirs_live));
    assert_ne!(a, b, "each team's `data` is its own volume");
    assert!(a.ends_with("-data") && b.ends_with("-data"), "{a} {b}");
    // And their containers are on different networks.
    let net = |d: &rivetr_core::model::Deployment| {
        h.world.runtime.spec(&d.containers[0].id).unwrap().network
    };
    assert_ne!(net(&ours), net(&theirs_live));
}
