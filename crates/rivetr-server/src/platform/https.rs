//! HTTPS for every app domain: certificates ordered from the configured
//! ACME server (one order per domain, kept in the store) and served by SNI
//! on the proxy's HTTPS listener.
//!
//! The domains to manage are the store's exact app domains (wildcards need
//! DNS-01, which is not offered): a sync loop adds new ones and drops
//! removed ones when the API announces a change ([`DomainsChanged`]), and
//! every [`RESYNC`] in any case.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use rivetr_core::access::Scope;
use rivetr_core::input::{DomainName, HostPattern};
use rivetr_core::store::Store;
use rivetr_proxy::acme::{AcmeConfig, AcmeManager};
use rivetr_proxy::tls::CertResolver;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::StartError;
use super::acme_cache::StoreAcmeCache;

/// How often the domains are re-read even without an announced change.
pub(super) const RESYNC: Duration = Duration::from_secs(60);

/// Rung when an app domain is added or removed.
pub(super) type DomainsChanged = Arc<Notify>;

/// The ACME side of HTTPS: the manager and the resolver serving its
/// certificates.
#[derive(Debug, Clone)]
pub(super) struct Acme {
    pub(super) manager: AcmeManager,
    pub(super) resolver: CertResolver,
}

/// Start the ACME manager with its certificates kept in `store`.
pub(super) fn start_acme(
    config: AcmeConfig,
    store: &Arc<dyn Store>,
    shutdown: CancellationToken,
) -> Result<Acme, StartError> {
    let resolver = CertResolver::new();
    let cache = Arc::new(StoreAcmeCache::new(
        Arc::clone(store),
        config.contact_emails.clone(),
    ));
    let manager = AcmeManager::new(config, cache, resolver.clone(), shutdown).map_err(|err| {
        StartError::Proxy {
            reason: format!("ACME: {err}"),
        }
    })?;
    Ok(Acme { manager, resolver })
}

/// Keep the manager's domains equal to the store's exact app domains
/// until `shutdown`.
pub(super) fn spawn_domain_sync(
    manager: AcmeManager,
    store: Arc<dyn Store>,
    changed: DomainsChanged,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            sync_once(&manager, store.as_ref()).await;
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = changed.notified() => {}
                () = tokio::time::sleep(RESYNC) => {}
            }
        }
    })
}

async fn sync_once(manager: &AcmeManager, store: &dyn Store) {
    let domains = match store.list_domains(&Scope::system(), None).await {
        Ok(domains) => domains,
        Err(err) => {
            tracing::warn!(error = %err, "ACME: could not read the app domains; keeping the current ones");
            return;
        }
    };
    let wanted: BTreeSet<DomainName> = domains
        .into_iter()
        .filter_map(|d| match d.host {
            HostPattern::Exact(name) => Some(name),
            HostPattern::Wildcard(_) => None,
        })
        .collect();
    let current: BTreeSet<DomainName> = manager.domains().into_iter().collect();
    for gone in current.difference(&wanted) {
        manager.remove(gone);
        tracing::info!(domain = %gone, "ACME: domain no longer managed");
    }
    for new in wanted.difference(&current) {
        if manager.add(new.clone()) {
            tracing::info!(domain = %new, "ACME: certificate for a new domain");
        }
    }
}
