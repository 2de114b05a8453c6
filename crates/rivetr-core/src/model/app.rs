//! Apps and their spec: where the code comes from, how it is built, how it runs.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{AppId, EnvironmentId, ProjectId, TeamId, UploadId};
use crate::input::{
    AppName, BuildTarget, CommandLine, ContainerPath, CpuLimit, EnvKey, GitRef, GitUrl, HostPath,
    HttpPath, ImageRef, MemoryLimit, PathInRepo, Port, VolumeName,
};

/// A deployable app: one service of a project, in one environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct App {
    /// Identity.
    pub id: AppId,
    /// Owning team.
    pub team_id: TeamId,
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// The environment it runs in.
    pub environment_id: EnvironmentId,
    /// Name: a DNS label, unique within the environment.
    pub name: AppName,
    /// How to fetch, build and run it.
    pub spec: AppSpec,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its spec last changed.
    pub updated_at: DateTime<Utc>,
}

/// What it takes to create an [`App`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApp {
    /// The environment to create it in (which fixes project and team).
    pub environment_id: EnvironmentId,
    /// Name, unique within the environment.
    pub name: AppName,
    /// How to fetch, build and run it.
    pub spec: AppSpec,
}

/// How to fetch, build and run an app.
///
/// Environment variables are not part of the spec: they live in the store as
/// [`EnvVar`](crate::model::EnvVar)s (so secrets can be sealed) and are
/// resolved when a container starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSpec {
    /// Where the code or image comes from.
    pub source: SourceSpec,
    /// How to turn the source into an image (ignored for image sources).
    #[serde(default)]
    pub build: BuildSpec,
    /// How to run the image.
    #[serde(default)]
    pub run: RunSpec,
    /// How to roll the new version out.
    #[serde(default)]
    pub deploy: DeployPolicy,
}

impl AppSpec {
    /// A spec that runs a prebuilt image with defaults everywhere else.
    ///
    /// ```
    /// use rivetr_core::model::{AppSpec, SourceSpec};
    ///
    /// let spec = AppSpec::from_image("nginx:1.27".parse().unwrap());
    /// assert!(matches!(spec.source, SourceSpec::Image { .. }));
    /// assert_eq!(spec.run.replicas, 1);
    /// ```
    #[must_use]
    pub fn from_image(image: ImageRef) -> Self {
        Self {
            source: SourceSpec::Image { image },
            build: BuildSpec::default(),
            run: RunSpec::default(),
            deploy: DeployPolicy::default(),
        }
    }

    /// A spec that builds a git repository with defaults everywhere else.
    #[must_use]
    pub fn from_git(url: GitUrl, reference: GitRef) -> Self {
        Self {
            source: SourceSpec::Git {
                url,
                reference,
                watch_paths: Vec::new(),
            },
            build: BuildSpec::default(),
            run: RunSpec::default(),
            deploy: DeployPolicy::default(),
        }
    }
}

/// Where an app's code or image comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SourceSpec {
    /// A git repository at a branch, tag or commit.
    Git {
        /// Repository address.
        url: GitUrl,
        /// Branch, tag or commit to deploy.
        reference: GitRef,
        /// Only pushes touching these paths trigger a deploy (empty: any).
        #[serde(default)]
        watch_paths: Vec<PathInRepo>,
    },
    /// An uploaded archive (zip or tar.gz), kept by the server under this key.
    Archive {
        /// The stored upload.
        upload: UploadId,
    },
    /// A prebuilt image: no fetch of code, no build.
    Image {
        /// The image to run.
        image: ImageRef,
    },
}

impl SourceSpec {
    /// A short description for logs, free of credentials.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            SourceSpec::Git { url, reference, .. } => format!("git {url} at {reference}"),
            SourceSpec::Archive { upload } => format!("uploaded archive {upload}"),
            SourceSpec::Image { image } => format!("image {image}"),
        }
    }
}

/// Which builder turns a source tree into an image.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BuilderKind {
    /// Ask every builder to detect, take the first that says yes.
    #[default]
    Auto,
    /// A Dockerfile in the tree.
    Dockerfile,
    /// A directory of static files served by a generated image.
    Static,
    /// Nixpacks (when its CLI is installed).
    Nixpacks,
    /// Railpack (when its CLI is installed).
    Railpack,
    /// Cloud Native Buildpacks via `pack` (when installed).
    Buildpacks,
}

