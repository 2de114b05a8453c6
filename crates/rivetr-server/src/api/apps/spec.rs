//! The JSON mirror of the core [`AppSpec`]: where the code comes from, how
//! it is built and rolled out (running is in [`super::run`]). The same
//! shapes are read (strictly: unknown fields are refused, every string
//! parsed into its core input type) and written back, so an app's `spec`
//! can be sent again as it was received.

use std::collections::BTreeMap;
use std::time::Duration;

use rivetr_core::input::{BuildTarget, CommandLine, EnvKey, GitUrlPolicy, ImageRef, PathInRepo};
use rivetr_core::model::{AppSpec, BuildSpec, BuilderKind, DeployPolicy, StaticSiteBuild};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::invalid;
use super::run::RunBody;
use super::source::SourceBody;
use crate::api::ApiError;

/// How to fetch, build, run and roll out an app. `build`, `run` and
/// `deploy` may be left out for their defaults.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AppSpecBody {
    /// Where the code or image comes from.
    pub(super) source: SourceBody,
    /// How to turn the source into an image (ignored for image sources).
    #[serde(default)]
    pub(super) build: BuildBody,
    /// How to run the image.
    #[serde(default)]
    pub(super) run: RunBody,
    /// How a new version is rolled out.
    #[serde(default)]
    pub(super) deploy: DeployBody,
}

impl AppSpecBody {
    /// The core spec, after the checks the body's types cannot make alone
    /// (the instance's git URL `policy`, bounds of numbers).
    pub(super) fn into_spec(self, policy: &GitUrlPolicy) -> Result<AppSpec, ApiError> {
        self.run.check()?;
        self.deploy.check()?;
        Ok(AppSpec {
            source: self.source.into_source(policy)?,
            build: self.build.into(),
            run: self.run.into(),
            deploy: self.deploy.into(),
        })
    }
}

impl From<&AppSpec> for AppSpecBody {
    fn from(spec: &AppSpec) -> Self {
        Self {
            source: (&spec.source).into(),
            build: (&spec.build).into(),
            run: (&spec.run).into(),
            deploy: (&spec.deploy).into(),
        }
    }
}

/// Which builder turns a source tree into an image.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum BuilderName {
    /// Let each builder detect; the first that can, builds.
    #[default]
    Auto,
    /// A Dockerfile in the tree.
    Dockerfile,
    /// A directory of static files (optionally built first).
    Static,
    /// Nixpacks (when installed on the server).
    Nixpacks,
    /// Railpack (when installed on the server).
    Railpack,
    /// Cloud Native Buildpacks (when `pack` is installed on the server).
    Buildpacks,
}

impl From<BuilderName> for BuilderKind {
    fn from(name: BuilderName) -> Self {
        match name {
            BuilderName::Auto => Self::Auto,
            BuilderName::Dockerfile => Self::Dockerfile,
            BuilderName::Static => Self::Static,
            BuilderName::Nixpacks => Self::Nixpacks,
            BuilderName::Railpack => Self::Railpack,
            BuilderName::Buildpacks => Self::Buildpacks,
        }
    }
}

impl From<BuilderKind> for BuilderName {
    fn from(kind: BuilderKind) -> Self {
        match kind {
            BuilderKind::Dockerfile => Self::Dockerfile,
            BuilderKind::Static => Self::Static,
            BuilderKind::Nixpacks => Self::Nixpacks,
            BuilderKind::Railpack => Self::Railpack,
            BuilderKind::Buildpacks => Self::Buildpacks,
            // `Auto`, and kinds added to the core later.
            _ => Self::Auto,
        }
    }
}

/// How to build an image from the source tree.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct BuildBody {
    /// Which builder (default `auto`).
    #[serde(default)]
    builder: BuilderName,
    /// Sub-directory of the tree to build from (relative, no `..`).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    base_directory: Option<PathInRepo>,
    /// Dockerfile path relative to the base directory (default
    /// `Dockerfile`; relative, no `..`).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    dockerfile: Option<PathInRepo>,
    /// Multi-stage build target.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    target: Option<BuildTarget>,
    /// Build arguments by name (never secrets: those are env vars).
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, String>)]
    build_args: BTreeMap<EnvKey, String>,
    /// Build without the builder's cache.
    #[serde(default)]
    no_cache: bool,
    /// For the `static` builder: a build step run before the files are
    /// served (none: serve the tree as it is).
    #[serde(default)]
    static_site: Option<StaticSiteBody>,
}

