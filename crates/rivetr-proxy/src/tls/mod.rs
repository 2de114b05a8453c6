//! TLS for the proxy: rustls (on ring) with a certificate per host.
//!
//! - [`CertResolver`]: picks each handshake's certificate by SNI (exact
//!   host, then a one-label wildcard, then an optional default) from
//!   entries swapped at runtime without a restart; an entry is a
//!   [`CertSource`]: one certificate, or another resolver such as
//!   rustls-acme's, which also answers TLS-ALPN-01 challenges;
//! - [`load_pem`] / [`load_pem_files`]: user-supplied certificates, the key
//!   checked against the certificate;
//! - [`server_config`]: the rustls server config over a resolver, offering
//!   HTTP/2 and HTTP/1.1 by ALPN (and `acme-tls/1` for validations), to
//!   give to [`Proxy::serve_https`](crate::server::Proxy::serve_https).
//!
//! # Example
//!
//! ```
//! use rivetr_proxy::tls::{self, CertResolver, CertSource};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let issued = rcgen::generate_simple_self_signed(vec!["app.example.com".to_owned()])?;
//! # let (cert_pem, key_pem) = (issued.cert.pem(), issued.signing_key.serialize_pem());
//! // A user-supplied certificate and key, as PEM:
//! let key = tls::load_pem(cert_pem.as_bytes(), key_pem.as_bytes())?;
//!
//! let resolver = CertResolver::new();
//! resolver.set("app.example.com".parse()?, CertSource::Static(key));
//! assert_eq!(resolver.hosts(), vec!["app.example.com".parse()?]);
//!
//! // Serve it; the resolver can still be changed, the next handshake sees it.
//! let config = tls::server_config(resolver.clone())?;
//! assert_eq!(config.alpn_protocols[0], b"h2");
//!
//! // A key that is not the certificate's is refused.
//! let other = rcgen::KeyPair::generate()?.serialize_pem();
//! let refused = tls::load_pem(cert_pem.as_bytes(), other.as_bytes());
//! assert!(matches!(refused, Err(tls::TlsError::KeyMismatch)));
//! # Ok(())
//! # }
//! ```

mod pem;
mod resolver;

use std::sync::Arc;

use rustls::ServerConfig;
use rustls::server::ServerSessionMemoryCache;

pub use self::pem::{TlsError, load_pem, load_pem_files};
pub use self::resolver::{CertResolver, CertSource};

/// The ALPN name of HTTP/2.
pub const ALPN_H2: &[u8] = b"h2";
/// The ALPN name of HTTP/1.1.
pub const ALPN_HTTP11: &[u8] = b"http/1.1";
/// The ALPN name of ACME TLS-ALPN-01 validations (RFC 8737): a connection
/// that negotiates it is closed right after the handshake.
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// TLS sessions kept for resumption.
const SESSION_CACHE: usize = 4096;

/// The rustls server config for the proxy: certificates from `resolver`
/// (keep a clone to change them while serving), TLS 1.3 and 1.2 with
/// rustls's safe defaults, no client certificates, and ALPN `h2`,
/// `http/1.1` then `acme-tls/1` (the server's order wins: a client offering
/// `h2` gets it).
///
/// # Errors
///
/// [`TlsError::Config`] if rustls refuses the protocol versions (not
/// expected with its ring provider).
pub fn server_config(resolver: CertResolver) -> Result<Arc<ServerConfig>, TlsError> {
    let mut config = ServerConfig::builder_with_provider(pem::provider())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    config.alpn_protocols = vec![
        ALPN_H2.to_vec(),
        ALPN_HTTP11.to_vec(),
        ACME_TLS_ALPN.to_vec(),
    ];
    config.session_storage = ServerSessionMemoryCache::new(SESSION_CACHE);
    Ok(Arc::new(config))
}
