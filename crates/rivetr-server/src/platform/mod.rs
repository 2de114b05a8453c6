//! Assembly: the parts of a PaaS wired into a running [`Platform`].
//!
//! Start-up order: configuration (given) → store, with its migrations →
//! the deploy engine, whose reconciler restores routes and containers from
//! the store before its workers take queued deployments → the proxy's
//! listeners → the API. [`Platform::shutdown`] goes the other way: the API
//! stops accepting, the engine finishes or parks its deployments, the
//! proxy lets requests in flight finish, and the store is closed last.
//!
//! Every part can be replaced before start (a store, a runtime, extra
//! sources, builders and notifiers); what is not replaced is built from
//! the [`Config`]: `SqlStore` on the configured database, the local Docker
//! Engine, git and archive sources, the Dockerfile and static-site
//! builders.
//!
//! ```no_run
//! # async fn run() -> Result<(), rivetr_server::platform::StartError> {
//! use rivetr_server::config::Config;
//! use rivetr_server::platform::Platform;
//!
//! let platform = Platform::builder(Config::default()).start().await?;
//! println!("API on http://{}", platform.api_addr());
//! platform.shutdown().await;
//! # Ok(()) }
//! ```

mod acme_cache;
mod error;
mod https;
mod parts;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use rivetr_core::access::Scope;
use rivetr_core::builder::Builder;
use rivetr_core::engine::Engine;
use rivetr_core::notifier::Notifier;
use rivetr_core::runtime::ContainerRuntime;
use rivetr_core::source::SourceFetcher;
use rivetr_core::store::Store;
use rivetr_proxy::server::Proxy;
use rivetr_proxy::table::ProxyRouteTable;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use acme_cache::StoreAcmeCache;
pub use error::StartError;
pub use parts::prepare_data_dir;

use crate::api;
use crate::auth::server_key::ServerKey;
use crate::auth::service::{AuthService, AuthSettings};
use crate::auth::session_store::SessionStore;
use crate::auth::setup_token::SetupTokenFile;
use crate::config::Config;
use crate::metrics::{
    ApiMetrics, EngineMetrics, MetricsEndpoint, ServerMetrics, metrics_router, track_requests,
};

/// Collects replacements for the default parts, then starts.
#[must_use]
pub struct PlatformBuilder {
    config: Config,
    store: Option<Arc<dyn Store>>,
    runtime: Option<Arc<dyn ContainerRuntime>>,
    sources: Vec<Arc<dyn SourceFetcher>>,
    builders: Vec<Arc<dyn Builder>>,
    notifiers: Vec<Arc<dyn Notifier>>,
    auth: Option<AuthSettings>,
}

impl PlatformBuilder {
    /// Authenticate with these settings instead of the config's (tests
    /// use cheap password hashing this way).
    pub fn auth_settings(mut self, settings: AuthSettings) -> Self {
        self.auth = Some(settings);
        self
    }

    /// Use this store instead of opening the configured database.
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// Use this container runtime instead of connecting to the configured
    /// Docker Engine.
    pub fn runtime(mut self, runtime: Arc<dyn ContainerRuntime>) -> Self {
        self.runtime = Some(runtime);
        self
    }

    /// Add a source fetcher (tried before the default ones).
    pub fn source(mut self, source: Arc<dyn SourceFetcher>) -> Self {
        self.sources.push(source);
        self
    }

    /// Add a builder (detected before the default ones).
    pub fn builder(mut self, builder: Arc<dyn Builder>) -> Self {
        self.builders.push(builder);
        self
    }

