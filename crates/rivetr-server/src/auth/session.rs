//! Browser sessions: a random 32-byte id in a cookie, a keyed hash of it on
//! the server.
//!
//! The cookie value is the id in base64url (43 characters). The server
//! stores only HMAC-SHA256(server key, id), so reading the session table
//! (a backup, a leaked database) does not let anyone take over a session.
//! Sessions last a fixed time from sign-in ([`DEFAULT_SESSION_TTL`]); an
//! expired one is deleted when next presented. How the cookie is written
//! is [`SessionCookie`](super::cookie::SessionCookie)'s business; the CSRF
//! token of a session is [`CsrfKey`](super::csrf::CsrfKey)'s.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use rivetr_core::error::Result;
use rivetr_core::id::UserId;

use super::crypto::{LabeledKey, RandomUnavailable, b64url, b64url_32, hex, random_bytes};
use super::session_store::{Session, SessionHash, SessionStore};

/// How long a session lasts from sign-in.
pub const DEFAULT_SESSION_TTL: TimeDelta = TimeDelta::days(7);

/// A session id: 32 random bytes. `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId([u8; 32]);

impl SessionId {
    /// A new random id.
    ///
    /// # Errors
    ///
    /// When the system's random generator fails.
    pub fn generate() -> Result<Self, RandomUnavailable> {
        Ok(Self(random_bytes()?))
    }

    /// The id in a cookie value, or `None` when the value is not 43
    /// base64url characters (such a cookie is ignored, as if absent).
    #[must_use]
    pub fn from_cookie_value(value: &str) -> Option<Self> {
        b64url_32(value).map(Self)
    }

    /// The cookie value (43 base64url characters).
    #[must_use]
    pub fn to_cookie_value(&self) -> String {
        b64url(&self.0)
    }

    pub(super) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(***)")
    }
}

/// Hashes session ids under the server key (the same key as
/// [`TokenHasher`](super::api_token::TokenHasher)'s may be used: each use
/// has its own label).
#[derive(Clone, Debug)]
pub struct SessionKey {
    key: LabeledKey,
}

impl SessionKey {
    /// A key from the server key.
    #[must_use]
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            key: LabeledKey::new(&key, "rivetr session"),
        }
    }

    /// The hash `id` is stored under.
    #[must_use]
    pub fn hash(&self, id: &SessionId) -> SessionHash {
        SessionHash(hex(self.key.sign(id.as_bytes()).as_ref()))
    }
}

/// Starts, finds and ends sessions in a [`SessionStore`].
#[derive(Debug, Clone)]
pub struct Sessions {
    store: Arc<dyn SessionStore>,
    key: SessionKey,
    ttl: TimeDelta,
}

impl Sessions {
    /// Sessions in `store`, hashed under the server key `key`, lasting
    /// `ttl` from sign-in.
    #[must_use]
    pub fn new(store: Arc<dyn SessionStore>, key: [u8; 32], ttl: TimeDelta) -> Self {
        Self {
            store,
            key: SessionKey::new(key),
            ttl,
        }
    }

    /// How long a session lasts (the cookie's `Max-Age`).
    #[must_use]
    pub fn ttl(&self) -> TimeDelta {
        self.ttl
    }

    /// Start a session for `user` at `now`: the id goes into the cookie
    /// and is not kept.
    ///
    /// # Errors
    ///
    /// `Unavailable` when no random id can be made; the store's errors.
    pub async fn start(&self, user: UserId, now: DateTime<Utc>) -> Result<(SessionId, Session)> {
        let id = SessionId::generate().map_err(|e| {
            rivetr_core::error::Error::unavailable("no random session id").with_source(e)
        })?;
        let session = Session {
            user_id: user,
            created_at: now,
            expires_at: now.checked_add_signed(self.ttl).unwrap_or(now),
        };
        self.store
            .insert(self.key.hash(&id), session.clone())
            .await?;
        Ok((id, session))
    }

