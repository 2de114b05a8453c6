//! What the deploy engine adds to a cached rebuild.
//!
//! The same work is done twice against the same real parts (gix fetch over
//! file://, the Dockerfile builder on the Docker Engine API with a warm build
//! cache, a new container, an HTTP health check, removing the old
//! container): once by hand through the plug-in traits, once through
//! `Engine::deploy`. The difference is the engine's overhead: the store,
//! the per-app worker, the log writer, status events and the route switch.
//!
//! Run: `cargo bench -p rivetr-benches --bench engine_overhead`
//! (`RIVETR_BENCH_ITERATIONS`, default 7). Needs Docker, git and a static
//! busybox (`RIVETR_TEST_BUSYBOX`, default `/bin/busybox`).
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark binary reports on stdout and fails loudly"
)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rivetr_core::builder::{BuildRequest, Builder};
use rivetr_core::engine::{Engine, EngineConfig};
use rivetr_core::input::{GitUrlPolicy, ImageRef};
use rivetr_core::log_sink::LogSink;
use rivetr_core::memory::{MemoryRouteTable, MemoryStore};
use rivetr_core::model::{AppSpec, DeploymentStatus, HealthCheck, Page, RestartPolicy, Trigger};
use rivetr_core::runtime::{ContainerRuntime, ContainerSpec, HealthStatus};
use rivetr_core::source::SourceFetcher;
use rivetr_core::store::DeploymentRepo;
use rivetr_runtime::build::DockerfileBuilder;
use rivetr_runtime::docker::{ConnectOptions, DockerRuntime};
use rivetr_runtime::source::{GitSource, GitSourceConfig};
use rivetr_runtime::testsupport::{busybox_path, git};

const DOCKERFILE: &str = "FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nEXPOSE 8080\n\
CMD [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n";

