//! One domain's life: serve the cached certificate if any, order when
//! there is none or it is due for renewal, back off after failures.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use rivetr_core::input::{DomainName, HostPattern};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::backoff::Retry;
use super::cert::{DomainResolver, Issued};
use super::config::ChallengeType;
use super::events::{AcmeEvent, AcmeEventKind};
use super::manager::Shared;
use super::order::{OrderError, OrderSpec, order};
use crate::tls::CertSource;

/// Longest single sleep: waits of weeks are cut into days, so a changed
/// wall clock (or a suspended machine) is noticed.
const MAX_SLEEP: Duration = Duration::from_secs(24 * 60 * 60);

/// One managed domain: its resolver and whether it is in the
/// [`CertResolver`](crate::tls::CertResolver) yet.
#[derive(Debug)]
pub(crate) struct DomainTask {
    pub(crate) shared: Arc<Shared>,
    pub(crate) domain: DomainName,
    pub(crate) resolver: Arc<DomainResolver>,
    pub(crate) installed: Mutex<Install>,
    pub(crate) cancel: CancellationToken,
}

/// Whether a domain's resolver is in the proxy's `CertResolver`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Install {
    /// Not yet (no certificate, no TLS-ALPN-01 order so far).
    No,
    /// Yes.
    Yes,
    /// The domain was removed: never again.
    Removed,
}

impl DomainTask {
    /// Run until cancelled (domain removed or manager shut down).
    pub(crate) async fn run(self: Arc<Self>) {
        let mut retry = Retry::new(self.shared.config.backoff);
        let mut current = self.load_cached().await;
        loop {
            if let Some(issued) = &current {
                let at = issued.renew_at(self.shared.config.renew_before);
                self.emit(AcmeEventKind::RenewalScheduled { at });
                if !self.sleep_until(at).await {
                    return;
                }
            }
            self.emit(AcmeEventKind::OrderStarted);
            let result = tokio::select! {
                () = self.cancel.cancelled() => return,
                result = self.order() => result,
            };
            match result {
                Ok(issued) => {
                    retry.succeeded();
                    self.serve(&issued);
                    self.emit(AcmeEventKind::CertIssued {
                        not_after: issued.not_after,
                    });
                    current = Some(issued);
                }
                Err(error) => {
                    let retry_in = retry.failed(Instant::now());
                    self.emit(AcmeEventKind::OrderFailed {
                        error: error.to_string(),
                        retry_in,
                    });
                    let until = SystemTime::now() + retry_in;
                    if !self.sleep_until(until).await {
                        return;
                    }
                }
            }
        }
    }

    /// The cached certificate, served, if there is a usable one.
    async fn load_cached(&self) -> Option<Issued> {
        let url = &self.shared.config.directory_url;
        let pem = match self.shared.cache.load_cert(url, &self.domain).await {
            Ok(Some(pem)) => pem,
            Ok(None) => return None,
            Err(error) => {
                self.emit(AcmeEventKind::CacheFailed {
                    error: error.to_string(),
                });
                return None;
            }
        };
        match Issued::from_pem(&pem) {
            Ok(issued) => {
                self.serve(&issued);
                self.emit(AcmeEventKind::CertLoaded {
                    not_after: issued.not_after,
                });
                Some(issued)
            }
            Err(error) => {
                self.emit(AcmeEventKind::CacheFailed {
                    error: format!("cached certificate unusable, ordering a new one: {error}"),
                });
                None
            }
        }
    }

    async fn order(&self) -> Result<Issued, OrderError> {
        let shared = &self.shared;
        let account_key = shared.account_key().await?;
        if shared.config.challenge == ChallengeType::TlsAlpn01 {
            // Validations reach the domain's resolver from the start.
            self.install();
        }
        let spec = OrderSpec {
            config: &shared.config,
            client_config: &shared.client_config,
            cache: &shared.cache,
            account_key,
            domain: &self.domain,
            resolver: &self.resolver,
        };
        let timeout = shared.config.order_timeout;
        let outcome = tokio::time::timeout(timeout, order(spec))
            .await
            .map_err(|_elapsed| OrderError::Timeout(timeout))??;
        if let Some(error) = outcome.cache_error {
            self.emit(AcmeEventKind::CacheFailed { error });
        }
        Ok(outcome.issued)
    }

    /// Serve `issued` for the domain from the next handshake on.
    fn serve(&self, issued: &Issued) {
        self.resolver.set_cert(Arc::clone(&issued.key));
        self.install();
    }

    /// Put the domain's resolver in the proxy's `CertResolver`, once, and
    /// never after [`uninstall`](Self::uninstall).
    fn install(&self) {
        let mut installed = self
            .installed
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *installed == Install::No {
            let resolver: Arc<DomainResolver> = Arc::clone(&self.resolver);
            let host = HostPattern::from(self.domain.clone());
            self.shared
                .resolver
                .set(host, CertSource::Dynamic(resolver));
            *installed = Install::Yes;
        }
    }

    /// Stop the task and take the domain out of the `CertResolver`.
    pub(crate) fn uninstall(&self) {
        self.cancel.cancel();
        let mut installed = self
            .installed
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *installed == Install::Yes {
            self.shared
                .resolver
                .remove(&HostPattern::from(self.domain.clone()));
        }
        *installed = Install::Removed;
    }

    /// Sleep until the wall clock reaches `at`; `false` when cancelled.
    async fn sleep_until(&self, at: SystemTime) -> bool {
        loop {
            let left = at.duration_since(SystemTime::now()).unwrap_or_default();
            if left.is_zero() {
                return true;
            }
            tokio::select! {
                () = self.cancel.cancelled() => return false,
                () = tokio::time::sleep(left.min(MAX_SLEEP)) => {}
            }
        }
    }

    fn emit(&self, kind: AcmeEventKind) {
        let domain = self.domain.as_str();
        match &kind {
            AcmeEventKind::CertLoaded { not_after } => {
                tracing::info!(domain, not_after = ?not_after, "ACME: serving the cached certificate");
            }
            AcmeEventKind::OrderStarted => {
                tracing::info!(domain, directory = %self.shared.config.directory_url, "ACME: ordering a certificate");
            }
            AcmeEventKind::CertIssued { not_after } => {
                tracing::info!(domain, not_after = ?not_after, "ACME: certificate issued and served");
            }
            AcmeEventKind::OrderFailed { error, retry_in } => {
                tracing::warn!(domain, %error, retry_in = ?retry_in, "ACME: order failed, backing off");
            }
            AcmeEventKind::RenewalScheduled { at } => {
                tracing::info!(domain, at = ?at, "ACME: renewal scheduled");
            }
            AcmeEventKind::CacheFailed { error } => {
                tracing::warn!(domain, %error, "ACME: cache problem");
            }
        }
        // No subscriber is fine: events are also logs.
        let _ignored = self.shared.events.send(AcmeEvent {
            domain: self.domain.clone(),
            kind,
        });
    }
}
