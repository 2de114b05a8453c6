//! End to end through the deploy engine: a git repository holding a
//! Dockerfile app, served over file:// and smart HTTP (`git http-backend`),
//! built and run on the real Docker Engine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]

#[path = "support/git_http.rs"]
mod git_http;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use git_http::GitHttpServer;
use rivetr_core::access::Scope;
use rivetr_core::engine::{Engine, EngineConfig};
use rivetr_core::id::DeploymentId;
use rivetr_core::input::GitUrlPolicy;
use rivetr_core::memory::{MemoryRouteTable, MemoryStore};
use rivetr_core::model::DeploymentStatus::{self, *};
use rivetr_core::model::{App, AppSpec, Deployment, Event, HealthCheck, NewDomain, Trigger};
use rivetr_core::route::RouteTable;
use rivetr_core::runtime::{ContainerRuntime, LABEL_APP, LabelFilter};
use rivetr_core::store::DomainRepo;
use rivetr_runtime::build::DockerfileBuilder;
use rivetr_runtime::docker::DockerRuntime;
use rivetr_runtime::source::{GitSource, GitSourceConfig};
use rivetr_runtime::testsupport::{busybox_path, docker_or_skip, git, unique};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const HOST: &str = "shop.e2e.example.com";

/// The app's repository: a static busybox serving `www/` on port 8080.
struct Repo {
    dir: PathBuf,
}

impl Repo {
    fn create(root: &Path) -> Self {
        let dir = root.join("shop");
        std::fs::create_dir_all(dir.join("www")).unwrap();
        std::fs::copy(busybox_path(), dir.join("busybox"))
            .expect("a static busybox (busybox-static)");
        git(&dir, &["init", "--quiet"]);
        Self { dir }
    }

    /// Commit a Dockerfile and an index page.
    fn commit(&self, dockerfile: &str, index: Option<&str>, message: &str) {
        std::fs::write(self.dir.join("Dockerfile"), dockerfile).unwrap();
        let page = self.dir.join("www/index.html");
        match index {
            Some(text) => std::fs::write(page, text).unwrap(),
            None => {
                let _ = std::fs::remove_file(page);
                std::fs::write(self.dir.join("www/.keep"), "").unwrap();
            }
        }
        git(&self.dir, &["add", "--all", "--", "."]);
        git(&self.dir, &["commit", "--quiet", "-m", message]);
    }
}

const DOCKERFILE: &str = "FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nEXPOSE 8080\n\
CMD [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n";
const BROKEN: &str = "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"false\"]\n";

struct World {
    engine: Engine,
    docker: DockerRuntime,
    routes: MemoryRouteTable,
    scope: Scope,
    app: App,
    repository: String,
    _dirs: Vec<tempfile::TempDir>,
}

impl World {
    async fn start(docker: DockerRuntime, url: &str) -> Self {
        let cache = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let store = MemoryStore::new();
        let routes = MemoryRouteTable::new();
        let network = unique("rivetr-e2e");
        let repository = unique("rivetr-e2e");
        let source = GitSource::new(GitSourceConfig {
            policy: GitUrlPolicy {
                allow_file: true,
                allow_http: true,
            },
            ..GitSourceConfig::new(cache.path().to_path_buf())
        });
        let builder = DockerfileBuilder::from_connection(docker.connection());
        let engine = Engine::builder(
            Arc::new(store.clone()),
            Arc::new(docker.clone()),
            Arc::new(routes.clone()),
        )
        .source(Arc::new(source))
        .builder(Arc::new(builder))
        .config(EngineConfig {
            network,
            work_dir: work.path().to_path_buf(),
            image_repository: repository.clone(),
            watch_interval: Duration::from_millis(100),
            ..EngineConfig::default()
        })
        .start()
        .await
        .unwrap();

        let seeded = rivetr_core::testkit::seed::team_with_project(&store, "ops@example.com").await;
        let scope = seeded.scope.clone();
        let mut spec = AppSpec::from_git(url.parse().unwrap(), "main".parse().unwrap());
        spec.run.port = Some("8080".parse().unwrap());
        spec.run.health_check = Some(HealthCheck {
            interval: Duration::from_millis(100),
            deadline: Duration::from_secs(5),
            ..HealthCheck::http("/index.html".parse().unwrap())
        });
        spec.deploy.watch_window = Duration::ZERO;
        spec.deploy.drain_timeout = Duration::from_secs(2);
        spec.deploy.stop_grace = Duration::from_secs(1);
        let app = seeded.app(&store, "shop", spec).await;
        store
            .add_domain(
                &scope,
                NewDomain {
                    app_id: app.id,
                    host: HOST.parse().unwrap(),
                    force_https: false,
                    redirect_to: None,
                    basic_auth: None,
                },
            )
            .await
            .unwrap();
        Self {
            engine,
            docker,
            routes,
            scope,
            app,
            repository,
            _dirs: vec![cache, work],
        }
    }

