//! Input rules written into the repository traits' `# Behavior` docs,
//! as functions every implementation can apply the same way (the in-memory
//! store and `rivetr-store` both do), so a rule has one definition.
//!
//! ```
//! use std::time::Duration;
//!
//! use rivetr_core::store::contract;
//!
//! assert!(contract::line("a worker name", "worker-1", contract::MAX_NAME).is_ok());
//! assert!(contract::line("a worker name", "", contract::MAX_NAME).is_err());
//! assert!(contract::lease(Duration::ZERO).is_err());
//! assert!(contract::session_hash(&"0f".repeat(32)).is_ok());
//! assert!(contract::session_hash(&"0F".repeat(32)).is_err());
//! ```

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};

/// The longest worker name and job dedupe key, in characters.
pub const MAX_NAME: usize = 200;

/// The longest certificate key and ACME directory URL, in characters.
pub const MAX_CERTIFICATE_KEY: usize = 4096;

/// The longest webhook event name and delivery id, in characters.
pub const MAX_WEBHOOK_EVENT: usize = 200;

/// The longest webhook delivery message, in characters.
pub const MAX_WEBHOOK_MESSAGE: usize = 1000;

/// How many deliveries [`WebhookDeliveryRepo`](super::WebhookDeliveryRepo)
/// keeps per app (and of deliveries no app matched): recording one more
/// deletes the oldest.
pub const KEEP_WEBHOOK_DELIVERIES: usize = 100;

/// A session hash: exactly 64 lowercase hex characters (a SHA-256 sized
/// keyed hash, as [`StoredSession::hash`](crate::model::StoredSession::hash)
/// holds).
///
/// # Errors
///
/// `InvalidInput` for anything else.
pub fn session_hash(hash: &str) -> Result<()> {
    if hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(Error::invalid_input(
            "a session hash must be 64 lowercase hex characters",
        ))
    }
}

/// A one-line value: not empty, at most `max` characters, no control
/// characters. `what` names it in the error (`InvalidInput`).
///
/// # Errors
///
/// `InvalidInput` saying which rule failed.
pub fn line(what: &str, s: &str, max: usize) -> Result<()> {
    if s.is_empty() {
        return Err(Error::invalid_input(format!("{what} must not be empty")));
    }
    optional_line(what, s, max)
}

/// Like [`line()`], but empty is fine.
///
/// # Errors
///
/// `InvalidInput` saying which rule failed.
pub fn optional_line(what: &str, s: &str, max: usize) -> Result<()> {
    if s.chars().count() > max {
        return Err(Error::invalid_input(format!(
            "{what} is longer than {max} characters"
        )));
    }
    if s.chars().any(char::is_control) {
        return Err(Error::invalid_input(format!(
            "{what} must not hold control characters"
        )));
    }
    Ok(())
}

/// A lease must last longer than zero.
///
/// # Errors
///
/// `InvalidInput` for a zero lease.
pub fn lease(lease: Duration) -> Result<()> {
    if lease.is_zero() {
        return Err(Error::invalid_input("a lease must last longer than zero"));
    }
    Ok(())
}

/// `now + d`, refusing durations the calendar cannot represent.
///
/// # Errors
///
/// `InvalidInput` for a duration too long.
pub fn instant_after(now: DateTime<Utc>, d: Duration) -> Result<DateTime<Utc>> {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .ok_or_else(|| Error::invalid_input(format!("duration {d:?} is too long")))
}
