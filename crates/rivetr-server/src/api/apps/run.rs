//! The JSON mirror of the core [`RunSpec`]: how an app's image runs.

use rivetr_core::input::{
    CommandLine, ContainerPath, CpuLimit, HostPath, MemoryLimit, Port, VolumeName,
};
use rivetr_core::model::{
    MountSource, PublishSpec, Resources, RestartPolicy, RunSpec, VolumeMount,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::health::HealthCheckBody;
use super::invalid;
use super::spec::check_millis;
use crate::api::ApiError;

/// The shortest pause between health probes, in milliseconds.
const MIN_INTERVAL_MS: u64 = 10;

/// The most containers one app may run.
const MAX_REPLICAS: u16 = 100;

/// How to run the app's image. Every field may be left out for its
/// default.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RunBody {
    /// The port the app listens on in its container (1 to 65535); none
    /// for workers that serve no traffic.
    #[serde(default)]
    #[schema(value_type = Option<u16>)]
    port: Option<Port>,
    /// Command overriding the image's, as an argument vector (never a
    /// shell string).
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    command: Option<CommandLine>,
    /// CPU limit: a number of CPUs (`"0.5"`, `2`) or millicores (`"250m"`).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    cpu: Option<CpuLimit>,
    /// Memory limit, e.g. `"512MiB"`, `"1GiB"`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    memory: Option<MemoryLimit>,
    /// Volumes mounted into each container.
    #[serde(default)]
    pub(super) volumes: Vec<MountBody>,
    /// How many containers serve the app (1 to 100, default 1).
    #[serde(default = "one")]
    replicas: u16,
    /// When a new container counts as ready (default: TCP connect to
    /// `port`).
    #[serde(default)]
    health_check: Option<HealthCheckBody>,
    /// What happens when a container exits (default `unless_stopped`).
    #[serde(default)]
    restart: RestartBody,
    /// Also publish `port` on the host (off by default: traffic goes
    /// through the proxy).
    #[serde(default)]
    publish: Option<PublishBody>,
}

fn one() -> u16 {
    1
}

impl RunBody {
    /// What the field types cannot refuse alone.
    pub(super) fn check(&self) -> Result<(), ApiError> {
        if !(1..=MAX_REPLICAS).contains(&self.replicas) {
            return Err(invalid(
                "spec.run.replicas",
                format!("from 1 to {MAX_REPLICAS} containers may serve an app"),
            ));
        }
        if let Some(check) = &self.health_check {
            if check.interval_ms.is_some_and(|ms| ms < MIN_INTERVAL_MS) {
                return Err(invalid(
                    "spec.run.health_check.interval_ms",
                    format!("at least {MIN_INTERVAL_MS} milliseconds between probes"),
                ));
            }
            for (field, value) in [
                ("interval_ms", check.interval_ms),
                ("timeout_ms", check.timeout_ms),
                ("deadline_ms", check.deadline_ms),
            ] {
                if let Some(value) = value {
                    check_millis(&format!("spec.run.health_check.{field}"), value)?;
                }
            }
        }
        Ok(())
    }
}

impl Default for RunBody {
    fn default() -> Self {
        (&RunSpec::default()).into()
    }
}

impl From<RunBody> for RunSpec {
    fn from(body: RunBody) -> Self {
        Self {
            port: body.port,
            command: body.command,
            resources: Resources {
                cpu: body.cpu,
                memory: body.memory,
            },
            volumes: body.volumes.into_iter().map(Into::into).collect(),
            replicas: body.replicas,
            health_check: body.health_check.map(Into::into),
            restart: body.restart.into(),
            publish: body.publish.map(|p| PublishSpec {
                host_port: p.host_port,
                public: p.public,
            }),
        }
    }
}

impl From<&RunSpec> for RunBody {
    fn from(spec: &RunSpec) -> Self {
        let spec = spec.clone();
        Self {
            port: spec.port,
            command: spec.command,
            cpu: spec.resources.cpu,
            memory: spec.resources.memory,
            volumes: spec.volumes.into_iter().map(Into::into).collect(),
            replicas: spec.replicas,
            health_check: spec.health_check.map(Into::into),
            restart: spec.restart.into(),
            publish: spec.publish.map(|p| PublishBody {
                host_port: p.host_port,
                public: p.public,
            }),
        }
    }
}

