#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! The builders against a real Docker Engine (skipped, loudly, when none
//! answers and `RIVETR_TEST_STRICT` is not `1`).

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::query_parameters::{
    CreateContainerOptions, RemoveContainerOptions, RemoveImageOptions,
};
use rivetr_core::ErrorKind;
use rivetr_core::builder::{BuildRequest, Builder, Detection};
use rivetr_core::input::{BuildTarget, CommandLine, EnvKey, ImageRef, PathInRepo};
use rivetr_core::log_sink::LogSink;
use rivetr_core::model::{
    BuildSpec, BuilderKind, DeploymentStatus, LogStream, NewLogLine, StaticSiteBuild,
};
use rivetr_core::source::SourceTree;
use rivetr_runtime::build::{
    BuildpacksBuilder, CliConfig, DockerfileBuilder, NixpacksBuilder, RailpackBuilder,
    StaticSiteBuilder, StaticSiteConfig,
};
use rivetr_runtime::docker::{ConnectOptions, Connection, DockerRuntime, connect};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ---------------------------------------------------------------- helpers

fn strict() -> bool {
    std::env::var("RIVETR_TEST_STRICT").is_ok_and(|v| v == "1")
}

#[allow(clippy::print_stderr, reason = "a skipped test says so loudly")]
/// Skip (or, under `RIVETR_TEST_STRICT=1`, fail) a test that needs
/// something missing.
fn skip(why: &str) {
    assert!(!strict(), "RIVETR_TEST_STRICT=1 and {why}");
    eprintln!("SKIPPED: {why}");
}

/// The engine and the host's static busybox, or `None` (after [`skip`]).
async fn engine() -> Option<(Connection, PathBuf)> {
    let busybox = std::env::var_os("RIVETR_TEST_BUSYBOX")
        .map_or_else(|| PathBuf::from("/bin/busybox"), PathBuf::from);
    if !busybox.is_file() {
        skip(&format!(
            "no static busybox at {} (set RIVETR_TEST_BUSYBOX)",
            busybox.display()
        ));
        return None;
    }
    match connect(&ConnectOptions::default()).await {
        Ok(connection) => Some((connection, busybox)),
        Err(err) => {
            skip(&format!("no container engine: {err}"));
            None
        }
    }
}

fn unique_image(what: &str) -> ImageRef {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("rivetr-test-build-{what}:{}-{n}", std::process::id())
        .parse()
        .unwrap()
}

/// Write `files` (path, contents) under `root`, making directories.
fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (path, contents) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
}

fn copy_busybox(busybox: &Path, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(busybox, dir.join("busybox")).unwrap();
}

fn tree_of(dir: &Path) -> SourceTree {
    SourceTree {
        root: dir.to_path_buf(),
        commit: None,
    }
}

fn request(tree: &Path, spec: BuildSpec, image: &ImageRef) -> BuildRequest {
    BuildRequest {
        tree: tree_of(tree),
        spec,
        image: image.clone(),
    }
}

fn drain(rx: &mut tokio::sync::mpsc::UnboundedReceiver<NewLogLine>) -> Vec<NewLogLine> {
    let mut out = Vec::new();
    while let Ok(line) = rx.try_recv() {
        out.push(line);
    }
    out
}

fn texts(lines: &[NewLogLine]) -> Vec<String> {
    lines.iter().map(|l| l.text.clone()).collect()
}

async fn labels(docker: &Docker, image: &ImageRef) -> HashMap<String, String> {
    let inspect = docker.inspect_image(image.as_str()).await.unwrap();
    inspect.config.unwrap().labels.unwrap_or_default()
}

async fn image_exists(docker: &Docker, image: &ImageRef) -> bool {
    docker.inspect_image(image.as_str()).await.is_ok()
}

async fn remove_image(docker: &Docker, image: &ImageRef) {
    let _ = docker
        .remove_image(
            image.as_str(),
            Some(RemoveImageOptions {
                force: true,
                ..RemoveImageOptions::default()
            }),
            None,
        )
        .await;
}

/// A Docker client that never reaches an engine (for checks that must
/// happen before any request): its "socket" is an empty file in `dir`.
fn unreachable_docker(dir: &Path) -> Docker {
    let socket = dir.join("not-a-socket");
    std::fs::write(&socket, "").unwrap();
    Docker::connect_with_unix(socket.to_str().unwrap(), 5, bollard::API_DEFAULT_VERSION).unwrap()
}

// ------------------------------------------------------ Dockerfile builder

#[tokio::test]
async fn dockerfile_conformance() {
    let Some((connection, busybox)) = engine().await else {
        return;
    };
    let builder = DockerfileBuilder::from_connection(&connection);
    let runtime = DockerRuntime::from_connection(connection);
    let good = tempfile::tempdir().unwrap();
    copy_busybox(&busybox, good.path());
    write_tree(
        good.path(),
        &[("Dockerfile", "FROM scratch\nCOPY busybox /bin/busybox\n")],
    );
    let bad = tempfile::tempdir().unwrap();
    write_tree(bad.path(), &[("README.md", "no Dockerfile")]);
    let spec = BuildSpec::default();
    let yes = builder.detect(&tree_of(good.path()), &spec).await.unwrap();
    assert_eq!(yes, Detection::Yes("found Dockerfile".into()));
    let no = builder.detect(&tree_of(bad.path()), &spec).await.unwrap();
    assert_eq!(no, Detection::No("no Dockerfile at Dockerfile".into()));
    let image = unique_image("conformance");
    rivetr_core::testkit::builder::conformance(
        &builder,
        &tree_of(good.path()),
        &tree_of(bad.path()),
        &image,
        &runtime,
    )
    .await;
}

