//! The [`Builder`] trait: `detect` whether a tree can be built, then `build`
//! an image from it, streaming logs.
//!
//! # Implementing it
//!
//! Return a [`Detection`] that explains itself (the engine writes the reason
//! into the deployment log), make the built image available to the
//! [`ContainerRuntime`](crate::runtime::ContainerRuntime) the engine uses,
//! and run `rivetr_core::testkit::builder::conformance(&builder, &buildable,
//! &unbuildable, &image, &runtime)` with a tree it can build, one it cannot,
//! the image name to build, and the runtime that should end up holding it.

use std::fmt;

use async_trait::async_trait;

use crate::error::Result;
use crate::input::ImageRef;
use crate::log_sink::LogSink;
use crate::model::{BuildSpec, BuilderKind};
use crate::source::SourceTree;

/// A builder's answer to "can you build this tree?".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detection {
    /// Yes, and why (for example "found Dockerfile").
    Yes(String),
    /// No, and why.
    No(String),
    /// Could, but the tool it needs is missing (for example "nixpacks is not
    /// on the PATH").
    Unavailable(String),
}

impl Detection {
    /// Whether the answer is yes.
    #[must_use]
    pub fn is_yes(&self) -> bool {
        matches!(self, Detection::Yes(_))
    }

    /// The explanation.
    #[must_use]
    pub fn reason(&self) -> &str {
        match self {
            Detection::Yes(r) | Detection::No(r) | Detection::Unavailable(r) => r,
        }
    }
}

/// What to build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildRequest {
    /// The fetched tree.
    pub tree: SourceTree,
    /// The app's build settings.
    pub spec: BuildSpec,
    /// The name and tag to give the image.
    pub image: ImageRef,
}

/// What was built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltImage {
    /// The image, as tagged.
    pub image: ImageRef,
}

/// Builds images.
#[async_trait]
pub trait Builder: fmt::Debug + Send + Sync + 'static {
    /// Which kind of builder this is ([`BuilderKind::Auto`] is never one).
    fn kind(&self) -> BuilderKind;

    /// Whether this builder can build `tree` with `spec`.
    ///
    /// # Behavior
    /// - Reads the tree only; never builds, never fails a deployment: a
    ///   missing tool is `Detection::Unavailable`.
    async fn detect(&self, tree: &SourceTree, spec: &BuildSpec) -> Result<Detection>;

    /// Build `request.tree` into `request.image`, writing output to `log`.
    ///
    /// # Behavior
    /// - On success the image exists in the runtime under `request.image`.
    /// - A build that fails (bad Dockerfile, failing step) is
    ///   `InvalidInput` with the reason; the log holds the details.
    /// - Cancel-safe: dropping the future stops the build.
    async fn build(&self, request: &BuildRequest, log: &LogSink) -> Result<BuiltImage>;
}
