//! The [`SourceFetcher`] trait: turn a [`SourceSpec`] into a checked-out tree.
//!
//! # Implementing it
//!
//! Say which sources you handle in [`SourceFetcher::supports`], write the
//! tree under the directory you are given, and run
//! `rivetr_core::testkit::source::conformance(&fetcher, &supported, &missing)`
//! with a source your fetcher can fetch and one it supports that does not
//! exist.

use std::fmt;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use crate::error::Result;
use crate::log_sink::LogSink;
use crate::model::{CommitInfo, SourceSpec};

/// A fetched source tree on local disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceTree {
    /// Root directory of the tree (inside the destination given to
    /// [`SourceFetcher::fetch`]).
    pub root: PathBuf,
    /// The commit, for git sources.
    pub commit: Option<CommitInfo>,
}

/// Fetches source code.
#[async_trait]
pub trait SourceFetcher: fmt::Debug + Send + Sync + 'static {
    /// A short name for logs (`git`, `archive`, ...).
    fn name(&self) -> &'static str;

    /// Whether this fetcher handles `source`.
    ///
    /// # Behavior
    /// - Pure and cheap; no I/O.
    fn supports(&self, source: &SourceSpec) -> bool;

    /// Fetch `source` into `dest`, an empty directory that the caller owns
    /// and removes afterwards.
    ///
    /// # Behavior
    /// - The returned tree's root is `dest` or a directory inside it.
    /// - Credentials never end up in the tree, the log or process arguments.
    /// - A source this fetcher does not support: `Unsupported`. A
    ///   repository, ref or upload that does not exist: `NotFound`.
    /// - Cancel-safe: the engine may drop the future; partial files stay in
    ///   `dest`, which the engine removes.
    async fn fetch(&self, source: &SourceSpec, dest: &Path, log: &LogSink) -> Result<SourceTree>;
}
