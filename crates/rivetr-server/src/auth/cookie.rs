//! The session cookie: its `Set-Cookie` attributes and how it is read back
//! from a `Cookie` header.
//!
//! Over HTTPS the cookie is `__Host-rivetr_session=…; Path=/; HttpOnly;
//! Secure; SameSite=Lax; Max-Age=…`: the `__Host-` prefix makes browsers
//! refuse it unless it is `Secure`, has `Path=/` and no `Domain` (so no
//! other host under the same domain can set or shadow it), `HttpOnly` keeps
//! it from scripts, `SameSite=Lax` keeps it off cross-site sub-requests and
//! form posts. A development server on plain HTTP cannot use `Secure`
//! (browsers would drop the cookie), so
//! [`SessionCookie::insecure_dev`] writes `rivetr_session` without
//! `Secure` and the prefix.

use chrono::TimeDelta;

use super::session::SessionId;

/// The cookie name over HTTPS.
pub const SECURE_COOKIE_NAME: &str = "__Host-rivetr_session";
/// The cookie name in development mode over plain HTTP.
pub const DEV_COOKIE_NAME: &str = "rivetr_session";

/// Writes and reads the session cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionCookie {
    secure: bool,
}

impl SessionCookie {
    /// For a server reached over HTTPS (production).
    #[must_use]
    pub fn https() -> Self {
        Self { secure: true }
    }

    /// For a development server on plain HTTP: no `Secure`, no `__Host-`.
    #[must_use]
    pub fn insecure_dev() -> Self {
        Self { secure: false }
    }

    /// The cookie's name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        if self.secure {
            SECURE_COOKIE_NAME
        } else {
            DEV_COOKIE_NAME
        }
    }

    /// The `Set-Cookie` value that stores `id` for `max_age` (whole
    /// seconds, rounded down; negative counts as 0), normally
    /// [`Sessions::ttl`](super::session::Sessions::ttl).
    #[must_use]
    pub fn set(&self, id: &SessionId, max_age: TimeDelta) -> String {
        self.header(&id.to_cookie_value(), max_age.num_seconds().max(0))
    }

    /// The `Set-Cookie` value that deletes the cookie (sign-out).
    #[must_use]
    pub fn clear(&self) -> String {
        self.header("", 0)
    }

    fn header(&self, value: &str, max_age: i64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{}={value}; Path=/; HttpOnly{secure}; SameSite=Lax; Max-Age={max_age}",
            self.name()
        )
    }

    /// The session cookie's value in a `Cookie` request header (`a=1;
    /// b=2`), the first one if several carry the name.
    #[must_use]
    pub fn read<'a>(&self, cookie_header: &'a str) -> Option<&'a str> {
        cookie_header.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name.trim() == self.name()).then(|| value.trim().trim_matches('"'))
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    #[test]
    fn https_cookie_attributes() {
        let id = SessionId::generate().unwrap();
        let value = id.to_cookie_value();
        let header = SessionCookie::https().set(&id, TimeDelta::days(7));
        assert_eq!(
            header,
            format!(
                "__Host-rivetr_session={value}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=604800"
            )
        );
        assert!(!header.contains("Domain"));
    }

    #[test]
    fn dev_cookie_drops_secure_and_the_prefix() {
        let id = SessionId::generate().unwrap();
        let header = SessionCookie::insecure_dev().set(&id, TimeDelta::milliseconds(1500));
        assert_eq!(
            header,
            format!(
                "rivetr_session={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=1",
                id.to_cookie_value()
            )
        );
        assert!(!header.contains("Secure"));
    }

    #[test]
    fn negative_max_age_is_zero() {
        let id = SessionId::generate().unwrap();
        let header = SessionCookie::https().set(&id, TimeDelta::seconds(-5));
        assert!(header.ends_with("; Max-Age=0"), "{header}");
    }

    #[test]
    fn clearing() {
        assert_eq!(
            SessionCookie::https().clear(),
            "__Host-rivetr_session=; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=0"
        );
    }

    #[test]
    fn reading_the_cookie_header() {
        let https = SessionCookie::https();
        let header = "theme=dark; __Host-rivetr_session=abc; rivetr_session=dev";
        assert_eq!(https.read(header), Some("abc"));
        assert_eq!(SessionCookie::insecure_dev().read(header), Some("dev"));
        assert_eq!(https.read("rivetr_session=dev"), None);
        assert_eq!(https.read("x__Host-rivetr_session=abc"), None);
        assert_eq!(https.read(""), None);
        assert_eq!(https.read("__Host-rivetr_session=\"q\""), Some("q"));
        assert_eq!(
            https.read("__Host-rivetr_session=a; __Host-rivetr_session=b"),
            Some("a")
        );
        // Round trip through the id.
        let id = SessionId::generate().unwrap();
        let cookie = format!("__Host-rivetr_session={}", id.to_cookie_value());
        let read = https.read(&cookie).unwrap();
        assert_eq!(SessionId::from_cookie_value(read), Some(id));
    }
}
