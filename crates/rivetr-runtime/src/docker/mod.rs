//! The Docker Engine (and Podman) runtime, through the Engine API.
//!
//! [`DockerRuntime`] implements
//! [`ContainerRuntime`](rivetr_core::runtime::ContainerRuntime); [`connect()`]
//! finds the engine and negotiates the API version.

pub mod connect;
mod containers;
mod create;
mod error;
mod exec;
mod health;
mod images;
mod logs;
mod names;
mod network;
mod runtime;
mod stats;

pub use connect::{ConnectOptions, Connection, EngineFlavor, connect};
pub use runtime::DockerRuntime;