/// One mount: a named volume (see `/api/v1/apps/{app}/volumes`) or a
/// host directory (refused at deploy unless an instance admin allows its
/// root).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct MountBody {
    /// What is mounted.
    pub(super) source: MountSourceBody,
    /// Absolute path inside the container.
    #[schema(value_type = String)]
    pub(super) target: ContainerPath,
    /// Mount read-only.
    #[serde(default)]
    read_only: bool,
}

impl MountBody {
    /// A read-write mount of the named volume at `target`.
    pub(super) fn volume(name: VolumeName, target: ContainerPath) -> Self {
        Self {
            source: MountSourceBody::Volume { name },
            target,
            read_only: false,
        }
    }
}

/// The source of a mount. Read through [`MountSourceFields`] so a refused
/// value is reported with its field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    try_from = "MountSourceFields"
)]
pub(super) enum MountSourceBody {
    /// A named volume managed by the runtime.
    Volume {
        /// Its name.
        #[schema(value_type = String)]
        name: VolumeName,
    },
    /// A host directory.
    Bind {
        /// Absolute host path.
        #[schema(value_type = String)]
        path: HostPath,
    },
}

/// The kinds of mount source.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum MountKind {
    Volume,
    Bind,
}

/// Every field a mount source may have.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MountSourceFields {
    #[serde(rename = "type")]
    kind: MountKind,
    #[serde(default)]
    name: Option<VolumeName>,
    #[serde(default)]
    path: Option<HostPath>,
}

impl TryFrom<MountSourceFields> for MountSourceBody {
    type Error = &'static str;

    fn try_from(f: MountSourceFields) -> Result<Self, Self::Error> {
        match (f.kind, f.name, f.path) {
            (MountKind::Volume, Some(name), None) => Ok(Self::Volume { name }),
            (MountKind::Bind, None, Some(path)) => Ok(Self::Bind { path }),
            (MountKind::Volume, _, _) => Err("a volume mount has a `name` and no `path`"),
            (MountKind::Bind, _, _) => Err("a bind mount has a `path` and no `name`"),
        }
    }
}

impl From<MountBody> for VolumeMount {
    fn from(body: MountBody) -> Self {
        Self {
            source: match body.source {
                MountSourceBody::Volume { name } => MountSource::Volume(name),
                MountSourceBody::Bind { path } => MountSource::Bind(path),
            },
            target: body.target,
            read_only: body.read_only,
        }
    }
}

impl From<VolumeMount> for MountBody {
    fn from(mount: VolumeMount) -> Self {
        Self {
            source: match mount.source {
                MountSource::Volume(name) => MountSourceBody::Volume { name },
                MountSource::Bind(path) => MountSourceBody::Bind { path },
            },
            target: mount.target,
            read_only: mount.read_only,
        }
    }
}

/// What the runtime does when a container exits.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum RestartBody {
    /// Never restart.
    No,
    /// Restart after a non-zero exit, at most `max_retries` times.
    OnFailure {
        /// Retry bound.
        max_retries: u32,
    },
    /// Always restart.
    Always,
    /// Restart unless stopped on purpose.
    #[default]
    UnlessStopped,
}

impl From<RestartBody> for RestartPolicy {
    fn from(body: RestartBody) -> Self {
        match body {
            RestartBody::No => Self::No,
            RestartBody::OnFailure { max_retries } => Self::OnFailure { max_retries },
            RestartBody::Always => Self::Always,
            RestartBody::UnlessStopped => Self::UnlessStopped,
        }
    }
}

impl From<RestartPolicy> for RestartBody {
    fn from(policy: RestartPolicy) -> Self {
        match policy {
            RestartPolicy::No => Self::No,
            RestartPolicy::OnFailure { max_retries } => Self::OnFailure { max_retries },
            RestartPolicy::Always => Self::Always,
            RestartPolicy::UnlessStopped => Self::UnlessStopped,
        }
    }
}

/// Publishing the app's port on the host.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PublishBody {
    /// Host port.
    #[schema(value_type = u16)]
    host_port: Port,
    /// Bind on all interfaces (`0.0.0.0`) instead of `127.0.0.1`.
    #[serde(default)]
    public: bool,
}
