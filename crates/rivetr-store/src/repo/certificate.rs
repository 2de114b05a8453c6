//! `CertificateRepo` on SQL (in progress).

#![allow(unused_imports)]

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::Result;
use rivetr_core::model::{CertificateInfo, SecretString, StoredCertificate};
use rivetr_core::store::CertificateRepo;

use super::pending;
use crate::SqlStore;

#[async_trait]
impl CertificateRepo for SqlStore {
    async fn put_certificate(&self, _scope: &Scope, _cert: StoredCertificate) -> Result<()> {
        Err(pending())
    }

    async fn get_certificate(
        &self,
        _scope: &Scope,
        _key: &str,
        _directory_url: &str,
    ) -> Result<Option<StoredCertificate>> {
        Err(pending())
    }

    async fn list_certificates(&self, _scope: &Scope) -> Result<Vec<CertificateInfo>> {
        Err(pending())
    }

    async fn delete_certificate(
        &self,
        _scope: &Scope,
        _key: &str,
        _directory_url: &str,
    ) -> Result<()> {
        Err(pending())
    }

    async fn put_acme_account(
        &self,
        _scope: &Scope,
        _contact: Vec<String>,
        _directory_url: &str,
        _key: SecretString,
    ) -> Result<()> {
        Err(pending())
    }

    async fn get_acme_account(
        &self,
        _scope: &Scope,
        _contact: &[String],
        _directory_url: &str,
    ) -> Result<Option<SecretString>> {
        Err(pending())
    }
}