    /// Deploy (or roll back) and wait until it is live or finished;
    /// returns it with the statuses it went through.
    async fn run(&self, rollback: bool) -> (Deployment, Vec<DeploymentStatus>) {
        let mut events = self.engine.subscribe();
        let queued = if rollback {
            self.engine
                .rollback(&self.scope, self.app.id, None)
                .await
                .unwrap()
        } else {
            self.engine
                .deploy(&self.scope, self.app.id, Trigger::Manual)
                .await
                .unwrap()
        };
        let statuses = statuses(&mut events, queued.id).await;
        self.engine.wait_idle(self.app.id).await;
        let done = self
            .engine
            .wait_for(&self.scope, queued.id, |d| {
                d.status == Live || d.status.is_terminal()
            })
            .await
            .unwrap();
        (done, statuses)
    }

    /// What the app's host answers, through the address the route table
    /// sends it to.
    async fn answer(&self) -> String {
        let resolved = self
            .routes
            .resolve(&HOST.parse().unwrap())
            .expect("the host is routed");
        assert_eq!(resolved.upstreams.len(), 1);
        get(resolved.upstreams[0].addr, "/index.html").await
    }

    async fn app_containers(&self) -> Vec<String> {
        let filter = LabelFilter::managed().with(LABEL_APP, self.app.id.to_string());
        let mut ids: Vec<String> = self
            .docker
            .list_containers(&filter)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.id.to_string())
            .collect();
        ids.sort();
        ids
    }

    async fn cleanup(self) {
        self.engine.shutdown().await;
        for id in self.app_containers().await {
            let _ = self
                .docker
                .remove_container(&rivetr_core::runtime::ContainerId::new(id))
                .await;
        }
        let docker = &self.docker.connection().docker;
        let network = self.engine.config().team_network(self.app.team_id);
        let _ = docker.remove_network(&network).await;
        let images = docker
            .list_images(None::<bollard::query_parameters::ListImagesOptions>)
            .await
            .unwrap_or_default();
        for image in images {
            for tag in image.repo_tags {
                if tag.starts_with(&self.repository) {
                    let _ = docker
                        .remove_image(
                            &tag,
                            None::<bollard::query_parameters::RemoveImageOptions>,
                            None,
                        )
                        .await;
                }
            }
        }
    }
}

fn ids(d: &Deployment) -> Vec<String> {
    let mut ids: Vec<String> = d.containers.iter().map(|c| c.id.to_string()).collect();
    ids.sort();
    ids
}

async fn statuses(
    events: &mut tokio::sync::broadcast::Receiver<Event>,
    id: DeploymentId,
) -> Vec<DeploymentStatus> {
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(120), async {
        loop {
            if let Ok(Event::DeploymentChanged {
                deployment_id,
                status,
                ..
            }) = events.recv().await
                && deployment_id == id
            {
                seen.push(status);
                if status == Live || status.is_terminal() {
                    return;
                }
            }
        }
    })
    .await
    .expect("the deployment finishes within two minutes");
    seen
}

