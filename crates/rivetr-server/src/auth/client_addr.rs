//! Which address a request comes from: the peer's, unless the peer is a
//! configured trusted proxy, in which case `X-Forwarded-For` is read from
//! the right, skipping trusted hops (architecture rule 7).
//!
//! Networks are the proxy crate's [`TrustedProxy`] (the same type the
//! configuration's `trusted_proxies` parse into).

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

pub use rivetr_proxy::server::TrustedProxy;

/// The proxies whose `X-Forwarded-For` is believed; empty by default
/// (trust nobody).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<TrustedProxy>);

/// A list entry that is neither an address nor a network.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "bad trusted proxy {0:?}: write an address (\"10.0.0.7\") or a network (\"10.0.0.0/8\", \"fd00::/8\")"
)]
pub struct BadTrustedProxy(pub String);

impl TrustedProxies {
    /// These networks.
    #[must_use]
    pub fn new(networks: Vec<TrustedProxy>) -> Self {
        Self(networks)
    }

    /// A comma-separated list (`"10.0.0.0/8, 127.0.0.1"`); empty entries
    /// are skipped, so `""` trusts nobody.
    ///
    /// # Errors
    ///
    /// [`BadTrustedProxy`] naming the first entry that does not parse.
    pub fn parse(list: &str) -> Result<Self, BadTrustedProxy> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().map_err(|_| BadTrustedProxy(s.to_owned())))
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Whether `ip` is in one of the networks.
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    /// The networks.
    #[must_use]
    pub fn networks(&self) -> &[TrustedProxy] {
        &self.0
    }
}

impl FromStr for TrustedProxies {
    type Err = BadTrustedProxy;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The client's address for a request from `peer` carrying
/// `x_forwarded_for` (all `X-Forwarded-For` header values joined with `,`,
/// in order).
///
/// - From a peer that is not trusted, the header is ignored: the peer is
///   the client (a client cannot choose its own address).
/// - From a trusted peer, entries are read from the right; trusted hops are
///   skipped and the first untrusted address is the client. If every entry
///   is trusted, the leftmost is the client.
/// - An entry that is not an IP address (`unknown`, garbage) ends the walk:
///   the last trusted hop is the answer, since nothing to its left can be
///   believed.
///
/// IPv4-mapped IPv6 addresses are answered as IPv4.
#[must_use]
pub fn client_addr(
    peer: SocketAddr,
    x_forwarded_for: Option<&str>,
    trusted: &TrustedProxies,
) -> IpAddr {
    let mut client = peer.ip().to_canonical();
    if !trusted.contains(client) {
        return client;
    }
    let Some(header) = x_forwarded_for else {
        return client;
    };
    for entry in header.rsplit(',').map(str::trim).filter(|e| !e.is_empty()) {
        let Some(hop) = parse_hop(entry) else {
            return client;
        };
        client = hop.to_canonical();
        if !trusted.contains(client) {
            return client;
        }
    }
    client
}

/// An `X-Forwarded-For` entry: an address, possibly with a port
/// (`192.0.2.1:4711`, `[2001:db8::1]:4711`).
fn parse_hop(entry: &str) -> Option<IpAddr> {
    entry
        .parse()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    fn peer(s: &str) -> SocketAddr {
        SocketAddr::new(s.parse().unwrap(), 40_000)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn trusted() -> TrustedProxies {
        TrustedProxies::parse("10.0.0.0/8, 127.0.0.1,fd00::/8").unwrap()
    }

    #[test]
    fn parse_lists() {
        let t = trusted();
        assert_eq!(t.networks().len(), 3);
        assert!(t.contains(ip("10.9.8.7")));
        assert!(t.contains(ip("::ffff:127.0.0.1")));
        assert!(!t.contains(ip("127.0.0.2")));
        assert!(TrustedProxies::parse("").unwrap().networks().is_empty());
        assert_eq!(
            "10.0.0.0/8,nope".parse::<TrustedProxies>(),
            Err(BadTrustedProxy("nope".into()))
        );
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
    }

    #[test]
    fn untrusted_peers_cannot_spoof_their_address() {
        let got = client_addr(peer("203.0.113.9"), Some("198.51.100.1"), &trusted());
        assert_eq!(got, ip("203.0.113.9"));
        // Trusting nobody (the default) ignores the header from anyone.
        let got = client_addr(
            peer("10.0.0.1"),
            Some("198.51.100.1"),
            &TrustedProxies::default(),
        );
        assert_eq!(got, ip("10.0.0.1"));
    }

    #[test]
    fn trusted_peers_are_walked_from_the_right() {
        let t = trusted();
        assert_eq!(
            client_addr(peer("10.0.0.1"), Some("198.51.100.1"), &t),
            ip("198.51.100.1")
        );
        // The client prepended a fake entry; the proxies appended the real one.
        assert_eq!(
            client_addr(
                peer("10.0.0.1"),
                Some("1.2.3.4, 198.51.100.1, 10.0.0.2"),
                &t
            ),
            ip("198.51.100.1")
        );
        // Everything trusted: the leftmost.
        assert_eq!(
            client_addr(peer("127.0.0.1"), Some("10.1.1.1,10.0.0.2"), &t),
            ip("10.1.1.1")
        );
        // No header, or an empty one: the peer.
        assert_eq!(client_addr(peer("10.0.0.1"), None, &t), ip("10.0.0.1"));
        assert_eq!(
            client_addr(peer("10.0.0.1"), Some(" , "), &t),
            ip("10.0.0.1")
        );
        // Ports and IPv6.
        assert_eq!(
            client_addr(peer("fd00::1"), Some("[2001:db8::7]:4711"), &t),
            ip("2001:db8::7")
        );
        assert_eq!(
            client_addr(peer("::ffff:10.0.0.1"), Some("192.0.2.5:80"), &t),
            ip("192.0.2.5")
        );
    }

    #[test]
    fn garbage_stops_at_the_last_trusted_hop() {
        let t = trusted();
        assert_eq!(
            client_addr(
                peer("10.0.0.1"),
                Some("198.51.100.1, unknown, 10.0.0.3"),
                &t
            ),
            ip("10.0.0.3")
        );
        assert_eq!(
            client_addr(peer("10.0.0.1"), Some("<script>"), &t),
            ip("10.0.0.1")
        );
    }
}
