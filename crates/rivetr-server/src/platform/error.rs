//! Why a platform did not start.

use std::net::SocketAddr;

/// The part that could not start, and why.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A setting cannot be used.
    #[error("configuration: {reason}")]
    Config {
        /// Why.
        reason: String,
    },
    /// The data directory could not be created.
    #[error("the data directory {} cannot be created: {source}", path.display())]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The store could not be opened or migrated.
    #[error("the store did not open: {source}")]
    Store {
        /// Why.
        #[source]
        source: rivetr_store::StoreError,
    },
    /// The container engine did not answer.
    #[error("the container engine did not answer: {source}")]
    Runtime {
        /// Why.
        #[source]
        source: rivetr_core::Error,
    },
    /// A default source or builder could not be made.
    #[error("{what} could not be set up: {source}")]
    Part {
        /// Which part.
        what: &'static str,
        /// Why.
        #[source]
        source: rivetr_core::Error,
    },
    /// The deploy engine did not start (its reconciler failed).
    #[error("the deploy engine did not start: {source}")]
    Engine {
        /// Why.
        #[source]
        source: rivetr_core::Error,
    },
    /// The proxy's settings were refused.
    #[error("the proxy did not start: {reason}")]
    Proxy {
        /// Why.
        reason: String,
    },
    /// A listener could not bind.
    #[error(
        "the {what} listener cannot bind {addr}: {source} (is another process using the port?)"
    )]
    Bind {
        /// Which listener.
        what: &'static str,
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}
