//! The [`ContainerRuntime`] conformance suite.
//!
//! ```no_run
//! # async fn demo() {
//! use rivetr_core::memory::{ImageBehavior, MemoryRuntime};
//! use rivetr_core::testkit::runtime::{conformance, RuntimeFixture};
//!
//! let runtime = MemoryRuntime::new();
//! let image = "web:1".parse().unwrap();
//! runtime.add_image(&image, ImageBehavior::default());
//! let fixture = RuntimeFixture::new(image, "8080".parse().unwrap(), "rivetr-test-1".to_owned());
//! conformance(&runtime, &fixture).await;
//! # }
//! ```

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use tokio::time::{Instant, timeout};

use crate::ErrorKind;
use crate::input::{CommandLine, ImageRef, Port};
use crate::model::{HealthCheck, HealthProbe, Resources, RestartPolicy, SecretString};
use crate::runtime::{
    ContainerId, ContainerRuntime, ContainerSpec, ContainerState, ExecSpec, HealthStatus,
    LABEL_MANAGED, LabelFilter, LogOptions,
};

/// What the runtime suite needs from the environment.
#[derive(Clone, Debug)]
pub struct RuntimeFixture {
    /// An image present locally whose process listens on `port` and answers
    /// HTTP 200 on `/` (busybox httpd in the Docker case).
    pub image: ImageRef,
    /// The port the image's process listens on.
    pub port: Port,
    /// A network name unique to this run.
    pub network: String,
    /// A command of the image that copies its standard input to its output
    /// (`cat`); when set, an exec session is checked end to end.
    pub exec_command: Option<CommandLine>,
}

impl RuntimeFixture {
    /// A fixture without an exec command.
    #[must_use]
    pub fn new(image: ImageRef, port: Port, network: String) -> Self {
        Self {
            image,
            port,
            network,
            exec_command: None,
        }
    }
}

/// The label every container of one suite run carries.
const LABEL_RUN: &str = "dev.rivetr.conformance";
/// Per-container role label.
const LABEL_ROLE: &str = "dev.rivetr.conformance.role";
/// How long any single wait of the suite may take.
const PATIENCE: Duration = Duration::from_secs(60);

