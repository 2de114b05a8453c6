//! `VolumeRepo` on SQL: named volume records, the name unique on the whole
//! instance (a unique index decides races).

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, ErrorKind, Result};
use rivetr_core::id::{AppId, TeamId, VolumeId};
use rivetr_core::model::{Action, NewVolume, Volume};
use rivetr_core::store::VolumeRepo;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::authorize;
use super::env_var::authorize_app;
use crate::SqlStore;
use crate::codec::{self, uuid_of};
use crate::entity::volumes;
use crate::error::DbContext;

fn volume_of(row: &volumes::Model) -> Result<Volume> {
    Ok(Volume {
        id: VolumeId::from_uuid(row.id),
        team_id: TeamId::from_uuid(row.team_id),
        app_id: AppId::from_uuid(row.app_id),
        name: codec::parse_text(&row.name, "volume name")?,
        mount_path: codec::parse_text(&row.mount_path, "volume mount path")?,
        created_at: row.created_at,
    })
}

#[async_trait]
impl VolumeRepo for SqlStore {
    async fn create_volume(&self, scope: &Scope, new: NewVolume) -> Result<Volume> {
        let db = &self.db().write;
        let team_id = authorize_app(db, scope, new.app_id, Action::ManageApps).await?;
        let volume = Volume {
            id: VolumeId::new(),
            team_id,
            app_id: new.app_id,
            name: new.name,
            mount_path: new.mount_path,
            created_at: codec::now(),
        };
        let row = volumes::ActiveModel {
            id: Set(uuid_of(volume.id)),
            app_id: Set(uuid_of(volume.app_id)),
            team_id: Set(uuid_of(team_id)),
            name: Set(volume.name.as_str().to_owned()),
            mount_path: Set(volume.mount_path.as_str().to_owned()),
            created_at: Set(volume.created_at),
        };
        // The unique index on `name` decides between concurrent creates.
        row.insert(db)
            .await
            .during("creating the volume")
            .map_err(|e| match e.kind() {
                ErrorKind::Conflict => Error::conflict(format!(
                    "volume \"{}\" already exists on this instance",
                    volume.name
                ))
                .with_source(e),
                _ => e,
            })?;
        Ok(volume)
    }

    async fn list_volumes(&self, scope: &Scope, app: AppId) -> Result<Vec<Volume>> {
        let db = &self.db().read;
        authorize_app(db, scope, app, Action::Read).await?;
        volumes::Entity::find()
            .filter(volumes::Column::AppId.eq(uuid_of(app)))
            .order_by_asc(volumes::Column::CreatedAt)
            .order_by_asc(volumes::Column::Id)
            .all(db)
            .await
            .during("listing volumes")?
            .iter()
            .map(volume_of)
            .collect()
    }

    async fn delete_volume(&self, scope: &Scope, id: VolumeId) -> Result<()> {
        let db = &self.db().write;
        let row = volumes::Entity::find_by_id(uuid_of(id))
            .one(db)
            .await
            .during("reading the volume")?;
        authorize(
            scope,
            row,
            |row| TeamId::from_uuid(row.team_id),
            Action::ManageApps,
            || format!("volume {id}"),
        )?;
        let deleted = volumes::Entity::delete_by_id(uuid_of(id))
            .exec(db)
            .await
            .during("deleting the volume")?;
        if deleted.rows_affected == 0 {
            return Err(Error::not_found(format!("volume {id}")));
        }
        Ok(())
    }
}