fn health() -> HealthCheck {
    HealthCheck {
        interval: Duration::from_millis(25),
        deadline: Duration::from_secs(20),
        ..HealthCheck::http("/index.html".parse().unwrap())
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let iterations: usize = std::env::var("RIVETR_BENCH_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(7);
    let docker = match DockerRuntime::connect(&ConnectOptions::default()).await {
        Ok(docker) => docker,
        Err(err) => {
            eprintln!("SKIPPED engine_overhead: {err}");
            return;
        }
    };

    // A repository holding a busybox web app.
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("app");
    std::fs::create_dir_all(repo.join("www")).unwrap();
    std::fs::copy(busybox_path(), repo.join("busybox")).unwrap();
    std::fs::write(repo.join("www/index.html"), "bench\n").unwrap();
    std::fs::write(repo.join("Dockerfile"), DOCKERFILE).unwrap();
    git(&repo, &["init", "--quiet"]);
    git(&repo, &["add", "--all", "--", "."]);
    git(&repo, &["commit", "--quiet", "-m", "bench"]);
    let url = format!("file://{}", repo.display());

    let config = GitSourceConfig {
        policy: GitUrlPolicy {
            allow_file: true,
            allow_http: false,
        },
        ..GitSourceConfig::new(dir.path().join("cache"))
    };
    let source = GitSource::new(config);
    let builder = DockerfileBuilder::from_connection(docker.connection());
    let suffix = std::process::id();
    let network = format!("rivetr-bench-{suffix}");
    let repository = format!("rivetr-bench-{suffix}");

    // The engine, over the same parts, with an in-memory store and table.
    let store = MemoryStore::new();
    let engine = Engine::builder(
        Arc::new(store.clone()),
        Arc::new(docker.clone()),
        Arc::new(MemoryRouteTable::new()),
    )
    .source(Arc::new(GitSource::new(GitSourceConfig {
        policy: GitUrlPolicy {
            allow_file: true,
            allow_http: false,
        },
        ..GitSourceConfig::new(dir.path().join("engine-cache"))
    })))
    .builder(Arc::new(DockerfileBuilder::from_connection(
        docker.connection(),
    )))
    .config(EngineConfig {
        network: network.clone(),
        work_dir: dir.path().join("work"),
        image_repository: repository.clone(),
        ..EngineConfig::default()
    })
    .start()
    .await
    .unwrap();
    let seeded = rivetr_core::testkit::seed::team_with_project(&store, "bench@example.com").await;
    let scope = seeded.scope.clone();
    let mut spec = AppSpec::from_git(url.parse().unwrap(), "main".parse().unwrap());
    spec.run.port = Some("8080".parse().unwrap());
    spec.run.health_check = Some(health());
    spec.deploy.watch_window = Duration::ZERO;
    spec.deploy.stop_grace = Duration::ZERO;
    let app = seeded.app(&store, "bench", spec.clone()).await;

    let deploy = || async {
        let start = Instant::now();
        let queued = engine
            .deploy(&scope, app.id, Trigger::Manual)
            .await
            .unwrap();
        let done = engine
            .wait_for(&scope, queued.id, |d| {
                d.status == DeploymentStatus::Live || d.status.is_terminal()
            })
            .await
            .unwrap();
        let live = start.elapsed();
        assert_eq!(done.status, DeploymentStatus::Live, "{:?}", done.reason);
        engine.wait_idle(app.id).await;
        (live, start.elapsed())
    };

    // Warm the build cache (and the engine's git cache) once.
    deploy().await;

    let mut by_engine = Vec::new();
    let mut by_engine_live = Vec::new();
    for _ in 0..iterations {
        let (live, idle) = deploy().await;
        by_engine_live.push(live);
        by_engine.push(idle);
    }

    // The same work by hand.
    let runtime: &dyn ContainerRuntime = &docker;
    runtime.ensure_network(&network).await.unwrap();
    let image: ImageRef = format!("{repository}/direct:1").parse().unwrap();
    let mut previous = None;
    let mut by_hand = Vec::new();
    let mut by_hand_live = Vec::new();
    for i in 0..=iterations {
        let start = Instant::now();
        let work = tempfile::tempdir().unwrap();
        let log = LogSink::discard();
        let tree = source.fetch(&spec.source, work.path(), &log).await.unwrap();
        let built = builder
            .build(
                &BuildRequest {
                    tree,
                    spec: spec.build.clone(),
                    image: image.clone(),
                },
                &log,
            )
            .await
            .unwrap();
        let id = runtime
            .create_container(&ContainerSpec {
                name: format!("rivetr-bench-direct-{suffix}-{i}"),
                image: built.image,
                env: Vec::new(),
                command: None,
                labels: BTreeMap::new(),
                network: network.clone(),
                aliases: Vec::new(),
                port: spec.run.port,
                publish: None,
                resources: spec.run.resources.clone(),
                volumes: Vec::new(),
                restart: RestartPolicy::No,
            })
            .await
            .unwrap();
        let check = health();
        while runtime.check_health(&id, &check).await.unwrap() != HealthStatus::Healthy {
            tokio::time::sleep(check.interval).await;
        }
        let live = start.elapsed();
        if let Some(old) = previous.replace(id) {
            runtime.stop_container(&old, Duration::ZERO).await.unwrap();
            runtime.remove_container(&old).await.unwrap();
        }
        // The first round only warms the by-hand git cache.
        if i > 0 {
            by_hand_live.push(live);
            by_hand.push(start.elapsed());
        }
    }

    let (hand, eng) = (median(by_hand), median(by_engine));
    let (hand_live, eng_live) = (median(by_hand_live), median(by_engine_live));
    println!("engine_overhead: cached rebuild + restart, median of {iterations} runs");
    println!(
        "  by hand through the traits:  {:8.1} ms to healthy, {:8.1} ms with the old container removed",
        ms(hand_live),
        ms(hand)
    );
    println!(
        "  through Engine::deploy:      {:8.1} ms to live,    {:8.1} ms with the old container removed",
        ms(eng_live),
        ms(eng)
    );
    let over = ms(eng) - ms(hand);
    println!(
        "  engine overhead:             {over:8.1} ms ({:+.1}%)  [target: < 500 ms and < 10%]",
        over / ms(hand) * 100.0
    );

    // Clean up.
    engine.shutdown().await;
    if let Some(old) = previous {
        let _ = runtime.remove_container(&old).await;
    }
    let managed = rivetr_core::runtime::LabelFilter::managed()
        .with(rivetr_core::runtime::LABEL_APP, app.id.to_string());
    for c in runtime.list_containers(&managed).await.unwrap_or_default() {
        let _ = runtime.remove_container(&c.id).await;
    }
    let _ = docker.connection().docker.remove_network(&network).await;
    let team_network = engine.config().team_network(app.team_id);
    let _ = docker
        .connection()
        .docker
        .remove_network(&team_network)
        .await;
    let _ = runtime.remove_image(&image).await;
    let deployments = store
        .list_deployments(&scope, app.id, Page::first(1000))
        .await
        .unwrap_or_default();
    for built in deployments.into_iter().filter_map(|d| d.image) {
        let _ = runtime.remove_image(&built).await;
    }
}
