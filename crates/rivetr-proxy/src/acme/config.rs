//! [`AcmeConfig`]: which ACME server, which challenge, when to renew, how
//! to back off; validated before a manager starts.

use std::fmt;
use std::time::Duration;

use rustls_pki_types::CertificateDer;

/// Let's Encrypt's staging directory: untrusted certificates, generous
/// limits. Use it until issuance works, then switch to production.
pub const LETS_ENCRYPT_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";

/// Let's Encrypt's production directory: trusted certificates, strict rate
/// limits (<https://letsencrypt.org/docs/rate-limits/>).
pub const LETS_ENCRYPT_PRODUCTION: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// How the ACME server checks that we control a domain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChallengeType {
    /// A TLS handshake on port 443 offering only `acme-tls/1` (RFC 8737),
    /// answered with a self-signed challenge certificate: no plain HTTP
    /// needed. The default.
    #[default]
    TlsAlpn01,
    /// `GET http://<domain>/.well-known/acme-challenge/<token>` on port 80,
    /// answered by the proxy's HTTP server through the manager (install
    /// it with `ProxyBuilder::http01`). Works behind a TLS-terminating
    /// load balancer.
    Http01,
}

/// Exponential back-off after a failed order, per domain, with an hourly
/// cap on failures.
///
/// After the n-th failure in a row a domain waits `initial * 2^(n-1)`,
/// at most `max`; on top of that, once `max_failures_per_hour` orders of a
/// domain failed within the last hour, the next one waits until the
/// oldest of them is an hour old. A success resets both.
///
/// The defaults (5 min, doubling, at most 6 h, at most 3 failures an hour)
/// stay under Let's Encrypt's limit of 5 failed validations per hostname
/// per account per hour, which every failed order may count against,
/// whatever the other settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failure (default 5 min).
    pub initial: Duration,
    /// The longest wait between two attempts (default 6 h).
    pub max: Duration,
    /// Most failed orders of one domain in any hour (default 3).
    pub max_failures_per_hour: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(5 * 60),
            max: Duration::from_secs(6 * 60 * 60),
            max_failures_per_hour: 3,
        }
    }
}

/// The ACME manager's settings. [`Default`] targets Let's Encrypt's
/// staging directory with TLS-ALPN-01; set [`directory_url`] to
/// [`LETS_ENCRYPT_PRODUCTION`] once issuance works.
///
/// [`directory_url`]: Self::directory_url
#[derive(Clone, PartialEq, Eq)]
pub struct AcmeConfig {
    /// The ACME directory URL (`https://`): [`LETS_ENCRYPT_STAGING`],
    /// [`LETS_ENCRYPT_PRODUCTION`] or another CA's.
    pub directory_url: String,
    /// Contact e-mail addresses for the account (without `mailto:`);
    /// Let's Encrypt no longer sends expiry mail, but a CA may use them.
    pub contact_emails: Vec<String>,
    /// The challenge every order uses.
    pub challenge: ChallengeType,
    /// Renew when a certificate has less than this left (default 30 days),
    /// or less than a third of its lifetime if that comes first, but not
    /// before half its lifetime is over (so a 6-day certificate renews 3
    /// days before expiry, not right after issuance).
    pub renew_before: Duration,
    /// Back-off after failed orders.
    pub backoff: Backoff,
    /// The longest one order may take, from the directory request to the
    /// certificate download (default 10 min); longer counts as a failure.
    pub order_timeout: Duration,
    /// Roots trusted for the ACME server's own HTTPS, besides Mozilla's
    /// (webpki-roots): for a private or test CA such as Pebble.
    pub extra_roots: Vec<CertificateDer<'static>>,
}

impl Default for AcmeConfig {
    fn default() -> Self {
        Self {
            directory_url: LETS_ENCRYPT_STAGING.to_owned(),
            contact_emails: Vec::new(),
            challenge: ChallengeType::default(),
            renew_before: Duration::from_secs(30 * 24 * 60 * 60),
            backoff: Backoff::default(),
            order_timeout: Duration::from_secs(10 * 60),
            extra_roots: Vec::new(),
        }
    }
}

impl fmt::Debug for AcmeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcmeConfig")
            .field("directory_url", &self.directory_url)
            .field("contact_emails", &self.contact_emails)
            .field("challenge", &self.challenge)
            .field("renew_before", &self.renew_before)
            .field("backoff", &self.backoff)
            .field("order_timeout", &self.order_timeout)
            .field("extra_roots", &self.extra_roots.len())
            .finish()
    }
}

