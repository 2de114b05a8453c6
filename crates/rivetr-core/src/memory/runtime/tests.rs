//! Unit tests of the memory runtime.

use futures::StreamExt;

use super::*;
use crate::ErrorKind;
use crate::model::{Resources, RestartPolicy};
use crate::runtime::ContainerState;

fn spec(name: &str, image: &str) -> ContainerSpec {
    ContainerSpec {
        name: name.to_owned(),
        image: image.parse().unwrap(),
        env: Vec::new(),
        command: None,
        labels: BTreeMap::new(),
        network: "net".to_owned(),
        aliases: Vec::new(),
        port: Some("8080".parse().unwrap()),
        publish: None,
        resources: Resources::default(),
        volumes: Vec::new(),
        restart: RestartPolicy::No,
    }
}

async fn runtime_with(behavior: ImageBehavior) -> (MemoryRuntime, ContainerId) {
    let runtime = MemoryRuntime::new();
    runtime.add_image(&"app:1".parse().unwrap(), behavior);
    runtime.ensure_network("net").await.unwrap();
    let id = runtime
        .create_container(&spec("web", "app:1"))
        .await
        .unwrap();
    (runtime, id)
}

#[tokio::test]
async fn crash_after_probes_exits_with_137() {
    let behavior = ImageBehavior {
        crash_after_probes: Some(2),
        ..ImageBehavior::default()
    };
    let (runtime, id) = runtime_with(behavior).await;
    let info = runtime.inspect_container(&id).await.unwrap();
    assert_eq!(id.as_str(), "mem-0001");
    assert_eq!(info.address, Some("127.77.0.1:8080".parse().unwrap()));
    let check = HealthCheck::tcp();
    for _ in 0..2 {
        let status = runtime.check_health(&id, &check).await.unwrap();
        assert_eq!(status, HealthStatus::Healthy);
    }
    let status = runtime.check_health(&id, &check).await.unwrap();
    assert!(matches!(status, HealthStatus::Unhealthy(_)));
    let info = runtime.inspect_container(&id).await.unwrap();
    assert_eq!(
        (info.state, info.exit_code, info.address),
        (ContainerState::Exited, Some(137), None)
    );
}

#[tokio::test]
async fn follow_ends_when_the_container_crashes() {
    let behavior = ImageBehavior {
        logs: vec!["listening".to_owned()],
        ..ImageBehavior::unhealthy()
    };
    let (runtime, id) = runtime_with(behavior).await;
    let follow = LogOptions {
        follow: true,
        ..LogOptions::default()
    };
    let mut logs = runtime.logs(&id, &follow).await.unwrap();
    let first = logs.next().await.unwrap().unwrap();
    assert_eq!(first.bytes, b"listening\n");
    assert!(
        futures::poll!(logs.next()).is_pending(),
        "follow stays open"
    );
    runtime.crash(&id).unwrap();
    assert!(logs.next().await.is_none());
    assert_eq!(runtime.containers()[0].exit_code, Some(1));
    let status = runtime
        .check_health(&id, &HealthCheck::tcp())
        .await
        .unwrap();
    assert!(matches!(status, HealthStatus::Unhealthy(_)));
}

#[tokio::test]
async fn exec_echoes_and_needs_a_running_container() {
    let (runtime, id) = runtime_with(ImageBehavior::default()).await;
    let exec = ExecSpec {
        command: vec!["cat".to_owned()].try_into().unwrap(),
        tty: false,
        size: None,
    };
    let mut session = runtime.exec(&id, &exec).await.unwrap();
    session.stdin.send(b"ping".to_vec()).await.unwrap();
    assert_eq!(session.output.recv().await.unwrap(), b"ping");
    runtime.stop_container(&id, Duration::ZERO).await.unwrap();
    assert!(
        session.output.recv().await.is_none(),
        "ends when the container stops"
    );
    let err = runtime.exec(&id, &exec).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
}

#[tokio::test]
async fn images_pull_remove_and_prune() {
    let (runtime, id) = runtime_with(ImageBehavior::default()).await;
    let (app, extra): (ImageRef, ImageRef) = ("app:1".parse().unwrap(), "db:2".parse().unwrap());
    let err = runtime.pull_image(&extra, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    runtime.add_registry_image(&extra, ImageBehavior::default());
    runtime.pull_image(&extra, None).await.unwrap();
    runtime.pull_image(&extra, None).await.unwrap();
    let mut expected = vec![extra.clone(), app.clone()];
    expected.sort();
    assert_eq!(runtime.images(), expected);
    runtime.stop_container(&id, Duration::ZERO).await.unwrap();
    let err = runtime.remove_image(&app).await.unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Conflict,
        "stopped containers still use it"
    );
    let report = runtime.prune_images().await.unwrap();
    assert_eq!(report.removed, [extra]);
    runtime.remove_container(&id).await.unwrap();
    runtime.remove_image(&app).await.unwrap();
    runtime.remove_image(&app).await.unwrap();
    assert!(runtime.images().is_empty());
}

#[tokio::test]
async fn scripted_fail_and_stall() {
    let (runtime, _) = runtime_with(ImageBehavior::default()).await;
    let faults = runtime.faults();
    faults.fail_next(
        RuntimeOp::CreateContainer,
        Error::unavailable("daemon down"),
    );
    let err = runtime
        .create_container(&spec("api", "app:1"))
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(runtime.containers().len(), 1, "nothing left behind");
    let stall = faults.stall(RuntimeOp::CreateContainer);
    let api = spec("api", "app:1");
    let create = runtime.create_container(&api);
    let observe = async {
        stall.reached().await;
        assert_eq!(runtime.containers().len(), 1, "stalled before creating");
        stall.release();
    };
    let (id, ()) = tokio::join!(create, observe);
    assert_eq!(id.unwrap().as_str(), "mem-0002");
    let err = runtime
        .create_container(&spec("api", "app:1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
}
