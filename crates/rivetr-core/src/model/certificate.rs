//! TLS certificates and ACME accounts, as the proxy's ACME cache keeps them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::SecretString;

/// A certificate with its private key, for one set of domains from one ACME
/// directory. No `Serialize` impl: the PEM holds a private key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCertificate {
    /// Which domains it covers, as the cache names them (for example the
    /// sorted domain list joined by `,`). With `directory_url`, the key.
    pub key: String,
    /// The ACME directory that issued it.
    pub directory_url: String,
    /// The certificate chain and private key, PEM-encoded.
    pub pem: SecretString,
    /// When the certificate expires.
    pub not_after: DateTime<Utc>,
}

/// What may be listed about a [`StoredCertificate`]: everything but the PEM.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateInfo {
    /// Which domains it covers.
    pub key: String,
    /// The ACME directory that issued it.
    pub directory_url: String,
    /// When the certificate expires.
    pub not_after: DateTime<Utc>,
    /// When it was last stored.
    pub updated_at: DateTime<Utc>,
}
