//! [`Http01Responder`]: the hook through which an ACME client answers
//! HTTP-01 challenges on the plain HTTP listener.

use std::fmt;

use rivetr_core::input::DomainName;

/// The ACME HTTP-01 path prefix; the token follows it.
pub const HTTP01_PREFIX: &str = "/.well-known/acme-challenge/";

/// Answers `GET /.well-known/acme-challenge/<token>` for a host, before any
/// routing: the server sends the returned key authorization as
/// `text/plain` with 200, and 404 when this returns `None`.
///
/// # Behavior
/// - Called on the request path: must not block (look the token up in
///   memory).
/// - `token` is the last path segment as sent, not yet checked: compare it,
///   never use it to build a path.
pub trait Http01Responder: fmt::Debug + Send + Sync + 'static {
    /// The key authorization for `token` on `host`, when an order of this
    /// host is waiting for it.
    fn key_authorization(&self, host: &DomainName, token: &str) -> Option<String>;
}
