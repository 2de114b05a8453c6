//! `CredentialRepo` on SQL: one `user_credentials` row per user, holding the
//! password hash and the TOTP secret, the secret sealed ([`crate::seal`])
//! and bound to its user. The row's foreign key to `users` decides whether
//! the user exists when writing, so a deleted user's row cannot appear.

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, ErrorKind, Result};
use rivetr_core::id::UserId;
use rivetr_core::model::{PasswordHash, SecretString};
use rivetr_core::store::CredentialRepo;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, Set};

use crate::SqlStore;
use crate::codec::{self, uuid_of};
use crate::entity::{user_credentials, users};
use crate::error::DbContext;

const DOING: &str = "read or change sign-in credentials";

/// Where the TOTP secret of `user` is sealed: the additional data that binds
/// the sealed bytes to their row.
fn totp_place(user: uuid::Uuid) -> String {
    crate::seal::place("user_credentials", "totp_sealed", &[&user])
}

fn unknown_user(user: UserId) -> Error {
    Error::not_found(format!("user {user}"))
}

impl SqlStore {
    /// The user's credentials row; `NotFound` for an unknown user,
    /// `Ok(None)` for a user without one.
    async fn credentials_row(&self, user: UserId) -> Result<Option<user_credentials::Model>> {
        let db = &self.db().read;
        let row = user_credentials::Entity::find_by_id(uuid_of(user))
            .one(db)
            .await
            .during("reading sign-in credentials")?;
        if row.is_none() {
            known_user(db, user).await?;
        }
        Ok(row)
    }

    /// Store `row` for its user, replacing the `columns` it sets; an unknown
    /// user is `NotFound`.
    async fn put_credentials(
        &self,
        user: UserId,
        row: user_credentials::ActiveModel,
        columns: [user_credentials::Column; 2],
    ) -> Result<()> {
        user_credentials::Entity::insert(row)
            .on_conflict(
                OnConflict::column(user_credentials::Column::UserId)
                    .update_columns(columns)
                    .to_owned(),
            )
            .exec_without_returning(&self.db().write)
            .await
            .during("storing sign-in credentials")
            .map_err(|e| match e.kind() {
                // The foreign key to `users`.
                ErrorKind::NotFound => unknown_user(user).with_source(e),
                _ => e,
            })?;
        Ok(())
    }
}

/// `NotFound` unless `user` exists.
async fn known_user<C: ConnectionTrait>(db: &C, user: UserId) -> Result<()> {
    let found = users::Entity::find_by_id(uuid_of(user))
        .count(db)
        .await
        .during("reading the user")?;
    if found == 0 {
        return Err(unknown_user(user));
    }
    Ok(())
}

#[async_trait]
impl CredentialRepo for SqlStore {
    async fn set_password_hash(
        &self,
        scope: &Scope,
        user: UserId,
        hash: PasswordHash,
    ) -> Result<()> {
        scope.require_system(DOING)?;
        let row = user_credentials::ActiveModel {
            user_id: Set(uuid_of(user)),
            password_hash: Set(Some(hash.as_str().to_owned())),
            totp_sealed: Set(None),
            updated_at: Set(codec::now()),
        };
        self.put_credentials(
            user,
            row,
            [
                user_credentials::Column::PasswordHash,
                user_credentials::Column::UpdatedAt,
            ],
        )
        .await
    }

    async fn password_hash(&self, scope: &Scope, user: UserId) -> Result<Option<PasswordHash>> {
        scope.require_system(DOING)?;
        let Some(hash) = self
            .credentials_row(user)
            .await?
            .and_then(|row| row.password_hash)
        else {
            return Ok(None);
        };
        // The parse error never echoes the hash.
        hash.parse().map(Some).map_err(|e| {
            Error::internal(format!(
                "the stored password hash of user {user} does not decode"
            ))
            .with_source(e)
        })
    }

    async fn set_totp_secret(
        &self,
        scope: &Scope,
        user: UserId,
        secret: Option<SecretString>,
    ) -> Result<()> {
        scope.require_system(DOING)?;
        let sealed = secret
            .map(|secret| {
                self.sealer()
                    .seal(
                        totp_place(uuid_of(user)).as_bytes(),
                        secret.expose().as_bytes(),
                    )
                    .map_err(|e| Error::internal("sealing a TOTP secret").with_source(e))
            })
            .transpose()?;
        let row = user_credentials::ActiveModel {
            user_id: Set(uuid_of(user)),
            password_hash: Set(None),
            totp_sealed: Set(sealed),
            updated_at: Set(codec::now()),
        };
        self.put_credentials(
            user,
            row,
            [
                user_credentials::Column::TotpSealed,
                user_credentials::Column::UpdatedAt,
            ],
        )
        .await
    }

    async fn totp_secret(&self, scope: &Scope, user: UserId) -> Result<Option<SecretString>> {
        scope.require_system(DOING)?;
        let Some(sealed) = self
            .credentials_row(user)
            .await?
            .and_then(|row| row.totp_sealed)
        else {
            return Ok(None);
        };
        self.open_secret(
            &totp_place(uuid_of(user)),
            &sealed,
            &format!("the TOTP secret of user {user}"),
        )
        .map(Some)
    }
}
