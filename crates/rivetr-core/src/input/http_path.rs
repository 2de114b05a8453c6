//! [`HttpPath`]: the path (and query) of a health-check request.

use super::{InputError, rules};

const WHAT: &str = "HTTP path";
const MAX_LEN: usize = 1024;

/// The path of an HTTP request, such as a health check: starts with `/`,
/// visible ASCII only (no spaces or control characters: percent-encode them),
/// no `\` and no `#` fragment, at most 1024 characters. A query is allowed.
///
/// ```
/// use rivetr_core::input::HttpPath;
///
/// let p: HttpPath = "/health?full=1".parse()?;
/// assert_eq!(p.as_str(), "/health?full=1");
///
/// assert!("health".parse::<HttpPath>().is_err());
/// assert!("/health check".parse::<HttpPath>().is_err());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HttpPath(String);

impl HttpPath {
    /// The path as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn parse(s: &str) -> Result<Self, InputError> {
        let err = |reason: String| InputError::new(WHAT, s, reason);
        rules::not_empty(WHAT, s)?;
        rules::no_control(WHAT, s)?;
        rules::max_chars(WHAT, s, MAX_LEN)?;
        if !s.starts_with('/') {
            return Err(err("must start with '/', like /health".into()));
        }
        if let Some((pos, c)) = rules::find(s, |c| !c.is_ascii_graphic()) {
            let c = rules::describe(c);
            return Err(err(format!(
                "contains {c} at position {pos}; use visible ASCII only (percent-encode \
                 anything else, e.g. a space as %20)"
            )));
        }
        if let Some((pos, _)) = rules::find(s, |c| c == '#') {
            return Err(err(format!(
                "contains '#' at position {pos}; a fragment is never sent to the server, \
                 remove it"
            )));
        }
        if let Some((pos, _)) = rules::find(s, |c| c == '\\') {
            return Err(err(format!("contains '\\' at position {pos}; use '/'")));
        }
        Ok(Self(s.to_owned()))
    }
}

string_type!(HttpPath);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_paths_and_queries() {
        for s in [
            "/",
            "/health",
            "/api/v1/status?verbose=true&x=%20",
            "/a;b",
            "/~user",
        ] {
            assert_eq!(HttpPath::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn refuses_bad_paths() {
        let cases = [
            ("health", "must start with '/'"),
            ("http://x/health", "must start with '/'"),
            ("/a b", "a space at position 3"),
            ("/a\nb", "line break"),
            ("/a\r\nHost: x", "line break"),
            ("/a\0", "NUL"),
            ("/é", "visible ASCII"),
            ("/a#b", "fragment"),
            ("/a\\b", "'\\'"),
            ("", "empty"),
        ];
        for (s, needle) in cases {
            let r = HttpPath::parse(s).unwrap_err().reason().to_owned();
            assert!(r.contains(needle), "{s:?}: {r}");
        }
        let long = format!("/{}", "a".repeat(1024));
        assert!(
            HttpPath::parse(&long)
                .unwrap_err()
                .reason()
                .contains("limit is 1024")
        );
    }

    #[test]
    fn serde_round_trip() {
        let p = HttpPath::parse("/healthz").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"/healthz\"");
        assert_eq!(serde_json::from_str::<HttpPath>("\"/healthz\"").unwrap(), p);
    }
}
