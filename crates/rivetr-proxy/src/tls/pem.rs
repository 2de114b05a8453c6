//! User-supplied certificates: a PEM certificate chain and its private key,
//! checked to belong together.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;
use rustls::{Error as RustlsError, InconsistentKeys};
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Why a certificate or the TLS config could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The certificate PEM has no `CERTIFICATE` section.
    #[error(
        "no certificate found in the certificate PEM (expected a \"BEGIN CERTIFICATE\" section)"
    )]
    NoCertificate,
    /// The key PEM has no private key rustls can read.
    #[error(
        "no private key found in the key PEM (expected PKCS#8, PKCS#1 RSA or SEC1 EC; encrypted keys are not supported)"
    )]
    NoKey,
    /// A PEM file is malformed.
    #[error("bad {what} PEM: {source}")]
    Pem {
        /// `"certificate"` or `"key"`.
        what: &'static str,
        /// The parse error.
        #[source]
        source: pem::Error,
    },
    /// The private key is of a kind rustls cannot sign with.
    #[error("unsupported private key: {0}")]
    UnsupportedKey(#[source] RustlsError),
    /// The first certificate cannot be parsed.
    #[error("bad certificate: {0}")]
    BadCertificate(#[source] RustlsError),
    /// The private key is not the key of the first certificate.
    #[error(
        "the private key does not match the certificate (the first certificate of the chain must be the one issued for this key)"
    )]
    KeyMismatch,
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// rustls refused the server config.
    #[error("TLS config: {0}")]
    Config(#[source] RustlsError),
}

/// The crypto provider every certificate and config of this crate uses.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Load a certificate chain (leaf first, then intermediates) and its
/// private key, both PEM, and check that the key is the leaf's.
///
/// Other PEM sections are ignored (a key in the chain file, a certificate
/// in the key file); the first private key of the key PEM is used.
///
/// # Errors
///
/// [`TlsError::NoCertificate`], [`TlsError::NoKey`], [`TlsError::Pem`]
/// for malformed PEM, [`TlsError::UnsupportedKey`],
/// [`TlsError::BadCertificate`] and [`TlsError::KeyMismatch`].
pub fn load_pem(cert_chain_pem: &[u8], key_pem: &[u8]) -> Result<Arc<CertifiedKey>, TlsError> {
    let chain = CertificateDer::pem_slice_iter(cert_chain_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::Pem {
            what: "certificate",
            source,
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate);
    }
    let key = match PrivateKeyDer::from_pem_slice(key_pem) {
        Ok(key) => key,
        Err(pem::Error::NoItemsFound) => return Err(TlsError::NoKey),
        Err(source) => {
            return Err(TlsError::Pem {
                what: "key",
                source,
            });
        }
    };
    let signing_key =
        (provider().key_provider.load_private_key(key)).map_err(TlsError::UnsupportedKey)?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        // `Unknown`: the key cannot tell its public key (not so with ring's
        // keys); rustls's own `CertifiedKey::from_der` accepts that too.
        Ok(()) | Err(RustlsError::InconsistentKeys(InconsistentKeys::Unknown)) => {
            Ok(Arc::new(certified))
        }
        Err(RustlsError::InconsistentKeys(InconsistentKeys::KeyMismatch)) => {
            Err(TlsError::KeyMismatch)
        }
        Err(error) => Err(TlsError::BadCertificate(error)),
    }
}

/// [`load_pem`] from two files: the certificate chain and the key.
/// Blocking: call it at startup or from `spawn_blocking`.
///
/// # Errors
///
/// [`TlsError::Read`] naming the file, or [`load_pem`]'s errors.
pub fn load_pem_files(
    cert_chain_path: &Path,
    key_path: &Path,
) -> Result<Arc<CertifiedKey>, TlsError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| TlsError::Read {
            path: path.to_owned(),
            source,
        })
    };
    load_pem(&read(cert_chain_path)?, &read(key_path)?)
}
