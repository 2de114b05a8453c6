//! Conformance suites: one public async function per plug-in trait.
//!
//! Every implementation of a trait, built-in or third-party, runs the same
//! suite; a pass means the engine can rely on it. Each suite panics with a
//! message naming the broken contract.
//!
//! ```toml
//! [dev-dependencies]
//! rivetr-core = { version = "0.1", features = ["testkit"] }
//! ```
//!
//! ```no_run
//! # async fn demo() {
//! use rivetr_core::memory::MemoryStore;
//!
//! let store = MemoryStore::new();
//! rivetr_core::testkit::store::conformance(&store).await;
//! # }
//! ```

pub mod builder;
pub mod notifier;
pub mod route;
pub mod runtime;
pub mod seed;
pub mod source;
pub mod store;
