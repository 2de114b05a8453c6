//! `NotificationChannelRepo` on SQL: the config (it holds webhook URLs and
//! SMTP passwords) sealed ([`crate::seal`]) and bound to the row's id,
//! opened only for scopes that may `RevealSecrets` (and the system). Names
//! are unique per team, checked under a lock of the team row.

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, Result};
use rivetr_core::id::{ChannelId, TeamId};
use rivetr_core::model::{Action, NewNotificationChannel, NotificationChannel, SecretString};
use rivetr_core::store::NotificationChannelRepo;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};

use super::identity::{locked_team, team_id};
use super::{authorize, team_filter};
use crate::SqlStore;
use crate::codec::{self, uuid_of};
use crate::entity::notification_channels as channels;
use crate::error::DbContext;

/// Where the config of channel `id` is sealed: the additional data that
/// binds the sealed bytes to their row.
fn config_place(id: uuid::Uuid) -> String {
    crate::seal::place("notification_channels", "config_sealed", &[&id])
}

fn what(id: ChannelId) -> String {
    format!("notification channel {id}")
}

fn check_config(config: &SecretString) -> Result<()> {
    // The error never echoes the config: it holds credentials.
    let refuse = || Error::invalid_input("a channel's config must be a JSON object");
    let value: serde_json::Value = serde_json::from_str(config.expose()).map_err(|_| refuse())?;
    if !value.is_object() {
        return Err(refuse());
    }
    Ok(())
}

/// Channel `id` if `scope` may do `action` on it; a missing channel and
/// another team's are both `NotFound`.
async fn authorized<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    id: ChannelId,
    action: Action,
) -> Result<channels::Model> {
    let row = channels::Entity::find_by_id(uuid_of(id))
        .one(conn)
        .await
        .during("reading the notification channel")?;
    authorize(
        scope,
        row,
        |row| TeamId::from_uuid(row.team_id),
        action,
        || what(id),
    )
}

impl SqlStore {
    /// `row` as `scope` may see it: the config is opened only with
    /// `RevealSecrets`.
    fn channel_seen(&self, scope: &Scope, row: &channels::Model) -> Result<NotificationChannel> {
        let team_id = TeamId::from_uuid(row.team_id);
        let config = if scope.allows(team_id, Action::RevealSecrets) {
            Some(self.open_config(row)?)
        } else {
            None
        };
        Ok(NotificationChannel {
            id: ChannelId::from_uuid(row.id),
            team_id,
            name: codec::parse_text(&row.name, "notification channel name")?,
            kind: codec::parse_enum(&row.kind, "notification channel kind")?,
            config,
            enabled: row.enabled,
            created_at: row.created_at,
        })
    }

    /// The plain config of a channel row; a config that does not open (a
    /// wrong or missing key, tampering, a value moved from another row) is
    /// an `Internal` error, never garbage.
    fn open_config(&self, row: &channels::Model) -> Result<SecretString> {
        let sealed = row.config_sealed.as_deref().ok_or_else(|| {
            Error::internal(format!(
                "notification channel {} has no stored config",
                row.id
            ))
        })?;
        self.open_secret(
            &config_place(row.id),
            sealed,
            &format!("the config of notification channel {}", row.id),
        )
    }
}

#[async_trait]
impl NotificationChannelRepo for SqlStore {
    async fn create_channel(
        &self,
        scope: &Scope,
        new: NewNotificationChannel,
    ) -> Result<NotificationChannel> {
        let team = new.team_id;
        let id = uuid_of(ChannelId::new());
        let txn = self
            .db()
            .write
            .begin()
            .await
            .during("starting a transaction")?;
        // The lock keeps a concurrent create of the same name waiting until
        // this one commits.
        let row = locked_team(&txn, team).await?;
        authorize(scope, row, team_id, Action::ManageProjects, || {
            format!("team {team}")
        })?;
        check_config(&new.config)?;
        let taken = channels::Entity::find()
            .filter(channels::Column::TeamId.eq(uuid_of(team)))
            .filter(channels::Column::Name.eq(new.name.as_str()))
            .count(&txn)
            .await
            .during("looking for a channel of the same name")?;
        if taken > 0 {
            return Err(Error::conflict(format!(
                "a notification channel named \"{}\" already exists in this team",
                new.name
            )));
        }
        let sealed = self
            .sealer()
            .seal(config_place(id).as_bytes(), new.config.expose().as_bytes())
            .map_err(|e| Error::internal("sealing a channel config").with_source(e))?;
        let stored = channels::ActiveModel {
            id: Set(id),
            team_id: Set(uuid_of(team)),
            name: Set(new.name.as_str().to_owned()),
            kind: Set(new.kind.as_str().to_owned()),
            config_sealed: Set(Some(sealed)),
            enabled: Set(new.enabled),
            created_at: Set(codec::now()),
        }
        .insert(&txn)
        .await
        .during("creating the notification channel")?;
        txn.commit()
            .await
            .during("committing the notification channel")?;
        let mut seen = self.channel_seen(&Scope::system(), &stored)?;
        if !scope.allows(team, Action::RevealSecrets) {
            seen.config = None;
        }
        Ok(seen)
    }

    async fn list_channels(&self, scope: &Scope) -> Result<Vec<NotificationChannel>> {
        let mut query = channels::Entity::find()
            .order_by_asc(channels::Column::CreatedAt)
            .order_by_asc(channels::Column::Id);
        if let Some(team) = team_filter(scope) {
            query = query.filter(channels::Column::TeamId.eq(team));
        }
        query
            .all(&self.db().read)
            .await
            .during("listing notification channels")?
            .into_iter()
            .map(|row| self.channel_seen(scope, &row))
            .collect()
    }

    async fn get_channel(&self, scope: &Scope, id: ChannelId) -> Result<NotificationChannel> {
        let row = authorized(&self.db().read, scope, id, Action::Read).await?;
        self.channel_seen(scope, &row)
    }

    async fn set_channel_enabled(
        &self,
        scope: &Scope,
        id: ChannelId,
        enabled: bool,
    ) -> Result<NotificationChannel> {
        let txn = self
            .db()
            .write
            .begin()
            .await
            .during("starting a transaction")?;
        let row = authorized(&txn, scope, id, Action::ManageProjects).await?;
        let mut row = row.into_active_model();
        row.enabled = Set(enabled);
        let stored = row
            .update(&txn)
            .await
            .during("switching the notification channel")?;
        txn.commit()
            .await
            .during("committing the notification channel")?;
        self.channel_seen(scope, &stored)
    }

    async fn delete_channel(&self, scope: &Scope, id: ChannelId) -> Result<()> {
        let txn = self
            .db()
            .write
            .begin()
            .await
            .during("starting a transaction")?;
        authorized(&txn, scope, id, Action::ManageProjects).await?;
        let deleted = channels::Entity::delete_by_id(uuid_of(id))
            .exec(&txn)
            .await
            .during("deleting the notification channel")?;
        if deleted.rows_affected == 0 {
            return Err(Error::not_found(what(id)));
        }
        txn.commit()
            .await
            .during("committing the notification channel deletion")?;
        Ok(())
    }
}
