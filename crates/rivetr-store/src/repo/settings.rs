//! `SettingsRepo` on SQL: one row per key, the value as JSON text.

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, Result};
use rivetr_core::model::SettingKey;
use rivetr_core::store::SettingsRepo;
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};

use crate::SqlStore;
use crate::codec;
use crate::entity::settings;
use crate::error::DbContext;

const DOING: &str = "read or change instance settings";

#[async_trait]
impl SettingsRepo for SqlStore {
    async fn get_setting(
        &self,
        scope: &Scope,
        key: &SettingKey,
    ) -> Result<Option<serde_json::Value>> {
        scope.require_system(DOING)?;
        settings::Entity::find_by_id(key.as_str().to_owned())
            .one(&self.db().read)
            .await
            .during("reading a setting")?
            .map(|row| codec::parse_json(&row.value, "setting value"))
            .transpose()
    }

    async fn put_setting(
        &self,
        scope: &Scope,
        key: &SettingKey,
        value: serde_json::Value,
    ) -> Result<()> {
        scope.require_system(DOING)?;
        let row = settings::ActiveModel {
            key: Set(key.as_str().to_owned()),
            value: Set(codec::json_text(&value)?),
            updated_at: Set(codec::now()),
        };
        settings::Entity::insert(row)
            .on_conflict(
                OnConflict::column(settings::Column::Key)
                    .update_columns([settings::Column::Value, settings::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec_without_returning(&self.db().write)
            .await
            .during("storing a setting")?;
        Ok(())
    }

    async fn list_settings(&self, scope: &Scope) -> Result<Vec<(SettingKey, serde_json::Value)>> {
        scope.require_system(DOING)?;
        let rows = settings::Entity::find()
            .all(&self.db().read)
            .await
            .during("listing settings")?;
        let mut listed = rows
            .into_iter()
            .map(|row| {
                Ok((
                    codec::parse_text(&row.key, "setting key")?,
                    codec::parse_json(&row.value, "setting value")?,
                ))
            })
            .collect::<Result<Vec<(SettingKey, serde_json::Value)>>>()?;
        // By key as the core orders keys, whatever collation the database uses.
        listed.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(listed)
    }

    async fn delete_setting(&self, scope: &Scope, key: &SettingKey) -> Result<()> {
        scope.require_system(DOING)?;
        let deleted = settings::Entity::delete_by_id(key.as_str().to_owned())
            .exec(&self.db().write)
            .await
            .during("deleting a setting")?;
        if deleted.rows_affected == 0 {
            return Err(Error::not_found(format!("setting {key}")));
        }
        Ok(())
    }
}
