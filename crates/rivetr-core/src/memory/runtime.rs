//! [`MemoryRuntime`]: a [`ContainerRuntime`] whose containers live in memory.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;

use super::faults::Faults;
use crate::error::{Error, Result};
use crate::input::ImageRef;
use crate::model::HealthCheck;
use crate::runtime::{
    ContainerId, ContainerInfo, ContainerRuntime, ContainerSpec, ContainerStats, ExecSession,
    ExecSpec, HealthStatus, LabelFilter, LogChunk, LogOptions, PruneReport, RegistryAuth,
    RuntimeCapabilities,
};

mod container;

use container::Container;

/// The operations of [`MemoryRuntime`] that can be scripted through
/// [`MemoryRuntime::faults`]; one per [`ContainerRuntime`] method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuntimeOp {
    /// [`ContainerRuntime::ensure_network`].
    EnsureNetwork,
    /// [`ContainerRuntime::create_container`].
    CreateContainer,
    /// [`ContainerRuntime::start_container`].
    StartContainer,
    /// [`ContainerRuntime::stop_container`].
    StopContainer,
    /// [`ContainerRuntime::remove_container`].
    RemoveContainer,
    /// [`ContainerRuntime::inspect_container`].
    InspectContainer,
    /// [`ContainerRuntime::list_containers`].
    ListContainers,
    /// [`ContainerRuntime::logs`].
    Logs,
    /// [`ContainerRuntime::stats`].
    Stats,
    /// [`ContainerRuntime::exec`].
    Exec,
    /// [`ContainerRuntime::check_health`].
    CheckHealth,
    /// [`ContainerRuntime::pull_image`].
    PullImage,
    /// [`ContainerRuntime::image_exists`].
    ImageExists,
    /// [`ContainerRuntime::remove_image`].
    RemoveImage,
    /// [`ContainerRuntime::prune_images`].
    PruneImages,
}

/// How containers of an image behave in a [`MemoryRuntime`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageBehavior {
    /// Whether health probes of its running containers pass.
    pub healthy: bool,
    /// Answer this many probes, then exit with code 137 (and fail the probe).
    pub crash_after_probes: Option<u32>,
    /// Lines the container prints each time it starts.
    pub logs: Vec<String>,
}

impl Default for ImageBehavior {
    /// Healthy, never crashes, prints nothing.
    fn default() -> Self {
        Self {
            healthy: true,
            crash_after_probes: None,
            logs: Vec::new(),
        }
    }
}

impl ImageBehavior {
    /// Containers that run but never pass a health probe.
    #[must_use]
    pub fn unhealthy() -> Self {
        Self {
            healthy: false,
            ..Self::default()
        }
    }
}

/// A [`ContainerRuntime`] that keeps networks, images and containers in
/// memory. Cheap to clone: clones share state.
///
/// Containers get ids `mem-0001`, `mem-0002`, ... and, when their spec has a
/// port, an address `127.77.x.y:<port>` while they run (nothing listens
/// there). Images must be added first ([`MemoryRuntime::add_image`], or
/// [`MemoryRuntime::add_registry_image`] then a pull); their
/// [`ImageBehavior`] decides health probes and log output. `exec` runs a
/// tiny `cat`: the session echoes its standard input.
#[derive(Clone, Debug, Default)]
pub struct MemoryRuntime {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    faults: Faults<RuntimeOp>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    next: u32,
    networks: BTreeSet<String>,
    local: BTreeMap<ImageRef, ImageBehavior>,
    registry: BTreeMap<ImageRef, ImageBehavior>,
    containers: BTreeMap<ContainerId, Container>,
}

fn unknown(id: &ContainerId) -> Error {
    Error::not_found(format!("container {id}"))
}