#[tokio::test]
async fn build_streams_steps_and_passes_build_args_and_labels() {
    let Some((connection, busybox)) = engine().await else {
        return;
    };
    let docker = &connection.docker;
    let builder = DockerfileBuilder::from_connection(&connection);
    let dir = tempfile::tempdir().unwrap();
    copy_busybox(&busybox, dir.path());
    write_tree(
        dir.path(),
        &[(
            "Dockerfile",
            "FROM scratch\nCOPY busybox /bin/busybox\nARG GREETING\nLABEL greeting=$GREETING\n\
             RUN [\"/bin/busybox\", \"echo\", \"hello-from-run\"]\n",
        )],
    );
    let mut spec = BuildSpec::default();
    spec.build_args
        .insert("GREETING".parse().unwrap(), "value-of-the-arg".into());
    spec.no_cache = true;
    let image = unique_image("steps");
    let (log, mut rx) = LogSink::channel(DeploymentStatus::Building);
    builder
        .build(&request(dir.path(), spec, &image), &log)
        .await
        .unwrap();
    let lines = drain(&mut rx);
    let text = texts(&lines);
    assert!(
        text.iter().any(|l| l.contains("COPY busybox /bin/busybox")),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|l| l.contains("RUN [\"/bin/busybox\"")),
        "{text:#?}"
    );
    assert!(text.iter().any(|l| l == "hello-from-run"), "{text:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l.stream == LogStream::System && l.text == "Build arguments: GREETING"),
        "{text:#?}"
    );
    assert!(
        text.iter().all(|l| !l.contains("value-of-the-arg")),
        "build arg values are never logged: {text:#?}"
    );
    let labels = labels(docker, &image).await;
    assert_eq!(
        labels.get("greeting").map(String::as_str),
        Some("value-of-the-arg")
    );
    assert_eq!(
        labels.get("dev.rivetr.managed").map(String::as_str),
        Some("true")
    );
    remove_image(docker, &image).await;
}

#[tokio::test]
async fn custom_dockerfile_base_directory_and_target() {
    let Some((connection, busybox)) = engine().await else {
        return;
    };
    let docker = &connection.docker;
    let builder = DockerfileBuilder::from_connection(&connection);
    let dir = tempfile::tempdir().unwrap();
    copy_busybox(&busybox, &dir.path().join("svc"));
    write_tree(
        dir.path(),
        &[
            ("Dockerfile", "FROM scratch\nLABEL stage=wrong-dockerfile\n"),
            (
                "svc/build/App.dockerfile",
                "FROM scratch AS first\nCOPY busybox /bin/busybox\nLABEL stage=first\n\
                 FROM first AS second\nLABEL stage=second\n",
            ),
        ],
    );
    let mut spec = BuildSpec {
        base_directory: Some("svc".parse().unwrap()),
        dockerfile: Some("build/App.dockerfile".parse().unwrap()),
        ..BuildSpec::default()
    };
    let found = builder.detect(&tree_of(dir.path()), &spec).await.unwrap();
    assert_eq!(
        found,
        Detection::Yes("found svc/build/App.dockerfile".into())
    );
    let image = unique_image("custom");
    builder
        .build(
            &request(dir.path(), spec.clone(), &image),
            &LogSink::discard(),
        )
        .await
        .unwrap();
    assert_eq!(labels(docker, &image).await["stage"], "second");
    spec.target = Some("first".parse().unwrap());
    let (log, mut rx) = LogSink::channel(DeploymentStatus::Building);
    builder
        .build(&request(dir.path(), spec.clone(), &image), &log)
        .await
        .unwrap();
    assert_eq!(labels(docker, &image).await["stage"], "first");
    assert!(texts(&drain(&mut rx)).contains(&"Target stage: first".to_owned()));
    spec.target = Some("nosuchstage".parse().unwrap());
    let err = builder
        .build(&request(dir.path(), spec, &image), &LogSink::discard())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.message().contains("nosuchstage"), "{err}");
    remove_image(docker, &image).await;
}

#[tokio::test]
async fn dockerignore_is_honoured_and_git_never_sent() {
    let Some((connection, busybox)) = engine().await else {
        return;
    };
    let docker = &connection.docker;
    let builder = DockerfileBuilder::from_connection(&connection);
    let dir = tempfile::tempdir().unwrap();
    copy_busybox(&busybox, dir.path());
    write_tree(
        dir.path(),
        &[
            (
                "Dockerfile",
                "FROM scratch\nCOPY busybox /bin/busybox\nCOPY . /ctx\n\
                 RUN [\"/bin/busybox\", \"find\", \"/ctx\"]\n",
            ),
            (
                ".dockerignore",
                "# secrets stay home\nsecret.txt\n*.log\n!keep.log\nDockerfile\n",
            ),
            ("secret.txt", "s3cr3t"),
            ("drop.log", "x"),
            ("keep.log", "x"),
            ("app/main.txt", "x"),
            (".git/config", "[core]"),
            ("app/.git", "gitdir: ../.git/modules/app"),
        ],
    );
    let image = unique_image("ignore");
    let (log, mut rx) = LogSink::channel(DeploymentStatus::Building);
    builder
        .build(
            &request(
                dir.path(),
                BuildSpec {
                    no_cache: true,
                    ..BuildSpec::default()
                },
                &image,
            ),
            &log,
        )
        .await
        .unwrap();
    let text = texts(&drain(&mut rx));
    let listed: Vec<&str> = text
        .iter()
        .map(|l| l.trim())
        .filter(|l| l.starts_with("/ctx"))
        .collect();
    assert!(listed.contains(&"/ctx/keep.log"), "{text:#?}");
    assert!(listed.contains(&"/ctx/app/main.txt"), "{text:#?}");
    assert!(listed.contains(&"/ctx/busybox"), "{text:#?}");
    for gone in [
        "/ctx/secret.txt",
        "/ctx/drop.log",
        "/ctx/.git",
        "/ctx/app/.git",
    ] {
        assert!(
            !listed.iter().any(|l| l.starts_with(gone)),
            "{gone} must not be in the context: {listed:#?}"
        );
    }
    remove_image(docker, &image).await;
}