impl BuilderKind {
    /// Lowercase name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            BuilderKind::Auto => "auto",
            BuilderKind::Dockerfile => "dockerfile",
            BuilderKind::Static => "static",
            BuilderKind::Nixpacks => "nixpacks",
            BuilderKind::Railpack => "railpack",
            BuilderKind::Buildpacks => "buildpacks",
        }
    }
}

/// How to build an image from a source tree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildSpec {
    /// Which builder to use.
    #[serde(default)]
    pub builder: BuilderKind,
    /// Sub-directory of the tree to build from (default: the root).
    #[serde(default)]
    pub base_directory: Option<PathInRepo>,
    /// Dockerfile path relative to the base directory (default `Dockerfile`).
    #[serde(default)]
    pub dockerfile: Option<PathInRepo>,
    /// Multi-stage build target.
    #[serde(default)]
    pub target: Option<BuildTarget>,
    /// Build arguments (never secrets: those stay runtime env vars).
    #[serde(default)]
    pub build_args: BTreeMap<EnvKey, String>,
    /// Build without the builder's cache.
    #[serde(default)]
    pub no_cache: bool,
    /// For the static site builder: a build step (such as `npm run build`)
    /// run before the site is served; `None` serves the files as they are.
    #[serde(default)]
    pub static_site: Option<StaticSiteBuild>,
}

/// The build step of a static site: `command` runs in `image` on a copy of
/// the build directory, and the files it leaves in `output_dir` are served.
///
/// ```
/// use rivetr_core::model::StaticSiteBuild;
///
/// let build: StaticSiteBuild = serde_json::from_str(
///     r#"{"image": "node:22", "command": ["npm", "run", "build"], "output_dir": "dist"}"#,
/// )?;
/// assert_eq!(build.command.program(), "npm");
/// assert_eq!(build.output_dir.as_str(), "dist");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaticSiteBuild {
    /// The image that runs the build (for example `node:22`); it needs the
    /// tools the command uses.
    pub image: ImageRef,
    /// The build command, as an argument vector (never a shell string); it
    /// runs in the build directory's copy with the app's build arguments in
    /// its environment.
    pub command: CommandLine,
    /// Where the command leaves the site, relative to the build directory
    /// (for example `dist`).
    pub output_dir: PathInRepo,
}

/// How to run an app's image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSpec {
    /// The port the app listens on inside its container; `None` for workers
    /// that serve no traffic.
    #[serde(default)]
    pub port: Option<Port>,
    /// Command overriding the image's, as an argument vector (never a shell
    /// string).
    #[serde(default)]
    pub command: Option<CommandLine>,
    /// CPU and memory limits.
    #[serde(default)]
    pub resources: Resources,
    /// Volumes to mount.
    #[serde(default)]
    pub volumes: Vec<VolumeMount>,
    /// How many containers serve the app (at least 1).
    #[serde(default = "one")]
    pub replicas: u16,
    /// When a container counts as ready (default: TCP connect to `port`).
    #[serde(default)]
    pub health_check: Option<HealthCheck>,
    /// What the runtime does when a container exits.
    #[serde(default)]
    pub restart: RestartPolicy,
    /// Publish the port on the host as well (off by default: traffic goes
    /// through the proxy).
    #[serde(default)]
    pub publish: Option<PublishSpec>,
}

fn one() -> u16 {
    1
}

impl Default for RunSpec {
    fn default() -> Self {
        Self {
            port: None,
            command: None,
            resources: Resources::default(),
            volumes: Vec::new(),
            replicas: 1,
            health_check: None,
            restart: RestartPolicy::default(),
            publish: None,
        }
    }
}

/// CPU and memory limits of each container.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    /// CPU limit.
    #[serde(default)]
    pub cpu: Option<CpuLimit>,
    /// Memory limit.
    #[serde(default)]
    pub memory: Option<MemoryLimit>,
}

/// One volume mounted into the app's containers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeMount {
    /// What is mounted.
    pub source: MountSource,
    /// Where, inside the container.
    pub target: ContainerPath,
    /// Mount read-only.
    #[serde(default)]
    pub read_only: bool,
}

/// The source of a [`VolumeMount`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "name", rename_all = "snake_case")]
pub enum MountSource {
    /// A named volume managed by the runtime.
    Volume(VolumeName),
    /// A host directory (refused unless under a root the admin allows).
    Bind(HostPath),
}

/// Publishing the app's port on the host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishSpec {
    /// Host port.
    pub host_port: Port,
    /// Bind on all interfaces (`0.0.0.0`) instead of `127.0.0.1`. Only when
    /// the user asks for it.
    #[serde(default)]
    pub public: bool,
}

