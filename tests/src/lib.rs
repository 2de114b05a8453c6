//! Rivetr's end-to-end tests.
//!
//! The tests in this crate start the real `rivetr` binary with a temporary
//! data directory and free ports; they arrive with the reference server. The
//! engine's own scenario tests live in `rivetr-core/tests/`.
