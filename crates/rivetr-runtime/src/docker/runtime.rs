//! [`DockerRuntime`]: the [`ContainerRuntime`] of a Docker Engine (or
//! Podman's Docker-compatible API).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bollard::Docker;
use futures::stream::BoxStream;
use rivetr_core::Result;
use rivetr_core::input::ImageRef;
use rivetr_core::model::HealthCheck;
use rivetr_core::runtime::{
    ContainerId, ContainerInfo, ContainerRuntime, ContainerSpec, ContainerStats, ExecSession,
    ExecSpec, HealthStatus, LabelFilter, LogChunk, LogOptions, PruneReport, RegistryAuth,
    RuntimeCapabilities,
};

use super::connect::{ConnectOptions, Connection, connect};
use super::{containers, create, exec, health, images, logs, network, stats};

/// A [`ContainerRuntime`] backed by a Docker Engine through its API.
///
/// Cheap to clone: clones share one connection.
///
/// - Containers join a bridge network ([`ContainerRuntime::ensure_network`])
///   with DNS aliases; the app port is always published on `127.0.0.1`
///   with an ephemeral host port, which is the address
///   [`ContainerRuntime::inspect_container`] reports, so the proxy and health
///   checks reach it over loopback. A [`PublishSpec`] adds a binding on its
///   host port, on `0.0.0.0` only when `public`.
/// - Errors say what was being done and carry a kind: engine 404 is
///   `NotFound`, 409 `Conflict`, 401/403 `PermissionDenied`, 400
///   `InvalidInput`, an unreachable engine `Unavailable` (retryable).
/// - Secrets in the environment go straight into the API request and are
///   never logged.
///
/// [`PublishSpec`]: rivetr_core::model::PublishSpec
#[derive(Clone, Debug)]
pub struct DockerRuntime {
    connection: Arc<Connection>,
}

impl DockerRuntime {
    /// Connect to the engine `options` point to (see [`connect()`](super::connect::connect)).
    ///
    /// # Errors
    ///
    /// `Unavailable`, listing every socket tried, when no engine answers.
    pub async fn connect(options: &ConnectOptions) -> Result<Self> {
        Ok(Self::from_connection(connect(options).await?))
    }

    /// A runtime on an established connection.
    #[must_use]
    pub fn from_connection(connection: Connection) -> Self {
        Self {
            connection: Arc::new(connection),
        }
    }

    /// The connection: engine flavor, version, socket and the API client.
    #[must_use]
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    pub(crate) fn docker(&self) -> &Docker {
        &self.connection.docker
    }
}

#[async_trait]
impl ContainerRuntime for DockerRuntime {
    fn capabilities(&self) -> RuntimeCapabilities {
        let mut caps = RuntimeCapabilities::default();
        caps.exec = true;
        caps.stats = true;
        caps.bind_mounts = true;
        caps.multi_node = false;
        caps
    }

    async fn ensure_network(&self, name: &str) -> Result<()> {
        network::ensure_network(self.docker(), name).await
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<ContainerId> {
        create::create(self.docker(), spec).await
    }

    async fn start_container(&self, id: &ContainerId) -> Result<()> {
        containers::start(self.docker(), id).await
    }

    async fn stop_container(&self, id: &ContainerId, grace: Duration) -> Result<()> {
        containers::stop(self.docker(), id, grace).await
    }

    async fn remove_container(&self, id: &ContainerId) -> Result<()> {
        containers::remove(self.docker(), id).await
    }

    async fn inspect_container(&self, id: &ContainerId) -> Result<ContainerInfo> {
        containers::inspect(self.docker(), id).await
    }

    async fn list_containers(&self, filter: &LabelFilter) -> Result<Vec<ContainerInfo>> {
        containers::list(self.docker(), filter).await
    }

    async fn logs(
        &self,
        id: &ContainerId,
        options: &LogOptions,
    ) -> Result<BoxStream<'static, Result<LogChunk>>> {
        logs::logs(self.docker(), id, options).await
    }

    async fn stats(&self, id: &ContainerId) -> Result<ContainerStats> {
        stats::stats(self.docker(), id).await
    }

    async fn exec(&self, id: &ContainerId, spec: &ExecSpec) -> Result<ExecSession> {
        exec::exec(self.docker(), id, spec).await
    }

    async fn check_health(&self, id: &ContainerId, check: &HealthCheck) -> Result<HealthStatus> {
        health::check(self.docker(), id, check).await
    }

    async fn pull_image(&self, image: &ImageRef, auth: Option<&RegistryAuth>) -> Result<()> {
        images::pull(self.docker(), image, auth).await
    }

    async fn image_exists(&self, image: &ImageRef) -> Result<bool> {
        images::exists(self.docker(), image).await
    }

    async fn remove_image(&self, image: &ImageRef) -> Result<()> {
        images::remove(self.docker(), image).await
    }

    async fn prune_images(&self) -> Result<PruneReport> {
        images::prune(self.docker()).await
    }
}
