//! [`HostPattern`]: a host name or a one-level wildcard, for routing rules.

use std::fmt;
use std::str::FromStr;

use super::{DomainName, InputError, rules};

const WHAT: &str = "host pattern";

/// A host a route answers for: one exact [`DomainName`], or a wildcard
/// `*.example.com` that matches exactly one more label (`a.example.com`, but
/// neither `example.com` nor `a.b.example.com`), as in TLS certificates.
///
/// Being an enum, it has no `as_str`/`AsRef<str>`; [`Display`](fmt::Display)
/// and serde use the text form (`*.example.com`).
///
/// ```
/// use rivetr_core::input::{DomainName, HostPattern};
///
/// let p: HostPattern = "*.Example.com".parse()?;
/// assert_eq!(p.to_string(), "*.example.com");
/// assert!(p.matches(&"app.example.com".parse::<DomainName>()?));
/// assert!(!p.matches(&"a.b.example.com".parse::<DomainName>()?));
///
/// assert!("*.com".parse::<HostPattern>().is_err());
/// assert!("a.*.example.com".parse::<HostPattern>().is_err());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HostPattern {
    /// Exactly this host.
    Exact(DomainName),
    /// Any host with exactly one more label in front of this domain.
    Wildcard(DomainName),
}

impl HostPattern {
    /// Whether `host` is matched by this pattern.
    #[must_use]
    pub fn matches(&self, host: &DomainName) -> bool {
        match self {
            Self::Exact(d) => d == host,
            Self::Wildcard(base) => host
                .as_str()
                .strip_suffix(base.as_str())
                .and_then(|front| front.strip_suffix('.'))
                .is_some_and(|label| !label.is_empty() && !label.contains('.')),
        }
    }

    /// The domain of the pattern: the host itself, or what follows `*.`.
    #[must_use]
    pub fn domain(&self) -> &DomainName {
        match self {
            Self::Exact(d) | Self::Wildcard(d) => d,
        }
    }

    /// Whether this is a wildcard pattern.
    #[must_use]
    pub fn is_wildcard(&self) -> bool {
        matches!(self, Self::Wildcard(_))
    }

    fn parse(s: &str) -> Result<Self, InputError> {
        rules::no_control(WHAT, s)?;
        let rewrap = |e: InputError| InputError::new(WHAT, s, e.reason().to_owned());
        match s.strip_prefix("*.") {
            Some(base) if !base.contains('*') => {
                let base = DomainName::from_str(base).map_err(|e| {
                    let reason = format!("after \"*.\": {}", e.reason());
                    InputError::new(WHAT, s, reason)
                })?;
                Ok(Self::Wildcard(base))
            }
            _ if s.contains('*') => Err(InputError::new(
                WHAT,
                s,
                "a wildcard may only be the whole first label, as in *.example.com",
            )),
            _ => DomainName::from_str(s).map(Self::Exact).map_err(rewrap),
        }
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(d) => f.write_str(d.as_str()),
            Self::Wildcard(d) => write!(f, "*.{}", d.as_str()),
        }
    }
}

impl FromStr for HostPattern {
    type Err = InputError;
    fn from_str(s: &str) -> Result<Self, InputError> {
        Self::parse(s)
    }
}

impl TryFrom<String> for HostPattern {
    type Error = InputError;
    fn try_from(s: String) -> Result<Self, InputError> {
        Self::parse(&s)
    }
}

impl TryFrom<&str> for HostPattern {
    type Error = InputError;
    fn try_from(s: &str) -> Result<Self, InputError> {
        Self::parse(s)
    }
}

impl From<HostPattern> for String {
    fn from(p: HostPattern) -> Self {
        p.to_string()
    }
}

impl From<DomainName> for HostPattern {
    fn from(d: DomainName) -> Self {
        Self::Exact(d)
    }
}

impl serde::Serialize for HostPattern {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for HostPattern {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> DomainName {
        s.parse().unwrap()
    }

    #[test]
    fn exact_patterns_match_only_themselves() {
        let p = HostPattern::parse("App.Example.com").unwrap();
        assert_eq!(p, HostPattern::Exact(d("app.example.com")));
        assert!(p.matches(&d("app.example.com")));
        assert!(!p.matches(&d("x.app.example.com")));
        assert!(!p.is_wildcard());
    }

    #[test]
    fn wildcards_match_exactly_one_more_label() {
        let p = HostPattern::parse("*.example.com").unwrap();
        assert!(p.is_wildcard());
        assert_eq!(p.domain(), &d("example.com"));
        assert!(p.matches(&d("a.example.com")));
        assert!(p.matches(&d("xn--e1afmkfd.example.com")));
        assert!(!p.matches(&d("example.com")));
        assert!(!p.matches(&d("a.b.example.com")));
        assert!(!p.matches(&d("aexample.com")));
        assert!(!p.matches(&d("a.example.org")));
    }

    #[test]
    fn refuses_bad_wildcards() {
        for s in [
            "*",
            "*.",
            "*.com",
            "**.example.com",
            "a*.example.com",
            "a.*.example.com",
        ] {
            assert!(HostPattern::parse(s).is_err(), "{s}");
        }
        let e = HostPattern::parse("*.a;b.com").unwrap_err();
        assert_eq!(e.what(), "host pattern");
        assert!(e.reason().starts_with("after \"*.\": "), "{e}");
        assert!(HostPattern::parse("*.example.com\n").is_err());
    }

    #[test]
    fn text_and_serde_round_trip() {
        for s in ["*.example.com", "app.example.com"] {
            let p = HostPattern::parse(s).unwrap();
            assert_eq!(p.to_string(), s);
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<HostPattern>(&json).unwrap(), p);
        }
    }
}