/// Run the runtime suite against `runtime`, cleaning up every container it
/// created even when a check fails (the network stays: the trait cannot
/// remove one).
///
/// Checks `ensure_network` idempotence; create with labels, inspect,
/// list filters; name conflicts and missing images leaving nothing behind;
/// TCP, HTTP and running probes turning healthy within their deadline;
/// stop and start idempotence and the states they lead to; logs with and
/// without follow; stats and exec as the capabilities say; images in use;
/// remove idempotence and `NotFound` after it.
///
/// # Panics
///
/// With a message naming the broken contract.
pub async fn conformance(runtime: &dyn ContainerRuntime, fixture: &RuntimeFixture) {
    let outcome = AssertUnwindSafe(checks(runtime, fixture))
        .catch_unwind()
        .await;
    let leftovers = LabelFilter::default().with(LABEL_RUN, &fixture.network);
    if let Ok(containers) = runtime.list_containers(&leftovers).await {
        for container in containers {
            let _ = runtime.remove_container(&container.id).await;
        }
    }
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

fn spec(fixture: &RuntimeFixture, role: &str) -> ContainerSpec {
    let labels = BTreeMap::from([
        (LABEL_MANAGED.to_owned(), "true".to_owned()),
        (LABEL_RUN.to_owned(), fixture.network.clone()),
        (LABEL_ROLE.to_owned(), role.to_owned()),
    ]);
    let key = "RIVETR_CONFORMANCE".parse();
    ContainerSpec {
        name: format!("{}-{role}", fixture.network),
        image: fixture.image.clone(),
        env: (key.into_iter())
            .map(|key| (key, SecretString::new("1")))
            .collect(),
        command: None,
        labels,
        network: fixture.network.clone(),
        aliases: vec![role.to_owned()],
        port: Some(fixture.port),
        publish: None,
        resources: Resources::default(),
        volumes: Vec::new(),
        restart: RestartPolicy::No,
    }
}

async fn state_of(runtime: &dyn ContainerRuntime, id: &ContainerId) -> ContainerState {
    let info = (runtime.inspect_container(id).await)
        .unwrap_or_else(|e| panic!("runtime contract: inspect_container of {id} failed: {e}"));
    info.state
}

/// Probe until healthy, pausing `check.interval` between attempts, failing
/// after `check.deadline`.
async fn until_healthy(runtime: &dyn ContainerRuntime, id: &ContainerId, check: &HealthCheck) {
    let start = Instant::now();
    loop {
        let status = (runtime.check_health(id, check).await)
            .unwrap_or_else(|e| panic!("runtime contract: check_health must not fail: {e}"));
        match status {
            HealthStatus::Healthy => return,
            HealthStatus::Unhealthy(why) if start.elapsed() >= check.deadline => panic!(
                "runtime contract: a running fixture container must pass a {:?} probe within {:?} (last: {why})",
                check.probe, check.deadline
            ),
            HealthStatus::Unhealthy(_) => tokio::time::sleep(check.interval).await,
        }
    }
}

fn check(probe: HealthProbe) -> HealthCheck {
    HealthCheck {
        probe,
        interval: Duration::from_millis(100),
        timeout: Duration::from_secs(2),
        deadline: Duration::from_secs(30),
    }
}

fn expect_kind<T>(result: crate::Result<T>, kind: ErrorKind, contract: &str) {
    match result {
        Err(e) if e.kind() == kind => {}
        Err(e) => panic!("runtime contract: {contract}: expected {kind}, got {e}"),
        Ok(_) => panic!("runtime contract: {contract}: expected {kind}, got Ok"),
    }
}

async fn checks(runtime: &dyn ContainerRuntime, fixture: &RuntimeFixture) {
    let caps = runtime.capabilities();
    for _ in 0..2 {
        (runtime.ensure_network(&fixture.network).await)
            .unwrap_or_else(|e| panic!("runtime contract: ensure_network must be idempotent: {e}"));
    }
    let web_spec = spec(fixture, "web");
    let web = (runtime.create_container(&web_spec).await)
        .unwrap_or_else(|e| panic!("runtime contract: create_container failed: {e}"));
    let info = (runtime.inspect_container(&web).await)
        .unwrap_or_else(|e| panic!("runtime contract: inspect_container failed: {e}"));
    assert_eq!(
        info.state,
        ContainerState::Running,
        "runtime contract: create_container must start the container"
    );
    assert!(
        web_spec
            .labels
            .iter()
            .all(|(k, v)| info.labels.get(k) == Some(v)),
        "runtime contract: inspect_container must show the labels given at creation"
    );
    assert_eq!(
        info.image, fixture.image,
        "runtime contract: inspect_container must show the image"
    );
    let worker = (runtime.create_container(&spec(fixture, "worker")).await)
        .unwrap_or_else(|e| panic!("runtime contract: create_container failed: {e}"));

    let run = LabelFilter::default().with(LABEL_RUN, &fixture.network);
    let listed = |filter: LabelFilter| async move {
        let mut ids: Vec<ContainerId> = (runtime.list_containers(&filter).await)
            .unwrap_or_else(|e| panic!("runtime contract: list_containers failed: {e}"))
            .into_iter()
            .map(|c| c.id)
            .collect();
        ids.sort();
        ids
    };
    let mut both = vec![web.clone(), worker.clone()];
    both.sort();
    assert_eq!(
        listed(run.clone()).await,
        both,
        "runtime contract: list_containers must return every container whose labels match"
    );
    let only_web = run.clone().with(LABEL_ROLE, "web");
    assert_eq!(
        listed(only_web).await,
        std::slice::from_ref(&web),
        "runtime contract: list_containers must filter by every label given"
    );

    expect_kind(
        runtime.create_container(&web_spec).await,
        ErrorKind::Conflict,
        "a container name in use must be a Conflict",
    );
    let missing = format!(
        "rivetr-conformance-missing-{}:none",
        uuid::Uuid::now_v7().simple()
    );
    let missing: ImageRef =
        (missing.parse()).unwrap_or_else(|e| panic!("testkit: bad image name {missing}: {e}"));
    let mut missing_spec = spec(fixture, "missing");
    missing_spec.image = missing.clone();
    expect_kind(
        runtime.create_container(&missing_spec).await,
        ErrorKind::NotFound,
        "an image not present locally must be NotFound",
    );
    assert_eq!(
        listed(run.clone()).await,
        both,
        "runtime contract: a failed create_container must leave nothing behind"
    );

    for probe in [HealthProbe::Tcp, HealthProbe::Running] {
        until_healthy(runtime, &web, &check(probe)).await;
    }
    if let Ok(root) = "/".parse() {
        until_healthy(runtime, &web, &check(HealthProbe::Http { path: root })).await;
    }

    let image_in_use = runtime.remove_image(&fixture.image).await;
    expect_kind(
        image_in_use,
        ErrorKind::Conflict,
        "removing an image a container uses must be a Conflict",
    );
    let present = (runtime.image_exists(&fixture.image).await)
        .unwrap_or_else(|e| panic!("runtime contract: image_exists failed: {e}"));
    assert!(
        present,
        "runtime contract: image_exists must see the fixture image"
    );
    let absent = (runtime.image_exists(&missing).await)
        .unwrap_or_else(|e| panic!("runtime contract: image_exists failed: {e}"));
    assert!(
        !absent,
        "runtime contract: image_exists must be false for a missing image"
    );
    (runtime.remove_image(&missing).await).unwrap_or_else(|e| {
        panic!("runtime contract: remove_image of an absent image must succeed: {e}")
    });

    let grace = Duration::from_secs(2);
    (runtime.stop_container(&web, grace).await)
        .unwrap_or_else(|e| panic!("runtime contract: stop_container failed: {e}"));
    (runtime.stop_container(&web, grace).await)
        .unwrap_or_else(|e| panic!("runtime contract: stop_container must be idempotent: {e}"));
    assert_eq!(
        state_of(runtime, &web).await,
        ContainerState::Exited,
        "runtime contract: a stopped container must be Exited"
    );
    let probe = (runtime.check_health(&web, &check(HealthProbe::Tcp)).await).unwrap_or_else(|e| {
        panic!("runtime contract: check_health of a stopped container must be Ok(Unhealthy): {e}")
    });
    assert!(
        matches!(probe, HealthStatus::Unhealthy(_)),
        "runtime contract: a stopped container must probe Unhealthy"
    );
    if caps.exec {
        let command = fixture
            .exec_command
            .clone()
            .or_else(|| vec!["cat".to_owned()].try_into().ok());
        if let Some(command) = command {
            let exec = ExecSpec {
                command,
                tty: false,
                size: None,
            };
            expect_kind(
                runtime.exec(&web, &exec).await,
                ErrorKind::Conflict,
                "exec in a container that is not running must be a Conflict",
            );
        }
    }
    for _ in 0..2 {
        (runtime.start_container(&web).await).unwrap_or_else(|e| {
            panic!("runtime contract: start_container must be idempotent: {e}")
        });
        assert_eq!(
            state_of(runtime, &web).await,
            ContainerState::Running,
            "runtime contract: start_container must leave the container Running"
        );
    }
    until_healthy(runtime, &web, &check(HealthProbe::Tcp)).await;

    let logs = (runtime.logs(&web, &LogOptions::default()).await)
        .unwrap_or_else(|e| panic!("runtime contract: logs failed: {e}"));
    timeout(PATIENCE, logs.for_each(|_| async {}))
        .await
        .unwrap_or_else(|_| panic!("runtime contract: logs without follow must end"));
    let follow = LogOptions {
        follow: true,
        ..LogOptions::default()
    };
    let followed = (runtime.logs(&web, &follow).await)
        .unwrap_or_else(|e| panic!("runtime contract: logs with follow failed: {e}"));
    (runtime.stop_container(&web, grace).await)
        .unwrap_or_else(|e| panic!("runtime contract: stop_container failed: {e}"));
    timeout(PATIENCE, followed.for_each(|_| async {}))
        .await
        .unwrap_or_else(|_| {
            panic!("runtime contract: logs with follow must end when the container stops")
        });

    if caps.stats {
        (runtime.stats(&worker).await).unwrap_or_else(|e| {
            panic!("runtime contract: stats must work when capabilities().stats: {e}")
        });
    } else {
        expect_kind(
            runtime.stats(&worker).await,
            ErrorKind::Unsupported,
            "stats without capabilities().stats",
        );
    }
    match (&fixture.exec_command, caps.exec) {
        (Some(command), true) => exec_echoes(runtime, &worker, command).await,
        (Some(command), false) => {
            let exec = ExecSpec {
                command: command.clone(),
                tty: false,
                size: None,
            };
            expect_kind(
                runtime.exec(&worker, &exec).await,
                ErrorKind::Unsupported,
                "exec without capabilities().exec",
            );
        }
        (None, _) => {}
    }

    for id in [&web, &worker] {
        for _ in 0..2 {
            (runtime.remove_container(id).await).unwrap_or_else(|e| {
                panic!("runtime contract: remove_container must be idempotent: {e}")
            });
        }
        expect_kind(
            runtime.inspect_container(id).await,
            ErrorKind::NotFound,
            "inspect_container after remove",
        );
    }
    expect_kind(
        runtime.start_container(&web).await,
        ErrorKind::NotFound,
        "start_container of an unknown id",
    );
    expect_kind(
        runtime.stop_container(&web, grace).await,
        ErrorKind::NotFound,
        "stop_container of an unknown id",
    );
    expect_kind(
        runtime.logs(&web, &LogOptions::default()).await,
        ErrorKind::NotFound,
        "logs of an unknown id",
    );
    expect_kind(
        runtime
            .check_health(&web, &check(HealthProbe::Running))
            .await,
        ErrorKind::NotFound,
        "check_health of an unknown id",
    );
    assert!(
        listed(run).await.is_empty(),
        "runtime contract: removed containers must not be listed"
    );
}

async fn exec_echoes(runtime: &dyn ContainerRuntime, id: &ContainerId, command: &CommandLine) {
    let exec = ExecSpec {
        command: command.clone(),
        tty: false,
        size: None,
    };
    let mut session = (runtime.exec(id, &exec).await).unwrap_or_else(|e| {
        panic!("runtime contract: exec must work when capabilities().exec: {e}")
    });
    (session.stdin.send(b"rivetr\n".to_vec()).await)
        .unwrap_or_else(|_| panic!("runtime contract: an exec session must accept stdin"));
    let mut echoed = Vec::new();
    while !echoed.windows(6).any(|w| w == b"rivetr") {
        match timeout(PATIENCE, session.output.recv()).await {
            Ok(Some(bytes)) => echoed.extend(bytes),
            _ => panic!("runtime contract: the exec command's output must arrive on the session"),
        }
    }
}
