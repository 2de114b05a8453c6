#![doc = include_str!("../README.md")]

pub mod config;
pub mod webhooks;

pub use rivetr_core;