/// When a new container counts as healthy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// What to probe.
    pub probe: HealthProbe,
    /// Pause between probes.
    #[serde(with = "super::duration_ms", rename = "interval_ms")]
    pub interval: Duration,
    /// Time one probe may take.
    #[serde(with = "super::duration_ms", rename = "timeout_ms")]
    pub timeout: Duration,
    /// Give up if not healthy this long after start: the deployment fails.
    #[serde(with = "super::duration_ms", rename = "deadline_ms")]
    pub deadline: Duration,
}

impl HealthCheck {
    /// A TCP-connect check with default timings.
    #[must_use]
    pub fn tcp() -> Self {
        Self::with_probe(HealthProbe::Tcp)
    }

    /// An HTTP check of `path` (any 2xx or 3xx is healthy) with default
    /// timings.
    #[must_use]
    pub fn http(path: HttpPath) -> Self {
        Self::with_probe(HealthProbe::Http { path })
    }

    fn with_probe(probe: HealthProbe) -> Self {
        Self {
            probe,
            interval: Duration::from_millis(250),
            timeout: Duration::from_secs(2),
            deadline: Duration::from_secs(60),
        }
    }
}

/// What a health check probes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HealthProbe {
    /// An HTTP GET of `path` on the app's port; 2xx and 3xx are healthy.
    Http {
        /// Path (and query) to request.
        path: HttpPath,
    },
    /// A TCP connect to the app's port.
    Tcp,
    /// The container is running (for apps without a port).
    Running,
}

/// What the runtime does when a container exits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RestartPolicy {
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

/// How a new version is rolled out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployPolicy {
    /// After the switch, watch the new version this long; if it fails, roll
    /// back to the previous one automatically. Zero turns the watch off.
    #[serde(with = "super::duration_ms", rename = "watch_window_ms")]
    pub watch_window: Duration,
    /// How long in-flight requests and upgraded connections may keep using
    /// the old version after the switch.
    #[serde(with = "super::duration_ms", rename = "drain_timeout_ms")]
    pub drain_timeout: Duration,
    /// Grace period between SIGTERM and SIGKILL when stopping a container.
    #[serde(with = "super::duration_ms", rename = "stop_grace_ms")]
    pub stop_grace: Duration,
}

impl Default for DeployPolicy {
    fn default() -> Self {
        Self {
            watch_window: Duration::from_secs(30),
            drain_timeout: Duration::from_secs(30),
            stop_grace: Duration::from_secs(10),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    #[test]
    fn build_spec_without_static_site_still_parses() {
        let spec: BuildSpec =
            serde_json::from_str(r#"{"builder": "static", "no_cache": true}"#).unwrap();
        assert_eq!(spec.static_site, None);
        assert_eq!(spec.builder, BuilderKind::Static);
        assert_eq!(BuildSpec::default().static_site, None);
        let back: BuildSpec =
            serde_json::from_value(serde_json::to_value(BuildSpec::default()).unwrap()).unwrap();
        assert_eq!(back, BuildSpec::default());
    }

    #[test]
    fn static_site_build_round_trips_and_validates() {
        let json = r#"{"static_site": {"image": "node:22",
            "command": ["npm", "run", "build"], "output_dir": "./dist/"}}"#;
        let spec: BuildSpec = serde_json::from_str(json).unwrap();
        let build = spec.static_site.clone().unwrap();
        assert_eq!(build.image.as_str(), "node:22");
        assert_eq!(build.command.args(), ["npm", "run", "build"]);
        assert_eq!(build.output_dir.as_str(), "dist");
        let back: BuildSpec = serde_json::from_value(serde_json::to_value(&spec).unwrap()).unwrap();
        assert_eq!(back, spec);
        for bad in [
            r#"{"image": "node:22", "command": "npm run build", "output_dir": "dist"}"#,
            r#"{"image": "node:22", "command": [], "output_dir": "dist"}"#,
            r#"{"image": "node:22", "command": ["npm"], "output_dir": "../dist"}"#,
            r#"{"image": "node:22", "command": ["npm"], "output_dir": "/dist"}"#,
            r#"{"image": "node:22\nRUN x", "command": ["npm"], "output_dir": "dist"}"#,
            r#"{"image": "node:22", "command": ["npm"]}"#,
        ] {
            assert!(
                serde_json::from_str::<StaticSiteBuild>(bad).is_err(),
                "accepted {bad}"
            );
        }
    }
}
