//! Cross-site request forgery protection for cookie-authenticated writes.
//!
//! Two checks, both required on every unsafe method ([`requires_csrf`]):
//!
//! 1. **Token**: a session's CSRF token is HMAC-SHA256(server key, session
//!    id), base64url. Pages render it into forms (field [`CSRF_FIELD`]) and
//!    the API returns it at sign-in; the browser sends it back in the
//!    [`CSRF_HEADER`] header or the form field. A page on another site can
//!    make the browser send the cookie but cannot read the token. It is
//!    derived, so nothing more is stored, and compared in constant time.
//! 2. **Origin**: [`check_same_origin`] compares the `Origin` header (or,
//!    without it, the `Referer`'s origin) with the server's public origin.
//!
//! Requests authenticated by an API token (`Authorization: Bearer`) carry
//! no ambient credential and need neither check.

use super::crypto::{LabeledKey, b64url, b64url_32};
use super::session::SessionId;

/// The request header carrying the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";

/// A cookie-authenticated write was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsrfError {
    /// No CSRF token was sent.
    #[error("missing CSRF token")]
    MissingToken,
    /// The token is not the session's.
    #[error("invalid CSRF token")]
    BadToken,
    /// Neither `Origin` nor `Referer` was sent.
    #[error("missing Origin header")]
    NoOrigin,
    /// The request comes from another origin.
    #[error("cross-origin request refused")]
    CrossOrigin,
}

/// Derives and checks sessions' CSRF tokens under the server key (the same
/// key as the session and token hashers' may be used: each use has its own
/// label).
#[derive(Clone, Debug)]
pub struct CsrfKey {
    key: LabeledKey,
}

impl CsrfKey {
    /// A key from the server key.
    #[must_use]
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            key: LabeledKey::new(&key, "rivetr csrf"),
        }
    }

    /// The CSRF token of `session` (43 base64url characters).
    #[must_use]
    pub fn token(&self, session: &SessionId) -> String {
        b64url(self.key.sign(session.as_bytes()).as_ref())
    }

    /// Whether `presented` is `session`'s token, compared in constant time.
    ///
    /// # Errors
    ///
    /// [`CsrfError::MissingToken`] for `None` or an empty token,
    /// [`CsrfError::BadToken`] for any other token.
    pub fn verify(&self, session: &SessionId, presented: Option<&str>) -> Result<(), CsrfError> {
        let presented = presented
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(CsrfError::MissingToken)?;
        let valid =
            b64url_32(presented).is_some_and(|tag| self.key.verify(session.as_bytes(), &tag));
        if valid {
            Ok(())
        } else {
            Err(CsrfError::BadToken)
        }
    }
}

