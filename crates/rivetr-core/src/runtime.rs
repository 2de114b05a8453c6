//! The [`ContainerRuntime`] trait: networks, containers, logs, stats, exec,
//! health probes and images.
//!
//! # Implementing it
//!
//! Implement every required method with the contract in its `# Behavior`
//! section, report what you support in [`ContainerRuntime::capabilities`],
//! convert your private errors into [`Error`](crate::Error), then run
//! `rivetr_core::testkit::runtime::conformance(&your_runtime, &fixture)` in
//! your tests, where the `RuntimeFixture` names an image present in your
//! runtime that serves HTTP on a port, and a network name unique to the run.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::error::Result;
use crate::input::{CommandLine, EnvKey, ImageRef, Port};
use crate::model::{HealthCheck, PublishSpec, Resources, RestartPolicy, SecretString, VolumeMount};

/// Label every Rivetr-owned container carries (`"true"`).
pub const LABEL_MANAGED: &str = "dev.rivetr.managed";
/// Label holding the owning app's id.
pub const LABEL_APP: &str = "dev.rivetr.app";
/// Label holding the owning deployment's id.
pub const LABEL_DEPLOYMENT: &str = "dev.rivetr.deployment";

/// A runtime's id for a container (opaque to Rivetr).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContainerId(String);

impl ContainerId {
    /// Wrap a runtime-issued id.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as the runtime knows it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Everything needed to create one container.
///
/// Built by the engine from an app's validated spec; no field can carry a
/// shell string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerSpec {
    /// Container name (derived from a validated app name and ids).
    pub name: String,
    /// Image to run.
    pub image: ImageRef,
    /// Environment (values may be secrets).
    pub env: Vec<(EnvKey, SecretString)>,
    /// Command override.
    pub command: Option<CommandLine>,
    /// Labels; Rivetr's own are [`LABEL_MANAGED`], [`LABEL_APP`],
    /// [`LABEL_DEPLOYMENT`].
    pub labels: BTreeMap<String, String>,
    /// Network to join.
    pub network: String,
    /// DNS aliases on that network.
    pub aliases: Vec<String>,
    /// Port the app listens on inside the container.
    pub port: Option<Port>,
    /// Host publishing (127.0.0.1 unless `public`).
    pub publish: Option<PublishSpec>,
    /// CPU and memory limits.
    pub resources: Resources,
    /// Volumes.
    pub volumes: Vec<VolumeMount>,
    /// Restart policy.
    pub restart: RestartPolicy,
}

/// A container's lifecycle state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerState {
    /// Created, never started.
    Created,
    /// Running.
    Running,
    /// Paused or restarting.
    Restarting,
    /// Exited (stopped or crashed).
    Exited,
}

/// What [`ContainerRuntime::inspect_container`] tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerInfo {
    /// Runtime id.
    pub id: ContainerId,
    /// Name.
    pub name: String,
    /// Image it runs.
    pub image: ImageRef,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// State.
    pub state: ContainerState,
    /// Exit code, when exited.
    pub exit_code: Option<i64>,
    /// Where the proxy and health checks reach the container's port (when
    /// it has a port and is running): for the Docker runtime, the port
    /// published on `127.0.0.1`, so traffic stays on loopback.
    pub address: Option<SocketAddr>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// Which containers [`ContainerRuntime::list_containers`] returns: all whose
/// labels include every pair given here.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelFilter {
    /// Required label pairs.
    pub labels: BTreeMap<String, String>,
}

impl LabelFilter {
    /// Every container Rivetr manages.
    #[must_use]
    pub fn managed() -> Self {
        Self::default().with(LABEL_MANAGED, "true")
    }

    /// Add a required label.
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// Whether `labels` satisfy the filter.
    #[must_use]
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.labels.iter().all(|(k, v)| labels.get(k) == Some(v))
    }
}

/// Options for [`ContainerRuntime::logs`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogOptions {
    /// Keep the stream open and send new output as it comes.
    pub follow: bool,
    /// Only output after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Only the last `n` lines of existing output.
    pub tail: Option<u32>,
}

/// One chunk of container output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogChunk {
    /// Which stream.
    pub stream: crate::model::LogStream,
    /// The bytes (usually one line, with its newline).
    pub bytes: Vec<u8>,
}

/// A point-in-time resource reading of a container.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ContainerStats {
    /// CPU use in percent of one core.
    pub cpu_percent: f64,
    /// Memory in use, bytes.
    pub memory_bytes: u64,
    /// Memory limit, bytes (0: none).
    pub memory_limit_bytes: u64,
    /// Bytes received over the network.
    pub network_rx_bytes: u64,
    /// Bytes sent over the network.
    pub network_tx_bytes: u64,
}

/// Terminal size for exec sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TtySize {
    /// Rows.
    pub rows: u16,
    /// Columns.
    pub cols: u16,
}

/// A command to run in a running container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecSpec {
    /// The command, as an argument vector.
    pub command: CommandLine,
    /// Allocate a TTY.
    pub tty: bool,
    /// Initial TTY size.
    pub size: Option<TtySize>,
}

/// A live exec session: write to `stdin`, read `output`, send sizes to
/// `resize`. Dropping it ends the session.
#[derive(Debug)]
pub struct ExecSession {
    /// Bytes to the process's standard input.
    pub stdin: mpsc::Sender<Vec<u8>>,
    /// The process's output (stdout and stderr merged when a TTY is used).
    pub output: mpsc::Receiver<Vec<u8>>,
    /// TTY resizes.
    pub resize: mpsc::Sender<TtySize>,
}