impl From<BuildBody> for BuildSpec {
    fn from(body: BuildBody) -> Self {
        Self {
            builder: body.builder.into(),
            base_directory: body.base_directory,
            dockerfile: body.dockerfile,
            target: body.target,
            build_args: body.build_args,
            no_cache: body.no_cache,
            static_site: body.static_site.map(|s| StaticSiteBuild {
                image: s.image,
                command: s.command,
                output_dir: s.output_dir,
            }),
        }
    }
}

impl From<&BuildSpec> for BuildBody {
    fn from(spec: &BuildSpec) -> Self {
        let spec = spec.clone();
        Self {
            builder: spec.builder.into(),
            base_directory: spec.base_directory,
            dockerfile: spec.dockerfile,
            target: spec.target,
            build_args: spec.build_args,
            no_cache: spec.no_cache,
            static_site: spec.static_site.map(|s| StaticSiteBody {
                image: s.image,
                command: s.command,
                output_dir: s.output_dir,
            }),
        }
    }
}

/// A static site's build step: `command` runs in `image` on a copy of the
/// tree; what it leaves in `output_dir` is served.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct StaticSiteBody {
    /// The image that runs the build, e.g. `node:22`.
    #[schema(value_type = String)]
    image: ImageRef,
    /// The command as an argument vector (never a shell string), e.g.
    /// `["npm", "run", "build"]`.
    #[schema(value_type = Vec<String>)]
    command: CommandLine,
    /// Where the site ends up, relative to the build directory.
    #[schema(value_type = String)]
    output_dir: PathInRepo,
}

/// The longest duration a spec may name, in milliseconds (one day).
pub(super) const MAX_MILLIS: u64 = 24 * 60 * 60 * 1000;

/// `Ok` when `value` is at most [`MAX_MILLIS`].
pub(super) fn check_millis(field: &str, value: u64) -> Result<(), ApiError> {
    if value > MAX_MILLIS {
        return Err(invalid(
            field,
            format!("at most {MAX_MILLIS} milliseconds (one day)"),
        ));
    }
    Ok(())
}

/// How a new version is rolled out (durations in milliseconds).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct DeployBody {
    /// Watch the new version this long after the switch and roll back
    /// automatically if it fails; 0 turns the watch off (default 30000).
    /// Every duration is at most one day (86400000).
    #[serde(default = "default_watch")]
    watch_window_ms: u64,
    /// How long requests and upgraded connections may finish on the old
    /// version (default 30000).
    #[serde(default = "default_drain")]
    drain_timeout_ms: u64,
    /// Between SIGTERM and SIGKILL when stopping a container (default
    /// 10000).
    #[serde(default = "default_grace")]
    stop_grace_ms: u64,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn default_watch() -> u64 {
    millis(DeployPolicy::default().watch_window)
}

fn default_drain() -> u64 {
    millis(DeployPolicy::default().drain_timeout)
}

fn default_grace() -> u64 {
    millis(DeployPolicy::default().stop_grace)
}

impl DeployBody {
    fn check(&self) -> Result<(), ApiError> {
        check_millis("spec.deploy.watch_window_ms", self.watch_window_ms)?;
        check_millis("spec.deploy.drain_timeout_ms", self.drain_timeout_ms)?;
        check_millis("spec.deploy.stop_grace_ms", self.stop_grace_ms)
    }
}

impl Default for DeployBody {
    fn default() -> Self {
        (&DeployPolicy::default()).into()
    }
}

impl From<DeployBody> for DeployPolicy {
    fn from(body: DeployBody) -> Self {
        Self {
            watch_window: Duration::from_millis(body.watch_window_ms),
            drain_timeout: Duration::from_millis(body.drain_timeout_ms),
            stop_grace: Duration::from_millis(body.stop_grace_ms),
        }
    }
}

impl From<&DeployPolicy> for DeployBody {
    fn from(policy: &DeployPolicy) -> Self {
        Self {
            watch_window_ms: millis(policy.watch_window),
            drain_timeout_ms: millis(policy.drain_timeout),
            stop_grace_ms: millis(policy.stop_grace),
        }
    }
}
