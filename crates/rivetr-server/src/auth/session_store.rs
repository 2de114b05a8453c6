//! Where browser sessions live: the [`SessionStore`] trait and an
//! in-memory implementation.
//!
//! Sessions are keyed by the hash of their id, never the id itself. The
//! in-memory store loses every session when the server restarts (everyone
//! signs in again); a durable implementation on the store crate comes with
//! the store's session table, behind the same trait.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rivetr_core::error::{Error, Result};
use rivetr_core::id::UserId;

/// The keyed hash of a session id: what a [`SessionStore`] is keyed by
/// (64 lowercase hex characters).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionHash(pub(super) String);

impl SessionHash {
    /// The hex text, for a durable store's key column.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A prefix is enough to tell sessions apart in logs.
        write!(f, "SessionHash({}…)", self.0.get(..8).unwrap_or(""))
    }
}

/// A signed-in browser session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Who signed in.
    pub user_id: UserId,
    /// When.
    pub created_at: DateTime<Utc>,
    /// From this instant on, the session is refused.
    pub expires_at: DateTime<Utc>,
}

impl Session {
    /// Whether the session has expired at `now`.
    #[must_use]
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }
}

/// Server-side session storage.
#[async_trait]
pub trait SessionStore: Send + Sync + fmt::Debug + 'static {
    /// Keep `session` under `hash`.
    ///
    /// # Behavior
    /// - A hash already stored: `Conflict` (never overwritten).
    async fn insert(&self, hash: SessionHash, session: Session) -> Result<()>;

    /// The session stored under `hash`, expired or not (the caller checks
    /// expiry); `Ok(None)` when unknown.
    async fn get(&self, hash: &SessionHash) -> Result<Option<Session>>;

    /// Forget the session under `hash` (sign-out).
    ///
    /// # Behavior
    /// - Idempotent: `Ok(false)` when there was none.
    async fn remove(&self, hash: &SessionHash) -> Result<bool>;

    /// Forget every session of `user` (password change, account removal,
    /// "sign out everywhere"); returns how many there were.
    async fn remove_user(&self, user: UserId) -> Result<usize>;

    /// Forget sessions expired at `now`; returns how many.
    async fn remove_expired(&self, now: DateTime<Utc>) -> Result<usize>;
}

/// Sessions in memory, lost on restart.
#[derive(Debug, Default)]
pub struct MemorySessionStore {
    sessions: Mutex<HashMap<SessionHash, Session>>,
}

impl MemorySessionStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<SessionHash, Session>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl SessionStore for MemorySessionStore {
    async fn insert(&self, hash: SessionHash, session: Session) -> Result<()> {
        let mut map = self.map();
        if map.contains_key(&hash) {
            return Err(Error::conflict("a session with this id already exists"));
        }
        map.insert(hash, session);
        Ok(())
    }

    async fn get(&self, hash: &SessionHash) -> Result<Option<Session>> {
        Ok(self.map().get(hash).cloned())
    }

    async fn remove(&self, hash: &SessionHash) -> Result<bool> {
        Ok(self.map().remove(hash).is_some())
    }

    async fn remove_user(&self, user: UserId) -> Result<usize> {
        let mut map = self.map();
        let before = map.len();
        map.retain(|_, s| s.user_id != user);
        Ok(before - map.len())
    }

    async fn remove_expired(&self, now: DateTime<Utc>) -> Result<usize> {
        let mut map = self.map();
        let before = map.len();
        map.retain(|_, s| !s.is_expired(now));
        Ok(before - map.len())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use chrono::TimeDelta;
    use rivetr_core::error::ErrorKind;

    use super::*;

    fn hash(c: char) -> SessionHash {
        SessionHash(c.to_string().repeat(64))
    }

    fn session(user: UserId, expires_in_secs: i64) -> Session {
        Session {
            user_id: user,
            created_at: DateTime::UNIX_EPOCH,
            expires_at: DateTime::UNIX_EPOCH + TimeDelta::seconds(expires_in_secs),
        }
    }

    #[tokio::test]
    async fn memory_store_follows_the_contract() {
        let store = MemorySessionStore::new();
        let (ada, bob) = (UserId::new(), UserId::new());
        store.insert(hash('a'), session(ada, 10)).await.unwrap();
        store.insert(hash('b'), session(ada, 100)).await.unwrap();
        store.insert(hash('c'), session(bob, 100)).await.unwrap();
        let dup = store.insert(hash('a'), session(bob, 10)).await.unwrap_err();
        assert_eq!(dup.kind(), ErrorKind::Conflict);
        assert_eq!(store.get(&hash('a')).await.unwrap(), Some(session(ada, 10)));
        assert_eq!(store.get(&hash('d')).await.unwrap(), None);

        let now = DateTime::UNIX_EPOCH + TimeDelta::seconds(10);
        assert_eq!(store.remove_expired(now).await.unwrap(), 1);
        assert_eq!(store.get(&hash('a')).await.unwrap(), None);

        assert!(store.remove(&hash('c')).await.unwrap());
        assert!(!store.remove(&hash('c')).await.unwrap());
        assert_eq!(store.remove_user(ada).await.unwrap(), 1);
        assert_eq!(store.remove_user(ada).await.unwrap(), 0);
        assert_eq!(format!("{:?}", hash('f')), "SessionHash(ffffffff…)");
    }
}
