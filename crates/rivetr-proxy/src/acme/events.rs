//! [`AcmeEvent`]: what the manager did for a domain, for logs, metrics and
//! tests (every event is also logged with `tracing`).

use std::time::{Duration, SystemTime};

use rivetr_core::input::DomainName;

/// Something that happened to one managed domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcmeEvent {
    /// The domain.
    pub domain: DomainName,
    /// What happened.
    pub kind: AcmeEventKind,
}

/// The kinds of [`AcmeEvent`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AcmeEventKind {
    /// A certificate was found in the cache and is served, without an order.
    CertLoaded {
        /// When it expires.
        not_after: SystemTime,
    },
    /// An order was sent to the ACME server.
    OrderStarted,
    /// An order succeeded: the new certificate is served (and cached).
    CertIssued {
        /// When it expires.
        not_after: SystemTime,
    },
    /// An order failed; the next one waits `retry_in` (the back-off).
    OrderFailed {
        /// Why, as text.
        error: String,
        /// The wait before the next attempt.
        retry_in: Duration,
    },
    /// The certificate is served until `at`, when it is renewed.
    RenewalScheduled {
        /// When the renewal order starts.
        at: SystemTime,
    },
    /// The cache failed (the certificate is still served if issued).
    CacheFailed {
        /// Why, as text.
        error: String,
    },
}
