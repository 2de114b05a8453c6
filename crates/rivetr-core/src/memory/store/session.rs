//! Browser sessions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::access::Scope;
use crate::error::{Error, Result};
use crate::id::UserId;
use crate::model::StoredSession;
use crate::store::SessionRepo;
use crate::store::contract::session_hash;

const DOING: &str = "read or change browser sessions";

/// A count as the trait returns it.
fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[async_trait]
impl SessionRepo for MemoryStore {
    async fn insert_session(&self, scope: &Scope, session: StoredSession) -> Result<StoredSession> {
        scope.require_system(DOING)?;
        session_hash(&session.hash)?;
        let mut state = self.state();
        if state.users.get(&session.user_id).is_none() {
            return Err(Error::not_found(format!("user {}", session.user_id)));
        }
        if state.platform.sessions.contains_key(&session.hash) {
            return Err(Error::conflict("a session with this id already exists"));
        }
        state
            .platform
            .sessions
            .insert(session.hash.clone(), session.clone());
        Ok(session)
    }

    async fn get_session(&self, scope: &Scope, hash: &str) -> Result<Option<StoredSession>> {
        scope.require_system(DOING)?;
        session_hash(hash)?;
        Ok(self.state().platform.sessions.get(hash).cloned())
    }

    async fn remove_session(&self, scope: &Scope, hash: &str) -> Result<bool> {
        scope.require_system(DOING)?;
        session_hash(hash)?;
        Ok(self.state().platform.sessions.remove(hash).is_some())
    }

    async fn remove_user_sessions(&self, scope: &Scope, user: UserId) -> Result<u64> {
        scope.require_system(DOING)?;
        let mut state = self.state();
        let sessions = &mut state.platform.sessions;
        let before = sessions.len();
        sessions.retain(|_, s| s.user_id != user);
        Ok(count(before - sessions.len()))
    }

    async fn remove_expired_sessions(&self, scope: &Scope, now: DateTime<Utc>) -> Result<u64> {
        scope.require_system(DOING)?;
        let mut state = self.state();
        let sessions = &mut state.platform.sessions;
        let before = sessions.len();
        sessions.retain(|_, s| !s.is_expired(now));
        Ok(count(before - sessions.len()))
    }
}