/// Whether a cookie-authenticated request with `method` must pass the CSRF
/// checks: every method but `GET`, `HEAD`, `OPTIONS` and `TRACE` (so
/// `POST`, `PUT`, `PATCH`, `DELETE` and any unknown method).
#[must_use]
pub fn requires_csrf(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

/// Whether the request's `Origin` (or, when absent, its `Referer`) is
/// `expected_origin`, the server's public origin (`https://rivetr.example`,
/// with a port only when it is not the scheme's default). Scheme and host
/// are compared without case; default ports are ignored.
///
/// # Errors
///
/// [`CsrfError::NoOrigin`] when neither header is present (browsers send
/// `Origin` on every cross-site and same-origin `POST`), and
/// [`CsrfError::CrossOrigin`] when the origin differs or is opaque
/// (`Origin: null`).
pub fn check_same_origin(
    expected_origin: &str,
    origin: Option<&str>,
    referer: Option<&str>,
) -> Result<(), CsrfError> {
    let sent = match (origin, referer) {
        (Some(origin), _) => origin_of(origin),
        (None, Some(referer)) => origin_of(referer),
        (None, None) => return Err(CsrfError::NoOrigin),
    };
    match (sent, origin_of(expected_origin)) {
        (Some(sent), Some(expected)) if sent == expected => Ok(()),
        _ => Err(CsrfError::CrossOrigin),
    }
}

/// `(scheme, host, port)` of a URL or origin, lowercased, with the default
/// port filled in; `None` for anything else (`null`, user info, no
/// scheme).
fn origin_of(url: &str) -> Option<(String, String, u16)> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, port.parse().ok()?),
        _ => (authority, default_port),
    };
    if host.is_empty() {
        return None;
    }
    Some((scheme, host.to_ascii_lowercase(), port))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    #[test]
    fn tokens_belong_to_their_session() {
        let key = CsrfKey::new([3; 32]);
        let (a, b) = (
            SessionId::generate().unwrap(),
            SessionId::generate().unwrap(),
        );
        let token = key.token(&a);
        assert_eq!(token.len(), 43);
        assert_eq!(key.token(&a), token, "derived, so stable");
        assert_eq!(key.verify(&a, Some(&token)), Ok(()));
        assert_eq!(key.verify(&b, Some(&token)), Err(CsrfError::BadToken));
        assert_eq!(key.verify(&a, Some(&token[..42])), Err(CsrfError::BadToken));
        let mut flipped = token.clone().into_bytes();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(key.verify(&a, Some(&flipped)), Err(CsrfError::BadToken));
        assert_eq!(key.verify(&a, None), Err(CsrfError::MissingToken));
        assert_eq!(key.verify(&a, Some(" ")), Err(CsrfError::MissingToken));
        // Another server key, another token.
        assert_eq!(
            CsrfKey::new([4; 32]).verify(&a, Some(&token)),
            Err(CsrfError::BadToken)
        );
    }

    #[test]
    fn unsafe_methods_need_the_checks() {
        for m in ["POST", "PUT", "PATCH", "DELETE", "PROPFIND", "post"] {
            assert!(requires_csrf(m), "{m}");
        }
        for m in ["GET", "HEAD", "OPTIONS", "TRACE"] {
            assert!(!requires_csrf(m), "{m}");
        }
    }

    #[test]
    fn same_origin() {
        let me = "https://rivetr.example.com";
        let ok = |o, r| check_same_origin(me, o, r);
        assert_eq!(ok(Some("https://rivetr.example.com"), None), Ok(()));
        assert_eq!(ok(Some("HTTPS://Rivetr.Example.com:443"), None), Ok(()));
        assert_eq!(
            ok(None, Some("https://rivetr.example.com/apps/web?tab=logs")),
            Ok(())
        );
        // Origin wins over Referer.
        assert_eq!(
            ok(
                Some("https://evil.example"),
                Some("https://rivetr.example.com/")
            ),
            Err(CsrfError::CrossOrigin)
        );
        for bad in [
            "null",
            "http://rivetr.example.com",
            "https://rivetr.example.com:8443",
            "https://rivetr.example.com.evil.example",
            "https://evil.example/https://rivetr.example.com",
            "https://rivetr.example.com@evil.example",
            "rivetr.example.com",
        ] {
            assert_eq!(ok(Some(bad), None), Err(CsrfError::CrossOrigin), "{bad}");
        }
        assert_eq!(ok(None, None), Err(CsrfError::NoOrigin));
        // Non-default ports and IPv6 hosts.
        assert_eq!(
            check_same_origin("http://127.0.0.1:8080", Some("http://127.0.0.1:8080"), None),
            Ok(())
        );
        assert_eq!(
            check_same_origin("http://[::1]:8080", Some("http://[::1]:8080"), None),
            Ok(())
        );
        assert_eq!(
            check_same_origin("http://[::1]", Some("http://[::1]:80"), None),
            Ok(())
        );
        assert_eq!(
            check_same_origin("http://[::1]:8080", Some("http://[::1]:8081"), None),
            Err(CsrfError::CrossOrigin)
        );
    }
}