#[tokio::test]
async fn failing_run_is_invalid_input_with_the_reason_and_logs() {
    let Some((connection, busybox)) = engine().await else {
        return;
    };
    let docker = &connection.docker;
    let builder = DockerfileBuilder::from_connection(&connection);
    let dir = tempfile::tempdir().unwrap();
    copy_busybox(&busybox, dir.path());
    write_tree(
        dir.path(),
        &[(
            "Dockerfile",
            "FROM scratch\nCOPY busybox /bin/busybox\n\
             RUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo about-to-fail; exit 3\"]\n",
        )],
    );
    let image = unique_image("failing");
    let (log, mut rx) = LogSink::channel(DeploymentStatus::Building);
    let err = builder
        .build(&request(dir.path(), BuildSpec::default(), &image), &log)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.message().starts_with("build failed: "), "{err}");
    assert!(err.message().contains("non-zero code: 3"), "{err}");
    let lines = drain(&mut rx);
    let text = texts(&lines);
    assert!(text.iter().any(|l| l == "about-to-fail"), "{text:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l.stream == LogStream::Stderr && l.text.contains("non-zero code: 3")),
        "{text:#?}"
    );
    assert!(!image_exists(docker, &image).await);

    write_tree(
        dir.path(),
        &[("Dockerfile", "FROM scratch\nNOPE nothing\n")],
    );
    let err = builder
        .build(
            &request(dir.path(), BuildSpec::default(), &image),
            &LogSink::discard(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.message().to_lowercase().contains("nope"), "{err}");
}

#[tokio::test]
async fn large_context_is_streamed() {
    let Some((connection, busybox)) = engine().await else {
        return;
    };
    let docker = &connection.docker;
    let builder = DockerfileBuilder::from_connection(&connection);
    let dir = tempfile::tempdir().unwrap();
    copy_busybox(&busybox, dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    // 48 files of 1 MiB each, not all alike.
    let mut block = vec![0u8; 1 << 20];
    for i in 0..48u32 {
        for (j, b) in block.iter_mut().enumerate() {
            *b = (j as u32)
                .wrapping_mul(2_654_435_761)
                .wrapping_add(i)
                .to_le_bytes()[0];
        }
        std::fs::write(data.join(format!("blob-{i:02}.bin")), &block).unwrap();
    }
    write_tree(
        dir.path(),
        &[(
            "Dockerfile",
            "FROM scratch\nCOPY busybox /bin/busybox\nCOPY data /data\n\
             RUN [\"/bin/busybox\", \"du\", \"-sk\", \"/data\"]\n",
        )],
    );
    let image = unique_image("large");
    let (log, mut rx) = LogSink::channel(DeploymentStatus::Building);
    builder
        .build(
            &request(
                dir.path(),
                BuildSpec {
                    no_cache: true,
                    ..BuildSpec::default()
                },
                &image,
            ),
            &log,
        )
        .await
        .unwrap();
    let text = texts(&drain(&mut rx));
    assert!(
        text.iter().any(|l| {
            let kib = l
                .strip_suffix("\t/data")
                .and_then(|n| n.trim().parse::<u64>().ok());
            kib.is_some_and(|kib| (48 * 1024..48 * 1024 + 256).contains(&kib))
        }),
        "du must see all 48 MiB: {text:#?}"
    );
    remove_image(docker, &image).await;
}

// ------------------------------------------------------ static site builder

#[tokio::test]
async fn static_site_is_served() {
    let Some((connection, busybox)) = engine().await else {
        return;
    };
    let docker = &connection.docker;
    // The base image: busybox with its applets, from scratch.
    let base_dir = tempfile::tempdir().unwrap();
    copy_busybox(&busybox, base_dir.path());
    write_tree(
        base_dir.path(),
        &[(
            "Dockerfile",
            "FROM scratch\nCOPY busybox /bin/busybox\n\
             RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n",
        )],
    );
    let base = unique_image("static-base");
    DockerfileBuilder::from_connection(&connection)
        .build(
            &request(base_dir.path(), BuildSpec::default(), &base),
            &LogSink::discard(),
        )
        .await
        .unwrap();

    let config = StaticSiteConfig {
        base_image: base.clone(),
        serve_command: CommandLine::new(["/bin/httpd", "-f", "-p", "8080", "-h", "/site"]).unwrap(),
        port: 8080u16.try_into().unwrap(),
    };
    let builder = StaticSiteBuilder::from_connection(&connection, config);
    assert_eq!(builder.kind(), BuilderKind::Static);
    let site = tempfile::tempdir().unwrap();
    write_tree(
        site.path(),
        &[
            ("public/index.html", "<h1>hello from rivetr</h1>\n"),
            ("public/Dockerfile.txt", "not a Dockerfile"),
            ("public/.dockerignore", "private.txt\n"),
            ("public/private.txt", "hidden"),
        ],
    );
    let mut spec = BuildSpec::default();
    let no = builder.detect(&tree_of(site.path()), &spec).await.unwrap();
    assert_eq!(no, Detection::No("no index.html: not a static site".into()));
    spec.base_directory = Some("public".parse().unwrap());
    let yes = builder.detect(&tree_of(site.path()), &spec).await.unwrap();
    assert!(yes.is_yes(), "{yes:?}");
    assert!(yes.reason().contains("public/index.html"), "{yes:?}");

    let image = unique_image("static");
    let (log, mut rx) = LogSink::channel(DeploymentStatus::Building);
    builder
        .build(&request(site.path(), spec.clone(), &image), &log)
        .await
        .unwrap();
    assert!(!drain(&mut rx).is_empty());
    assert_eq!(labels(docker, &image).await["dev.rivetr.managed"], "true");

    // A tree with a Dockerfile belongs to the Dockerfile builder.
    write_tree(site.path(), &[("public/Dockerfile", "FROM scratch\n")]);
    let taken = builder.detect(&tree_of(site.path()), &spec).await.unwrap();
    assert!(
        !taken.is_yes() && taken.reason().contains("Dockerfile"),
        "{taken:?}"
    );

    // Run it, published on 127.0.0.1 only, and fetch the page.
    let name = format!("rivetr-test-static-{}", std::process::id());
    let body = ContainerCreateBody {
        image: Some(image.as_str().to_owned()),
        host_config: Some(HostConfig {
            port_bindings: Some(HashMap::from([(
                "8080/tcp".to_owned(),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".to_owned()),
                    host_port: Some(String::new()),
                }]),
            )])),
            ..HostConfig::default()
        }),
        ..ContainerCreateBody::default()
    };
    let _ = docker
        .remove_container(
            &name,
            Some(RemoveContainerOptions {
                force: true,
                ..Default::default()
            }),
        )
        .await;
    docker
        .create_container(
            Some(CreateContainerOptions {
                name: Some(name.clone()),
                ..CreateContainerOptions::default()
            }),
            body,
        )
        .await
        .unwrap();
    let served = async {
        docker.start_container(&name, None).await.unwrap();
        let inspect = docker.inspect_container(&name, None).await.unwrap();
        let ports = inspect.network_settings.unwrap().ports.unwrap();
        let binding = ports["8080/tcp"].as_ref().unwrap()[0].clone();
        assert_eq!(binding.host_ip.as_deref(), Some("127.0.0.1"));
        let port: u16 = binding.host_port.unwrap().parse().unwrap();
        let (index, private) = (get(port, "/").await, get(port, "/private.txt").await);
        (index, private)
    }
    .await;
    let _ = docker
        .remove_container(
            &name,
            Some(RemoveContainerOptions {
                force: true,
                ..Default::default()
            }),
        )
        .await;
    remove_image(docker, &image).await;
    remove_image(docker, &base).await;
    let (index, private) = served;
    assert!(
        index.starts_with("HTTP/1.0 200") || index.starts_with("HTTP/1.1 200"),
        "{index}"
    );
    assert!(index.contains("<h1>hello from rivetr</h1>"), "{index}");
    assert!(
        private.contains(" 404"),
        "private.txt was .dockerignored: {private}"
    );
}

