//! Small value types of the config file, each parsed when the file is
//! loaded so a bad value is reported with its line.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use rivetr_core::input::DomainName;
use rivetr_proxy::acme::{ChallengeType, LETS_ENCRYPT_PRODUCTION, LETS_ENCRYPT_STAGING};
use rivetr_proxy::server::TrustedProxy;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::units::UnitError;

/// Serde through `FromStr` and `Display`.
macro_rules! serde_via_str {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// The host of a [`PublicUrl`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicHost {
    /// A domain name: the only kind ACME can issue a certificate for.
    Domain(DomainName),
    /// An IP address.
    Ip(IpAddr),
}

impl fmt::Display for PublicHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublicHost::Domain(d) => f.write_str(d.as_str()),
            PublicHost::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
            PublicHost::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// Where people reach this instance: `http(s)://HOST[:PORT]`, with no path.
///
/// ```
/// use rivetr_server::config::PublicUrl;
///
/// let url: PublicUrl = "https://paas.example.com/".parse()?;
/// assert!(url.is_https());
/// assert_eq!(url.domain().map(|d| d.as_str()), Some("paas.example.com"));
/// assert_eq!(url.to_string(), "https://paas.example.com");
/// # Ok::<(), rivetr_server::config::UnitError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl {
    https: bool,
    host: PublicHost,
    port: Option<u16>,
}

impl PublicUrl {
    /// Whether the scheme is `https`.
    #[must_use]
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The host.
    #[must_use]
    pub fn host(&self) -> &PublicHost {
        &self.host
    }

    /// The host when it is a domain name.
    #[must_use]
    pub fn domain(&self) -> Option<&DomainName> {
        match &self.host {
            PublicHost::Domain(d) => Some(d),
            PublicHost::Ip(_) => None,
        }
    }

    /// The explicit port, if any.
    #[must_use]
    pub fn port(&self) -> Option<u16> {
        self.port
    }
}

impl FromStr for PublicUrl {
    type Err = UnitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| {
            UnitError(format!(
                "bad public URL {s:?}: {why} (write e.g. \"https://paas.example.com\")"
            ))
        };
        let (https, rest) = if let Some(rest) = s.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = s.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(bad("the scheme must be https:// or http://"));
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#', '@']) {
            return Err(bad("only a scheme, a host and a port are allowed"));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (ip, after) = v6.split_once(']').ok_or_else(|| bad("unclosed ["))?;
            let ip: IpAddr = ip.parse().map_err(|_| bad("bad IPv6 address"))?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or_else(|| bad("bad port"))?),
            };
            (PublicHost::Ip(ip), port)
        } else {
            let (host, port) = match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            };
            let host = match host.parse::<IpAddr>() {
                Ok(ip) => PublicHost::Ip(ip),
                Err(_) => PublicHost::Domain(
                    host.parse()
                        .map_err(|e| bad(&format!("the host is not a domain name ({e})")))?,
                ),
            };
            (host, port)
        };
        let port = port
            .map(|p| p.parse::<u16>().ok().filter(|&p| p != 0))
            .map(|p| p.ok_or_else(|| bad("bad port")))
            .transpose()?;
        Ok(Self { https, host, port })
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}", self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        Ok(())
    }
}

serde_via_str!(PublicUrl);

/// A trusted proxy as written in the file (`"10.0.0.7"`, `"10.0.0.0/8"`),
/// parsed into the proxy's [`TrustedProxy`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedNet {
    text: String,
    net: TrustedProxy,
}

impl TrustedNet {
    /// The parsed network.
    #[must_use]
    pub fn net(&self) -> TrustedProxy {
        self.net
    }
}

impl FromStr for TrustedNet {
    type Err = UnitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let net = s.parse().map_err(|_| {
            UnitError(format!(
                "bad trusted proxy {s:?}: write an address (\"10.0.0.7\") or a network (\"10.0.0.0/8\", \"fd00::/8\")"
            ))
        })?;
        Ok(Self {
            text: s.to_owned(),
            net,
        })
    }
}

impl fmt::Display for TrustedNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

serde_via_str!(TrustedNet);

/// An inclusive range of host ports, `"20000-20999"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange {
    /// The first port.
    pub start: u16,
    /// The last port (inclusive).
    pub end: u16,
}

