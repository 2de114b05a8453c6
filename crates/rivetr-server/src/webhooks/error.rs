//! [`WebhookError`]: why a delivery was refused.

use thiserror::Error;

/// Why a webhook delivery was refused.
///
/// No message ever contains the configured secret or the signature sent: a
/// refusal can be logged and shown to the sender as it is.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The webhook has no secret configured, so no delivery can be verified.
    /// Rivetr never accepts unverified deliveries.
    #[error("this webhook has no secret configured; set one before sending deliveries")]
    NoSecret,
    /// The header that carries the signature (or GitLab's token) is absent.
    #[error("the {header} header is missing; configure a secret on the provider's side")]
    MissingSignature {
        /// The header that was looked for.
        header: &'static str,
    },
    /// The signature does not match the body and the configured secret (or the
    /// GitLab token differs from the configured one), or it is malformed.
    #[error("the {header} header does not match the body and the configured secret")]
    BadSignature {
        /// The header that was checked.
        header: &'static str,
    },
    /// The header naming the event is absent or empty (the delivery was
    /// verified, but it cannot be told what it is).
    #[error("the {header} header naming the event is missing")]
    UnknownEvent {
        /// The header that was looked for.
        header: &'static str,
    },
    /// The body of a verified delivery is not the payload the event promises.
    #[error("the payload of the {event} event is not valid: {reason}")]
    BadPayload {
        /// The event named by the delivery's header.
        event: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl WebhookError {
    /// A [`WebhookError::BadPayload`].
    pub(super) fn bad_payload(event: &str, reason: impl Into<String>) -> Self {
        Self::BadPayload {
            event: event.to_owned(),
            reason: reason.into(),
        }
    }

    /// Whether the delivery was refused before its body was trusted (no or a
    /// bad secret or signature): the sender is not who it claims to be, or is
    /// configured with another secret. An API answers these with 401.
    #[must_use]
    pub fn is_unauthenticated(&self) -> bool {
        matches!(
            self,
            Self::NoSecret | Self::MissingSignature { .. } | Self::BadSignature { .. }
        )
    }
}