/// `GET path` on 127.0.0.1:port, retrying while the server starts.
async fn get(port: u16, path: &str) -> String {
    for _ in 0..50 {
        if let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            let request = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
            if stream.write_all(request.as_bytes()).await.is_ok() {
                let mut response = String::new();
                if stream.read_to_string(&mut response).await.is_ok() && !response.is_empty() {
                    return response;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("nothing answered on 127.0.0.1:{port}");
}

// ------------------------------------- static site builder: build command

/// The busybox base image of the static site tests (built from scratch with
/// the host's busybox and its applets: no registry is reachable).
async fn busybox_base(connection: &Connection, busybox: &Path, what: &str) -> ImageRef {
    let dir = tempfile::tempdir().unwrap();
    copy_busybox(busybox, dir.path());
    write_tree(
        dir.path(),
        &[(
            "Dockerfile",
            "FROM scratch\nCOPY busybox /bin/busybox\n\
             RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n",
        )],
    );
    let base = unique_image(what);
    DockerfileBuilder::from_connection(connection)
        .build(
            &request(dir.path(), BuildSpec::default(), &base),
            &LogSink::discard(),
        )
        .await
        .unwrap();
    base
}

/// A static site builder serving with busybox `httpd` on `base`.
fn busybox_site_builder(connection: &Connection, base: &ImageRef) -> StaticSiteBuilder {
    let config = StaticSiteConfig {
        base_image: base.clone(),
        serve_command: CommandLine::new(["/bin/httpd", "-f", "-p", "8080", "-h", "/site"]).unwrap(),
        port: 8080u16.try_into().unwrap(),
    };
    StaticSiteBuilder::from_connection(connection, config)
}

/// A static site build running `command` in `image`, serving `dist`.
fn site_build(image: &ImageRef, command: &[&str]) -> StaticSiteBuild {
    StaticSiteBuild {
        image: image.clone(),
        command: CommandLine::new(command.iter().copied()).unwrap(),
        output_dir: "dist".parse().unwrap(),
    }
}

/// Run `image` (port 8080 published on 127.0.0.1 only), `GET` each of
/// `paths`, remove the container and return the responses.
async fn serve_and_get(
    docker: &Docker,
    image: &ImageRef,
    what: &str,
    paths: &[&str],
) -> Vec<String> {
    let name = format!("rivetr-test-{what}-{}", std::process::id());
    let body = ContainerCreateBody {
        image: Some(image.as_str().to_owned()),
        host_config: Some(HostConfig {
            port_bindings: Some(HashMap::from([(
                "8080/tcp".to_owned(),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".to_owned()),
                    host_port: Some(String::new()),
                }]),
            )])),
            ..HostConfig::default()
        }),
        ..ContainerCreateBody::default()
    };
    let remove = || async {
        let _ = docker
            .remove_container(
                &name,
                Some(RemoveContainerOptions {
                    force: true,
                    ..Default::default()
                }),
            )
            .await;
    };
    remove().await;
    docker
        .create_container(
            Some(CreateContainerOptions {
                name: Some(name.clone()),
                ..CreateContainerOptions::default()
            }),
            body,
        )
        .await
        .unwrap();
    let started = docker.start_container(&name, None).await;
    let mut responses = Vec::new();
    if started.is_ok() {
        let inspect = docker.inspect_container(&name, None).await.unwrap();
        let ports = inspect.network_settings.unwrap().ports.unwrap();
        let binding = ports["8080/tcp"].as_ref().unwrap()[0].clone();
        assert_eq!(binding.host_ip.as_deref(), Some("127.0.0.1"));
        let port: u16 = binding.host_port.unwrap().parse().unwrap();
        for path in paths {
            responses.push(get(port, path).await);
        }
    }
    remove().await;
    started.unwrap();
    responses
}