    /// Add a notifier.
    pub fn notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifiers.push(notifier);
        self
    }

    /// Start every part in order (see the [module docs](self)).
    ///
    /// # Errors
    ///
    /// The first part that cannot start, named in the [`StartError`];
    /// whatever had started is stopped again.
    pub async fn start(self) -> Result<Platform, StartError> {
        let config = self.config;
        prepare_data_dir(&config)?;
        let store = match self.store {
            Some(store) => store,
            None => parts::open_store(&config).await?,
        };
        let setup = prepare_setup_token(&config, store.as_ref()).await?;
        let auth = build_auth(&config, self.auth, &store, &setup).await?;
        let (runtime, docker) = match self.runtime {
            Some(runtime) => (runtime, None),
            None => parts::connect_runtime(&config).await?,
        };
        let routes = ProxyRouteTable::new();
        let mut engine = Engine::builder(
            Arc::clone(&store),
            Arc::clone(&runtime),
            Arc::new(routes.clone()),
        )
        .config(config.engine_config());
        for source in self.sources {
            engine = engine.source(source);
        }
        for source in parts::default_sources(&config)? {
            engine = engine.source(source);
        }
        for builder in self.builders {
            engine = engine.builder(builder);
        }
        for builder in parts::default_builders(docker.as_ref())? {
            engine = engine.builder(builder);
        }
        for notifier in self.notifiers {
            engine = engine.notifier(notifier);
        }
        let (report, engine) = engine
            .start_with_report()
            .await
            .map_err(|source| StartError::Engine { source })?;
        tracing::info!(?report, "deploy engine started");

        let shutdown = CancellationToken::new();
        let acme_config = match config.acme_config() {
            Ok(acme) => acme,
            Err(err) => {
                engine.shutdown().await;
                return Err(StartError::Proxy {
                    reason: err.to_string(),
                });
            }
        };
        let acme = match acme_config.map(|c| https::start_acme(c, &store, shutdown.clone())) {
            None => None,
            Some(Ok(acme)) => Some(acme),
            Some(Err(err)) => {
                engine.shutdown().await;
                return Err(err);
            }
        };
        let mut proxy = Proxy::builder(config.proxy_config(), routes.clone());
        if let Some(acme) = &acme {
            proxy = proxy.http01(Arc::new(acme.manager.clone()));
        }
        let proxy = proxy.build().map_err(|source| StartError::Proxy {
            reason: source.to_string(),
        })?;
        let http_listen = config.proxy.http_listen;
        let proxy_listener = match bind(http_listen, "proxy HTTP").await {
            Ok(listener) => listener,
            Err(err) => {
                engine.shutdown().await;
                return Err(err);
            }
        };
        let proxy_addr = local_addr(&proxy_listener, http_listen);
        let proxy = Arc::new(proxy);
        let proxy_task = {
            let proxy = Arc::clone(&proxy);
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                if let Err(err) = proxy.serve_http(proxy_listener, shutdown).await {
                    tracing::error!(error = %err, "proxy listener stopped");
                }
            })
        };

        let domains_changed: https::DomainsChanged = Arc::default();
        let mut https_addr = None;
        let mut https_tasks = Vec::new();
        if let Some(acme) = acme {
            match serve_https(&config, &proxy, &acme, shutdown.clone()).await {
                Ok((addr, task)) => {
                    https_addr = Some(addr);
                    https_tasks.push(task);
                }
                Err(err) => {
                    shutdown.cancel();
                    let _ = proxy_task.await;
                    engine.shutdown().await;
                    return Err(err);
                }
            }
            https_tasks.push(https::spawn_domain_sync(
                acme.manager,
                Arc::clone(&store),
                Arc::clone(&domains_changed),
                shutdown.clone(),
            ));
        }

        let api_listen = config.server.api_listen;
        let api_listener = match bind(api_listen, "API").await {
            Ok(listener) => listener,
            Err(err) => {
                shutdown.cancel();
                let _ = proxy_task.await;
                engine.shutdown().await;
                return Err(err);
            }
        };
        let api_addr = local_addr(&api_listener, api_listen);
        let api_metrics = Arc::new(ApiMetrics::new());
        let engine_metrics = EngineMetrics::watch(&engine, shutdown.clone());
        let endpoint = config.metrics.enabled.then(|| {
            MetricsEndpoint::new(
                ServerMetrics::new(
                    Arc::clone(&api_metrics),
                    engine_metrics,
                    Arc::clone(proxy.metrics()),
                    Arc::clone(&runtime),
                ),
                config.metrics.token.as_ref().map(|t| t.expose().to_owned()),
            )
        });
        let mut metrics_task = None;
        let mut metrics_addr = None;
        let mut api_endpoint = None;
        match (endpoint, config.metrics.listen) {
            (Some(endpoint), Some(listen)) => {
                let listener = match bind(listen, "metrics").await {
                    Ok(listener) => listener,
                    Err(err) => {
                        shutdown.cancel();
                        let _ = proxy_task.await;
                        engine.shutdown().await;
                        return Err(err);
                    }
                };
                metrics_addr = Some(local_addr(&listener, listen));
                let stop = shutdown.clone();
                metrics_task = Some(tokio::spawn(async move {
                    let served = axum::serve(listener, metrics_router(endpoint))
                        .with_graceful_shutdown(stop.cancelled_owned())
                        .await;
                    if let Err(err) = served {
                        tracing::error!(error = %err, "metrics listener stopped");
                    }
                }));
            }
            (Some(endpoint), None) => api_endpoint = Some(endpoint),
            (None, _) => {}
        }
        let auth_handle = Arc::clone(&auth);
        let state = api::ApiState::new(
            Arc::clone(&store),
            engine.clone(),
            auth,
            config.api_settings(),
        )
        .with_domains_changed(Arc::clone(&domains_changed));
        let api_shutdown = CancellationToken::new();
        let api_task = {
            let shutdown = api_shutdown.clone();
            tokio::spawn(async move {
                let mut router = api::router(state);
                if let Some(endpoint) = api_endpoint {
                    router = router.merge(metrics_router(endpoint));
                }
                let router = router.layer(axum::middleware::from_fn_with_state(
                    api_metrics,
                    track_requests,
                ));
                let app = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
                let served = axum::serve(api_listener, app)
                    .with_graceful_shutdown(shutdown.cancelled_owned())
                    .await;
                if let Err(err) = served {
                    tracing::error!(error = %err, "API listener stopped");
                }
            })
        };
        tracing::info!(%api_addr, %proxy_addr, "rivetr is up");
        Ok(Platform {
            auth: auth_handle,
            setup,
            store,
            engine,
            routes,
            proxy,
            api_addr,
            proxy_addr,
            proxy_shutdown: shutdown,
            api_shutdown,
            metrics_addr,
            https_addr,
            domains_changed,
            uploads_dir: config.uploads_dir(),
            tasks: [Some(api_task), Some(proxy_task), metrics_task]
                .into_iter()
                .flatten()
                .chain(https_tasks)
                .collect(),
        })
    }
}

