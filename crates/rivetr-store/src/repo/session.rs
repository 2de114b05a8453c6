//! `SessionRepo` on SQL: browser sessions keyed by the hash of their id.
//! A session's user is a foreign key, so deleting a user ends their
//! sessions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, Result};
use rivetr_core::id::UserId;
use rivetr_core::model::StoredSession;
use rivetr_core::store::SessionRepo;
use rivetr_core::store::contract::session_hash;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use super::project::named_conflict;
use crate::SqlStore;
use crate::codec::{self, uuid_of};
use crate::entity::{sessions, users};
use crate::error::DbContext;

const DOING: &str = "read or change browser sessions";

fn session_of(row: sessions::Model) -> StoredSession {
    StoredSession {
        hash: row.hash,
        user_id: UserId::from_uuid(row.user_id),
        created_at: row.created_at,
        expires_at: row.expires_at,
    }
}

#[async_trait]
impl SessionRepo for SqlStore {
    async fn insert_session(&self, scope: &Scope, session: StoredSession) -> Result<StoredSession> {
        const INSERTING: &str = "storing a session";
        scope.require_system(DOING)?;
        session_hash(&session.hash)?;
        let db = &self.db().write;
        let known = users::Entity::find_by_id(uuid_of(session.user_id))
            .count(db)
            .await
            .during(INSERTING)?;
        if known == 0 {
            return Err(Error::not_found(format!("user {}", session.user_id)));
        }
        let session = StoredSession {
            created_at: codec::micros(session.created_at),
            expires_at: codec::micros(session.expires_at),
            ..session
        };
        // The user's foreign key refuses a user deleted meanwhile
        // (`NotFound`); the primary key refuses a hash already stored.
        sessions::Entity::insert(sessions::ActiveModel {
            hash: Set(session.hash.clone()),
            user_id: Set(uuid_of(session.user_id)),
            created_at: Set(session.created_at),
            expires_at: Set(session.expires_at),
        })
        .exec_without_returning(db)
        .await
        .map_err(|e| {
            named_conflict(e, INSERTING, || {
                "a session with this id already exists".to_owned()
            })
        })?;
        Ok(session)
    }

    async fn get_session(&self, scope: &Scope, hash: &str) -> Result<Option<StoredSession>> {
        scope.require_system(DOING)?;
        session_hash(hash)?;
        Ok(sessions::Entity::find_by_id(hash.to_owned())
            .one(&self.db().read)
            .await
            .during("reading a session")?
            .map(session_of))
    }

    async fn remove_session(&self, scope: &Scope, hash: &str) -> Result<bool> {
        scope.require_system(DOING)?;
        session_hash(hash)?;
        let deleted = sessions::Entity::delete_by_id(hash.to_owned())
            .exec(&self.db().write)
            .await
            .during("removing a session")?;
        Ok(deleted.rows_affected > 0)
    }

    async fn remove_user_sessions(&self, scope: &Scope, user: UserId) -> Result<u64> {
        scope.require_system(DOING)?;
        let deleted = sessions::Entity::delete_many()
            .filter(sessions::Column::UserId.eq(uuid_of(user)))
            .exec(&self.db().write)
            .await
            .during("removing a user's sessions")?;
        Ok(deleted.rows_affected)
    }

    async fn remove_expired_sessions(&self, scope: &Scope, now: DateTime<Utc>) -> Result<u64> {
        scope.require_system(DOING)?;
        let deleted = sessions::Entity::delete_many()
            .filter(sessions::Column::ExpiresAt.lte(codec::micros(now)))
            .exec(&self.db().write)
            .await
            .during("removing expired sessions")?;
        Ok(deleted.rows_affected)
    }
}
