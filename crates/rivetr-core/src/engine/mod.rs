//! The deploy engine: from a queued deployment to a live, health-checked,
//! zero-downtime switch — and back, when the new version fails.
//!
//! ```text
//! trigger (API | webhook | CLI | schedule | rollback)
//!   → Deployment row: Queued (persisted before anything runs)
//!   → per-app worker (one deployment at a time per app; newer queued ones supersede older)
//!   → Fetching   SourceFetcher (or an image pull)
//!   → Building   Builder (log lines to the store and to live subscribers)
//!   → Starting   ContainerRuntime: new containers on the private network, no public port
//!   → Checking   health probe, bounded by a deadline
//!   → Switching  RouteTable::switch — atomic; old upstreams drain
//!   → Live       old containers stopped; removed once the watch window passes
//! any failure before Live: new containers removed, routes untouched, Failed with a reason
//! failure inside the watch window: automatic rollback to the previous version
//! ```
//!
//! Every step runs in a `tracing` span, streams its log lines, and can be
//! cancelled. On start-up the [reconciler](EngineBuilder::start) repairs what a
//! crash left behind.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use rivetr_core::engine::Engine;
//! use rivetr_core::memory::{MemoryRouteTable, MemoryRuntime, MemoryStore};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let engine = Engine::builder(
//!     Arc::new(MemoryStore::new()),
//!     Arc::new(MemoryRuntime::new()),
//!     Arc::new(MemoryRouteTable::new()),
//! )
//! .start()
//! .await
//! .unwrap();
//! let mut events = engine.subscribe();
//! # drop(events); engine.shutdown().await;
//! # });
//! ```

mod config;
mod containers;
mod control;
mod health;
mod log_writer;
mod pipeline;
mod policy;
mod reconcile;
mod routes;
mod watch;
mod workers;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use config::EngineConfig;
pub use reconcile::ReconcileReport;

use crate::builder::Builder;
use crate::error::Result;
use crate::id::{AppId, DeploymentId};
use crate::model::{Event, Notification};
use crate::notifier::Notifier;
use crate::route::RouteTable;
use crate::runtime::ContainerRuntime;
use crate::source::SourceFetcher;
use crate::store::Store;

/// The plug-ins an engine drives.
#[derive(Clone, Debug)]
pub struct Parts {
    /// Durable state.
    pub store: Arc<dyn Store>,
    /// Runs containers.
    pub runtime: Arc<dyn ContainerRuntime>,
    /// Fetch sources; the first that supports a source is used.
    pub sources: Vec<Arc<dyn SourceFetcher>>,
    /// Build images; chosen by kind, or by detection for `auto`.
    pub builders: Vec<Arc<dyn Builder>>,
    /// Routes traffic.
    pub routes: Arc<dyn RouteTable>,
    /// Tell people about deployments.
    pub notifiers: Vec<Arc<dyn Notifier>>,
}

/// Assembles an [`Engine`] from its parts.
#[derive(Debug)]
#[must_use]
pub struct EngineBuilder {
    parts: Parts,
    config: EngineConfig,
}

impl EngineBuilder {
    /// Add a source fetcher.
    pub fn source(mut self, source: Arc<dyn SourceFetcher>) -> Self {
        self.parts.sources.push(source);
        self
    }

    /// Add a builder (detection order is the order added).
    pub fn builder(mut self, builder: Arc<dyn Builder>) -> Self {
        self.parts.builders.push(builder);
        self
    }

    /// Add a notifier.
    pub fn notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.parts.notifiers.push(notifier);
        self
    }

    /// Replace the engine settings.
    pub fn config(mut self, config: EngineConfig) -> Self {
        self.config = config;
        self
    }

    /// Reconcile the store with the runtime and route table, then start a
    /// worker for every app with queued deployments.
    ///
    /// # Errors
    ///
    /// When the store cannot be read during reconciliation, or the image
    /// repository in the config is not a valid image name.
    pub async fn start(self) -> Result<Engine> {
        let (report, engine) = self.start_with_report().await?;
        tracing::info!(?report, "engine started");
        Ok(engine)
    }

    /// Like [`EngineBuilder::start`], also returning what reconciliation did.
    ///
    /// # Errors
    ///
    /// As [`EngineBuilder::start`].
    pub async fn start_with_report(self) -> Result<(ReconcileReport, Engine)> {
        containers::check_image_repository(&self.config.image_repository)?;
        let (events, _) = broadcast::channel(self.config.event_capacity.max(16));
        let engine = Engine {
            inner: Arc::new(Inner {
                parts: self.parts,
                config: self.config,
                events,
                workers: Mutex::new(HashMap::new()),
                running: Mutex::new(HashMap::new()),
                idle: tokio::sync::Notify::new(),
                shutdown: CancellationToken::new(),
                tasks: TaskTracker::new(),
            }),
        };
        let report = reconcile::reconcile(&engine.inner).await?;
        workers::resume_queued(&engine.inner).await?;
        Ok((report, engine))
    }
}

/// The deploy engine. Cheap to clone; every clone drives the same workers.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("parts", &self.inner.parts)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub(crate) parts: Parts,
    pub(crate) config: EngineConfig,
    pub(crate) events: broadcast::Sender<Event>,
    /// One entry per app whose worker is running.
    pub(crate) workers: Mutex<HashMap<AppId, workers::WorkerEntry>>,
    /// Cancellation tokens of deployments being worked on.
    pub(crate) running: Mutex<HashMap<DeploymentId, CancellationToken>>,
    /// Notified whenever a worker ends.
    pub(crate) idle: tokio::sync::Notify,
    pub(crate) shutdown: CancellationToken,
    pub(crate) tasks: TaskTracker,
}

impl Inner {
    /// Send an event; having no subscriber is fine.
    pub(crate) fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }

    /// Send a notification through every notifier, in the background.
    pub(crate) fn notify(&self, notification: &Notification) {
        for notifier in &self.parts.notifiers {
            let notifier = Arc::clone(notifier);
            let notification = notification.clone();
            self.tasks.spawn(async move {
                if let Err(err) = notifier.notify(&notification).await {
                    tracing::warn!(notifier = notifier.name(), error = %err, "notification failed");
                }
            });
        }
    }
}

/// Lock a mutex, recovering from poisoning (state behind these locks is
/// only ever replaced whole, so a panicking holder cannot leave it torn).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Engine {
    /// Start assembling an engine from the three parts every engine needs.
    /// Add sources, builders and notifiers on the returned builder.
    pub fn builder(
        store: Arc<dyn Store>,
        runtime: Arc<dyn ContainerRuntime>,
        routes: Arc<dyn RouteTable>,
    ) -> EngineBuilder {
        EngineBuilder {
            parts: Parts {
                store,
                runtime,
                sources: Vec::new(),
                builders: Vec::new(),
                routes,
                notifiers: Vec::new(),
            },
            config: EngineConfig::default(),
        }
    }

    /// The parts this engine drives.
    #[must_use]
    pub fn parts(&self) -> &Parts {
        &self.inner.parts
    }

    /// The engine settings.
    #[must_use]
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// Subscribe to events: deployment changes, log lines, routes, dying
    /// containers. Filter by [`Event::team_id`] before showing them to a
    /// user.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    /// Stop: no new work starts, deployments in flight are cancelled (and
    /// cleaned up), and the call returns when every worker has ended.
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
    }
}
