//! `DockerRuntime` against the real Docker Engine: the conformance suite,
//! then what is specific to Docker (port bindings, limits, restart policy,
//! logs, exec, health probes, images, connection errors).
//!
//! Without an engine each test prints `SKIPPED:` and passes, unless
//! `RIVETR_TEST_STRICT=1`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bollard::query_parameters::BuildImageOptions;
use futures::StreamExt;
use rivetr_core::ErrorKind;
use rivetr_core::input::{CommandLine, ImageRef};
use rivetr_core::model::{
    HealthCheck, HealthProbe, LogStream, PublishSpec, Resources, RestartPolicy, SecretString,
};
use rivetr_core::runtime::{
    ContainerId, ContainerRuntime, ContainerSpec, ContainerState, ExecSpec, HealthStatus,
    LABEL_MANAGED, LabelFilter, LogOptions, TtySize,
};
use rivetr_core::testkit::runtime::{RuntimeFixture, conformance};
use rivetr_runtime::docker::{ConnectOptions, DockerRuntime};
use rivetr_runtime::testsupport::{INDEX_HTML, busybox_httpd_image, docker_or_skip, unique};
use tokio::time::timeout;

const PATIENCE: Duration = Duration::from_secs(60);
const LABEL_TEST_RUN: &str = "dev.rivetr.test.run";

/// A runtime, the busybox image and a fresh network; `None` when skipped.
async fn setup(prefix: &str) -> Option<(DockerRuntime, ImageRef, String)> {
    let runtime = docker_or_skip().await?;
    let image = busybox_httpd_image(&runtime).await;
    let network = unique(prefix);
    runtime.ensure_network(&network).await.unwrap();
    Some((runtime, image, network))
}

async fn teardown(runtime: &DockerRuntime, network: &str) {
    let filter = LabelFilter::default().with(LABEL_TEST_RUN, network);
    for c in runtime.list_containers(&filter).await.unwrap() {
        runtime.remove_container(&c.id).await.unwrap();
    }
    runtime
        .connection()
        .docker
        .remove_network(network)
        .await
        .unwrap();
}

fn spec(image: &ImageRef, network: &str, role: &str) -> ContainerSpec {
    ContainerSpec {
        name: format!("{network}-{role}"),
        image: image.clone(),
        env: Vec::new(),
        command: None,
        labels: BTreeMap::from([
            (LABEL_MANAGED.to_owned(), "true".to_owned()),
            (LABEL_TEST_RUN.to_owned(), network.to_owned()),
        ]),
        network: network.to_owned(),
        aliases: vec![role.to_owned()],
        port: Some("8080".parse().unwrap()),
        publish: None,
        resources: Resources::default(),
        volumes: Vec::new(),
        restart: RestartPolicy::No,
    }
}

fn probe(probe: HealthProbe) -> HealthCheck {
    HealthCheck {
        probe,
        interval: Duration::from_millis(100),
        timeout: Duration::from_secs(2),
        deadline: Duration::from_secs(30),
    }
}

async fn until_healthy(runtime: &DockerRuntime, id: &ContainerId, check: &HealthCheck) {
    let start = tokio::time::Instant::now();
    loop {
        match runtime.check_health(id, check).await.unwrap() {
            HealthStatus::Healthy => return,
            HealthStatus::Unhealthy(why) => {
                assert!(start.elapsed() < check.deadline, "never healthy: {why}");
                tokio::time::sleep(check.interval).await;
            }
        }
    }
}

/// Every host binding of the container's ports, as (ip, port).
async fn bindings(runtime: &DockerRuntime, id: &ContainerId) -> Vec<(String, String)> {
    let raw = runtime
        .connection()
        .docker
        .inspect_container(id.as_str(), None)
        .await
        .unwrap();
    let ports = raw.network_settings.unwrap().ports.unwrap_or_default();
    ports
        .into_values()
        .flatten()
        .flatten()
        .map(|b| {
            (
                b.host_ip.unwrap_or_default(),
                b.host_port.unwrap_or_default(),
            )
        })
        .collect()
}

