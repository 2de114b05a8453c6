//! Where browser sessions live: the [`SessionStore`] trait, the durable
//! [`StoreSessions`] on the platform's store, and the stand-alone
//! [`MemorySessionStore`].
//!
//! Sessions are keyed by the hash of their id, never the id itself.
//! [`StoreSessions`] keeps them in the store's
//! [`SessionRepo`](rivetr_core::store::SessionRepo) (the `sessions` table
//! of `rivetr-store`), so they survive a restart; deleting a user there
//! ends their sessions. [`MemorySessionStore`] needs no store and loses
//! every session when the process ends (tests, and embedders without a
//! store).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, Result};
use rivetr_core::id::UserId;
use rivetr_core::model::StoredSession;
use rivetr_core::store::Store;

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

/// Sessions in the platform's [`Store`], through its
/// [`SessionRepo`](rivetr_core::store::SessionRepo) with the system scope
/// (sessions are the server's own business, never a team's).
///
/// Unlike [`MemorySessionStore`], it refuses a session for a user the
/// store does not know (`NotFound`).
#[derive(Clone)]
pub struct StoreSessions {
    store: Arc<dyn Store>,
}

impl StoreSessions {
    /// Sessions kept in `store`.
    #[must_use]
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

impl fmt::Debug for StoreSessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreSessions").finish_non_exhaustive()
    }
}

/// A count the store gives as `u64`, as the trait's `usize`.
fn count(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

#[async_trait]
impl SessionStore for StoreSessions {
    async fn insert(&self, hash: SessionHash, session: Session) -> Result<()> {
        let stored = StoredSession {
            hash: hash.0,
            user_id: session.user_id,
            created_at: session.created_at,
            expires_at: session.expires_at,
        };
        self.store
            .insert_session(&Scope::system(), stored)
            .await
            .map(drop)
    }

    async fn get(&self, hash: &SessionHash) -> Result<Option<Session>> {
        let found = self.store.get_session(&Scope::system(), &hash.0).await?;
        Ok(found.map(|s| Session {
            user_id: s.user_id,
            created_at: s.created_at,
            expires_at: s.expires_at,
        }))
    }

    async fn remove(&self, hash: &SessionHash) -> Result<bool> {
        self.store.remove_session(&Scope::system(), &hash.0).await
    }

    async fn remove_user(&self, user: UserId) -> Result<usize> {
        let n = self
            .store
            .remove_user_sessions(&Scope::system(), user)
            .await?;
        Ok(count(n))
    }

    async fn remove_expired(&self, now: DateTime<Utc>) -> Result<usize> {
        let n = self
            .store
            .remove_expired_sessions(&Scope::system(), now)
            .await?;
        Ok(count(n))
    }
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
    use rivetr_core::memory::MemoryStore;
    use rivetr_core::model::NewUser;
    use rivetr_store::{Sealing, SqlStore, StoreConfig};

    use super::super::session::Sessions;
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

    /// The trait's contract, with `ada` and `bob` users the store knows.
    async fn follows_the_contract(store: &dyn SessionStore, ada: UserId, bob: UserId) {
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
        assert_eq!(
            store.get(&hash('b')).await.unwrap(),
            Some(session(ada, 100))
        );

        assert!(store.remove(&hash('c')).await.unwrap());
        assert!(!store.remove(&hash('c')).await.unwrap());
        assert_eq!(store.remove_user(ada).await.unwrap(), 1);
        assert_eq!(store.remove_user(ada).await.unwrap(), 0);
        assert_eq!(store.get(&hash('b')).await.unwrap(), None);
    }

    async fn user(store: &dyn Store, name: &str) -> UserId {
        let new = NewUser {
            email: format!("{name}@example.com").parse().unwrap(),
            name: name.parse().unwrap(),
            instance_admin: false,
        };
        store.create_user(&Scope::system(), new).await.unwrap().id
    }

    async fn sqlite(dir: &tempfile::TempDir) -> Arc<dyn Store> {
        let url = format!("sqlite://{}", dir.path().join("rivetr.db").display());
        let sealing = Sealing::KeyFile(dir.path().join("sealing.keys"));
        Arc::new(
            SqlStore::open(StoreConfig::new(url, sealing))
                .await
                .unwrap(),
        )
    }

    #[tokio::test]
    async fn memory_store_follows_the_contract() {
        follows_the_contract(&MemorySessionStore::new(), UserId::new(), UserId::new()).await;
        assert_eq!(format!("{:?}", hash('f')), "SessionHash(ffffffff…)");
    }

    #[tokio::test]
    async fn store_sessions_follow_the_contract_on_the_memory_store() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let (ada, bob) = (user(&*store, "ada").await, user(&*store, "bob").await);
        follows_the_contract(&StoreSessions::new(store), ada, bob).await;
    }

    #[tokio::test]
    async fn store_sessions_follow_the_contract_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let store = sqlite(&dir).await;
        let (ada, bob) = (user(&*store, "ada").await, user(&*store, "bob").await);
        follows_the_contract(&StoreSessions::new(store), ada, bob).await;
    }

    #[tokio::test]
    async fn store_sessions_refuse_unknown_users() {
        let sessions = StoreSessions::new(Arc::new(MemoryStore::new()));
        let err = sessions
            .insert(hash('a'), session(UserId::new(), 10))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn a_session_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = DateTime::UNIX_EPOCH + TimeDelta::days(1);
        let (cookie, ada) = {
            let store = sqlite(&dir).await;
            let ada = user(&*store, "ada").await;
            let sessions = Sessions::new(
                Arc::new(StoreSessions::new(store)),
                [7; 32],
                TimeDelta::hours(1),
            );
            let (id, _) = sessions.start(ada, t0).await.unwrap();
            (id.to_cookie_value(), ada)
        };
        // A new process: the store opened again from the same files.
        let sessions = Sessions::new(
            Arc::new(StoreSessions::new(sqlite(&dir).await)),
            [7; 32],
            TimeDelta::hours(1),
        );
        let (_, session) = sessions.resolve(&cookie, t0).await.unwrap().unwrap();
        assert_eq!(session.user_id, ada);
        assert_eq!(session.expires_at, t0 + TimeDelta::hours(1));
        assert_eq!(sessions.end_all(ada).await.unwrap(), 1);
        assert_eq!(sessions.resolve(&cookie, t0).await.unwrap(), None);
    }
}