impl MemoryRuntime {
    /// An empty runtime: no networks, images or containers.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The failures and stalls scripted for this runtime.
    #[must_use]
    pub fn faults(&self) -> &Faults<RuntimeOp> {
        &self.inner.faults
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Make `image` present locally (as a build would), replacing the
    /// behavior of an image of the same name. Running containers keep the
    /// behavior they started with.
    pub fn add_image(&self, image: &ImageRef, behavior: ImageBehavior) {
        self.lock().local.insert(image.clone(), behavior);
    }

    /// Make `image` pullable from its (pretend) registry.
    pub fn add_registry_image(&self, image: &ImageRef, behavior: ImageBehavior) {
        self.lock().registry.insert(image.clone(), behavior);
    }

    /// The behavior of a local image, if present.
    #[must_use]
    pub fn image_behavior(&self, image: &ImageRef) -> Option<ImageBehavior> {
        self.lock().local.get(image).cloned()
    }

    /// Every container, in id order.
    #[must_use]
    pub fn containers(&self) -> Vec<ContainerInfo> {
        let state = self.lock();
        state.containers.iter().map(|(id, c)| c.info(id)).collect()
    }

    /// The spec a container was created from.
    #[must_use]
    pub fn spec(&self, id: &ContainerId) -> Option<ContainerSpec> {
        self.lock().containers.get(id).map(|c| c.spec.clone())
    }

    /// Make a running container crash: it exits with code 1.
    ///
    /// # Errors
    ///
    /// `NotFound` for an unknown id, `Conflict` when it is not running.
    pub fn crash(&self, id: &ContainerId) -> Result<()> {
        let mut state = self.lock();
        let container = state.containers.get_mut(id).ok_or_else(|| unknown(id))?;
        if !container.running() {
            return Err(Error::conflict(format!("container {id} is not running")));
        }
        container.exit(1);
        Ok(())
    }

    /// Local images, sorted.
    #[must_use]
    pub fn images(&self) -> Vec<ImageRef> {
        self.lock().local.keys().cloned().collect()
    }

    /// Networks, sorted.
    #[must_use]
    pub fn networks(&self) -> Vec<String> {
        self.lock().networks.iter().cloned().collect()
    }
}

#[async_trait]
impl ContainerRuntime for MemoryRuntime {
    fn capabilities(&self) -> RuntimeCapabilities {
        // Mounts are recorded, never performed, so any kind is accepted.
        RuntimeCapabilities {
            exec: true,
            stats: true,
            bind_mounts: true,
            multi_node: false,
        }
    }

    async fn ensure_network(&self, name: &str) -> Result<()> {
        self.faults().enter(RuntimeOp::EnsureNetwork).await?;
        if name.is_empty() {
            return Err(Error::invalid_input("network name is empty"));
        }
        self.lock().networks.insert(name.to_owned());
        Ok(())
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<ContainerId> {
        self.faults().enter(RuntimeOp::CreateContainer).await?;
        let mut state = self.lock();
        if !spec.network.is_empty() && !state.networks.contains(&spec.network) {
            return Err(Error::not_found(format!("network {}", spec.network)));
        }
        let Some(behavior) = state.local.get(&spec.image).cloned() else {
            return Err(Error::not_found(format!(
                "image {} is not present locally",
                spec.image
            )));
        };
        if state.containers.values().any(|c| c.name == spec.name) {
            return Err(Error::conflict(format!(
                "container name {} is already in use",
                spec.name
            )));
        }
        state.next += 1;
        let id = ContainerId::new(format!("mem-{:04}", state.next));
        let name = if spec.name.is_empty() {
            id.to_string()
        } else {
            spec.name.clone()
        };
        let mut container = Container::new(spec, name, behavior, state.next);
        container.start();
        state.containers.insert(id.clone(), container);
        Ok(id)
    }

    async fn start_container(&self, id: &ContainerId) -> Result<()> {
        self.faults().enter(RuntimeOp::StartContainer).await?;
        let mut state = self.lock();
        let container = state.containers.get_mut(id).ok_or_else(|| unknown(id))?;
        if !container.running() {
            container.start();
        }
        Ok(())
    }

    async fn stop_container(&self, id: &ContainerId, _grace: Duration) -> Result<()> {
        self.faults().enter(RuntimeOp::StopContainer).await?;
        let mut state = self.lock();
        let container = state.containers.get_mut(id).ok_or_else(|| unknown(id))?;
        if container.running() {
            container.exit(0);
        }
        Ok(())
    }

    async fn remove_container(&self, id: &ContainerId) -> Result<()> {
        self.faults().enter(RuntimeOp::RemoveContainer).await?;
        // Dropping the container's state sender ends followers and execs.
        self.lock().containers.remove(id);
        Ok(())
    }

    async fn inspect_container(&self, id: &ContainerId) -> Result<ContainerInfo> {
        self.faults().enter(RuntimeOp::InspectContainer).await?;
        let state = self.lock();
        let container = state.containers.get(id).ok_or_else(|| unknown(id))?;
        Ok(container.info(id))
    }

    async fn list_containers(&self, filter: &LabelFilter) -> Result<Vec<ContainerInfo>> {
        self.faults().enter(RuntimeOp::ListContainers).await?;
        let state = self.lock();
        Ok((state.containers.iter())
            .filter(|(_, c)| filter.matches(&c.spec.labels))
            .map(|(id, c)| c.info(id))
            .collect())
    }

    async fn logs(
        &self,
        id: &ContainerId,
        options: &LogOptions,
    ) -> Result<BoxStream<'static, Result<LogChunk>>> {
        self.faults().enter(RuntimeOp::Logs).await?;
        let state = self.lock();
        let container = state.containers.get(id).ok_or_else(|| unknown(id))?;
        Ok(container.logs(options))
    }

