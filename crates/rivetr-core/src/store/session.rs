//! Browser sessions, kept by the hash of their id.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::access::Scope;
use crate::error::Result;
use crate::id::UserId;
use crate::model::StoredSession;

/// Signed-in browser sessions. Signing in is a server flow, so every
/// method is for the platform only: member scopes get `PermissionDenied`.
/// A session is found by [`StoredSession::hash`] alone; a malformed hash
/// (see [`contract::session_hash`](super::contract::session_hash)) is
/// `InvalidInput` everywhere.
#[async_trait]
pub trait SessionRepo {
    /// Keep a new session; returns it as stored (timestamps at the store's
    /// precision).
    ///
    /// # Behavior
    /// - System scope only. Unknown user: `NotFound`.
    /// - A hash already stored: `Conflict`; the stored session is never
    ///   overwritten.
    async fn insert_session(&self, scope: &Scope, session: StoredSession) -> Result<StoredSession>;

    /// The session stored under `hash`, expired or not (the caller checks
    /// [`StoredSession::is_expired`]).
    ///
    /// # Behavior
    /// - System scope only. `Ok(None)` when unknown.
    async fn get_session(&self, scope: &Scope, hash: &str) -> Result<Option<StoredSession>>;

    /// Forget the session under `hash` (sign-out).
    ///
    /// # Behavior
    /// - System scope only. Idempotent: `Ok(false)` when there was none.
    async fn remove_session(&self, scope: &Scope, hash: &str) -> Result<bool>;

    /// Forget every session of `user` (password change, "sign out
    /// everywhere"); returns how many there were.
    ///
    /// # Behavior
    /// - System scope only. An unknown user has none: `Ok(0)`.
    async fn remove_user_sessions(&self, scope: &Scope, user: UserId) -> Result<u64>;

    /// Forget every session expired at `now` (`expires_at <= now`);
    /// returns how many.
    ///
    /// # Behavior
    /// - System scope only.
    async fn remove_expired_sessions(&self, scope: &Scope, now: DateTime<Utc>) -> Result<u64>;
}
