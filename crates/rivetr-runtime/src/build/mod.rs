//! Builders: turn a fetched source tree into an image.
//!
//! - [`DockerfileBuilder`]: the tree's Dockerfile, through the Engine API,
//!   with the build context streamed as a tar ([`context`]) that honours
//!   `.dockerignore` ([`dockerignore`]) and never holds `.git`.
//! - [`StaticSiteBuilder`]: a directory with an `index.html`, served by an
//!   image generated from a Dockerfile made in memory; optionally after a
//!   build command run in a build stage.
//! - [`NixpacksBuilder`], [`RailpackBuilder`], [`BuildpacksBuilder`]: the
//!   tools' CLIs when they are on the `PATH` (`detect` says
//!   `Unavailable` otherwise), run without a shell.
//! - [`detect`]: what a tree looks like, explained for the deployment log.

pub mod cli;
pub mod context;
pub mod detect;
pub mod dockerfile;
pub mod dockerignore;
pub mod static_site;

pub use cli::{BuildpacksBuilder, CliConfig, NixpacksBuilder, RailpackBuilder};
pub use detect::{TreeReport, describe};
pub use dockerfile::{DockerfileBuilder, MANAGED_LABEL};
pub use dockerignore::DockerIgnore;
pub use static_site::{StaticSiteBuilder, StaticSiteConfig};
