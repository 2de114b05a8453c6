//! Prometheus metrics of the whole server at `/metrics`: the API's
//! requests, the deploy engine's deployments, the proxy's traffic, the
//! runtime's containers and the process itself.
//!
//! `/metrics` is served when `metrics.enabled` is set: on its own
//! listener (`metrics.listen`), or on the API's listener; either way a
//! configured `metrics.token` must be sent as `Authorization: Bearer …`.

mod api;
mod endpoint;
mod engine;
mod histogram;
mod process;

use std::fmt::Write as _;
use std::sync::Arc;

use rivetr_core::runtime::ContainerRuntime;
use rivetr_proxy::metrics::Metrics as ProxyMetrics;

pub use api::{ApiMetrics, track_requests};
pub use endpoint::{MetricsEndpoint, metrics_router};
pub use engine::EngineMetrics;

/// Everything `/metrics` reports.
#[derive(Debug, Clone)]
pub struct ServerMetrics {
    api: Arc<ApiMetrics>,
    engine: Arc<EngineMetrics>,
    proxy: Arc<ProxyMetrics>,
    runtime: Arc<dyn ContainerRuntime>,
}

impl ServerMetrics {
    /// Metrics over these parts.
    #[must_use]
    pub fn new(
        api: Arc<ApiMetrics>,
        engine: Arc<EngineMetrics>,
        proxy: Arc<ProxyMetrics>,
        runtime: Arc<dyn ContainerRuntime>,
    ) -> Self {
        Self {
            api,
            engine,
            proxy,
            runtime,
        }
    }

    /// The Prometheus text exposition of every figure.
    pub async fn render(&self) -> String {
        let mut out = String::new();
        self.api.render(&mut out);
        self.engine.render(&mut out);
        out.push_str(&self.proxy.render_prometheus());
        self.render_runtime(&mut out).await;
        process::render(&mut out);
        out
    }

    async fn render_runtime(&self, out: &mut String) {
        let filter = rivetr_core::runtime::LabelFilter::managed();
        let (up, containers) = match self.runtime.list_containers(&filter).await {
            Ok(list) => (1, list.len()),
            Err(err) => {
                tracing::warn!(error = %err, "metrics: the container runtime did not answer");
                (0, 0)
            }
        };
        let _ = writeln!(
            out,
            "# HELP rivetr_runtime_up Whether the container runtime answered.\n# TYPE rivetr_runtime_up gauge\nrivetr_runtime_up {up}"
        );
        let _ = writeln!(
            out,
            "# HELP rivetr_runtime_containers Containers managed by Rivetr.\n# TYPE rivetr_runtime_containers gauge\nrivetr_runtime_containers {containers}"
        );
    }
}
