//! [`ApiState`]: what every handler can reach.

use std::fmt;
use std::sync::Arc;

use rivetr_core::engine::Engine;
use rivetr_core::store::Store;
use tokio::sync::Notify;

use crate::auth::service::AuthService;

/// Settings of the API that are not authentication.
#[derive(Debug, Clone, Default)]
pub struct ApiSettings {
    /// The base domain under which apps get a generated domain
    /// (`<app>-<hash>.<base>`), e.g. `127.0.0.1.sslip.io` or an operator's
    /// wildcard domain; `None` turns generation off.
    pub app_base_domain: Option<String>,
    /// Which git URLs apps may use.
    pub git_policy: rivetr_core::input::GitUrlPolicy,
    /// Largest webhook body accepted, in bytes.
    pub max_webhook_bytes: usize,
    /// Where uploaded source archives are kept (the archive source reads
    /// them from there); outside the engine's work dir, which is swept at
    /// start-up.
    pub uploads_dir: std::path::PathBuf,
    /// Largest uploaded source archive accepted, in bytes.
    pub max_upload_bytes: usize,
}

/// What every handler can reach: the store (always used with the caller's
/// scope), the deploy engine, authentication and the API's settings.
#[derive(Clone)]
pub struct ApiState {
    store: Arc<dyn Store>,
    engine: Engine,
    auth: Arc<AuthService>,
    settings: Arc<ApiSettings>,
    domains_changed: Arc<Notify>,
}

impl ApiState {
    /// State over a store, a running engine and an authentication service.
    #[must_use]
    pub fn new(
        store: Arc<dyn Store>,
        engine: Engine,
        auth: Arc<AuthService>,
        settings: ApiSettings,
    ) -> Self {
        Self {
            store,
            engine,
            auth,
            settings: Arc::new(settings),
            domains_changed: Arc::new(Notify::new()),
        }
    }

    /// Announce app domain changes on `notify` (the platform's certificate
    /// manager listens to it).
    #[must_use]
    pub fn with_domains_changed(mut self, notify: Arc<Notify>) -> Self {
        self.domains_changed = notify;
        self
    }

    /// Call after adding or removing an app domain: certificates are
    /// ordered or dropped without waiting for the periodic re-read.
    pub fn announce_domains_changed(&self) {
        self.domains_changed.notify_one();
    }

    /// The store handlers read and write through (always with the
    /// caller's scope).
    #[must_use]
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The deploy engine.
    #[must_use]
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Authentication.
    #[must_use]
    pub fn auth(&self) -> &Arc<AuthService> {
        &self.auth
    }

    /// The API's settings.
    #[must_use]
    pub fn settings(&self) -> &ApiSettings {
        &self.settings
    }
}

impl fmt::Debug for ApiState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiState")
            .field("store", &self.store)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}
