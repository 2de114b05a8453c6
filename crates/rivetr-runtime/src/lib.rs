#![doc = include_str!("../README.md")]

pub mod build;
pub mod docker;
pub mod source;
#[cfg(feature = "test-support")]
pub mod testsupport;

pub use rivetr_core;
