//! Rivetr's benchmarks.
//!
//! Speed and memory are measured here, never asserted as timings in tests.
//! Criterion micro-benchmarks live in `benches/benches/`; the proxy's load
//! benchmark against nginx and HAProxy is the script `benches/proxy/run`.
