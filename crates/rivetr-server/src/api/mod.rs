//! The REST API under `/api/v1` (in progress: system health and version),
//! with one error shape ([`ApiError`]) for every failure, unknown routes
//! included.

mod error;
mod health;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use rivetr_core::engine::Engine;
use rivetr_core::store::Store;

pub use error::ApiError;

/// What every handler can reach.
#[derive(Clone)]
pub struct ApiState {
    store: Arc<dyn Store>,
    engine: Engine,
}

impl ApiState {
    /// State over a store and a running engine.
    #[must_use]
    pub fn new(store: Arc<dyn Store>, engine: Engine) -> Self {
        Self { store, engine }
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
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// The API's routes.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/health", get(health::health))
        .route("/api/v1/system/health", get(health::health))
        .route("/api/v1/system/version", get(health::version))
        .fallback(|| async { ApiError::no_route() })
        .with_state(state)
}
