//! `SecretRepo` on SQL: teams' credentials, the value sealed
//! ([`crate::seal`]) and bound to the row's id, opened only for scopes that
//! may `RevealSecrets` (and the system).

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, ErrorKind, Result};
use rivetr_core::id::{CredentialId, TeamId};
use rivetr_core::model::{Action, Credential, NewCredential, SecretString};
use rivetr_core::store::SecretRepo;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

use super::identity::{locked_team, team_id};
use super::{authorize, team_filter};
use crate::SqlStore;
use crate::codec::{self, uuid_of};
use crate::entity::credentials;
use crate::error::DbContext;

/// How many times `put_credential` tries again when a concurrent writer
/// created the same name first (PostgreSQL; SQLite's single writer never
/// races).
const PUT_TRIES: usize = 3;

/// Where the value of credential `id` is sealed: the additional data that
/// binds the sealed bytes to their row.
fn value_place(id: uuid::Uuid) -> String {
    crate::seal::place("credentials", "value_sealed", &[&id])
}

fn what(id: CredentialId) -> String {
    format!("credential {id}")
}

impl SqlStore {
    /// `row` as `scope` may see it: the value is opened only with
    /// `RevealSecrets`.
    fn credential_seen(&self, scope: &Scope, row: &credentials::Model) -> Result<Credential> {
        let team_id = TeamId::from_uuid(row.team_id);
        let value = if scope.allows(team_id, Action::RevealSecrets) {
            Some(self.open_credential(row)?)
        } else {
            None
        };
        Ok(Credential {
            id: CredentialId::from_uuid(row.id),
            team_id,
            name: codec::parse_text(&row.name, "credential name")?,
            kind: codec::parse_enum(&row.kind, "credential kind")?,
            value,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    /// The plain value of a credential row; a value that does not open (a
    /// wrong or missing key, tampering, a value moved from another row) is
    /// an `Internal` error, never garbage.
    fn open_credential(&self, row: &credentials::Model) -> Result<SecretString> {
        self.open_secret(
            &value_place(row.id),
            &row.value_sealed,
            &format!("the value of credential {}", row.id),
        )
    }

    /// One try of `put_credential`: insert, or replace the team's
    /// credential of the same name, in one transaction.
    async fn try_put_credential(
        &self,
        scope: &Scope,
        new: &NewCredential,
    ) -> Result<credentials::Model> {
        let team = new.team_id;
        let txn = self
            .db()
            .write
            .begin()
            .await
            .during("starting a transaction")?;
        let row = locked_team(&txn, team).await?;
        authorize(scope, row, team_id, Action::ManageApps, || {
            format!("team {team}")
        })?;
        let existing = credentials::Entity::find()
            .filter(credentials::Column::TeamId.eq(uuid_of(team)))
            .filter(credentials::Column::Name.eq(new.name.as_str()))
            .one(&txn)
            .await
            .during("reading the credential")?;
        let now = codec::now();
        let id = existing
            .as_ref()
            .map_or_else(|| uuid_of(CredentialId::new()), |row| row.id);
        let sealed = self
            .sealer()
            .seal(value_place(id).as_bytes(), new.value.expose().as_bytes())
            .map_err(|e| Error::internal("sealing a credential").with_source(e))?;
        let stored = match existing {
            Some(row) => {
                let mut row = row.into_active_model();
                row.kind = Set(new.kind.as_str().to_owned());
                row.value_sealed = Set(sealed);
                row.updated_at = Set(now);
                row.update(&txn).await.during("replacing the credential")?
            }
            None => credentials::ActiveModel {
                id: Set(id),
                team_id: Set(uuid_of(team)),
                name: Set(new.name.as_str().to_owned()),
                kind: Set(new.kind.as_str().to_owned()),
                value_sealed: Set(sealed),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await
            .during("storing the credential")?,
        };
        txn.commit().await.during("committing the credential")?;
        Ok(stored)
    }
}

#[async_trait]
impl SecretRepo for SqlStore {
    async fn put_credential(&self, scope: &Scope, new: NewCredential) -> Result<Credential> {
        let mut tries = 0;
        let stored = loop {
            tries += 1;
            match self.try_put_credential(scope, &new).await {
                // Another writer inserted the name first: replace theirs.
                Err(e) if e.kind() == ErrorKind::Conflict && tries < PUT_TRIES => {}
                other => break other?,
            }
        };
        let mut seen = self.credential_seen(&Scope::system(), &stored)?;
        if !scope.allows(new.team_id, Action::RevealSecrets) {
            seen.value = None;
        }
        Ok(seen)
    }

    async fn list_credentials(&self, scope: &Scope) -> Result<Vec<Credential>> {
        let mut query = credentials::Entity::find()
            .order_by_asc(credentials::Column::CreatedAt)
            .order_by_asc(credentials::Column::Id);
        if let Some(team) = team_filter(scope) {
            query = query.filter(credentials::Column::TeamId.eq(team));
        }
        query
            .all(&self.db().read)
            .await
            .during("listing credentials")?
            .into_iter()
            .map(|row| self.credential_seen(scope, &row))
            .collect()
    }

    async fn get_credential(&self, scope: &Scope, id: CredentialId) -> Result<Credential> {
        let row = credentials::Entity::find_by_id(uuid_of(id))
            .one(&self.db().read)
            .await
            .during("reading the credential")?;
        let row = authorize(
            scope,
            row,
            |row| TeamId::from_uuid(row.team_id),
            Action::Read,
            || what(id),
        )?;
        self.credential_seen(scope, &row)
    }

    async fn delete_credential(&self, scope: &Scope, id: CredentialId) -> Result<()> {
        let txn = self
            .db()
            .write
            .begin()
            .await
            .during("starting a transaction")?;
        let row = credentials::Entity::find_by_id(uuid_of(id))
            .one(&txn)
            .await
            .during("reading the credential")?;
        authorize(
            scope,
            row,
            |row| TeamId::from_uuid(row.team_id),
            Action::ManageApps,
            || what(id),
        )?;
        let deleted = credentials::Entity::delete_by_id(uuid_of(id))
            .exec(&txn)
            .await
            .during("deleting the credential")?;
        if deleted.rows_affected == 0 {
            return Err(Error::not_found(what(id)));
        }
        txn.commit()
            .await
            .during("committing the credential deletion")?;
        Ok(())
    }
}
