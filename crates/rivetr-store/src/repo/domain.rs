//! `DomainRepo` on SQL.
//!
//! A host is unique on the whole instance (a unique index decides races);
//! `basic_auth` is JSON holding the user name and a password hash, never a
//! password.

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, ErrorKind, Result};
use rivetr_core::id::{AppId, DomainId, TeamId};
use rivetr_core::model::{Action, BasicAuth, Domain, NewDomain};
use rivetr_core::store::DomainRepo;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::env_var::authorize_app;
use super::{authorize, team_filter};
use crate::SqlStore;
use crate::codec::{self, uuid_of};
use crate::entity::domains;
use crate::error::DbContext;

fn domain_of(row: &domains::Model) -> Result<Domain> {
    Ok(Domain {
        id: DomainId::from_uuid(row.id),
        team_id: TeamId::from_uuid(row.team_id),
        app_id: AppId::from_uuid(row.app_id),
        host: codec::parse_text(&row.host, "domain host")?,
        force_https: row.force_https,
        redirect_to: row
            .redirect_to
            .as_deref()
            .map(|to| codec::parse_text(to, "domain redirect"))
            .transpose()?,
        basic_auth: row
            .basic_auth
            .as_deref()
            .map(|json| codec::parse_json::<BasicAuth>(json, "domain basic auth"))
            .transpose()?,
        created_at: row.created_at,
    })
}

#[async_trait]
impl DomainRepo for SqlStore {
    async fn add_domain(&self, scope: &Scope, new: NewDomain) -> Result<Domain> {
        let db = &self.db().write;
        let team_id = authorize_app(db, scope, new.app_id, Action::ManageApps).await?;
        let domain = Domain {
            id: DomainId::new(),
            team_id,
            app_id: new.app_id,
            host: new.host,
            force_https: new.force_https,
            redirect_to: new.redirect_to,
            basic_auth: new.basic_auth,
            created_at: codec::now(),
        };
        let row = domains::ActiveModel {
            id: Set(uuid_of(domain.id)),
            app_id: Set(uuid_of(domain.app_id)),
            team_id: Set(uuid_of(team_id)),
            host: Set(domain.host.to_string()),
            force_https: Set(domain.force_https),
            redirect_to: Set(domain.redirect_to.as_ref().map(|to| to.as_str().to_owned())),
            basic_auth: Set(domain
                .basic_auth
                .as_ref()
                .map(codec::json_text)
                .transpose()?),
            created_at: Set(domain.created_at),
        };
        // The unique index on `host` decides between concurrent adds.
        row.insert(db)
            .await
            .during("adding the domain")
            .map_err(|e| match e.kind() {
                ErrorKind::Conflict => Error::conflict(format!(
                    "domain {} is already attached to an app",
                    domain.host
                ))
                .with_source(e),
                _ => e,
            })?;
        Ok(domain)
    }

    async fn list_domains(&self, scope: &Scope, app: Option<AppId>) -> Result<Vec<Domain>> {
        let db = &self.db().read;
        let mut query = domains::Entity::find();
        if let Some(app) = app {
            authorize_app(db, scope, app, Action::Read).await?;
            query = query.filter(domains::Column::AppId.eq(uuid_of(app)));
        }
        if let Some(team) = team_filter(scope) {
            query = query.filter(domains::Column::TeamId.eq(team));
        }
        query
            .order_by_asc(domains::Column::CreatedAt)
            .order_by_asc(domains::Column::Id)
            .all(db)
            .await
            .during("listing domains")?
            .iter()
            .map(domain_of)
            .collect()
    }

    async fn remove_domain(&self, scope: &Scope, id: DomainId) -> Result<()> {
        let db = &self.db().write;
        let row = domains::Entity::find_by_id(uuid_of(id))
            .one(db)
            .await
            .during("reading the domain")?;
        authorize(
            scope,
            row,
            |row| TeamId::from_uuid(row.team_id),
            Action::ManageApps,
            || format!("domain {id}"),
        )?;
        let deleted = domains::Entity::delete_by_id(uuid_of(id))
            .exec(db)
            .await
            .during("removing the domain")?;
        if deleted.rows_affected == 0 {
            return Err(Error::not_found(format!("domain {id}")));
        }
        Ok(())
    }
}
