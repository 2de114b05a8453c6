#![doc = include_str!("../README.md")]

pub mod access;
pub mod builder;
pub mod engine;
pub mod error;
pub mod id;
pub mod input;
pub mod log_sink;
pub mod memory;
pub mod model;
pub mod notifier;
pub mod route;
pub mod runtime;
pub mod source;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use error::{Error, ErrorKind, Result};
