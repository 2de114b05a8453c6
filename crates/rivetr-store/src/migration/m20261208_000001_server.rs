//! Server tables: browser sessions and the webhook delivery log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    string, string_null, text, timestamp_with_time_zone, uuid, uuid_null,
};

use super::m20261207_000001_core::Users;
use super::util::{cascade, index, pk_uuid};

/// Creates the server tables.
#[derive(Debug, DeriveMigrationName)]
pub(crate) struct Migration;

// The trait's signature elides the manager's lifetime.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(string(Sessions::Hash).primary_key())
                .col(uuid(Sessions::UserId))
                .col(timestamp_with_time_zone(Sessions::CreatedAt))
                .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                .foreign_key(&mut cascade(
                    Sessions::Table,
                    Sessions::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(Sessions::Table, &[Sessions::UserId]))
            .await?;
        m.create_index(index(Sessions::Table, &[Sessions::ExpiresAt]))
            .await?;
        m.create_table(
            Table::create()
                .table(WebhookDeliveries::Table)
                .col(pk_uuid(WebhookDeliveries::Id))
                .col(uuid_null(WebhookDeliveries::TeamId))
                .col(uuid_null(WebhookDeliveries::AppId))
                .col(string(WebhookDeliveries::Provider))
                .col(string(WebhookDeliveries::Event))
                .col(string_null(WebhookDeliveries::DeliveryId))
                .col(string(WebhookDeliveries::Outcome))
                .col(text(WebhookDeliveries::Message))
                .col(timestamp_with_time_zone(WebhookDeliveries::ReceivedAt))
                .foreign_key(&mut cascade(
                    WebhookDeliveries::Table,
                    WebhookDeliveries::AppId,
                    Apps::Table,
                    Apps::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            WebhookDeliveries::Table,
            &[WebhookDeliveries::AppId, WebhookDeliveries::ReceivedAt],
        ))
        .await?;
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    Hash,
    UserId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookDeliveries {
    Table,
    Id,
    TeamId,
    AppId,
    Provider,
    Event,
    DeliveryId,
    Outcome,
    Message,
    ReceivedAt,
}

/// The apps table of the core migration, as far as it is referred to here.
#[derive(DeriveIden, Clone, Copy)]
enum Apps {
    Table,
    Id,
}
