//! One ACME order for one domain through rustls-acme's `AcmeState`, which
//! speaks the protocol (account, order, challenge, CSR, download); the
//! manager keeps the caching, renewal timing and back-off.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use futures::StreamExt;
use rivetr_core::input::DomainName;
use rustls::ClientConfig;
use rustls_acme::{AccountCache, CertCache, EventError, EventOk, UseChallenge};

use super::cache::{AcmeCache, CacheError};
use super::cert::{DomainResolver, Issued};
use super::config::{AcmeConfig, ChallengeType};

/// Why one order failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OrderError {
    /// The ACME exchange failed (network, server refusal, failed
    /// validation), as rustls-acme reports it.
    #[error("ACME order failed: {0}")]
    Acme(String),
    /// The account key could not be loaded from the cache.
    #[error("ACME account key: {0}")]
    Account(#[from] CacheError),
    /// The order took longer than `order_timeout`.
    #[error("ACME order took longer than {0:?}")]
    Timeout(std::time::Duration),
    /// The certificate the CA sent is unusable.
    #[error("issued certificate unusable: {0}")]
    Cert(#[from] super::cert::CertError),
    /// rustls-acme reported success without handing the certificate over.
    #[error("ACME order ended without a certificate")]
    NoCert,
}

/// What a successful order gives: the certificate, and a cache error if it
/// could not be kept.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) issued: Issued,
    pub(crate) cache_error: Option<String>,
}

/// Everything one order needs.
#[derive(Debug)]
pub(crate) struct OrderSpec<'a> {
    pub(crate) config: &'a AcmeConfig,
    pub(crate) client_config: &'a Arc<ClientConfig>,
    pub(crate) cache: &'a Arc<dyn AcmeCache>,
    pub(crate) account_key: Vec<u8>,
    pub(crate) domain: &'a DomainName,
    pub(crate) resolver: &'a DomainResolver,
}

/// Run one order for `spec.domain`; its challenge is answered through
/// `spec.resolver` while it runs. Not cancel-safe in the ACME sense (an
/// abandoned order is left pending at the CA, which expires it).
pub(crate) async fn order(spec: OrderSpec<'_>) -> Result<Outcome, OrderError> {
    let issued_pem = Arc::new(Mutex::new(None));
    let adapter = Adapter {
        cache: Arc::clone(spec.cache),
        domain: spec.domain.clone(),
        account_key: spec.account_key,
        issued_pem: Arc::clone(&issued_pem),
    };
    let challenge = match spec.config.challenge {
        ChallengeType::TlsAlpn01 => UseChallenge::TlsAlpn01,
        ChallengeType::Http01 => UseChallenge::Http01,
    };
    let mut state = rustls_acme::AcmeConfig::new_with_client_config(
        [spec.domain.as_str()],
        Arc::clone(spec.client_config),
    )
    .directory(&spec.config.directory_url)
    .contact(spec.config.contact_uris())
    .challenge_type(challenge)
    .cache(adapter)
    .state();
    spec.resolver.set_order(Some(state.resolver()));
    let result = drive(&mut state, &issued_pem).await;
    spec.resolver.set_order(None);
    result
}

/// Poll the state until the new certificate is issued and stored (two
/// events: deployed, then the cache store) or the order fails.
async fn drive(
    state: &mut rustls_acme::AcmeState<CacheError, CacheError>,
    issued_pem: &Mutex<Option<Vec<u8>>>,
) -> Result<Outcome, OrderError> {
    while let Some(event) = state.next().await {
        match event {
            Ok(EventOk::DeployedNewCert) => {
                tracing::debug!("ACME order: certificate issued, storing it");
            }
            Ok(EventOk::CertCacheStore) => return outcome(issued_pem, None),
            Err(EventError::CertCacheStore(e)) => return outcome(issued_pem, Some(e.to_string())),
            Ok(EventOk::AccountCacheStore | EventOk::DeployedCachedCert) => {}
            Err(EventError::Order(e)) => return Err(OrderError::Acme(e.to_string())),
            Err(EventError::NewCertParse(e)) => return Err(OrderError::Acme(e.to_string())),
            Err(other) => {
                // Account or cached-cert errors: the order goes on.
                tracing::warn!(error = %other, "ACME order: cache problem");
            }
        }
    }
    Err(OrderError::NoCert)
}

fn outcome(
    issued_pem: &Mutex<Option<Vec<u8>>>,
    cache_error: Option<String>,
) -> Result<Outcome, OrderError> {
    let pem = issued_pem
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
        .ok_or(OrderError::NoCert)?;
    Ok(Outcome {
        issued: Issued::from_pem(&pem)?,
        cache_error,
    })
}

/// rustls-acme's cache for one order: the account key the manager loaded
/// or created, no cached certificate (the manager loads it itself, so this
/// state always orders), and the issued PEM kept for the manager while it
/// is stored in the [`AcmeCache`].
struct Adapter {
    cache: Arc<dyn AcmeCache>,
    domain: DomainName,
    account_key: Vec<u8>,
    issued_pem: Arc<Mutex<Option<Vec<u8>>>>,
}

#[async_trait]
impl CertCache for Adapter {
    type EC = CacheError;

    async fn load_cert(&self, _: &[String], _: &str) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(None)
    }

    async fn store_cert(
        &self,
        _: &[String],
        directory_url: &str,
        pem: &[u8],
    ) -> Result<(), CacheError> {
        *self
            .issued_pem
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(pem.to_vec());
        self.cache
            .store_cert(directory_url, &self.domain, pem)
            .await
    }
}

#[async_trait]
impl AccountCache for Adapter {
    type EA = CacheError;

    async fn load_account(&self, _: &[String], _: &str) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(Some(self.account_key.clone()))
    }

    async fn store_account(
        &self,
        _: &[String],
        directory_url: &str,
        key: &[u8],
    ) -> Result<(), CacheError> {
        // Not reached (the key is always loaded); kept correct anyway.
        self.cache.store_account(directory_url, key).await
    }
}