/// A bad [`AcmeConfig`] field.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum AcmeConfigError {
    /// The directory URL is not `https://host...`.
    #[error("ACME directory URL must start with https:// and name a host, got {0:?}")]
    DirectoryUrl(String),
    /// A contact is not a plain e-mail address.
    #[error("ACME contact must be an e-mail address like admin@example.com, got {0:?}")]
    Contact(String),
    /// A duration that must be above zero is zero.
    #[error("ACME setting {0} must be above zero")]
    Zero(&'static str),
    /// `backoff.max` is below `backoff.initial`.
    #[error("ACME backoff.max ({max:?}) is below backoff.initial ({initial:?})")]
    BackoffRange {
        /// `backoff.initial`.
        initial: Duration,
        /// `backoff.max`.
        max: Duration,
    },
}

impl AcmeConfig {
    /// Check the fields: an `https://` directory URL with a host, plain
    /// e-mail contacts, non-zero durations and failure cap, and
    /// `backoff.initial <= backoff.max`.
    ///
    /// # Errors
    ///
    /// [`AcmeConfigError`] naming the first bad field.
    pub fn validate(&self) -> Result<(), AcmeConfigError> {
        let host = self.directory_url.strip_prefix("https://").unwrap_or("");
        if host.is_empty()
            || host.starts_with('/')
            || self.directory_url.contains(char::is_whitespace)
        {
            return Err(AcmeConfigError::DirectoryUrl(self.directory_url.clone()));
        }
        for email in &self.contact_emails {
            let plain = email.split_once('@').is_some_and(|(user, domain)| {
                !user.is_empty() && domain.contains('.') && !domain.contains('@')
            });
            if !plain
                || email
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == ':')
            {
                return Err(AcmeConfigError::Contact(email.clone()));
            }
        }
        let durations = [
            ("renew_before", self.renew_before),
            ("order_timeout", self.order_timeout),
            ("backoff.initial", self.backoff.initial),
            ("backoff.max", self.backoff.max),
        ];
        if let Some((name, _)) = durations.iter().find(|(_, d)| d.is_zero()) {
            return Err(AcmeConfigError::Zero(name));
        }
        if self.backoff.max_failures_per_hour == 0 {
            return Err(AcmeConfigError::Zero("backoff.max_failures_per_hour"));
        }
        if self.backoff.max < self.backoff.initial {
            return Err(AcmeConfigError::BackoffRange {
                initial: self.backoff.initial,
                max: self.backoff.max,
            });
        }
        Ok(())
    }

    /// The contacts as ACME wants them (`mailto:` URIs).
    pub(crate) fn contact_uris(&self) -> Vec<String> {
        self.contact_emails
            .iter()
            .map(|e| format!("mailto:{e}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_staging() {
        let config = AcmeConfig::default();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.directory_url, LETS_ENCRYPT_STAGING);
    }

    #[test]
    fn bad_fields_are_named() {
        let bad_url = AcmeConfig {
            directory_url: "http://acme.example/dir".to_owned(),
            ..AcmeConfig::default()
        };
        assert!(matches!(
            bad_url.validate(),
            Err(AcmeConfigError::DirectoryUrl(_))
        ));
        let bad_contact = AcmeConfig {
            contact_emails: vec!["mailto:a@example.com".to_owned()],
            ..AcmeConfig::default()
        };
        assert!(matches!(
            bad_contact.validate(),
            Err(AcmeConfigError::Contact(_))
        ));
        let mut bad_backoff = AcmeConfig::default();
        bad_backoff.backoff.max = Duration::from_secs(1);
        assert!(matches!(
            bad_backoff.validate(),
            Err(AcmeConfigError::BackoffRange { .. })
        ));
        bad_backoff.backoff.max_failures_per_hour = 0;
        bad_backoff.backoff.max = bad_backoff.backoff.initial;
        assert_eq!(
            bad_backoff.validate(),
            Err(AcmeConfigError::Zero("backoff.max_failures_per_hour"))
        );
    }

    #[test]
    fn contacts_become_mailto_uris() {
        let config = AcmeConfig {
            contact_emails: vec!["ops@example.com".to_owned()],
            ..AcmeConfig::default()
        };
        assert_eq!(
            config.contact_uris(),
            vec!["mailto:ops@example.com".to_owned()]
        );
    }
}
