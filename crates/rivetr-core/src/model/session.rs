//! Browser sessions as the store keeps them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::UserId;

/// A signed-in browser session, kept under a hash of its id: the id itself
/// lives only in the browser's cookie, so reading the store does not let
/// anyone take a session over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSession {
    /// The keyed hash of the session id: 64 lowercase hex characters
    /// (see [`contract::session_hash`](crate::store::contract::session_hash)).
    pub hash: String,
    /// Who signed in.
    pub user_id: UserId,
    /// When.
    pub created_at: DateTime<Utc>,
    /// From this instant on the session is refused.
    pub expires_at: DateTime<Utc>,
}

impl StoredSession {
    /// Whether the session has expired at `now`.
    ///
    /// ```
    /// use chrono::{DateTime, TimeDelta};
    /// use rivetr_core::id::UserId;
    /// use rivetr_core::model::StoredSession;
    ///
    /// let start = DateTime::UNIX_EPOCH;
    /// let session = StoredSession {
    ///     hash: "ab".repeat(32),
    ///     user_id: UserId::new(),
    ///     created_at: start,
    ///     expires_at: start + TimeDelta::hours(1),
    /// };
    /// assert!(!session.is_expired(start));
    /// assert!(session.is_expired(start + TimeDelta::hours(1)));
    /// ```
    #[must_use]
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }
}
