#![doc = include_str!("../README.md")]

pub mod auth;
pub mod config;
pub mod webhooks;

pub use rivetr_core;
