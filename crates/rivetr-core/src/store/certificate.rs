//! Certificates and ACME accounts for the proxy.

use async_trait::async_trait;

use crate::access::Scope;
use crate::error::Result;
use crate::model::{CertificateInfo, SecretString, StoredCertificate};

/// What the proxy's ACME client caches: issued certificates (with their
/// private keys) and ACME account keys, so a restart neither re-issues nor
/// re-registers. Every method is for the platform only: member scopes get
/// `PermissionDenied`. Writes are upserts.
#[async_trait]
pub trait CertificateRepo {
    /// Store a certificate, replacing the one with the same `key` and
    /// `directory_url`.
    ///
    /// # Behavior
    /// - System scope only. An empty `key` or `directory_url`, or one with
    ///   control characters: `InvalidInput`.
    async fn put_certificate(&self, scope: &Scope, cert: StoredCertificate) -> Result<()>;

    /// The certificate for `key` from `directory_url`.
    ///
    /// # Behavior
    /// - System scope only. `Ok(None)` when there is none.
    async fn get_certificate(
        &self,
        scope: &Scope,
        key: &str,
        directory_url: &str,
    ) -> Result<Option<StoredCertificate>>;

    /// Every stored certificate without its PEM, ordered by key, then
    /// directory.
    ///
    /// # Behavior
    /// - System scope only.
    async fn list_certificates(&self, scope: &Scope) -> Result<Vec<CertificateInfo>>;

    /// Remove the certificate for `key` from `directory_url`.
    ///
    /// # Behavior
    /// - System scope only. Unknown: `NotFound`.
    async fn delete_certificate(&self, scope: &Scope, key: &str, directory_url: &str)
    -> Result<()>;

    /// Store the ACME account key for `contact` (compared as given, in
    /// order) at `directory_url`, replacing any previous one.
    ///
    /// # Behavior
    /// - System scope only. An empty `directory_url`, or one with control
    ///   characters: `InvalidInput`.
    async fn put_acme_account(
        &self,
        scope: &Scope,
        contact: Vec<String>,
        directory_url: &str,
        key: SecretString,
    ) -> Result<()>;

    /// The ACME account key for `contact` at `directory_url`.
    ///
    /// # Behavior
    /// - System scope only. `Ok(None)` when there is none.
    async fn get_acme_account(
        &self,
        scope: &Scope,
        contact: &[String],
        directory_url: &str,
    ) -> Result<Option<SecretString>>;
}
