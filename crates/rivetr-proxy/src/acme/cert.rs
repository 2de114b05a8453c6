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
    /// the lifetime is left, whichever comes first, but never in the first
    /// half of the lifetime (a margin longer than the certificate would
    /// otherwise order again right after every issuance).
    pub(crate) fn renew_at(&self, renew_before: Duration) -> SystemTime {
        let lifetime = self
            .not_after
            .duration_since(self.not_before)
            .unwrap_or_default();
        let margin = renew_before.max(lifetime / 3).min(lifetime / 2);
        self.not_after.checked_sub(margin).unwrap_or(UNIX_EPOCH)
    }
}

/// When the certificate in `pem` expires: `pem` as an [`AcmeCache`]
/// stores it (private key and chain, leaf first), so a cache can keep the
/// expiry beside it.
///
/// [`AcmeCache`]: super::AcmeCache
///
/// # Errors
///
/// [`CertError`] when `pem` holds no usable key and chain.
pub fn certificate_not_after(pem: &[u8]) -> Result<SystemTime, CertError> {
    Issued::from_pem(pem).map(|issued| issued.not_after)
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

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(24 * 60 * 60);

    fn renew_before_expiry(lifetime_days: u32, renew_before_days: u32) -> Duration {
        let not_before = UNIX_EPOCH + DAY * 1000;
        let issued = Issued {
            key: test_key(),
            not_before,
            not_after: not_before + DAY * lifetime_days,
        };
        let at = issued.renew_at(DAY * renew_before_days);
        issued.not_after.duration_since(at).unwrap_or_default()
    }

    fn test_key() -> Arc<CertifiedKey> {
        #[derive(Debug)]
        struct NoKey;
        impl rustls::sign::SigningKey for NoKey {
            fn choose_scheme(
                &self,
                _: &[rustls::SignatureScheme],
            ) -> Option<Box<dyn rustls::sign::Signer>> {
                None
            }
            fn algorithm(&self) -> rustls::SignatureAlgorithm {
                rustls::SignatureAlgorithm::ECDSA
            }
        }
        Arc::new(CertifiedKey::new(Vec::new(), Arc::new(NoKey)))
    }

    #[test]
    fn renewal_margin() {
        // Let's Encrypt's 90-day certificates: 30 days ahead either way.
        assert_eq!(renew_before_expiry(90, 30), 30 * DAY);
        assert_eq!(renew_before_expiry(90, 45), 45 * DAY);
        // 6-day certificates: a third of the lifetime is 2 days, a 30-day
        // margin is cut to half the lifetime.
        assert_eq!(renew_before_expiry(6, 1), 2 * DAY);
        assert_eq!(renew_before_expiry(6, 30), 3 * DAY);
    }
}