/// The result of one health probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HealthStatus {
    /// The probe passed.
    Healthy,
    /// The probe failed; the string says how (for the deployment log).
    Unhealthy(String),
}

/// Credentials for pulling from a private registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryAuth {
    /// User name.
    pub username: String,
    /// Password or token.
    pub password: SecretString,
}

/// What [`ContainerRuntime::prune_images`] removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Images removed.
    pub removed: Vec<ImageRef>,
    /// Bytes freed, when the runtime knows.
    pub reclaimed_bytes: u64,
}

/// What a runtime can do; callers check before relying on optional parts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuntimeCapabilities {
    /// [`ContainerRuntime::exec`] works.
    pub exec: bool,
    /// [`ContainerRuntime::stats`] works.
    pub stats: bool,
    /// Bind mounts are possible.
    pub bind_mounts: bool,
    /// Containers run across several nodes.
    pub multi_node: bool,
}

impl RuntimeCapabilities {
    /// Everything on.
    #[must_use]
    pub fn all() -> Self {
        Self {
            exec: true,
            stats: true,
            bind_mounts: true,
            multi_node: true,
        }
    }
}

/// Runs containers: the engine's hands.
///
/// Object-safe: stored as `Arc<dyn ContainerRuntime>`.
#[async_trait]
pub trait ContainerRuntime: fmt::Debug + Send + Sync + 'static {
    /// What this runtime supports.
    fn capabilities(&self) -> RuntimeCapabilities;

    /// Make sure a bridge network named `name` exists.
    ///
    /// # Behavior
    /// - Idempotent: an existing network is left as it is.
    async fn ensure_network(&self, name: &str) -> Result<()>;

    /// Create and start a container from `spec`.
    ///
    /// # Behavior
    /// - Returns once the container is started (not necessarily healthy).
    /// - A name already in use is `Conflict`; an image that is not present
    ///   locally is `NotFound` (the engine pulls or builds first).
    /// - On error nothing is left behind.
    async fn create_container(&self, spec: &ContainerSpec) -> Result<ContainerId>;

    /// Start a stopped container.
    ///
    /// # Behavior
    /// - Idempotent: a running container stays running.
    /// - Unknown id: `NotFound`.
    async fn start_container(&self, id: &ContainerId) -> Result<()>;

    /// Stop a container: SIGTERM, then SIGKILL after `grace`.
    ///
    /// # Behavior
    /// - Idempotent: stopping a stopped container succeeds.
    /// - Unknown id: `NotFound`.
    async fn stop_container(&self, id: &ContainerId, grace: Duration) -> Result<()>;

    /// Remove a container, stopping it first if it runs.
    ///
    /// # Behavior
    /// - Idempotent: removing an unknown container succeeds.
    async fn remove_container(&self, id: &ContainerId) -> Result<()>;

    /// Describe a container.
    ///
    /// # Behavior
    /// - Unknown id: `NotFound`.
    async fn inspect_container(&self, id: &ContainerId) -> Result<ContainerInfo>;

    /// Every container (running or not) whose labels match `filter`.
    ///
    /// # Behavior
    /// - Order is unspecified.
    async fn list_containers(&self, filter: &LabelFilter) -> Result<Vec<ContainerInfo>>;

    /// A container's output.
    ///
    /// # Behavior
    /// - Without `follow` the stream ends after the existing output.
    /// - With `follow` it stays open until the container stops or the stream
    ///   is dropped.
    /// - Unknown id: `NotFound` (from the call, not inside the stream).
    async fn logs(
        &self,
        id: &ContainerId,
        options: &LogOptions,
    ) -> Result<BoxStream<'static, Result<LogChunk>>>;

    /// A resource reading.
    ///
    /// # Behavior
    /// - `Unsupported` unless `capabilities().stats`.
    /// - Unknown id: `NotFound`.
    async fn stats(&self, id: &ContainerId) -> Result<ContainerStats>;

    /// Run a command inside a running container.
    ///
    /// # Behavior
    /// - `Unsupported` unless `capabilities().exec`.
    /// - A container that is not running: `Conflict`.
    async fn exec(&self, id: &ContainerId, spec: &ExecSpec) -> Result<ExecSession>;

    /// Probe a container once, as `check` says, and report the outcome.
    ///
    /// # Behavior
    /// - One attempt, bounded by `check.timeout`; the engine loops and keeps
    ///   the deadline.
    /// - A failed probe is `Ok(Unhealthy(..))`, not an error; an unknown
    ///   container is `NotFound`; a container that is not running is
    ///   `Ok(Unhealthy(..))`.
    async fn check_health(&self, id: &ContainerId, check: &HealthCheck) -> Result<HealthStatus>;

    /// Pull an image from its registry.
    ///
    /// # Behavior
    /// - Idempotent; an image that does not exist in the registry is
    ///   `NotFound`; bad credentials `PermissionDenied`.
    async fn pull_image(&self, image: &ImageRef, auth: Option<&RegistryAuth>) -> Result<()>;

    /// Whether an image is present locally.
    async fn image_exists(&self, image: &ImageRef) -> Result<bool>;

    /// Remove a local image.
    ///
    /// # Behavior
    /// - Idempotent: an absent image succeeds. An image used by a container
    ///   is `Conflict`.
    async fn remove_image(&self, image: &ImageRef) -> Result<()>;

    /// Remove images that no container uses and that Rivetr built.
    async fn prune_images(&self) -> Result<PruneReport>;
}
