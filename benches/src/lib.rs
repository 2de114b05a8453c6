//! Rivetr's benchmarks.
//!
//! Speed and memory are measured here, never asserted as timings in tests.
//! Criterion micro-benchmarks live in `benches/benches/`; load benchmarks
//! against nginx and HAProxy arrive with the proxy.
