#![doc = include_str!("../README.md")]

pub mod build;
pub mod docker;
mod line_cap;
pub mod source;
#[cfg(feature = "test-support")]
pub mod testsupport;

pub use rivetr_core;
