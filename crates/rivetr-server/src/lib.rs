#![doc = include_str!("../README.md")]

pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod metrics;
pub mod platform;
pub mod webhooks;

pub use rivetr_core;
