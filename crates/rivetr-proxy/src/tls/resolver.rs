//! [`CertResolver`]: the certificate for each TLS handshake, picked by SNI
//! from per-host entries that can be swapped while the server runs.

use crate::host_map::HostMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;
use rivetr_core::input::HostPattern;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::ACME_TLS_ALPN;

/// Where the certificate of one host (or of the default) comes from.
#[derive(Clone)]
pub enum CertSource {
    /// One certificate and key, served as is (user-supplied, or issued and
    /// loaded by the caller).
    Static(Arc<CertifiedKey>),
    /// Another resolver, handed the whole `ClientHello`: rustls-acme's
    /// per-domain resolver answers `acme-tls/1` (TLS-ALPN-01) challenges
    /// and serves the certificate it issued through it.
    Dynamic(Arc<dyn ResolvesServerCert>),
}

impl fmt::Debug for CertSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Static(key) => {
                let chain = key.cert.len();
                f.debug_struct("Static").field("chain_len", &chain).finish()
            }
            Self::Dynamic(resolver) => f.debug_tuple("Dynamic").field(resolver).finish(),
        }
    }
}

impl CertSource {
    /// The certificate for `hello`. A TLS-ALPN-01 challenge (`acme-tls/1`
    /// as the only protocol offered) is only answered by a dynamic source:
    /// a static certificate is never the answer to one.
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        match self {
            Self::Static(key) => (!is_acme_challenge(&hello)).then(|| Arc::clone(key)),
            Self::Dynamic(resolver) => resolver.resolve(hello),
        }
    }
}

/// Whether the client offered `acme-tls/1` and nothing else, as an ACME
/// server validating a TLS-ALPN-01 challenge does (RFC 8737).
fn is_acme_challenge(hello: &ClientHello<'_>) -> bool {
    hello.alpn().is_some_and(|mut offered| {
        offered.next() == Some(ACME_TLS_ALPN) && offered.next().is_none()
    })
}

/// One host's pattern (as set) and certificate source.
type Entry = (HostPattern, CertSource);

/// The immutable view handshakes read. Keys are ASCII, lowercase.
#[derive(Clone, Debug, Default)]
struct Certs {
    /// Exact and wildcard hosts.
    hosts: HostMap<Entry>,
    /// For clients without SNI, or with a host no entry matches.
    default: Option<CertSource>,
}

impl Certs {
    /// The entry for `host` (lowercase, no trailing dot): the exact host
    /// first, then the wildcard one label up.
    fn lookup(&self, host: &str) -> Option<&CertSource> {
        self.hosts.get(host).map(|(_, hit)| hit)
    }
}

/// Picks each handshake's certificate by SNI: the exact host, then a
/// one-label wildcard (`*.example.com` serves `a.example.com`, neither
/// `example.com` nor `a.b.example.com`), then the default certificate if
/// one is set; otherwise the handshake is refused.
///
/// Cheap to clone (clones share the entries). Handshakes never lock: they
/// read an immutable snapshot that [`set`](Self::set),
/// [`remove`](Self::remove) and [`set_default`](Self::set_default) rebuild
/// and swap, so a change is seen by the next handshake without a restart.
/// Writes are serialized and copy the entries: fine for certificate
/// changes, which are rare.
///
/// # Behavior
/// - SNI is matched case-insensitively; a trailing dot is ignored.
/// - A client that offers only `acme-tls/1` (an ACME TLS-ALPN-01
///   validation) gets an answer only from a [`CertSource::Dynamic`] entry;
///   the server closes such a connection right after the handshake.
/// - Setting a host again replaces its entry.
#[derive(Clone, Default)]
pub struct CertResolver {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    certs: ArcSwap<Certs>,
    writer: Mutex<()>,
}

impl fmt::Debug for CertResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let certs = self.inner.certs.load();
        f.debug_struct("CertResolver")
            .field("hosts", &certs.hosts.len())
            .field("default", &certs.default.is_some())
            .finish()
    }
}

impl CertResolver {
    /// A resolver with no certificates and no default: every handshake is
    /// refused until certificates are [`set`](Self::set).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Serve `host` (an exact host or a wildcard) from `source`, replacing
    /// its previous entry.
    pub fn set(&self, host: HostPattern, source: CertSource) {
        self.write(|certs| {
            certs.hosts.insert(&host.clone(), (host, source));
        });
    }

    /// Stop serving `host`; nothing happens if it had no entry. Clients
    /// asking for it get the default certificate, if any.
    pub fn remove(&self, host: &HostPattern) {
        self.write(|certs| {
            certs.hosts.remove(host);
        });
    }

    /// Every host with an entry, sorted.
    #[must_use]
    pub fn hosts(&self) -> Vec<HostPattern> {
        let certs = self.inner.certs.load();
        let entries = certs.hosts.values();
        let mut hosts: Vec<HostPattern> = entries.map(|(host, _)| host.clone()).collect();
        hosts.sort();
        hosts
    }

    /// Serve `source` to clients without SNI and to hosts without an
    /// entry (by default there is none, and such handshakes are refused).
    pub fn set_default(&self, source: CertSource) {
        self.write(|certs| certs.default = Some(source));
    }

    /// Remove the default certificate: clients without SNI or asking for
    /// an unknown host are refused again.
    pub fn clear_default(&self) {
        self.write(|certs| certs.default = None);
    }

    /// Copy the entries, change them and swap the copy in.
    fn write(&self, change: impl FnOnce(&mut Certs)) {
        let _writer = (self.inner.writer.lock()).unwrap_or_else(PoisonError::into_inner);
        let mut certs = Certs::clone(&self.inner.certs.load_full());
        change(&mut certs);
        self.inner.certs.store(Arc::new(certs));
    }
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let certs = self.inner.certs.load();
        let source = match hello.server_name() {
            Some(name) => {
                let name = name.strip_suffix('.').unwrap_or(name);
                if name.bytes().any(|b| b.is_ascii_uppercase()) {
                    certs.lookup(&name.to_ascii_lowercase())
                } else {
                    certs.lookup(name)
                }
            }
            None => None,
        };
        let Some(source) = source.or(certs.default.as_ref()) else {
            tracing::debug!(sni = ?hello.server_name(), "no certificate for this host: handshake refused");
            return None;
        };
        source.resolve(hello)
    }
}