/// The body of an HTTP response.
fn body_of(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, body)| body)
}

fn is_ok(response: &str) -> bool {
    response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200")
}

#[tokio::test]
async fn static_site_build_command_output_is_served() {
    let Some((connection, busybox)) = engine().await else {
        return;
    };
    let docker = &connection.docker;
    let base = busybox_base(&connection, &busybox, "static-build-base").await;
    let builder = busybox_site_builder(&connection, &base);
    // No index.html before the build: only the build command makes one.
    let site = tempfile::tempdir().unwrap();
    write_tree(
        site.path(),
        &[
            ("web/content/page.html", "<h1>built by the command</h1>\n"),
            ("web/package.json", "{}"),
            ("web/.dockerignore", "private.txt\n"),
            ("web/private.txt", "hidden"),
        ],
    );
    let mut spec = BuildSpec {
        base_directory: Some("web".parse().unwrap()),
        ..BuildSpec::default()
    };
    let no = builder.detect(&tree_of(site.path()), &spec).await.unwrap();
    assert!(!no.is_yes(), "{no:?}");
    // The build image is the busybox base too (no registry here); the
    // command is the user's own argument vector (a shell inside the
    // container is theirs to use).
    spec.static_site = Some(site_build(
        &base,
        &[
            "/bin/busybox",
            "sh",
            "-c",
            "mkdir -p dist && cp content/page.html dist/index.html \
             && echo \"greeting=$GREETING\" >> dist/index.html \
             && if [ -e private.txt ]; then echo leaked >> dist/index.html; fi",
        ],
    ));
    spec.build_args
        .insert("GREETING".parse().unwrap(), "hello-from-build-arg".into());
    let yes = builder.detect(&tree_of(site.path()), &spec).await.unwrap();
    assert!(yes.is_yes(), "{yes:?}");
    assert!(
        yes.reason().contains("static site build")
            && yes.reason().contains("web/dist")
            && yes
                .reason()
                .contains("index.html may only exist after the build"),
        "{yes:?}"
    );

    let image = unique_image("static-built");
    let (log, mut rx) = LogSink::channel(DeploymentStatus::Building);
    builder
        .build(&request(site.path(), spec.clone(), &image), &log)
        .await
        .unwrap();
    let text = texts(&drain(&mut rx));
    let intro = text
        .iter()
        .find(|l| l.contains("running the build command"))
        .unwrap_or_else(|| panic!("{text:#?}"));
    assert!(
        intro.contains(base.as_str()),
        "the build image is logged: {intro}"
    );
    assert!(
        intro.contains(r#"["/bin/busybox","sh","-c","mkdir -p dist"#),
        "the argv is logged: {intro}"
    );
    assert!(intro.contains("web/dist"), "{intro}");
    assert!(
        !text.iter().any(|l| l.contains("hello-from-build-arg")),
        "build-arg values are not logged: {text:#?}"
    );
    assert_eq!(labels(docker, &image).await["dev.rivetr.managed"], "true");

    // A Dockerfile still belongs to the Dockerfile builder.
    write_tree(site.path(), &[("web/Dockerfile", "FROM scratch\n")]);
    let taken = builder.detect(&tree_of(site.path()), &spec).await.unwrap();
    assert!(
        !taken.is_yes() && taken.reason().contains("Dockerfile"),
        "{taken:?}"
    );

    let responses =
        serve_and_get(docker, &image, "static-built", &["/", "/content/page.html"]).await;
    remove_image(docker, &image).await;
    remove_image(docker, &base).await;
    let (index, source) = (&responses[0], &responses[1]);
    assert!(is_ok(index), "{index}");
    assert_eq!(
        body_of(index),
        "<h1>built by the command</h1>\ngreeting=hello-from-build-arg\n",
        "the build's output, with the build argument, and no .dockerignored file"
    );
    assert!(
        source.contains(" 404"),
        "only the output directory is served: {source}"
    );
}

#[tokio::test]
async fn static_site_build_failure_is_invalid_input_with_its_output() {
    let Some((connection, busybox)) = engine().await else {
        return;
    };
    let docker = &connection.docker;
    let base = busybox_base(&connection, &busybox, "static-fail-base").await;
    let builder = busybox_site_builder(&connection, &base);
    let site = tempfile::tempdir().unwrap();
    write_tree(site.path(), &[("src.txt", "x")]);
    let image = unique_image("static-fail");

    let spec = BuildSpec {
        static_site: Some(site_build(
            &base,
            &["/bin/busybox", "sh", "-c", "echo build-broke-here; exit 7"],
        )),
        ..BuildSpec::default()
    };
    let (log, mut rx) = LogSink::channel(DeploymentStatus::Building);
    let err = builder
        .build(&request(site.path(), spec, &image), &log)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.message().starts_with("build failed: "), "{err}");
    assert!(err.message().contains("non-zero code: 7"), "{err}");
    let lines = drain(&mut rx);
    let text = texts(&lines);
    assert!(
        text.iter().any(|l| l == "build-broke-here"),
        "the step's output is in the log: {text:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.stream == LogStream::Stderr && l.text.contains("non-zero code: 7")),
        "{text:#?}"
    );
    assert!(!image_exists(docker, &image).await);

    // A command that succeeds without writing the output directory.
    let spec = BuildSpec {
        static_site: Some(site_build(&base, &["/bin/busybox", "true"])),
        ..BuildSpec::default()
    };
    let (log, mut rx) = LogSink::channel(DeploymentStatus::Building);
    let err = builder
        .build(&request(site.path(), spec, &image), &log)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.message().contains("src/dist"), "{err}");
    assert!(!drain(&mut rx).is_empty());
    assert!(!image_exists(docker, &image).await);
    remove_image(docker, &base).await;
}

