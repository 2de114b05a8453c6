//! In-memory implementations of every plug-in trait.
//!
//! They are real implementations, not mocks: they keep the same contracts as
//! the durable ones (each passes its [`testkit`](crate::testkit) conformance
//! suite) but hold their state in memory. Use them in tests, and to embed
//! Rivetr where nothing needs to survive a restart.
//!
//! The runtime, source, builder, route table and notifier can also be
//! *scripted* through [`Faults`]: told to fail, or to stall until released,
//! at a chosen operation, so tests can drive the engine through every step.

mod builder;
mod faults;
mod notifier;
mod route;
mod runtime;
mod source;
mod store;

pub use builder::{BuilderOp, MemoryBuilder};
pub use faults::{Faults, Stall};
pub use notifier::{MemoryNotifier, NotifierOp};
pub use route::{InFlight, MemoryRouteTable, RouteOp};
pub use runtime::{ImageBehavior, MemoryRuntime, RuntimeOp};
pub use source::{MemorySource, SourceOp};
pub use store::MemoryStore;
