//! [`AcmeManager`]: the domains with automatic certificates, one task (and
//! one order at a time) each.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rivetr_core::input::DomainName;
use rustls::{ClientConfig, RootCertStore};
use tokio::sync::{OnceCell, broadcast};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::cache::{AcmeCache, CacheError};
use super::cert::DomainResolver;
use super::config::{AcmeConfig, AcmeConfigError};
use super::events::AcmeEvent;
use super::task::{DomainTask, Install};
use crate::server::Http01Responder;
use crate::tls::CertResolver;

/// Events kept for a slow subscriber before it lags.
const EVENT_BUFFER: usize = 256;

/// Why the manager could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AcmeError {
    /// A bad setting.
    #[error(transparent)]
    Config(#[from] AcmeConfigError),
    /// An `extra_roots` certificate rustls refuses as a trust anchor.
    #[error("ACME extra root #{index} is not a usable CA certificate: {source}")]
    ExtraRoot {
        /// Its position in `extra_roots`.
        index: usize,
        /// rustls's reason.
        #[source]
        source: rustls::Error,
    },
    /// The TLS client for the ACME server could not be built.
    #[error("ACME client TLS config: {0}")]
    ClientTls(#[source] rustls::Error),
    /// Not called within a tokio runtime (the manager spawns tasks).
    #[error("the ACME manager must be created within a tokio runtime")]
    NoRuntime,
}

/// State shared by the manager and its domain tasks.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: AcmeConfig,
    pub(crate) client_config: Arc<ClientConfig>,
    pub(crate) cache: Arc<dyn AcmeCache>,
    pub(crate) resolver: CertResolver,
    pub(crate) events: broadcast::Sender<AcmeEvent>,
    account: OnceCell<Vec<u8>>,
}

impl Shared {
    /// The account key (PKCS#8) for the directory: loaded from the cache,
    /// or made and stored once for all domains (Let's Encrypt limits new
    /// accounts per IP). A store failure is logged and the key used anyway.
    pub(crate) async fn account_key(&self) -> Result<Vec<u8>, CacheError> {
        let url = &self.config.directory_url;
        let key = self
            .account
            .get_or_try_init(|| async {
                let key = match self.cache.load_account(url).await? {
                    Some(key) => key,
                    None => {
                        let key = rustls_acme::acme::Account::generate_key_pair();
                        match self.cache.store_account(url, &key).await {
                            Ok(()) => {
                                tracing::info!(directory = %url, "ACME: new account key stored");
                            }
                            Err(error) => {
                                tracing::warn!(%error, "ACME: account key not stored, using it anyway");
                            }
                        }
                        key
                    }
                };
                self.register(&key).await;
                Ok::<_, CacheError>(key)
            })
            .await?;
        Ok(key.clone())
    }
}

impl Shared {
    /// Register (or find) the key's account once, before any order: orders
    /// of several domains starting together would otherwise each register
    /// it at the same moment (Pebble, for one, answers such a race with
    /// "Error saving account"). A failure is logged; each order registers
    /// (or finds) the account itself anyway.
    async fn register(&self, key: &[u8]) {
        let url = &self.config.directory_url;
        let registered = async {
            let directory =
                rustls_acme::acme::Directory::discover(&self.client_config, url).await?;
            let contact = self.config.contact_uris();
            rustls_acme::acme::Account::create_with_keypair(
                &self.client_config,
                directory,
                &contact,
                key,
            )
            .await
        };
        match registered.await {
            Ok(_) => tracing::info!(directory = %url, "ACME: account registered"),
            Err(error) => {
                tracing::warn!(%error, "ACME: account not registered ahead of the orders");
            }
        }
    }
}