/// A running platform: store, engine, proxy and API.
pub struct Platform {
    auth: Arc<AuthService>,
    setup: Arc<SetupTokenFile>,
    store: Arc<dyn Store>,
    engine: Engine,
    routes: ProxyRouteTable,
    proxy: Arc<Proxy>,
    api_addr: SocketAddr,
    proxy_addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    https_addr: Option<SocketAddr>,
    domains_changed: https::DomainsChanged,
    uploads_dir: std::path::PathBuf,
    proxy_shutdown: CancellationToken,
    api_shutdown: CancellationToken,
    /// API task first, then the proxy's.
    tasks: Vec<JoinHandle<()>>,
}

impl Platform {
    /// Start assembling a platform from `config`.
    pub fn builder(config: Config) -> PlatformBuilder {
        PlatformBuilder {
            config,
            store: None,
            runtime: None,
            sources: Vec::new(),
            builders: Vec::new(),
            notifiers: Vec::new(),
            auth: None,
        }
    }

    /// The one-time setup token file (pending until the first admin is
    /// created).
    #[must_use]
    pub fn setup_token(&self) -> &Arc<SetupTokenFile> {
        &self.setup
    }

    /// Authentication (token hashes, sessions, the password hasher).
    #[must_use]
    pub fn auth(&self) -> &Arc<AuthService> {
        &self.auth
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The deploy engine.
    #[must_use]
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The proxy's route table.
    #[must_use]
    pub fn routes(&self) -> &ProxyRouteTable {
        &self.routes
    }

    /// The proxy (for its metrics).
    #[must_use]
    pub fn proxy(&self) -> &Arc<Proxy> {
        &self.proxy
    }

    /// Where the API listens (the bound address, when the config asked
    /// for port 0).
    #[must_use]
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// Where the proxy serves plain HTTP.
    #[must_use]
    pub fn proxy_addr(&self) -> SocketAddr {
        self.proxy_addr
    }

    /// Where the proxy serves HTTPS (when ACME is on).
    #[must_use]
    pub fn https_addr(&self) -> Option<SocketAddr> {
        self.https_addr
    }

    /// Where uploaded source archives are kept (`<data dir>/uploads`).
    #[must_use]
    pub fn uploads_dir(&self) -> &std::path::Path {
        &self.uploads_dir
    }

    /// Re-read the app domains now (after changing them through the
    /// store directly): certificates are ordered for new ones.
    pub fn announce_domains_changed(&self) {
        self.domains_changed.notify_one();
    }

    /// Where `/metrics` has its own listener, if configured.
    #[must_use]
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// Stop in reverse start-up order: API, engine, proxy; the store goes
    /// with the last handle.
    pub async fn shutdown(mut self) {
        self.api_shutdown.cancel();
        let mut tasks = std::mem::take(&mut self.tasks).into_iter();
        if let Some(api) = tasks.next() {
            let _ = api.await;
        }
        self.engine.shutdown().await;
        self.proxy_shutdown.cancel();
        for task in tasks {
            let _ = task.await;
        }
        tracing::info!("rivetr stopped");
    }
}

impl fmt::Debug for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Platform")
            .field("api_addr", &self.api_addr)
            .field("proxy_addr", &self.proxy_addr)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for PlatformBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformBuilder")
            .field("store", &self.store.is_some())
            .field("runtime", &self.runtime.is_some())
            .field("sources", &self.sources.len())
            .field("builders", &self.builders.len())
            .field("notifiers", &self.notifiers.len())
            .finish_non_exhaustive()
    }
}