/// A plain HTTP/1.1 GET over loopback; returns the body.
async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(
        response.starts_with("HTTP/1.") && response.contains(" 200 "),
        "{response}"
    );
    response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned()
}

/// Every scenario of the issue, in the order a user lives them.
async fn lifecycle(world: &World, repo: &Repo) {
    // Deploy: the app answers on its container address.
    let (v1, steps) = world.run(false).await;
    assert_eq!(v1.status, Live, "v1: {:?}", v1.reason);
    assert_eq!(
        steps,
        [
            Queued, Fetching, Building, Starting, Checking, Switching, Live
        ]
    );
    assert_eq!(world.answer().await, "version one\n");
    assert!(v1.commit.is_some());

    // A new commit: the new version answers, the old container is gone.
    repo.commit(DOCKERFILE, Some("version two\n"), "v2");
    let (v2, _) = world.run(false).await;
    assert_eq!(v2.status, Live, "v2: {:?}", v2.reason);
    assert_eq!(world.answer().await, "version two\n");
    assert_eq!(
        world.app_containers().await,
        ids(&v2),
        "v1's container is removed"
    );
    assert_ne!(v1.image, v2.image);

    // Roll back: v1's image runs again, nothing is fetched or built.
    let (back, steps) = world.run(true).await;
    assert_eq!(back.status, Live, "rollback: {:?}", back.reason);
    assert_eq!(
        steps,
        [Queued, Starting, Checking, Switching, Live],
        "no fetch, no build"
    );
    assert_eq!(back.image, v1.image);
    assert_eq!(world.answer().await, "version one\n");
    assert_eq!(world.app_containers().await, ids(&back));

    // A broken Dockerfile: failed, and the running version keeps answering.
    repo.commit(BROKEN, Some("never served\n"), "broken");
    let (broken, _) = world.run(false).await;
    assert_eq!(broken.status, Failed);
    assert!(
        broken
            .reason
            .clone()
            .unwrap_or_default()
            .contains("build failed"),
        "{:?}",
        broken.reason
    );
    assert_eq!(world.answer().await, "version one\n");
    assert_eq!(world.app_containers().await, ids(&back));

    // A version whose health check never passes: no switch.
    repo.commit(DOCKERFILE, None, "no index page");
    let (sick, steps) = world.run(false).await;
    assert_eq!(sick.status, Failed);
    assert!(
        steps.contains(&Checking) && !steps.contains(&Switching),
        "{steps:?}"
    );
    assert!(
        sick.reason
            .clone()
            .unwrap_or_default()
            .contains("health check"),
        "{:?}",
        sick.reason
    );
    assert_eq!(world.answer().await, "version one\n");
    assert_eq!(
        world.app_containers().await,
        ids(&back),
        "the unhealthy container is removed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_redeploy_rollback_and_failures_over_smart_http() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let repo = Repo::create(root.path());
    repo.commit(DOCKERFILE, Some("version one\n"), "v1");
    let server = GitHttpServer::start(root.path(), None).await;
    let world = World::start(docker, &server.url("shop")).await;
    lifecycle(&world, &repo).await;
    assert!(server.requests() > 0, "the source came over smart HTTP");
    world.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_and_redeploy_over_file_urls() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let repo = Repo::create(root.path());
    repo.commit(DOCKERFILE, Some("version one\n"), "v1");
    let url = format!("file://{}", repo.dir.display());
    let world = World::start(docker, &url).await;
    let (v1, _) = world.run(false).await;
    assert_eq!(v1.status, Live, "{:?}", v1.reason);
    assert_eq!(world.answer().await, "version one\n");
    repo.commit(DOCKERFILE, Some("version two\n"), "v2");
    let (v2, _) = world.run(false).await;
    assert_eq!(v2.status, Live, "{:?}", v2.reason);
    assert_eq!(world.answer().await, "version two\n");
    assert_eq!(world.app_containers().await, ids(&v2));
    world.cleanup().await;
}
