//! `EnvVarRepo` on SQL.
//!
//! A plain value is stored in `value`; a secret one is sealed
//! ([`crate::seal`]) into `sealed`, bound to its app and key, and `value`
//! stays NULL, so the database never holds a secret in plain text.
//! Secret values are opened only for callers who may `RevealSecrets`.

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, Result};
use rivetr_core::id::{AppId, EnvVarId, TeamId};
use rivetr_core::input::EnvKey;
use rivetr_core::model::{Action, EnvVar, NewEnvVar, SecretString};
use rivetr_core::store::EnvVarRepo;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};

use super::authorize;
use crate::SqlStore;
use crate::codec::{self, uuid_of};
use crate::entity::{apps, env_vars};
use crate::error::DbContext;

/// Where the secret `key` of the app `app` is sealed: the additional data
/// that binds the sealed bytes to their row. It names the app and key, not
/// the row id, so it stays the same across upserts and a reseal can
/// recompute it from the row.
fn sealed_place(app: uuid::Uuid, key: &str) -> String {
    crate::seal::place("env_vars", "sealed", &[&app, &key])
}

/// The team of app `app` if `scope` may do `action` on it; a missing app and
/// another team's app are both `NotFound`.
///
/// Shared by the env var, domain and volume repositories.
pub(super) async fn authorize_app<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    app: AppId,
    action: Action,
) -> Result<TeamId> {
    let team = apps::Entity::find_by_id(uuid_of(app))
        .select_only()
        .column(apps::Column::TeamId)
        .into_tuple::<uuid::Uuid>()
        .one(conn)
        .await
        .during("reading the app")?;
    authorize(
        scope,
        team.map(TeamId::from_uuid),
        |team| *team,
        action,
        || format!("app {app}"),
    )
}

impl SqlStore {
    /// `row` as `scope` may see it: a secret's value is opened only with
    /// `RevealSecrets`.
    fn env_var_seen(&self, scope: &Scope, row: env_vars::Model) -> Result<EnvVar> {
        let team_id = TeamId::from_uuid(row.team_id);
        let value = match (row.secret, row.value, row.sealed) {
            (true, _, _) if !scope.allows(team_id, Action::RevealSecrets) => None,
            (true, _, Some(sealed)) => Some(self.open_env_var(row.app_id, &row.key, &sealed)?),
            (false, Some(value), _) => Some(SecretString::new(value)),
            (true, _, None) => return Err(codec::corrupt("secret env var", &row.key)),
            (false, None, _) => return Err(codec::corrupt("plain env var", &row.key)),
        };
        Ok(EnvVar {
            id: EnvVarId::from_uuid(row.id),
            team_id,
            app_id: AppId::from_uuid(row.app_id),
            key: codec::parse_text(&row.key, "env var key")?,
            value,
            secret: row.secret,
            updated_at: row.updated_at,
        })
    }

    /// The plain text of a sealed env var; a value that does not open (a
    /// wrong or missing key, tampering, a value moved from another row) is
    /// an `Internal` error, never garbage.
    fn open_env_var(&self, app: uuid::Uuid, key: &str, sealed: &[u8]) -> Result<SecretString> {
        self.open_secret(
            &sealed_place(app, key),
            sealed,
            &format!("the secret env var {key} of app {app}"),
        )
    }
}

#[async_trait]
impl EnvVarRepo for SqlStore {
    async fn set_env_var(&self, scope: &Scope, new: NewEnvVar) -> Result<EnvVar> {
        let app = uuid_of(new.app_id);
        let (value, sealed) = if new.secret {
            let place = sealed_place(app, new.key.as_str());
            let sealed = self
                .sealer()
                .seal(place.as_bytes(), new.value.expose().as_bytes())
                .map_err(|e| Error::internal("sealing a secret env var").with_source(e))?;
            (None, Some(sealed))
        } else {
            (Some(new.value.expose().to_owned()), None)
        };
        let txn = self
            .db()
            .write
            .begin()
            .await
            .during("starting a transaction")?;
        let team = authorize_app(&txn, scope, new.app_id, Action::ManageApps).await?;
        let row = env_vars::ActiveModel {
            id: Set(uuid_of(EnvVarId::new())),
            app_id: Set(app),
            team_id: Set(uuid_of(team)),
            key: Set(new.key.as_str().to_owned()),
            value: Set(value),
            sealed: Set(sealed),
            secret: Set(new.secret),
            updated_at: Set(codec::now()),
        };
        // One statement decides insert or replace, so two writers of the
        // same key cannot both insert; the row keeps its first id.
        env_vars::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([env_vars::Column::AppId, env_vars::Column::Key])
                    .update_columns([
                        env_vars::Column::Value,
                        env_vars::Column::Sealed,
                        env_vars::Column::Secret,
                        env_vars::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await
            .during("storing the env var")?;
        let stored = env_vars::Entity::find()
            .filter(env_vars::Column::AppId.eq(app))
            .filter(env_vars::Column::Key.eq(new.key.as_str()))
            .one(&txn)
            .await
            .during("reading the stored env var")?
            .ok_or_else(|| Error::internal("the env var just stored is missing"))?;
        txn.commit().await.during("committing the env var")?;
        let mut var = EnvVar {
            id: EnvVarId::from_uuid(stored.id),
            team_id: team,
            app_id: new.app_id,
            key: new.key,
            value: Some(new.value),
            secret: stored.secret,
            updated_at: stored.updated_at,
        };
        if var.secret && !scope.allows(team, Action::RevealSecrets) {
            var.value = None;
        }
        Ok(var)
    }

    async fn list_env_vars(&self, scope: &Scope, app: AppId) -> Result<Vec<EnvVar>> {
        let db = &self.db().read;
        authorize_app(db, scope, app, Action::Read).await?;
        let rows = env_vars::Entity::find()
            .filter(env_vars::Column::AppId.eq(uuid_of(app)))
            .all(db)
            .await
            .during("listing env vars")?;
        let mut vars = rows
            .into_iter()
            .map(|row| self.env_var_seen(scope, row))
            .collect::<Result<Vec<_>>>()?;
        // By key in byte order, whatever collation the database uses.
        vars.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(vars)
    }

    async fn delete_env_var(&self, scope: &Scope, app: AppId, key: &EnvKey) -> Result<()> {
        let txn = self
            .db()
            .write
            .begin()
            .await
            .during("starting a transaction")?;
        authorize_app(&txn, scope, app, Action::ManageApps).await?;
        let deleted = env_vars::Entity::delete_many()
            .filter(env_vars::Column::AppId.eq(uuid_of(app)))
            .filter(env_vars::Column::Key.eq(key.as_str()))
            .exec(&txn)
            .await
            .during("deleting the env var")?;
        if deleted.rows_affected == 0 {
            return Err(Error::not_found(format!("env var {key} of this app")));
        }
        txn.commit()
            .await
            .during("committing the env var deletion")?;
        Ok(())
    }
}