#[tokio::test]
async fn static_site_build_argument_cannot_add_an_instruction() {
    let Some((connection, busybox)) = engine().await else {
        return;
    };
    let docker = &connection.docker;
    let base = busybox_base(&connection, &busybox, "static-hostile-base").await;
    let builder = busybox_site_builder(&connection, &base);
    let site = tempfile::tempdir().unwrap();
    write_tree(site.path(), &[("README", "no index.html here")]);
    // Were the argument pasted into the Dockerfile as it is, it would end
    // the RUN instruction, add one that writes /src/dist/pwned, and turn
    // the rest into a comment. Also: a line continuation, a variable and a
    // heredoc marker, which must all stay literal.
    let hostile =
        "x\"]\nRUN [\"/bin/busybox\",\"touch\",\"/src/dist/pwned\"]\n# \\\n$HOME <<EOF '\"";
    let spec = BuildSpec {
        static_site: Some(site_build(
            &base,
            &[
                "/bin/busybox",
                "sh",
                "-c",
                "mkdir -p dist && printf '%s' \"$1\" > dist/index.html",
                "sh",
                hostile,
            ],
        )),
        ..BuildSpec::default()
    };
    let image = unique_image("static-hostile");
    let (log, mut rx) = LogSink::channel(DeploymentStatus::Building);
    builder
        .build(&request(site.path(), spec, &image), &log)
        .await
        .unwrap();
    let text = texts(&drain(&mut rx));
    assert!(
        text.iter().any(|l| l.contains("running the build command")
            && l.contains(r#"x\"]\nRUN [\"/bin/busybox\""#)),
        "the hostile argument is logged escaped, on one line: {text:#?}"
    );
    let run_steps: Vec<&String> = (text.iter())
        .filter(|l| l.starts_with("Step ") && l.contains(" : RUN "))
        .collect();
    assert_eq!(run_steps.len(), 1, "no extra step ran: {text:#?}");
    let responses = serve_and_get(docker, &image, "static-hostile", &["/", "/pwned"]).await;
    remove_image(docker, &image).await;
    remove_image(docker, &base).await;
    let (index, pwned) = (&responses[0], &responses[1]);
    assert!(is_ok(index), "{index}");
    assert_eq!(body_of(index), hostile, "passed as one literal argument");
    assert!(pwned.contains(" 404"), "no extra instruction ran: {pwned}");
}

// ------------------------------------------------------------ CLI builders

/// Write an executable fake tool (a test fixture) into `dir`.
fn fake_tool(dir: &Path, name: &str, script: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{script}")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn node_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), &[("package.json", "{}")]);
    dir
}

#[tokio::test]
async fn cli_builders_are_unavailable_without_their_program() {
    let empty = tempfile::tempdir().unwrap();
    let tree = node_tree();
    let spec = BuildSpec::default();
    let builders: Vec<(Box<dyn Builder>, &str, BuilderKind)> = vec![
        (
            Box::new(NixpacksBuilder::with_config(
                CliConfig::new("nixpacks").with_search_path(empty.path()),
            )),
            "nixpacks",
            BuilderKind::Nixpacks,
        ),
        (
            Box::new(RailpackBuilder::with_config(
                CliConfig::new("railpack").with_search_path(empty.path()),
            )),
            "railpack",
            BuilderKind::Railpack,
        ),
        (
            Box::new(BuildpacksBuilder::with_config(
                CliConfig::new("pack").with_search_path(empty.path()),
            )),
            "pack",
            BuilderKind::Buildpacks,
        ),
    ];
    for (builder, program, kind) in builders {
        assert_eq!(builder.kind(), kind);
        let detection = builder.detect(&tree_of(tree.path()), &spec).await.unwrap();
        assert_eq!(
            detection,
            Detection::Unavailable(format!("{program} is not on the PATH"))
        );
        let err = builder
            .build(
                &request(tree.path(), spec.clone(), &"app:v1".parse().unwrap()),
                &LogSink::discard(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    }
}

#[tokio::test]
async fn cli_detect_names_the_markers() {
    let bin = tempfile::tempdir().unwrap();
    fake_tool(bin.path(), "nixpacks", "exit 0\n");
    let builder =
        NixpacksBuilder::with_config(CliConfig::new("nixpacks").with_search_path(bin.path()));
    let tree = node_tree();
    write_tree(tree.path(), &[("go.mod", "module x")]);
    let yes = builder
        .detect(&tree_of(tree.path()), &BuildSpec::default())
        .await
        .unwrap();
    assert_eq!(
        yes,
        Detection::Yes("found package.json (Node.js), go.mod (Go): nixpacks can build it".into())
    );
    let empty = tempfile::tempdir().unwrap();
    let no = builder
        .detect(&tree_of(empty.path()), &BuildSpec::default())
        .await
        .unwrap();
    assert!(
        matches!(&no, Detection::No(r) if r.contains("no language marker")),
        "{no:?}"
    );
}

#[tokio::test]
async fn cli_build_streams_output_with_a_clean_environment() {
    let bin = tempfile::tempdir().unwrap();
    fake_tool(
        bin.path(),
        "nixpacks",
        "for a in \"$@\"; do echo \"arg: $a\"; done\n\
         echo \"GREETING=$GREETING\"\n\
         /usr/bin/env | while read -r l; do echo \"env: $l\"; done\n\
         echo \"warning on stderr\" >&2\n\
         exit 0\n",
    );
    let builder =
        NixpacksBuilder::with_config(CliConfig::new("nixpacks").with_search_path(bin.path()));
    let tree = node_tree();
    let mut spec = BuildSpec::default();
    spec.build_args
        .insert("GREETING".parse().unwrap(), "hi there".into());
    let image: ImageRef = "app:v1".parse().unwrap();
    let (log, mut rx) = LogSink::channel(DeploymentStatus::Building);
    let built = builder
        .build(&request(tree.path(), spec, &image), &log)
        .await
        .unwrap();
    assert_eq!(built.image, image);
    let lines = drain(&mut rx);
    let out: Vec<&str> = lines
        .iter()
        .filter(|l| l.stream == LogStream::Stdout)
        .map(|l| l.text.as_str())
        .collect();
    let dir = std::fs::canonicalize(tree.path()).unwrap();
    let args: Vec<&str> = out.iter().filter_map(|l| l.strip_prefix("arg: ")).collect();
    assert_eq!(
        args,
        [
            "build",
            "--name",
            "app:v1",
            "--env",
            "GREETING",
            "--",
            dir.to_str().unwrap()
        ]
    );
    assert!(out.contains(&"GREETING=hi there"), "{out:#?}");
    let env: Vec<&str> = out.iter().filter_map(|l| l.strip_prefix("env: ")).collect();
    assert!(
        env.iter().all(|e| !e.starts_with("CARGO")),
        "the process environment is cleared: {env:#?}"
    );
    assert!(
        env.contains(&format!("PATH={}", bin.path().display()).as_str()),
        "{env:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.stream == LogStream::Stderr && l.text == "warning on stderr")
    );
    assert!(
        lines
            .iter()
            .all(|l| l.stream != LogStream::System || !l.text.contains("hi there")),
        "build arg values stay out of Rivetr's own lines"
    );
}

#[tokio::test]
async fn cli_build_failure_quotes_stderr() {
    let bin = tempfile::tempdir().unwrap();
    fake_tool(
        bin.path(),
        "pack",
        "echo building\necho \"first problem\" >&2\necho \"ERROR: no buildpack matched\" >&2\nexit 7\n",
    );
    let builder =
        BuildpacksBuilder::with_config(CliConfig::new("pack").with_search_path(bin.path()));
    let tree = node_tree();
    let (log, mut rx) = LogSink::channel(DeploymentStatus::Building);
    let err = builder
        .build(
            &request(
                tree.path(),
                BuildSpec::default(),
                &"app:v1".parse().unwrap(),
            ),
            &log,
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        err.message(),
        "build failed: pack ended with exit status 7: first problem\nERROR: no buildpack matched"
    );
    assert!(texts(&drain(&mut rx)).contains(&"building".to_owned()));
}

#[tokio::test]
async fn cli_build_is_killed_when_dropped() {
    let bin = tempfile::tempdir().unwrap();
    let pid_file = bin.path().join("pid");
    fake_tool(
        bin.path(),
        "railpack",
        &format!("echo $$ > {}\nexec /bin/sleep 60\n", pid_file.display()),
    );
    let builder =
        RailpackBuilder::with_config(CliConfig::new("railpack").with_search_path(bin.path()));
    let tree = node_tree();
    let request = request(
        tree.path(),
        BuildSpec::default(),
        &"app:v1".parse().unwrap(),
    );
    let log = LogSink::discard();
    let build = builder.build(&request, &log);
    let timed_out = tokio::time::timeout(Duration::from_secs(2), build).await;
    assert!(timed_out.is_err(), "the fake build sleeps");
    let pid = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .to_owned();
    let mut gone = false;
    for _ in 0..50 {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => gone = true,
            Ok(stat) => gone = stat.split_whitespace().nth(2) == Some("Z"),
        }
        if gone {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        gone,
        "the tool (pid {pid}) must be killed when the build is dropped"
    );
}

// ---------------------------------------------------------------- bad input

#[test]
fn hostile_inputs_are_refused_at_parse_time() {
    for path in [
        "../Dockerfile",
        "api/../../etc/passwd",
        "/etc/passwd",
        "-f",
        "api/-f",
        "Dockerfile\nRUN evil",
        "Docker;file",
        "$(id)",
        "`id`",
        "a\0b",
    ] {
        let err = path.parse::<PathInRepo>().unwrap_err();
        assert!(!err.to_string().is_empty(), "{path:?}");
    }
    for key in ["A;B", "$(id)", "A B", "-e", "", "A\nB", "`id`", "A=B"] {
        let err = key.parse::<EnvKey>().unwrap_err();
        assert!(!err.to_string().is_empty(), "{key:?}");
    }
    for target in ["-x", "a b", "$(id)", "a;b", "a\nb"] {
        assert!(target.parse::<BuildTarget>().is_err(), "{target:?}");
    }
    for image in ["-v", "a b", "img;rm", "img\nx", "$(id)"] {
        assert!(image.parse::<ImageRef>().is_err(), "{image:?}");
    }
    let err = "../Dockerfile"
        .parse::<PathInRepo>()
        .unwrap_err()
        .to_string();
    assert!(err.contains(".."), "the error names the problem: {err}");
    // Stored or submitted settings go through the same checks.
    for json in [
        r#"{"dockerfile": "../Dockerfile"}"#,
        r#"{"base_directory": "/etc"}"#,
        r#"{"dockerfile": "-f"}"#,
        r#"{"target": "$(id)"}"#,
        r#"{"build_args": {"A;B": "x"}}"#,
        r#"{"build_args": {"A B": "x"}}"#,
    ] {
        assert!(serde_json::from_str::<BuildSpec>(json).is_err(), "{json}");
    }
}

#[tokio::test]
async fn unreachable_engine_is_unavailable_and_the_build_returns() {
    let sockets = tempfile::tempdir().unwrap();
    let builder = DockerfileBuilder::new(unreachable_docker(sockets.path()));
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("Dockerfile", "FROM scratch\n"),
            ("big", &"x".repeat(4 << 20)),
        ],
    );
    let request = request(dir.path(), BuildSpec::default(), &"app:v1".parse().unwrap());
    let log = LogSink::discard();
    let build = builder.build(&request, &log);
    let err = tokio::time::timeout(Duration::from_secs(30), build)
        .await
        .expect("the build must give up, not hang")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
}

#[tokio::test]
async fn dropping_a_docker_build_cancels_it() {
    let Some((connection, busybox)) = engine().await else {
        return;
    };
    let docker = &connection.docker;
    let builder = DockerfileBuilder::from_connection(&connection);
    let dir = tempfile::tempdir().unwrap();
    copy_busybox(&busybox, dir.path());
    // A sleep length unique to this run, to find its container.
    let seconds = 600 + std::process::id() % 1000;
    write_tree(
        dir.path(),
        &[(
            "Dockerfile",
            &format!(
                "FROM scratch\nCOPY busybox /bin/busybox\n\
                 RUN [\"/bin/busybox\", \"sleep\", \"{seconds}\"]\n"
            ),
        )],
    );
    let image = unique_image("cancel");
    let (log, mut rx) = LogSink::channel(DeploymentStatus::Building);
    let spec = BuildSpec {
        no_cache: true,
        ..BuildSpec::default()
    };
    let request = request(dir.path(), spec, &image);
    {
        let build = builder.build(&request, &log);
        tokio::pin!(build);
        let running = async {
            loop {
                match rx.recv().await {
                    Some(line) if line.text.starts_with(" ---> Running in") => break,
                    Some(_) => {}
                    None => panic!("the log closed"),
                }
            }
        };
        tokio::select! {
            result = &mut build => panic!("the build must still run: {result:?}"),
            () = running => {}
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    } // The build future is dropped here.
    let command = format!("/bin/busybox sleep {seconds}");
    let mut left = Vec::new();
    for _ in 0..60 {
        let containers = docker
            .list_containers(Some(bollard::query_parameters::ListContainersOptions {
                all: true,
                ..Default::default()
            }))
            .await
            .unwrap();
        left = containers
            .into_iter()
            .filter(|c| {
                c.command
                    .as_deref()
                    .is_some_and(|cmd| cmd.contains(&command))
            })
            .collect();
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        left.is_empty(),
        "the cancelled build's container must be stopped and removed: {left:#?}"
    );
    assert!(!image_exists(docker, &image).await);
}

#[tokio::test]
async fn links_out_of_the_tree_are_refused_before_anything_runs() {
    // No engine is reachable through this client: the refusal must come first.
    let sockets = tempfile::tempdir().unwrap();
    let builder = DockerfileBuilder::new(unreachable_docker(sockets.path()));
    let outside = tempfile::tempdir().unwrap();
    write_tree(
        outside.path(),
        &[("Dockerfile", "FROM scratch\n"), ("secret", "x")],
    );
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("base")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("Dockerfile"),
        dir.path().join("Dockerfile"),
    )
    .unwrap();
    let image: ImageRef = "app:v1".parse().unwrap();
    for spec in [
        BuildSpec::default(),
        BuildSpec {
            base_directory: Some("base".parse().unwrap()),
            ..BuildSpec::default()
        },
    ] {
        let detection = builder.detect(&tree_of(dir.path()), &spec).await.unwrap();
        assert!(
            matches!(&detection, Detection::No(r) if r.contains("outside")),
            "{detection:?}"
        );
        let err = builder
            .build(&request(dir.path(), spec, &image), &LogSink::discard())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert!(err.message().contains("outside the source tree"), "{err}");
    }
    let static_builder = StaticSiteBuilder::new(
        unreachable_docker(sockets.path()),
        StaticSiteConfig::busybox().unwrap(),
    );
    let spec = BuildSpec {
        base_directory: Some("base".parse().unwrap()),
        ..BuildSpec::default()
    };
    let err = static_builder
        .build(&request(dir.path(), spec, &image), &LogSink::discard())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}