/// Everything an exec session prints until it ends.
async fn exec_output(runtime: &DockerRuntime, id: &ContainerId, args: &[&str]) -> String {
    let exec = ExecSpec {
        command: CommandLine::new(args.iter().copied()).unwrap(),
        tty: false,
        size: None,
    };
    let mut session = runtime.exec(id, &exec).await.unwrap();
    let mut out = Vec::new();
    while let Some(bytes) = timeout(PATIENCE, session.output.recv()).await.unwrap() {
        out.extend(bytes);
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn conformance_direct() {
    let Some(runtime) = docker_or_skip().await else {
        return;
    };
    let image = busybox_httpd_image(&runtime).await;
    let network = unique("rivetr-conf");
    let mut fixture = RuntimeFixture::new(image, "8080".parse().unwrap(), network.clone());
    fixture.exec_command = Some(CommandLine::new(["/bin/busybox", "cat"]).unwrap());
    conformance(&runtime, &fixture).await;
    teardown(&runtime, &network).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn conformance_through_dyn() {
    let Some(runtime) = docker_or_skip().await else {
        return;
    };
    let image = busybox_httpd_image(&runtime).await;
    let network = unique("rivetr-dyn");
    let mut fixture = RuntimeFixture::new(image, "8080".parse().unwrap(), network.clone());
    fixture.exec_command = Some(CommandLine::new(["/bin/busybox", "cat"]).unwrap());
    let shared: Arc<dyn ContainerRuntime> = Arc::new(runtime.clone());
    conformance(shared.as_ref(), &fixture).await;
    teardown(&runtime, &network).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn app_port_is_published_on_loopback_only() {
    let Some((runtime, image, network)) = setup("rivetr-lo").await else {
        return;
    };
    let id = runtime
        .create_container(&spec(&image, &network, "web"))
        .await
        .unwrap();
    let bound = bindings(&runtime, &id).await;
    assert!(!bound.is_empty(), "the app port must be published");
    for (ip, port) in &bound {
        assert_eq!(ip, "127.0.0.1", "published on {ip}:{port}");
        assert_ne!(port, "0");
    }
    let info = runtime.inspect_container(&id).await.unwrap();
    let address = info
        .address
        .expect("a running container with a port has an address");
    assert!(address.ip().is_loopback());
    assert_eq!(address.port().to_string(), bound[0].1);
    teardown(&runtime, &network).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn private_publish_binds_loopback() {
    let Some((runtime, image, network)) = setup("rivetr-pub").await else {
        return;
    };
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host_port = free.local_addr().unwrap().port();
    drop(free);
    let mut s = spec(&image, &network, "web");
    s.publish = Some(PublishSpec {
        host_port: host_port.try_into().unwrap(),
        public: false,
    });
    let id = runtime.create_container(&s).await.unwrap();
    let bound = bindings(&runtime, &id).await;
    assert!(bound.iter().all(|(ip, _)| ip == "127.0.0.1"), "{bound:?}");
    assert!(
        bound.iter().any(|(_, p)| *p == host_port.to_string()),
        "{bound:?}"
    );
    teardown(&runtime, &network).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_restart_policy_and_env_reach_the_engine() {
    let Some((runtime, image, network)) = setup("rivetr-lim").await else {
        return;
    };
    let mut s = spec(&image, &network, "web");
    s.resources = Resources {
        cpu: Some("0.5".parse().unwrap()),
        memory: Some("64Mi".parse().unwrap()),
    };
    s.restart = RestartPolicy::OnFailure { max_retries: 3 };
    s.env = vec![(
        "RIVETR_GREETING".parse().unwrap(),
        SecretString::new("hello world; $(not a shell)"),
    )];
    let id = runtime.create_container(&s).await.unwrap();
    let raw = runtime
        .connection()
        .docker
        .inspect_container(id.as_str(), None)
        .await
        .unwrap();
    let host = raw.host_config.unwrap();
    assert_eq!(host.nano_cpus, Some(500_000_000));
    assert_eq!(host.memory, Some(64 * 1024 * 1024));
    let restart = host.restart_policy.unwrap();
    assert_eq!(restart.name.unwrap().to_string(), "on-failure");
    assert_eq!(restart.maximum_retry_count, Some(3));

    let env = exec_output(&runtime, &id, &["/bin/busybox", "env"]).await;
    assert!(
        env.lines()
            .any(|l| l == "RIVETR_GREETING=hello world; $(not a shell)"),
        "{env}"
    );
    let stats = runtime.stats(&id).await.unwrap();
    assert_eq!(stats.memory_limit_bytes, 64 * 1024 * 1024);
    assert!(stats.memory_bytes > 0);
    teardown(&runtime, &network).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn remove_and_failed_start_leave_nothing() {
    let Some((runtime, image, network)) = setup("rivetr-rm").await else {
        return;
    };
    let run = LabelFilter::default().with(LABEL_TEST_RUN, &network);
    let id = runtime
        .create_container(&spec(&image, &network, "web"))
        .await
        .unwrap();
    runtime.remove_container(&id).await.unwrap();
    let gone = runtime
        .connection()
        .docker
        .inspect_container(id.as_str(), None)
        .await
        .unwrap_err();
    assert!(gone.to_string().contains("404"), "{gone}");

    let mut broken = spec(&image, &network, "broken");
    broken.command = Some(CommandLine::new(["/no/such/program"]).unwrap());
    let err = runtime.create_container(&broken).await.unwrap_err();
    assert!(err.message().contains("starting container"), "{err}");
    assert!(runtime.list_containers(&run).await.unwrap().is_empty());
    let leftover = runtime
        .connection()
        .docker
        .inspect_container(&broken.name, None)
        .await;
    assert!(
        leftover.is_err(),
        "a container that failed to start must be removed"
    );
    teardown(&runtime, &network).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_carry_streams_and_follow_ends_when_the_container_stops() {
    let Some((runtime, image, network)) = setup("rivetr-logs").await else {
        return;
    };
    let mut s = spec(&image, &network, "echo");
    s.port = None;
    s.command = Some(CommandLine::new(["/bin/busybox", "ls", "/www", "/no-such-dir"]).unwrap());
    let id = runtime.create_container(&s).await.unwrap();
    let follow = LogOptions {
        follow: true,
        ..LogOptions::default()
    };
    // The program exits at once: following ends when it does.
    let chunks: Vec<_> = timeout(
        PATIENCE,
        runtime.logs(&id, &follow).await.unwrap().collect(),
    )
    .await
    .expect("following logs must end when the container stops");
    let text = |stream: LogStream| {
        chunks
            .iter()
            .map(|c| c.as_ref().unwrap())
            .filter(|c| c.stream == stream)
            .map(|c| String::from_utf8_lossy(&c.bytes).into_owned())
            .collect::<String>()
    };
    assert!(text(LogStream::Stdout).contains("index.html"), "{chunks:?}");
    assert!(
        text(LogStream::Stderr).contains("no-such-dir"),
        "{chunks:?}"
    );
    let info = runtime.inspect_container(&id).await.unwrap();
    assert_eq!(info.state, ContainerState::Exited);
    assert_eq!(info.exit_code, Some(1));
    assert_eq!(info.address, None);
    let tail = LogOptions {
        tail: Some(1),
        ..LogOptions::default()
    };
    let last: Vec<_> = runtime.logs(&id, &tail).await.unwrap().collect().await;
    assert_eq!(last.len(), 1, "{last:?}");

    let web = runtime
        .create_container(&spec(&image, &network, "web"))
        .await
        .unwrap();
    let followed = runtime.logs(&web, &follow).await.unwrap();
    runtime
        .stop_container(&web, Duration::from_secs(1))
        .await
        .unwrap();
    timeout(PATIENCE, followed.for_each(|_| async {}))
        .await
        .expect("following logs must end when the container stops");
    let status = runtime
        .check_health(&web, &probe(HealthProbe::Tcp))
        .await
        .unwrap();
    match status {
        HealthStatus::Unhealthy(why) => assert!(why.contains("is not running (exit code"), "{why}"),
        HealthStatus::Healthy => panic!("a stopped container must be unhealthy"),
    }
    teardown(&runtime, &network).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn http_probe_tells_found_from_missing_pages() {
    let Some((runtime, image, network)) = setup("rivetr-http").await else {
        return;
    };
    let id = runtime
        .create_container(&spec(&image, &network, "web"))
        .await
        .unwrap();
    let page = HealthProbe::Http {
        path: "/index.html".parse().unwrap(),
    };
    until_healthy(&runtime, &id, &probe(page)).await;
    let missing = HealthProbe::Http {
        path: "/no-such-page".parse().unwrap(),
    };
    match runtime.check_health(&id, &probe(missing)).await.unwrap() {
        HealthStatus::Unhealthy(why) => assert!(why.contains("404"), "{why}"),
        HealthStatus::Healthy => panic!("a 404 must be unhealthy"),
    }
    // The page itself, over the reported loopback address.
    let address = runtime
        .inspect_container(&id)
        .await
        .unwrap()
        .address
        .unwrap();
    let exec = exec_output(&runtime, &id, &["/bin/busybox", "cat", "/www/index.html"]).await;
    assert_eq!(exec, INDEX_HTML);
    assert!(address.ip().is_loopback());
    teardown(&runtime, &network).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_with_a_tty_echoes_and_resizes() {
    let Some((runtime, image, network)) = setup("rivetr-tty").await else {
        return;
    };
    let id = runtime
        .create_container(&spec(&image, &network, "web"))
        .await
        .unwrap();
    let exec = ExecSpec {
        command: CommandLine::new(["/bin/busybox", "cat"]).unwrap(),
        tty: true,
        size: Some(TtySize { rows: 24, cols: 80 }),
    };
    let mut session = runtime.exec(&id, &exec).await.unwrap();
    session
        .resize
        .send(TtySize {
            rows: 40,
            cols: 120,
        })
        .await
        .unwrap();
    session.stdin.send(b"rivetr-tty\n".to_vec()).await.unwrap();
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("rivetr-tty") {
        let bytes = timeout(PATIENCE, session.output.recv())
            .await
            .unwrap()
            .unwrap();
        seen.extend(bytes);
    }
    drop(session);
    teardown(&runtime, &network).await;
}

/// Build `FROM` the test image with extra labels; returns its reference.
async fn labelled_image(runtime: &DockerRuntime, base: &ImageRef, label: &str) -> ImageRef {
    let tag: ImageRef = format!("rivetr-test/prune:{}", unique("t"))
        .parse()
        .unwrap();
    let dockerfile = format!("FROM {base}\nLABEL {label}=true\n");
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(dockerfile.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "Dockerfile", dockerfile.as_bytes())
        .unwrap();
    let context = tar.into_inner().unwrap();
    let options = BuildImageOptions {
        t: Some(tag.as_str().to_owned()),
        rm: true,
        ..BuildImageOptions::default()
    };
    let docker = &runtime.connection().docker;
    let mut progress = docker.build_image(options, None, Some(bollard::body_full(context.into())));
    while let Some(item) = progress.next().await {
        assert!(item.unwrap().error_detail.is_none());
    }
    tag
}

#[tokio::test(flavor = "multi_thread")]
async fn prune_removes_only_unused_managed_images() {
    let Some(runtime) = docker_or_skip().await else {
        return;
    };
    let base = busybox_httpd_image(&runtime).await;
    let ours = labelled_image(&runtime, &base, LABEL_MANAGED).await;
    let theirs = labelled_image(&runtime, &base, "dev.rivetr.test.someone-else").await;
    let report = runtime.prune_images().await.unwrap();
    assert!(report.removed.contains(&ours), "{report:?}");
    assert!(!runtime.image_exists(&ours).await.unwrap());
    assert!(runtime.image_exists(&theirs).await.unwrap());
    assert!(runtime.image_exists(&base).await.unwrap());
    runtime.remove_image(&theirs).await.unwrap();
    assert!(!runtime.image_exists(&theirs).await.unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn pulling_from_an_unreachable_registry_is_unavailable() {
    let Some(runtime) = docker_or_skip().await else {
        return;
    };
    let image: ImageRef = "localhost:1/rivetr/nothing:1".parse().unwrap();
    let err = runtime.pull_image(&image, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(
        err.message()
            .starts_with("pulling image localhost:1/rivetr/nothing:1"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bogus_socket_is_a_clear_unavailable_error() {
    let options = ConnectOptions {
        socket: Some("/nonexistent/rivetr-test.sock".into()),
        timeout: Duration::from_secs(2),
    };
    let err = DockerRuntime::connect(&options).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(err.is_retryable());
    assert!(
        err.message().contains("/nonexistent/rivetr-test.sock"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_containers_are_not_found() {
    let Some(runtime) = docker_or_skip().await else {
        return;
    };
    let id = ContainerId::new(unique("rivetr-nobody"));
    let err = runtime.inspect_container(&id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains(id.as_str()), "{err}");
    assert_eq!(
        runtime.stats(&id).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    runtime.remove_container(&id).await.unwrap();

    // Ids and names that could change an API path never reach the engine.
    for hostile in [
        "../images/rivetr-test%2Fbusybox-httpd:1",
        "x/../../info",
        "-x",
        "",
    ] {
        let id = ContainerId::new(hostile);
        let err = runtime.inspect_container(&id).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{hostile:?}: {err}");
        let err = runtime.start_container(&id).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{hostile:?}: {err}");
        runtime.remove_container(&id).await.unwrap();
        let err = runtime.ensure_network(hostile).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{hostile:?}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tcp_probe_is_not_fooled_by_the_port_proxy() {
    let Some((runtime, image, network)) = setup("rivetr-tcp").await else {
        return;
    };
    // Port 8080 is published, but nothing listens on it in the container.
    let mut s = spec(&image, &network, "idle");
    s.command = Some(CommandLine::new(["/bin/busybox", "sleep", "600"]).unwrap());
    let id = runtime.create_container(&s).await.unwrap();
    for p in [
        HealthProbe::Tcp,
        HealthProbe::Http {
            path: "/".parse().unwrap(),
        },
    ] {
        match runtime.check_health(&id, &probe(p.clone())).await.unwrap() {
            HealthStatus::Unhealthy(_) => {}
            HealthStatus::Healthy => panic!("{p:?} passed with nothing listening"),
        }
    }
    until_healthy(&runtime, &id, &probe(HealthProbe::Running)).await;
    teardown(&runtime, &network).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn named_volumes_persist_and_bind_mounts_are_read_only_when_asked() {
    use rivetr_core::model::{MountSource, VolumeMount};

    let Some((runtime, image, network)) = setup("rivetr-vol").await else {
        return;
    };
    let volume = unique("rivetr-vol");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.txt"), "from the host\n").unwrap();
    let mounts = vec![
        VolumeMount {
            source: MountSource::Volume(volume.parse().unwrap()),
            target: "/data".parse().unwrap(),
            read_only: false,
        },
        VolumeMount {
            source: MountSource::Bind(dir.path().to_str().unwrap().parse().unwrap()),
            target: "/host".parse().unwrap(),
            read_only: true,
        },
    ];
    let mut first = spec(&image, &network, "first");
    first.volumes.clone_from(&mounts);
    let id = runtime.create_container(&first).await.unwrap();
    let out = exec_output(&runtime, &id, &["/bin/busybox", "cat", "/host/hello.txt"]).await;
    assert_eq!(out, "from the host\n");
    let out = exec_output(&runtime, &id, &["/bin/busybox", "touch", "/host/nope"]).await;
    assert!(out.contains("Read-only"), "{out}");
    exec_output(&runtime, &id, &["/bin/busybox", "mkdir", "/data/kept"]).await;
    runtime.remove_container(&id).await.unwrap();

    let mut second = spec(&image, &network, "second");
    second.volumes = mounts;
    let id = runtime.create_container(&second).await.unwrap();
    let out = exec_output(&runtime, &id, &["/bin/busybox", "ls", "/data"]).await;
    assert!(
        out.contains("kept"),
        "a named volume must outlive its container: {out}"
    );
    runtime.remove_container(&id).await.unwrap();
    runtime
        .connection()
        .docker
        .remove_volume(
            &volume,
            None::<bollard::query_parameters::RemoveVolumeOptions>,
        )
        .await
        .unwrap();
    teardown(&runtime, &network).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_in_use_is_not_untagged_through_another_tag() {
    let Some((runtime, image, network)) = setup("rivetr-tag").await else {
        return;
    };
    // A second tag of the same image, used by a container.
    let alias: ImageRef = format!("rivetr-test/alias:{}", unique("t"))
        .parse()
        .unwrap();
    let options = bollard::query_parameters::TagImageOptions {
        repo: Some(alias.repository().to_owned()),
        tag: alias.tag().map(str::to_owned),
    };
    runtime
        .connection()
        .docker
        .tag_image(image.as_str(), Some(options))
        .await
        .unwrap();
    let mut s = spec(&image, &network, "web");
    s.image = alias.clone();
    runtime.create_container(&s).await.unwrap();
    let err = runtime.remove_image(&alias).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert!(err.message().contains(&s.name), "{err}");
    assert!(runtime.image_exists(&alias).await.unwrap());
    teardown(&runtime, &network).await;
    runtime.remove_image(&alias).await.unwrap();
    assert!(!runtime.image_exists(&alias).await.unwrap());
    assert!(runtime.image_exists(&image).await.unwrap());
}