    async fn stats(&self, id: &ContainerId) -> Result<ContainerStats> {
        self.faults().enter(RuntimeOp::Stats).await?;
        let state = self.lock();
        let container = state.containers.get(id).ok_or_else(|| unknown(id))?;
        Ok(container.stats())
    }

    async fn exec(&self, id: &ContainerId, _spec: &ExecSpec) -> Result<ExecSession> {
        self.faults().enter(RuntimeOp::Exec).await?;
        let state = self.lock();
        let container = state.containers.get(id).ok_or_else(|| unknown(id))?;
        if !container.running() {
            return Err(Error::conflict(format!("container {id} is not running")));
        }
        Ok(container.exec())
    }

    async fn check_health(&self, id: &ContainerId, check: &HealthCheck) -> Result<HealthStatus> {
        self.faults().enter(RuntimeOp::CheckHealth).await?;
        let mut state = self.lock();
        let container = state.containers.get_mut(id).ok_or_else(|| unknown(id))?;
        Ok(container.probe(id, check))
    }

    async fn pull_image(&self, image: &ImageRef, _auth: Option<&RegistryAuth>) -> Result<()> {
        self.faults().enter(RuntimeOp::PullImage).await?;
        let mut state = self.lock();
        let Some(behavior) = state.registry.get(image).cloned() else {
            return Err(Error::not_found(format!("image {image} in its registry")));
        };
        state.local.entry(image.clone()).or_insert(behavior);
        Ok(())
    }

    async fn image_exists(&self, image: &ImageRef) -> Result<bool> {
        self.faults().enter(RuntimeOp::ImageExists).await?;
        Ok(self.lock().local.contains_key(image))
    }

    async fn remove_image(&self, image: &ImageRef) -> Result<()> {
        self.faults().enter(RuntimeOp::RemoveImage).await?;
        let mut state = self.lock();
        if let Some((id, _)) = state
            .containers
            .iter()
            .find(|(_, c)| &c.spec.image == image)
        {
            return Err(Error::conflict(format!(
                "image {image} is used by container {id}"
            )));
        }
        state.local.remove(image);
        Ok(())
    }

    async fn prune_images(&self) -> Result<PruneReport> {
        self.faults().enter(RuntimeOp::PruneImages).await?;
        let mut state = self.lock();
        let State {
            local, containers, ..
        } = &mut *state;
        let used: BTreeSet<&ImageRef> = containers.values().map(|c| &c.spec.image).collect();
        let removed: Vec<ImageRef> = local
            .keys()
            .filter(|i| !used.contains(i))
            .cloned()
            .collect();
        for image in &removed {
            local.remove(image);
        }
        Ok(PruneReport {
            removed,
            reclaimed_bytes: 0,
        })
    }
}

#[cfg(test)]
mod tests;