/// With no user yet, write a fresh one-time setup token (0600, logged
/// once) for creating the first admin; otherwise remove any leftover one.
async fn prepare_setup_token(
    config: &Config,
    store: &dyn Store,
) -> Result<Arc<SetupTokenFile>, StartError> {
    let users = store
        .count_users(&Scope::system())
        .await
        .map_err(|source| StartError::Part {
            what: "the user count",
            source,
        })?;
    let setup = SetupTokenFile::at(&config.setup_token_file());
    setup
        .prepare(users)
        .await
        .map_err(|source| StartError::Part {
            what: "the setup token",
            source: rivetr_core::Error::internal(source.to_string()),
        })?;
    Ok(Arc::new(setup))
}

/// The authentication service: the server key (`<data dir>/auth.key`),
/// sessions kept in the store, the setup token.
async fn build_auth(
    config: &Config,
    settings: Option<AuthSettings>,
    store: &Arc<dyn Store>,
    setup: &Arc<SetupTokenFile>,
) -> Result<Arc<AuthService>, StartError> {
    let key = ServerKey::load_or_create(&config.server.data_dir)
        .await
        .map_err(|source| StartError::Part {
            what: "the server key",
            source: rivetr_core::Error::internal(source.to_string()),
        })?;
    let sessions = session_store(store);
    let settings = settings.unwrap_or_else(|| config.auth_settings());
    let auth = AuthService::new(settings, &key, sessions, Arc::clone(setup)).map_err(|source| {
        StartError::Part {
            what: "authentication",
            source: rivetr_core::Error::internal(source.to_string()),
        }
    })?;
    Ok(Arc::new(auth))
}

/// Sessions live in the platform's store, so they survive a restart.
fn session_store(store: &Arc<dyn Store>) -> Arc<dyn SessionStore> {
    Arc::new(crate::auth::session_store::StoreSessions::new(Arc::clone(
        store,
    )))
}

/// Bind the proxy's HTTPS listener and serve it with the ACME
/// certificates, chosen by SNI.
async fn serve_https(
    config: &Config,
    proxy: &Arc<Proxy>,
    acme: &https::Acme,
    shutdown: CancellationToken,
) -> Result<(SocketAddr, JoinHandle<()>), StartError> {
    let tls = rivetr_proxy::tls::server_config(acme.resolver.clone()).map_err(|err| {
        StartError::Proxy {
            reason: format!("TLS: {err}"),
        }
    })?;
    let listen = config.https_listen();
    let listener = bind(listen, "proxy HTTPS").await?;
    let addr = local_addr(&listener, listen);
    let proxy = Arc::clone(proxy);
    let task = tokio::spawn(async move {
        if let Err(err) = proxy.serve_https(listener, tls, shutdown).await {
            tracing::error!(error = %err, "proxy HTTPS listener stopped");
        }
    });
    Ok((addr, task))
}

async fn bind(addr: SocketAddr, what: &'static str) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { what, addr, source })
}

fn local_addr(listener: &TcpListener, asked: SocketAddr) -> SocketAddr {
    listener.local_addr().unwrap_or(asked)
}
