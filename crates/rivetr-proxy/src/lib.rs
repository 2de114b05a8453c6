#![doc = include_str!("../README.md")]

pub use rivetr_core;

pub mod acme;
mod host_map;
pub mod metrics;
pub mod server;
pub mod table;
pub mod tls;
