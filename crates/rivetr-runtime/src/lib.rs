#![doc = include_str!("../README.md")]

pub mod docker;

pub use rivetr_core;
