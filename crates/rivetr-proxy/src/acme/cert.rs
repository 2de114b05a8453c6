//! One domain's certificate: [`Issued`], parsed from the PEM rustls-acme
//! produces, and [`DomainResolver`], what the [`CertResolver`] serves for
//! the domain (the certificate, and TLS-ALPN-01 challenge answers while an
//! order runs).
//!
//! [`CertResolver`]: crate::tls::CertResolver

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwapOption;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_acme::ResolvesServerCertAcme;
use rustls_pki_types::CertificateDer;

use crate::tls::{self, TlsError};

/// Why an issued or cached certificate PEM is unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// The PEM has no matching key and chain.
    #[error("certificate PEM: {0}")]
    Pem(#[from] TlsError),
    /// The leaf cannot be parsed as X.509.
    #[error("certificate is not valid X.509: {0}")]
    X509(String),
}

/// A certificate issued for one domain, with its validity.
#[derive(Clone, Debug)]
pub(crate) struct Issued {
    pub(crate) key: Arc<CertifiedKey>,
    pub(crate) not_before: SystemTime,
    pub(crate) not_after: SystemTime,
}

impl Issued {
    /// Parse `pem`: the private key, then the chain (leaf first).
    pub(crate) fn from_pem(pem: &[u8]) -> Result<Self, CertError> {
        let key = tls::load_pem(pem, pem)?;
        let leaf = key
            .cert
            .first()
            .ok_or_else(|| CertError::X509("empty chain".to_owned()))?;
        let (not_before, not_after) = validity(leaf)?;
        Ok(Self {
            key,
            not_before,
            not_after,
        })
    }

    /// When to renew: `renew_before` ahead of expiry, or when a third of
    /// the lifetime is left, whichever comes first.
    pub(crate) fn renew_at(&self, renew_before: Duration) -> SystemTime {
        let lifetime = self
            .not_after
            .duration_since(self.not_before)
            .unwrap_or_default();
        let margin = renew_before.max(lifetime / 3);
        self.not_after.checked_sub(margin).unwrap_or(UNIX_EPOCH)
    }
}

fn validity(leaf: &CertificateDer<'_>) -> Result<(SystemTime, SystemTime), CertError> {
    let (_, cert) =
        x509_parser::parse_x509_certificate(leaf).map_err(|e| CertError::X509(e.to_string()))?;
    let time = |t: &x509_parser::time::ASN1Time| {
        let secs = u64::try_from(t.timestamp()).unwrap_or(0);
        UNIX_EPOCH + Duration::from_secs(secs)
    };
    let validity = cert.validity();
    Ok((time(&validity.not_before), time(&validity.not_after)))
}

/// What the proxy's [`CertResolver`](crate::tls::CertResolver) serves for
/// one domain: the current certificate, except for TLS-ALPN-01
/// validations, which go to the running order's resolver.
#[derive(Debug, Default)]
pub(crate) struct DomainResolver {
    cert: ArcSwapOption<CertifiedKey>,
    order: Mutex<Option<Arc<ResolvesServerCertAcme>>>,
}

impl DomainResolver {
    pub(crate) fn set_cert(&self, key: Arc<CertifiedKey>) {
        self.cert.store(Some(key));
    }

    /// The running order's resolver (challenge answers), or `None`.
    pub(crate) fn set_order(&self, order: Option<Arc<ResolvesServerCertAcme>>) {
        *self.order.lock().unwrap_or_else(PoisonError::into_inner) = order;
    }

    /// The HTTP-01 key authorization for `token`, while an order waits.
    pub(crate) fn http01(&self, token: &str) -> Option<String> {
        let order = self.order.lock().unwrap_or_else(PoisonError::into_inner);
        order.as_ref().and_then(|o| o.get_http_01_key_auth(token))
    }
}

impl ResolvesServerCert for DomainResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        if rustls_acme::is_tls_alpn_challenge(&hello) {
            let order = self
                .order
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            // rustls-acme's resolver answers only a challenge for its domain.
            return order.and_then(|o| o.resolve(hello));
        }
        self.cert.load_full()
    }
}
