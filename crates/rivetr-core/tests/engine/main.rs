//! Scenario tests of the deploy engine over the in-memory parts.
//!
//! Each test builds a [`Harness`]: a team, a project, an app built from a
//! git repository held by the in-memory source, one domain, and an engine.
//! The in-memory builder reads the Dockerfile: `RUN exit N` fails the build,
//! `LABEL health=unhealthy` makes containers never healthy,
//! `LABEL crash-after-probes=N` makes them crash after N probes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]

mod cancel;
mod concurrency;
mod crash;
mod failures;
mod happy;
mod rollback;

use std::sync::Arc;
use std::time::Duration;

use rivetr_core::access::Scope;
use rivetr_core::engine::{Engine, EngineConfig};
use rivetr_core::id::DeploymentId;
use rivetr_core::input::{DomainName, GitRef, GitUrl};
use rivetr_core::memory::{
    MemoryBuilder, MemoryNotifier, MemoryRouteTable, MemoryRuntime, MemorySource, MemoryStore,
};
use rivetr_core::model::{
    App, AppSpec, CommitInfo, Deployment, DeploymentStatus, Event, HealthCheck, LogLine, NewDomain,
    Role, Trigger,
};
use rivetr_core::route::{RouteTable, Upstream};
use rivetr_core::store::{AppRepo, DomainRepo, LogRepo};
use tokio::sync::broadcast;

pub(crate) const HOST: &str = "web.example.com";

/// The parts that outlive an engine (a restart keeps them, except the route
/// table, which lives in the proxy process).
#[derive(Clone)]
pub(crate) struct World {
    pub(crate) store: MemoryStore,
    pub(crate) runtime: MemoryRuntime,
    pub(crate) source: MemorySource,
    pub(crate) notifier: MemoryNotifier,
    pub(crate) builder: Arc<MemoryBuilder>,
    /// The engine's work directory (kept across restarts, like a data dir).
    pub(crate) work_dir: std::path::PathBuf,
}

pub(crate) struct Harness {
    pub(crate) world: World,
    pub(crate) routes: MemoryRouteTable,
    pub(crate) engine: Engine,
    /// The app's owner, acting in its team.
    pub(crate) scope: Scope,
    pub(crate) app: App,
    pub(crate) url: GitUrl,
    pub(crate) branch: GitRef,
}

