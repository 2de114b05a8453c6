//! Automatic certificates with ACME (Let's Encrypt or any RFC 8555 CA),
//! one order per domain, served through the proxy's
//! [`CertResolver`](crate::tls::CertResolver).
//!
//! - `config`: [`AcmeConfig`] (directory URL, contacts, challenge,
//!   renewal margin, [`Backoff`], extra roots for a private CA);
//! - `cache`: [`AcmeCache`], where accounts and certificates are kept
//!   (the store implements it), and [`FileCache`], a private directory;
//! - `manager`: [`AcmeManager`], the domains, added and removed at runtime;
//! - `events`: [`AcmeEvent`], what happened to each domain;
//! - internals: `task` (one domain's life), `order` (one order through
//!   rustls-acme), `cert` (the served certificate, TLS-ALPN-01 answers),
//!   `backoff` (the retry policy).
//!
//! # How it works
//!
//! Each domain has its own task. It first loads the domain's certificate
//! from the cache and serves it; if there is none (or it is unusable, or
//! due for renewal) it orders one. An order is rustls-acme's `AcmeState`
//! for that single domain, driven to completion: rustls-acme speaks the
//! protocol, the task decides when to order, what to cache and how long
//! to wait after a failure. One account key per directory URL is loaded
//! (or made once) and shared by every order.
//!
//! Challenges:
//! - [`ChallengeType::TlsAlpn01`] (default): the domain's entry in the
//!   `CertResolver` answers handshakes that offer only `acme-tls/1` with
//!   the order's challenge certificate; the proxy serves HTTPS on 443.
//! - [`ChallengeType::Http01`]: the manager is an
//!   [`Http01Responder`](crate::server::Http01Responder); the proxy's plain
//!   HTTP server on port 80 answers `/.well-known/acme-challenge/<token>`
//!   through it.
//!
//! # Staging and production
//!
//! [`AcmeConfig::default`] uses [`LETS_ENCRYPT_STAGING`] (untrusted
//! certificates, loose limits). Once issuance works, set
//! `directory_url` to [`LETS_ENCRYPT_PRODUCTION`]. Accounts and
//! certificates are cached per directory URL, so switching orders anew.
//! For a private or test CA (Pebble), add its HTTPS root to
//! `extra_roots`; Mozilla's roots (webpki-roots) are always trusted.
//!
//! # Renewal
//!
//! A certificate is renewed at `not_after - max(renew_before, lifetime/3)`,
//! but never in the first half of its lifetime: with the default
//! `renew_before` of 30 days, a 90-day Let's Encrypt certificate renews 30
//! days before expiry, a 6-day one 3 days before
//! (rustls-acme alone renews at a third of the lifetime left, the same
//! point for 90-day certificates; here the margin is configurable and
//! the task, not rustls-acme, decides). The old certificate is served
//! until the new one is issued. Long waits are slept a day at a time
//! against the wall clock.
//!
//! # Back-off
//!
//! A failed order (network error, refused order, failed validation,
//! timeout after `order_timeout`) waits `backoff.initial * 2^(n-1)` after
//! the n-th failure in a row, at most `backoff.max`, and never allows more
//! than `backoff.max_failures_per_hour` failures of a domain within an
//! hour. The defaults (5 min, 6 h, 3 an hour) stay under Let's Encrypt's
//! 5 failed validations per hostname per account per hour. A success
//! resets the back-off. rustls-acme's own retry (from one second up) is
//! not used: each order is a fresh state, dropped after one attempt.
//!
//! # Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use rivetr_proxy::acme::{AcmeConfig, AcmeManager, ChallengeType, FileCache, LETS_ENCRYPT_PRODUCTION};
//! use rivetr_proxy::server::{Proxy, ProxyConfig};
//! use rivetr_proxy::table::ProxyRouteTable;
//! use rivetr_proxy::tls::CertResolver;
//! use tokio_util::sync::CancellationToken;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let shutdown = CancellationToken::new();
//! let resolver = CertResolver::new();
//! let config = AcmeConfig {
//!     directory_url: LETS_ENCRYPT_PRODUCTION.to_owned(),
//!     contact_emails: vec!["ops@example.com".to_owned()],
//!     challenge: ChallengeType::Http01,
//!     ..AcmeConfig::default()
//! };
//! let cache = Arc::new(FileCache::new("/var/lib/rivetr/acme"));
//! let acme = AcmeManager::new(config, cache, resolver.clone(), shutdown.clone())?;
//! acme.add("app.example.com".parse()?);
//!
//! // Port 80 answers HTTP-01 challenges through the manager.
//! let proxy = Proxy::builder(ProxyConfig::default(), ProxyRouteTable::new())
//!     .http01(Arc::new(acme.clone()))
//!     .build()?;
//! # let _ = proxy;
//! # Ok(())
//! # }
//! ```

mod backoff;
mod cache;
mod cert;
mod config;
mod events;
mod manager;
mod order;
mod task;

pub use self::cache::{AcmeCache, CacheError, FileCache};
pub use self::cert::{CertError, certificate_not_after};
pub use self::config::{
    AcmeConfig, AcmeConfigError, Backoff, ChallengeType, LETS_ENCRYPT_PRODUCTION,
    LETS_ENCRYPT_STAGING,
};
pub use self::events::{AcmeEvent, AcmeEventKind};
pub use self::manager::{AcmeError, AcmeManager};
pub use self::order::OrderError;
