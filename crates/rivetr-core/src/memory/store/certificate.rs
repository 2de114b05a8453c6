//! Certificates and ACME accounts.

use async_trait::async_trait;
use chrono::Utc;

use super::MemoryStore;
use super::platform::{CertRow, check_line};
use crate::access::Scope;
use crate::error::{Error, Result};
use crate::model::{CertificateInfo, SecretString, StoredCertificate};
use crate::store::{CertificateRepo, contract};

const DOING: &str = "read or change certificates";

#[async_trait]
impl CertificateRepo for MemoryStore {
    async fn put_certificate(&self, scope: &Scope, cert: StoredCertificate) -> Result<()> {
        scope.require_system(DOING)?;
        check_line(
            "a certificate key",
            &cert.key,
            contract::MAX_CERTIFICATE_KEY,
        )?;
        check_line(
            "an ACME directory URL",
            &cert.directory_url,
            contract::MAX_CERTIFICATE_KEY,
        )?;
        let key = (cert.key.clone(), cert.directory_url.clone());
        let row = CertRow {
            cert,
            updated_at: Utc::now(),
        };
        self.state().platform.certificates.insert(key, row);
        Ok(())
    }

    async fn get_certificate(
        &self,
        scope: &Scope,
        key: &str,
        directory_url: &str,
    ) -> Result<Option<StoredCertificate>> {
        scope.require_system(DOING)?;
        let state = self.state();
        let id = (key.to_owned(), directory_url.to_owned());
        Ok(state
            .platform
            .certificates
            .get(&id)
            .map(|row| row.cert.clone()))
    }

    async fn list_certificates(&self, scope: &Scope) -> Result<Vec<CertificateInfo>> {
        scope.require_system(DOING)?;
        let state = self.state();
        Ok(state
            .platform
            .certificates
            .values()
            .map(|row| CertificateInfo {
                key: row.cert.key.clone(),
                directory_url: row.cert.directory_url.clone(),
                not_after: row.cert.not_after,
                updated_at: row.updated_at,
            })
            .collect())
    }

    async fn delete_certificate(
        &self,
        scope: &Scope,
        key: &str,
        directory_url: &str,
    ) -> Result<()> {
        scope.require_system(DOING)?;
        let id = (key.to_owned(), directory_url.to_owned());
        match self.state().platform.certificates.remove(&id) {
            Some(_) => Ok(()),
            None => Err(Error::not_found(format!(
                "certificate {key} from {directory_url}"
            ))),
        }
    }

    async fn put_acme_account(
        &self,
        scope: &Scope,
        contact: Vec<String>,
        directory_url: &str,
        key: SecretString,
    ) -> Result<()> {
        scope.require_system(DOING)?;
        check_line(
            "an ACME directory URL",
            directory_url,
            contract::MAX_CERTIFICATE_KEY,
        )?;
        let id = (contact, directory_url.to_owned());
        self.state().platform.acme_accounts.insert(id, key);
        Ok(())
    }

    async fn get_acme_account(
        &self,
        scope: &Scope,
        contact: &[String],
        directory_url: &str,
    ) -> Result<Option<SecretString>> {
        scope.require_system(DOING)?;
        let id = (contact.to_vec(), directory_url.to_owned());
        Ok(self.state().platform.acme_accounts.get(&id).cloned())
    }
}
