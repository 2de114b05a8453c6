//! The Docker Engine (and Podman) runtime, through the Engine API.

pub mod connect;

pub use connect::{ConnectOptions, Connection, EngineFlavor, connect};
