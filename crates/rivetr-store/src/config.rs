//! How to open a store: the database URL, pool and sealing settings, log
//! limits.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::seal::Sealer;

/// Settings of a [`SqlStore`](crate::SqlStore).
///
/// ```
/// use rivetr_store::{Sealing, StoreConfig};
///
/// let config = StoreConfig::new(
///     "sqlite:///var/lib/rivetr/rivetr.db",
///     Sealing::KeyFile("/var/lib/rivetr/sealing.keys".into()),
/// );
/// assert_eq!(config.max_connections, 8);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StoreConfig {
    /// `sqlite://PATH` (created when missing; `sqlite::memory:` for a
    /// throwaway database) or `postgres://USER:PASSWORD@HOST:PORT/DB`.
    pub url: String,
    /// Pool size (PostgreSQL), or readers beside the one writer (SQLite).
    /// Default 8.
    pub max_connections: u32,
    /// How long a statement waits for a lock held by another process
    /// (SQLite `busy_timeout`), and for a free pooled connection.
    /// Default 5 s.
    pub busy_timeout: Duration,
    /// Where the sealing keys come from.
    pub sealing: Sealing,
    /// Bounds on deployment logs.
    pub logs: LogLimits,
}

impl StoreConfig {
    /// Settings for `url` with defaults for the rest.
    pub fn new(url: impl Into<String>, sealing: Sealing) -> Self {
        Self {
            url: url.into(),
            max_connections: 8,
            busy_timeout: Duration::from_secs(5),
            sealing,
            logs: LogLimits::default(),
        }
    }
}

/// Where sealing keys come from.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Sealing {
    /// A key file, created with one fresh key (mode 0600) when missing.
    KeyFile(PathBuf),
    /// Keys given directly (from config or a secret manager).
    Sealer(Arc<Sealer>),
}

/// Bounds on stored deployment logs, so a chatty build cannot bloat the
/// database or slow reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogLimits {
    /// Most lines in one stored chunk. Default 256.
    pub lines_per_chunk: u32,
    /// Most bytes of text in one stored chunk. Default 64 KiB.
    pub bytes_per_chunk: u32,
    /// Most bytes of text kept per deployment; later lines are dropped and
    /// one line says so. Default 16 MiB.
    pub bytes_per_deployment: u64,
    /// Logs of finished deployments older than this are deleted by
    /// [`SqlStore::prune_logs`](crate::SqlStore::prune_logs). Default
    /// 30 days.
    pub retention: Duration,
    /// The newest deployments of each app whose logs are kept whatever
    /// their age. Default 10.
    pub keep_per_app: u32,
}

impl Default for LogLimits {
    fn default() -> Self {
        Self {
            lines_per_chunk: 256,
            bytes_per_chunk: 64 * 1024,
            bytes_per_deployment: 16 * 1024 * 1024,
            retention: Duration::from_secs(30 * 24 * 60 * 60),
            keep_per_app: 10,
        }
    }
}