pub(crate) fn test_config(work_dir: &std::path::Path) -> EngineConfig {
    EngineConfig {
        work_dir: work_dir.to_path_buf(),
        watch_interval: Duration::from_millis(20),
        ..EngineConfig::default()
    }
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl World {
    pub(crate) fn new() -> Self {
        let runtime = MemoryRuntime::new();
        Self {
            builder: Arc::new(MemoryBuilder::new(runtime.clone())),
            work_dir: std::env::temp_dir()
                .join(format!("rivetr-engine-test-{}", DeploymentId::new())),
            store: MemoryStore::new(),
            source: MemorySource::new(),
            notifier: MemoryNotifier::new(),
            runtime,
        }
    }

    /// Start an engine over these parts and `routes`.
    pub(crate) async fn engine(&self, routes: &MemoryRouteTable) -> Engine {
        self.engine_with(routes, |_| {}).await
    }

    /// Start an engine with settings changed by `change`.
    pub(crate) async fn engine_with(
        &self,
        routes: &MemoryRouteTable,
        change: impl FnOnce(&mut EngineConfig),
    ) -> Engine {
        let work_dir = self.work_dir.clone();
        Engine::builder(
            Arc::new(self.store.clone()),
            Arc::new(self.runtime.clone()),
            Arc::new(routes.clone()),
        )
        .source(Arc::new(self.source.clone()))
        .builder(self.builder.clone())
        .notifier(Arc::new(self.notifier.clone()))
        .config({
            let mut config = test_config(&work_dir);
            change(&mut config);
            config
        })
        .start()
        .await
        .expect("engine starts")
    }
}

impl Harness {
    /// A fresh world with one app, and a running engine.
    pub(crate) async fn new() -> Self {
        let world = World::new();
        let routes = MemoryRouteTable::new();
        let (scope, app, url, branch) = seed(&world.store).await;
        let engine = world.engine(&routes).await;
        Self {
            world,
            routes,
            engine,
            scope,
            app,
            url,
            branch,
        }
    }

    /// Commit `dockerfile` to the app's branch.
    pub(crate) fn push(&self, dockerfile: &str) -> CommitInfo {
        self.world.source.insert_git(
            &self.url,
            &self.branch,
            [
                ("Dockerfile".to_owned(), dockerfile.as_bytes().to_vec()),
                ("index.html".to_owned(), b"<h1>hello</h1>".to_vec()),
            ],
        )
    }

    /// Change the app's spec in the store.
    pub(crate) async fn update_spec(&mut self, change: impl FnOnce(&mut AppSpec)) {
        let mut spec = self.app.spec.clone();
        change(&mut spec);
        self.app = self
            .world
            .store
            .update_app_spec(&self.scope, self.app.id, spec)
            .await
            .expect("spec updates");
    }

    pub(crate) async fn deploy(&self) -> Deployment {
        let d = self
            .engine
            .deploy(&self.scope, self.app.id, Trigger::Manual)
            .await
            .expect("deploy is accepted");
        assert_eq!(
            d.status,
            DeploymentStatus::Queued,
            "deploy returns a queued deployment at once"
        );
        d
    }

    /// Wait until the deployment is live or finished and the app's worker
    /// is idle (watch window over), then return it.
    pub(crate) async fn settle(&self, id: DeploymentId) -> Deployment {
        tokio::time::timeout(Duration::from_secs(20), async {
            self.engine
                .wait_for(&self.scope, id, |d| {
                    d.status == DeploymentStatus::Live || d.status.is_terminal()
                })
                .await
                .expect("deployment is readable");
            self.engine.wait_idle(self.app.id).await;
        })
        .await
        .expect("deployment settles within 20s");
        self.get(id).await
    }

    /// Wait until the deployment reaches `status`.
    pub(crate) async fn reach(&self, id: DeploymentId, status: DeploymentStatus) -> Deployment {
        tokio::time::timeout(
            Duration::from_secs(20),
            self.engine
                .wait_for(&self.scope, id, |d| d.status == status),
        )
        .await
        .unwrap_or_else(|_| panic!("deployment did not reach {status} within 20s"))
        .expect("deployment is readable")
    }

    pub(crate) async fn get(&self, id: DeploymentId) -> Deployment {
        use rivetr_core::store::DeploymentRepo;
        self.world
            .store
            .get_deployment(&self.scope, id)
            .await
            .expect("deployment is readable")
    }

    /// Deploy `dockerfile` and wait for the outcome.
    pub(crate) async fn ship(&self, dockerfile: &str) -> Deployment {
        self.push(dockerfile);
        let d = self.deploy().await;
        self.settle(d.id).await
    }

    pub(crate) async fn logs(&self, id: DeploymentId) -> Vec<LogLine> {
        self.world
            .store
            .read_logs(&self.scope, id, 0, 10_000)
            .await
            .expect("logs are readable")
    }

    pub(crate) async fn log_text(&self, id: DeploymentId) -> String {
        self.logs(id)
            .await
            .into_iter()
            .map(|l| l.text)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Upstreams the route table sends the app's host to.
    pub(crate) fn routed(&self) -> Vec<Upstream> {
        routed(&self.routes)
    }

    /// Ids of the containers the runtime holds.
    pub(crate) fn container_ids(&self) -> Vec<String> {
        let mut ids: Vec<_> = self
            .world
            .runtime
            .containers()
            .into_iter()
            .map(|c| c.id.to_string())
            .collect();
        ids.sort();
        ids
    }
}

pub(crate) fn routed(routes: &MemoryRouteTable) -> Vec<Upstream> {
    let host: DomainName = HOST.parse().expect("valid host");
    routes
        .resolve(&host)
        .map(|r| r.upstreams)
        .unwrap_or_default()
}

pub(crate) fn upstreams(d: &Deployment) -> Vec<Upstream> {
    d.containers
        .iter()
        .filter_map(|c| c.address.map(|addr| Upstream { addr }))
        .collect()
}

pub(crate) fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

pub(crate) fn container_ids(d: &Deployment) -> Vec<String> {
    sorted(d.containers.iter().map(|c| c.id.to_string()).collect())
}

/// Statuses of `id` seen on `events` until it goes live or finishes.
pub(crate) async fn statuses(
    events: &mut broadcast::Receiver<Event>,
    id: DeploymentId,
) -> Vec<DeploymentStatus> {
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if let Ok(Event::DeploymentChanged {
                deployment_id,
                status,
                ..
            }) = events.recv().await
                && deployment_id == id
            {
                seen.push(status);
                if status == DeploymentStatus::Live || status.is_terminal() {
                    return;
                }
            }
        }
    })
    .await
    .expect("the deployment finishes within 20s");
    seen
}

/// Create an owner, a team, a project, an app and its domain.
pub(crate) async fn seed(store: &MemoryStore) -> (Scope, App, GitUrl, GitRef) {
    let seeded = rivetr_core::testkit::seed::team_with_project(store, "owner@example.com").await;
    assert_eq!(seeded.scope.role(), Some(Role::Owner));
    let url: GitUrl = "https://git.example.com/acme/web.git".parse().unwrap();
    let branch: GitRef = "main".parse().unwrap();
    let mut spec = AppSpec::from_git(url.clone(), branch.clone());
    spec.run.port = Some("8080".parse().unwrap());
    spec.run.health_check = Some(HealthCheck {
        interval: Duration::from_millis(10),
        deadline: Duration::from_millis(500),
        ..HealthCheck::tcp()
    });
    spec.deploy.watch_window = Duration::ZERO;
    spec.deploy.drain_timeout = Duration::from_secs(5);
    spec.deploy.stop_grace = Duration::from_millis(100);
    let app = seeded.app(store, "web", spec).await;
    store
        .add_domain(
            &seeded.scope,
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
    (seeded.scope, app, url, branch)
}

pub(crate) const V1: &str = "FROM scratch\nLABEL log=v1\nCOPY index.html /\n";
pub(crate) const V2: &str = "FROM scratch\nLABEL log=v2\nCOPY index.html /\n";
pub(crate) const V3: &str = "FROM scratch\nLABEL log=v3\nCOPY index.html /\n";
