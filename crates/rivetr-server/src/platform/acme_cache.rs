//! The proxy's ACME cache kept in the store: accounts and certificates
//! sealed at rest, survive a move to another machine with the database, and
//! show up in `CertificateRepo::list_certificates` with their expiry.

use std::sync::Arc;

use async_trait::async_trait;
use base64ct::{Base64, Encoding};
use chrono::{DateTime, Utc};
use rivetr_core::access::Scope;
use rivetr_core::input::DomainName;
use rivetr_core::model::{SecretString, StoredCertificate};
use rivetr_core::store::Store;
use rivetr_proxy::acme::{AcmeCache, CacheError, certificate_not_after};

/// An [`AcmeCache`] over a [`Store`]: the account key (base64, since it is
/// binary) and each certificate (PEM) sealed by the store, per ACME
/// directory and contact list.
#[derive(Debug, Clone)]
pub struct StoreAcmeCache {
    store: Arc<dyn Store>,
    contact: Vec<String>,
}

impl StoreAcmeCache {
    /// A cache in `store` for the account of `contact` (the ACME contact
    /// e-mails, as configured).
    pub fn new(store: Arc<dyn Store>, contact: Vec<String>) -> Self {
        Self { store, contact }
    }
}

fn cache_error(
    action: &'static str,
    what: impl Into<String>,
    source: impl std::error::Error + Send + Sync + 'static,
) -> CacheError {
    CacheError {
        action,
        what: what.into(),
        source: Box::new(source),
    }
}

#[async_trait]
impl AcmeCache for StoreAcmeCache {
    async fn load_account(&self, directory_url: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let what = || format!("the ACME account for {directory_url}");
        let Some(key) = self
            .store
            .get_acme_account(&Scope::system(), &self.contact, directory_url)
            .await
            .map_err(|e| cache_error("load", what(), e))?
        else {
            return Ok(None);
        };
        Base64::decode_vec(key.expose())
            .map(Some)
            .map_err(|e| cache_error("load", what(), std::io::Error::other(e.to_string())))
    }

    async fn store_account(&self, directory_url: &str, key: &[u8]) -> Result<(), CacheError> {
        self.store
            .put_acme_account(
                &Scope::system(),
                self.contact.clone(),
                directory_url,
                SecretString::new(Base64::encode_string(key)),
            )
            .await
            .map_err(|e| cache_error("store", format!("the ACME account for {directory_url}"), e))
    }

    async fn load_cert(
        &self,
        directory_url: &str,
        domain: &DomainName,
    ) -> Result<Option<Vec<u8>>, CacheError> {
        let cert = self
            .store
            .get_certificate(&Scope::system(), domain.as_str(), directory_url)
            .await
            .map_err(|e| cache_error("load", format!("the certificate of {domain}"), e))?;
        Ok(cert.map(|c| c.pem.expose().as_bytes().to_vec()))
    }

    async fn store_cert(
        &self,
        directory_url: &str,
        domain: &DomainName,
        pem: &[u8],
    ) -> Result<(), CacheError> {
        let what = || format!("the certificate of {domain}");
        let text = std::str::from_utf8(pem).map_err(|e| cache_error("store", what(), e))?;
        let not_after = certificate_not_after(pem).map_err(|e| cache_error("store", what(), e))?;
        self.store
            .put_certificate(
                &Scope::system(),
                StoredCertificate {
                    key: domain.as_str().to_owned(),
                    directory_url: directory_url.to_owned(),
                    pem: SecretString::new(text),
                    not_after: DateTime::<Utc>::from(not_after),
                },
            )
            .await
            .map_err(|e| cache_error("store", what(), e))
    }
}

#[cfg(test)]
mod tests {
    use rivetr_core::memory::MemoryStore;

    use super::*;

    fn pem_of(domain: &str) -> (Vec<u8>, DateTime<Utc>) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec![domain.to_owned()]).unwrap();
        let not_after = rcgen::date_time_ymd(2031, 1, 2);
        params.not_after = not_after;
        let cert = params.self_signed(&key).unwrap();
        let pem = format!("{}{}", key.serialize_pem(), cert.pem());
        let expected = DateTime::from_timestamp(not_after.unix_timestamp(), 0).unwrap();
        (pem.into_bytes(), expected)
    }

    #[tokio::test]
    async fn accounts_and_certificates_round_trip_through_the_store() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let cache = StoreAcmeCache::new(Arc::clone(&store), vec!["mailto:ops@example.com".into()]);
        let directory = "https://acme.example.com/directory";

        assert_eq!(cache.load_account(directory).await.unwrap(), None);
        // Account keys are binary (DER): every byte value survives.
        let key: Vec<u8> = (0..=255u8).collect();
        cache.store_account(directory, &key).await.unwrap();
        assert_eq!(cache.load_account(directory).await.unwrap(), Some(key));
        let other = StoreAcmeCache::new(Arc::clone(&store), vec!["mailto:x@example.com".into()]);
        assert_eq!(
            other.load_account(directory).await.unwrap(),
            None,
            "per contact"
        );

        let domain: DomainName = "shop.example.com".parse().unwrap();
        assert_eq!(cache.load_cert(directory, &domain).await.unwrap(), None);
        let (pem, expires) = pem_of("shop.example.com");
        cache.store_cert(directory, &domain, &pem).await.unwrap();
        assert_eq!(
            cache.load_cert(directory, &domain).await.unwrap(),
            Some(pem)
        );
        let listed = store.list_certificates(&Scope::system()).await.unwrap();
        let info = listed.iter().find(|c| c.key == "shop.example.com").unwrap();
        assert_eq!(
            info.not_after, expires,
            "the expiry is read from the certificate"
        );
    }

    #[tokio::test]
    async fn a_pem_without_a_certificate_is_refused_and_nothing_is_stored() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let cache = StoreAcmeCache::new(Arc::clone(&store), Vec::new());
        let domain: DomainName = "shop.example.com".parse().unwrap();
        let err = cache
            .store_cert("https://acme.example.com/directory", &domain, b"not a pem")
            .await
            .unwrap_err();
        assert_eq!(err.action, "store");
        assert!(
            store
                .list_certificates(&Scope::system())
                .await
                .unwrap()
                .is_empty()
        );
    }
}
