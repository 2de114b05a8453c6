//! [`ProxyConfig`]: the server's listen address, limits and timeouts, and
//! the proxies whose `X-Forwarded-*` headers are trusted.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

/// hyper's smallest HTTP/1 read buffer: `max_header_bytes` cannot be lower.
const MIN_HEADER_BYTES: usize = 8192;

/// The proxy server's settings. [`Default`] gives safe values; check a
/// changed config with [`validate`](Self::validate) (the server does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyConfig {
    /// Where to listen (default `0.0.0.0:80`).
    pub listen: SocketAddr,
    /// How long a client may take to send a request's headers, counted from
    /// when the connection starts waiting for them (so it also closes idle
    /// keep-alive connections). Default 10 s.
    pub header_read_timeout: Duration,
    /// Most headers in a request (default 100); more gets 431.
    pub max_headers: usize,
    /// Most bytes of request line and headers (default 16 KiB, at least
    /// 8 KiB); more gets 431.
    pub max_header_bytes: usize,
    /// Most bytes of a request body (default 10 MiB); more gets 413.
    pub max_body_bytes: u64,
    /// How long an idle pooled upstream connection is kept (default 90 s).
    pub idle_timeout: Duration,
    /// How long an upstream may take to accept a connection and send its
    /// response headers (default 60 s); longer gets 504.
    pub upstream_timeout: Duration,
    /// Clients whose `X-Forwarded-*` and `Forwarded` headers are kept
    /// (default none: they are replaced).
    pub trusted_proxies: Vec<TrustedProxy>,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 80),
            header_read_timeout: Duration::from_secs(10),
            max_headers: 100,
            max_header_bytes: 16 * 1024,
            max_body_bytes: 10 * 1024 * 1024,
            idle_timeout: Duration::from_secs(90),
            upstream_timeout: Duration::from_secs(60),
            trusted_proxies: Vec::new(),
        }
    }
}

impl ProxyConfig {
    /// Check the values: timeouts above zero, `max_headers` at least 1,
    /// `max_header_bytes` at least 8 KiB (hyper's minimum).
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the first bad field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let zero = Duration::ZERO;
        if self.header_read_timeout == zero {
            return Err(ConfigError("header_read_timeout must be above zero".into()));
        }
        if self.idle_timeout == zero {
            return Err(ConfigError("idle_timeout must be above zero".into()));
        }
        if self.upstream_timeout == zero {
            return Err(ConfigError("upstream_timeout must be above zero".into()));
        }
        if self.max_headers == 0 {
            return Err(ConfigError("max_headers must be at least 1".into()));
        }
        if self.max_header_bytes < MIN_HEADER_BYTES {
            return Err(ConfigError(format!(
                "max_header_bytes must be at least {MIN_HEADER_BYTES}"
            )));
        }
        Ok(())
    }

    /// Whether `ip` is one of the trusted proxies.
    #[must_use]
    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|p| p.contains(ip))
    }
}

/// A bad [`ProxyConfig`] or [`TrustedProxy`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid proxy config: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

/// A trusted proxy: one address (`10.0.0.7`) or a network (`10.0.0.0/8`,
/// `fd00::/8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrustedProxy {
    addr: IpAddr,
    prefix: u8,
}

impl TrustedProxy {
    /// The network `addr/prefix`.
    ///
    /// # Errors
    ///
    /// When `prefix` is longer than the address (32 or 128 bits).
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Self, ConfigError> {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(ConfigError(format!("prefix /{prefix} too long for {addr}")));
        }
        Ok(Self { addr, prefix })
    }

    /// Exactly one address.
    #[must_use]
    pub fn host(addr: IpAddr) -> Self {
        let prefix = if addr.is_ipv4() { 32 } else { 128 };
        Self { addr, prefix }
    }

    /// Whether `ip` is in this network (an IPv4-mapped IPv6 address counts
    /// as its IPv4 address).
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

/// Whether the first `prefix` bits of `a` and `b` are equal.
fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let mut bits = usize::from(prefix);
    for (x, y) in a.iter().zip(b) {
        if bits == 0 {
            return true;
        }
        let take = bits.min(8);
        let mask = u8::MAX << (8 - take);
        if (x ^ y) & mask != 0 {
            return false;
        }
        bits -= take;
    }
    true
}

impl FromStr for TrustedProxy {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ConfigError(format!("bad trusted proxy {s:?}"));
        match s.split_once('/') {
            None => Ok(Self::host(s.parse().map_err(|_| bad())?)),
            Some((addr, prefix)) => Self::new(
                addr.parse().map_err(|_| bad())?,
                prefix.parse().map_err(|_| bad())?,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    #[test]
    fn networks_match_by_prefix() {
        let net: TrustedProxy = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(net.contains("::ffff:10.1.0.9".parse().unwrap()));
        let one: TrustedProxy = "::1".parse().unwrap();
        assert!(one.contains("::1".parse().unwrap()));
        assert!(!one.contains("127.0.0.1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<TrustedProxy>().is_err());
        assert!("nope".parse::<TrustedProxy>().is_err());
    }

    #[test]
    fn defaults_are_valid() {
        assert!(ProxyConfig::default().validate().is_ok());
        let small = ProxyConfig {
            max_header_bytes: 100,
            ..ProxyConfig::default()
        };
        assert!(small.validate().is_err());
    }
}