impl PortRange {
    /// Whether `port` is in the range.
    #[must_use]
    pub fn contains(&self, port: u16) -> bool {
        (self.start..=self.end).contains(&port)
    }
}

impl FromStr for PortRange {
    type Err = UnitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            UnitError(format!(
                "bad port range {s:?}: write FIRST-LAST with 1 <= FIRST <= LAST <= 65535, e.g. \"20000-20999\""
            ))
        };
        let (start, end) = s.split_once('-').ok_or_else(bad)?;
        let start: u16 = start.trim().parse().map_err(|_| bad())?;
        let end: u16 = end.trim().parse().map_err(|_| bad())?;
        if start == 0 || start > end {
            return Err(bad());
        }
        Ok(Self { start, end })
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

serde_via_str!(PortRange);

/// Which ACME directory: `"staging"`, `"production"` (Let's Encrypt's) or
/// the `https://` URL of another CA's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AcmeDirectory {
    /// Let's Encrypt's staging directory (untrusted certificates).
    #[default]
    Staging,
    /// Let's Encrypt's production directory (strict rate limits).
    Production,
    /// Another CA's directory URL.
    Url(String),
}

impl AcmeDirectory {
    /// The directory URL.
    #[must_use]
    pub fn url(&self) -> &str {
        match self {
            AcmeDirectory::Staging => LETS_ENCRYPT_STAGING,
            AcmeDirectory::Production => LETS_ENCRYPT_PRODUCTION,
            AcmeDirectory::Url(url) => url,
        }
    }
}

impl FromStr for AcmeDirectory {
    type Err = UnitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "staging" => Ok(Self::Staging),
            "production" => Ok(Self::Production),
            url if url.starts_with("https://") => Ok(Self::Url(url.to_owned())),
            _ => Err(UnitError(format!(
                "bad ACME directory {s:?}: write \"staging\", \"production\" or an https:// directory URL"
            ))),
        }
    }
}

impl fmt::Display for AcmeDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcmeDirectory::Staging => f.write_str("staging"),
            AcmeDirectory::Production => f.write_str("production"),
            AcmeDirectory::Url(url) => f.write_str(url),
        }
    }
}

serde_via_str!(AcmeDirectory);

/// The ACME challenge, as written in the file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Challenge {
    /// TLS-ALPN-01 on the HTTPS port (443).
    #[default]
    #[serde(rename = "tls-alpn-01")]
    TlsAlpn01,
    /// HTTP-01 on the HTTP port (80).
    #[serde(rename = "http-01")]
    Http01,
}

impl From<Challenge> for ChallengeType {
    fn from(c: Challenge) -> Self {
        match c {
            Challenge::TlsAlpn01 => ChallengeType::TlsAlpn01,
            Challenge::Http01 => ChallengeType::Http01,
        }
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// A secret string: shown as `***` by `Debug`. Serialized as its value (so
/// a written config keeps it); never log a serialized config.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wrap a value.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    #[test]
    fn public_urls() {
        let url: PublicUrl = "http://203.0.113.5:8080".parse().unwrap();
        assert!(!url.is_https());
        assert_eq!(url.domain(), None);
        assert_eq!(url.port(), Some(8080));
        let v6: PublicUrl = "https://[2001:db8::1]".parse().unwrap();
        assert_eq!(v6.to_string(), "https://[2001:db8::1]");
        for bad in [
            "paas.example.com",
            "ftp://paas.example.com",
            "https://paas.example.com/api",
            "https://user@paas.example.com",
            "https://paas.example.com:0",
            "https://paas.example.com:http",
            "https://-bad-.example.com",
        ] {
            assert!(bad.parse::<PublicUrl>().is_err(), "{bad}");
        }
    }

    #[test]
    fn port_ranges_and_directories() {
        let range: PortRange = "20000-20999".parse().unwrap();
        assert!(range.contains(20000) && range.contains(20999) && !range.contains(21000));
        assert!("2-1".parse::<PortRange>().is_err());
        assert!("0-10".parse::<PortRange>().is_err());
        assert_eq!(
            "staging".parse::<AcmeDirectory>().unwrap().url(),
            LETS_ENCRYPT_STAGING
        );
        assert!("http://acme.local/dir".parse::<AcmeDirectory>().is_err());
        assert!(format!("{:?}", Secret::new("hunter2")).contains("***"));
    }
}