    /// The live session whose id is `cookie_value`, at `now`. A malformed
    /// value, an unknown id and an expired session are all `Ok(None)`; an
    /// expired session is deleted.
    ///
    /// # Errors
    ///
    /// The store's errors.
    pub async fn resolve(
        &self,
        cookie_value: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(SessionId, Session)>> {
        let Some(id) = SessionId::from_cookie_value(cookie_value) else {
            return Ok(None);
        };
        let hash = self.key.hash(&id);
        match self.store.get(&hash).await? {
            Some(session) if session.is_expired(now) => {
                self.store.remove(&hash).await?;
                Ok(None)
            }
            Some(session) => Ok(Some((id, session))),
            None => Ok(None),
        }
    }

    /// End the session `id` (sign-out). Idempotent.
    ///
    /// # Errors
    ///
    /// The store's errors.
    pub async fn end(&self, id: &SessionId) -> Result<()> {
        self.store.remove(&self.key.hash(id)).await.map(drop)
    }

    /// End every session of `user`; returns how many there were.
    ///
    /// # Errors
    ///
    /// The store's errors.
    pub async fn end_all(&self, user: UserId) -> Result<usize> {
        self.store.remove_user(user).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::super::session_store::MemorySessionStore;
    use super::*;

    fn sessions() -> (Arc<MemorySessionStore>, Sessions) {
        let store = Arc::new(MemorySessionStore::new());
        let sessions = Sessions::new(store.clone(), [9; 32], TimeDelta::hours(1));
        (store, sessions)
    }

    #[test]
    fn ids_are_random_and_round_trip_through_the_cookie() {
        let a = SessionId::generate().unwrap();
        let b = SessionId::generate().unwrap();
        assert_ne!(a, b);
        let value = a.to_cookie_value();
        assert_eq!(value.len(), 43);
        assert_eq!(SessionId::from_cookie_value(&value), Some(a.clone()));
        assert_eq!(SessionId::from_cookie_value(&value[1..]), None);
        assert_eq!(SessionId::from_cookie_value(&format!("{value}=")), None);
        assert_eq!(format!("{a:?}"), "SessionId(***)");
    }

    #[test]
    fn the_store_sees_only_a_keyed_hash() {
        let id = SessionId::generate().unwrap();
        let hash = SessionKey::new([1; 32]).hash(&id);
        assert_eq!(hash.as_str().len(), 64);
        assert!(!hash.as_str().contains(&hex(id.as_bytes())));
        assert_ne!(SessionKey::new([2; 32]).hash(&id), hash);
        assert_eq!(SessionKey::new([1; 32]).hash(&id), hash);
    }

    #[tokio::test]
    async fn start_resolve_end() {
        let (store, sessions) = sessions();
        let user = UserId::new();
        let t0 = DateTime::UNIX_EPOCH + TimeDelta::days(1);
        let (id, session) = sessions.start(user, t0).await.unwrap();
        assert_eq!(session.expires_at, t0 + TimeDelta::hours(1));
        let value = id.to_cookie_value();
        let (found_id, found) = sessions.resolve(&value, t0).await.unwrap().unwrap();
        assert_eq!((found_id, found), (id.clone(), session));
        // Nothing but the hash is stored.
        assert!(
            store
                .get(&SessionKey::new([9; 32]).hash(&id))
                .await
                .unwrap()
                .is_some()
        );

        assert_eq!(sessions.resolve("not a session", t0).await.unwrap(), None);
        let other = SessionId::generate().unwrap().to_cookie_value();
        assert_eq!(sessions.resolve(&other, t0).await.unwrap(), None);

        sessions.end(&id).await.unwrap();
        sessions.end(&id).await.unwrap();
        assert_eq!(sessions.resolve(&value, t0).await.unwrap(), None);
    }

    #[tokio::test]
    async fn expired_sessions_are_refused_and_deleted() {
        let (store, sessions) = sessions();
        let t0 = DateTime::UNIX_EPOCH;
        let (id, _) = sessions.start(UserId::new(), t0).await.unwrap();
        let value = id.to_cookie_value();
        let almost = t0 + TimeDelta::hours(1) - TimeDelta::seconds(1);
        assert!(sessions.resolve(&value, almost).await.unwrap().is_some());
        let expired = t0 + TimeDelta::hours(1);
        assert_eq!(sessions.resolve(&value, expired).await.unwrap(), None);
        assert_eq!(
            store
                .remove_expired(DateTime::<Utc>::MAX_UTC)
                .await
                .unwrap(),
            0
        );
    }

    #[tokio::test]
    async fn end_all_signs_a_user_out_everywhere() {
        let (_, sessions) = sessions();
        let (ada, bob) = (UserId::new(), UserId::new());
        let t0 = DateTime::UNIX_EPOCH;
        let (a1, _) = sessions.start(ada, t0).await.unwrap();
        let (_, _) = sessions.start(ada, t0).await.unwrap();
        let (b1, _) = sessions.start(bob, t0).await.unwrap();
        assert_eq!(sessions.end_all(ada).await.unwrap(), 2);
        assert!(
            sessions
                .resolve(&a1.to_cookie_value(), t0)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            sessions
                .resolve(&b1.to_cookie_value(), t0)
                .await
                .unwrap()
                .is_some()
        );
    }
}
