//! Engine-wide settings.

use std::path::PathBuf;
use std::time::Duration;

use crate::id::TeamId;
use crate::input::HostPath;

/// Settings of the deploy engine that are not per app.
///
/// Per-app rollout settings (watch window, drain, stop grace) live in each
/// app's [`DeployPolicy`](crate::model::DeployPolicy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// Prefix of the runtime networks app containers join: each team gets
    /// its own, `<network>-<team id>` (see [`EngineConfig::team_network`]),
    /// so one team's containers cannot reach another's.
    pub network: String,
    /// Where source trees are fetched and built; one sub-directory per
    /// deployment, removed when its build ends.
    pub work_dir: PathBuf,
    /// Repository prefix of images the engine builds
    /// (`<prefix>/app-<app id>:<deployment number>`).
    pub image_repository: String,
    /// How often the new version is probed during its watch window.
    pub watch_interval: Duration,
    /// Consecutive failed probes in the watch window that trigger an
    /// automatic rollback (a container that exits triggers it at once).
    pub watch_failures: u32,
    /// Capacity of the event channel; slow subscribers lose the oldest
    /// events (and are told so by `broadcast`).
    pub event_capacity: usize,
    /// How long to wait for a deployment's log writer to flush when the
    /// deployment ends.
    pub log_flush_timeout: Duration,
    /// Host directories apps may bind-mount (and anything below them). Empty
    /// (the default) refuses every bind mount; named volumes are always
    /// allowed. An instance admin sets this.
    pub allowed_bind_roots: Vec<HostPath>,
    /// Let apps mount a container engine's socket (`docker.sock`,
    /// `podman.sock`), which hands them control of the host. Off by default,
    /// even under an allowed root.
    pub allow_engine_socket: bool,
    /// Host ports apps may publish (inclusive range). `None` (the default)
    /// refuses publishing: traffic reaches apps through the proxy.
    pub publish_port_range: Option<(u16, u16)>,
    /// Let apps publish a port on all interfaces (`0.0.0.0`). Off by
    /// default: published ports bind `127.0.0.1`.
    pub allow_public_ports: bool,
}

impl EngineConfig {
    /// The network the containers of `team` join.
    ///
    /// ```
    /// use rivetr_core::engine::EngineConfig;
    /// use rivetr_core::id::TeamId;
    ///
    /// let team = TeamId::new();
    /// let network = EngineConfig::default().team_network(team);
    /// assert_eq!(network, format!("rivetr-{}", team.as_uuid().simple()));
    /// ```
    #[must_use]
    pub fn team_network(&self, team: TeamId) -> String {
        format!("{}-{}", self.network, team.as_uuid().simple())
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            network: "rivetr".to_owned(),
            work_dir: std::env::temp_dir().join("rivetr-work"),
            image_repository: "rivetr".to_owned(),
            watch_interval: Duration::from_secs(1),
            watch_failures: 3,
            event_capacity: 1024,
            log_flush_timeout: Duration::from_secs(10),
            allowed_bind_roots: Vec::new(),
            allow_engine_socket: false,
            publish_port_range: None,
            allow_public_ports: false,
        }
    }
}
