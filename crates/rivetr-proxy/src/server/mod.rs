//! The proxy's server: accepts client connections (plain HTTP/1.1, or TLS
//! with HTTP/2 or HTTP/1.1 by ALPN), routes each
//! request through the [`ProxyRouteTable`](crate::table::ProxyRouteTable)
//! and forwards it to the chosen upstream (see `upstream` below).
//!
//! - `config`: [`ProxyConfig`], the limits and timeouts, validated;
//! - `proxy`: [`Proxy`], one server over a table, serving listeners (the
//!   accept loop and graceful shutdown);
//! - `https`: [`Proxy::serve_https`], TLS (see [`crate::tls`]) with HTTP/2
//!   or HTTP/1.1 by ALPN;
//! - `serve`: [`bind`] and [`serve`], the one-call plain HTTP server;
//! - `challenge`: [`Http01Responder`], the ACME HTTP-01 hook;
//! - `forward`: the request path (routing, redirects, forwarding);
//! - `local`: the answers the proxy gives itself (errors, redirects, 401);
//! - `basic_auth`: basic auth verification (argon2) with its cache;
//! - `upstream`: upstream connections, kept per client connection;
//! - `conn_state`: what a client connection keeps between its requests;
//! - `headers`: hop-by-hop stripping, framing checks, `X-Forwarded-*`;
//! - `wire`: the client connection, its request heads scanned for
//!   `Content-Length` with `Transfer-Encoding` (which hyper hides);
//! - `idle`: idle HTTP/1.1 connections parked without hyper's buffers.
//!
//! Upgrades (WebSocket) work over HTTP/1.1, plain or TLS. Cleartext HTTP/2
//! (prior knowledge, h2c) is not served; upstreams are always spoken to in
//! HTTP/1.1.

mod basic_auth;
mod challenge;
mod config;
mod conn_state;
mod forward;
mod headers;
mod https;
mod idle;
mod local;
mod proxy;
mod serve;
mod upstream;
mod wire;

pub use self::challenge::{HTTP01_PREFIX, Http01Responder};
pub use self::config::{ConfigError, ProxyConfig, TrustedProxy};
pub use self::forward::Scheme;
pub use self::proxy::{Proxy, ProxyBuilder};
pub use self::serve::{bind, serve};