/// Automatic certificates for any number of domains, each with its own
/// task: a domain whose orders fail never delays another's.
///
/// For each domain [`add`](Self::add)ed, the manager serves the cached
/// certificate if any, orders one otherwise, renews it ahead of expiry and
/// backs off after failures (see the [module docs](super)). Certificates
/// are served through the [`CertResolver`] given to [`new`](Self::new);
/// HTTP-01 challenges are answered through the manager as an
/// [`Http01Responder`] (install it with `ProxyBuilder::http01`).
///
/// Cheap to clone. Stops when the shutdown token is cancelled.
#[derive(Clone, Debug)]
pub struct AcmeManager {
    shared: Arc<Shared>,
    domains: Arc<Mutex<HashMap<DomainName, Arc<DomainTask>>>>,
    runtime: tokio::runtime::Handle,
    tracker: TaskTracker,
    shutdown: CancellationToken,
}

impl AcmeManager {
    /// A manager for the ACME server of `config`, keeping accounts and
    /// certificates in `cache` and serving certificates through `resolver`,
    /// until `shutdown` is cancelled. No domain yet.
    ///
    /// # Errors
    ///
    /// [`AcmeError::Config`] for a bad setting, [`AcmeError::ExtraRoot`],
    /// [`AcmeError::NoRuntime`] outside a tokio runtime.
    pub fn new(
        config: AcmeConfig,
        cache: Arc<dyn AcmeCache>,
        resolver: CertResolver,
        shutdown: CancellationToken,
    ) -> Result<Self, AcmeError> {
        config.validate()?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| AcmeError::NoRuntime)?;
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for (index, root) in config.extra_roots.iter().enumerate() {
            roots
                .add(root.clone())
                .map_err(|source| AcmeError::ExtraRoot { index, source })?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let client_config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(AcmeError::ClientTls)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        Ok(Self {
            shared: Arc::new(Shared {
                config,
                client_config: Arc::new(client_config),
                cache,
                resolver,
                events,
                account: OnceCell::new(),
            }),
            domains: Arc::default(),
            runtime,
            tracker: TaskTracker::new(),
            shutdown,
        })
    }

    /// The manager's settings.
    #[must_use]
    pub fn config(&self) -> &AcmeConfig {
        &self.shared.config
    }

    /// Manage `domain`: start its task (cached certificate or a new order).
    /// `false` if it was already managed or the manager is shut down.
    pub fn add(&self, domain: DomainName) -> bool {
        let mut domains = self.lock_domains();
        if self.shutdown.is_cancelled() || domains.contains_key(&domain) {
            return false;
        }
        let task = Arc::new(DomainTask {
            shared: Arc::clone(&self.shared),
            domain: domain.clone(),
            resolver: Arc::new(DomainResolver::default()),
            installed: Mutex::new(Install::No),
            cancel: self.shutdown.child_token(),
        });
        domains.insert(domain, Arc::clone(&task));
        self.tracker.spawn_on(task.run(), &self.runtime);
        true
    }

    /// Stop managing `domain`: its task stops (an order in flight is
    /// abandoned) and its certificate is no longer served. The cache keeps
    /// it, so adding the domain again serves it without a new order.
    /// `false` if it was not managed.
    pub fn remove(&self, domain: &DomainName) -> bool {
        let task = self.lock_domains().remove(domain);
        task.inspect(|task| task.uninstall()).is_some()
    }

    /// The managed domains, sorted.
    #[must_use]
    pub fn domains(&self) -> Vec<DomainName> {
        let mut domains: Vec<DomainName> = self.lock_domains().keys().cloned().collect();
        domains.sort();
        domains
    }

    /// Events from now on, for every domain.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<AcmeEvent> {
        self.shared.events.subscribe()
    }

    /// Wait until every domain task has stopped (after the shutdown token
    /// is cancelled).
    pub async fn stopped(&self) {
        self.tracker.close();
        self.tracker.wait().await;
    }

    fn lock_domains(&self) -> std::sync::MutexGuard<'_, HashMap<DomainName, Arc<DomainTask>>> {
        self.domains.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Http01Responder for AcmeManager {
    fn key_authorization(&self, host: &DomainName, token: &str) -> Option<String> {
        let resolver = self
            .lock_domains()
            .get(host)
            .map(|t| Arc::clone(&t.resolver))?;
        resolver.http01(token)
    }
}
