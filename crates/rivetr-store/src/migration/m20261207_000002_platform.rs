//! Platform tables: credentials, audit log, settings, the job queue,
//! certificates and the ACME account, team credentials, notification
//! channels, invitations, and the sealing-key check values.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, blob, blob_null, boolean, integer, string, string_null, text, text_null,
    timestamp_with_time_zone, timestamp_with_time_zone_null, uuid, uuid_null,
};

use super::m20261207_000001_core::{Teams, Users};
use super::util::{cascade, index, pk_uuid, unique_index};

/// Creates the platform tables.
#[derive(Debug, DeriveMigrationName)]
pub(crate) struct Migration;

// The trait's signature elides the manager's lifetime.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SealingKeys::Table)
                .col(string(SealingKeys::KeyId).primary_key())
                .col(blob(SealingKeys::Check))
                .col(timestamp_with_time_zone(SealingKeys::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(UserCredentials::Table)
                .col(uuid(UserCredentials::UserId).primary_key())
                .col(string_null(UserCredentials::PasswordHash))
                .col(blob_null(UserCredentials::TotpSealed))
                .col(timestamp_with_time_zone(UserCredentials::UpdatedAt))
                .foreign_key(&mut cascade(
                    UserCredentials::Table,
                    UserCredentials::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(
                    ColumnDef::new(AuditLog::Seq)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(uuid(AuditLog::Id).unique_key())
                .col(uuid_null(AuditLog::TeamId))
                .col(uuid_null(AuditLog::Actor))
                .col(string(AuditLog::Action))
                .col(text(AuditLog::Target))
                .col(text(AuditLog::Detail))
                .col(timestamp_with_time_zone(AuditLog::At))
                .to_owned(),
        )
        .await?;
        m.create_index(index(AuditLog::Table, &[AuditLog::TeamId, AuditLog::Seq]))
            .await?;
        m.create_table(
            Table::create()
                .table(Settings::Table)
                .col(string(Settings::Key).primary_key())
                .col(text(Settings::Value))
                .col(timestamp_with_time_zone(Settings::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Jobs::Table)
                .col(pk_uuid(Jobs::Id))
                .col(string(Jobs::Kind))
                .col(text(Jobs::Payload))
                .col(string(Jobs::Status))
                .col(integer(Jobs::Attempts))
                .col(integer(Jobs::MaxAttempts))
                .col(timestamp_with_time_zone(Jobs::RunAfter))
                .col(string_null(Jobs::LeaseWorker))
                .col(big_integer(Jobs::LeaseToken).default(0))
                .col(timestamp_with_time_zone_null(Jobs::LeaseExpiresAt))
                .col(text_null(Jobs::LastError))
                .col(string_null(Jobs::DedupeKey))
                .col(timestamp_with_time_zone(Jobs::CreatedAt))
                .col(timestamp_with_time_zone_null(Jobs::FinishedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index(Jobs::Table, &[Jobs::Status, Jobs::RunAfter]))
            .await?;
        // One unfinished job per dedupe key, enforced by the database.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX jobs_one_open_per_dedupe_key ON jobs (dedupe_key) WHERE status IN ('queued', 'running')",
            )
            .await?;
        m.create_table(
            Table::create()
                .table(Certificates::Table)
                .col(string(Certificates::Key))
                .col(string(Certificates::DirectoryUrl))
                .col(blob(Certificates::PemSealed))
                .col(timestamp_with_time_zone(Certificates::NotAfter))
                .col(timestamp_with_time_zone(Certificates::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(Certificates::Key)
                        .col(Certificates::DirectoryUrl),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AcmeAccounts::Table)
                .col(string(AcmeAccounts::Contact))
                .col(string(AcmeAccounts::DirectoryUrl))
                .col(blob(AcmeAccounts::KeySealed))
                .col(timestamp_with_time_zone(AcmeAccounts::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(AcmeAccounts::Contact)
                        .col(AcmeAccounts::DirectoryUrl),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Credentials::Table)
                .col(pk_uuid(Credentials::Id))
                .col(uuid(Credentials::TeamId))
                .col(string(Credentials::Name))
                .col(string(Credentials::Kind))
                .col(blob(Credentials::ValueSealed))
                .col(timestamp_with_time_zone(Credentials::CreatedAt))
                .col(timestamp_with_time_zone(Credentials::UpdatedAt))
                .foreign_key(&mut cascade(
                    Credentials::Table,
                    Credentials::TeamId,
                    Teams::Table,
                    Teams::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            Credentials::Table,
            &[Credentials::TeamId, Credentials::Name],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(NotificationChannels::Table)
                .col(pk_uuid(NotificationChannels::Id))
                .col(uuid(NotificationChannels::TeamId))
                .col(string(NotificationChannels::Name))
                .col(string(NotificationChannels::Kind))
                .col(blob_null(NotificationChannels::ConfigSealed))
                .col(boolean(NotificationChannels::Enabled))
                .col(timestamp_with_time_zone(NotificationChannels::CreatedAt))
                .foreign_key(&mut cascade(
                    NotificationChannels::Table,
                    NotificationChannels::TeamId,
                    Teams::Table,
                    Teams::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            NotificationChannels::Table,
            &[NotificationChannels::TeamId, NotificationChannels::Name],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(Invitations::Table)
                .col(pk_uuid(Invitations::Id))
                .col(uuid(Invitations::TeamId))
                .col(string(Invitations::Email))
                .col(string(Invitations::Role))
                .col(uuid(Invitations::InvitedBy))
                .col(string(Invitations::TokenHash).unique_key())
                .col(timestamp_with_time_zone(Invitations::ExpiresAt))
                .col(timestamp_with_time_zone(Invitations::CreatedAt))
                .foreign_key(&mut cascade(
                    Invitations::Table,
                    Invitations::TeamId,
                    Teams::Table,
                    Teams::Id,
                ))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum SealingKeys {
    Table,
    KeyId,
    Check,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum UserCredentials {
    Table,
    UserId,
    PasswordHash,
    TotpSealed,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
    Table,
    Seq,
    Id,
    TeamId,
    Actor,
    Action,
    Target,
    Detail,
    At,
}

#[derive(DeriveIden, Clone, Copy)]
enum Settings {
    Table,
    Key,
    Value,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    Status,
    Attempts,
    MaxAttempts,
    RunAfter,
    LeaseWorker,
    LeaseToken,
    LeaseExpiresAt,
    LastError,
    DedupeKey,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Certificates {
    Table,
    Key,
    DirectoryUrl,
    PemSealed,
    NotAfter,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AcmeAccounts {
    Table,
    Contact,
    DirectoryUrl,
    KeySealed,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Credentials {
    Table,
    Id,
    TeamId,
    Name,
    Kind,
    ValueSealed,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum NotificationChannels {
    Table,
    Id,
    TeamId,
    Name,
    Kind,
    ConfigSealed,
    Enabled,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Invitations {
    Table,
    Id,
    TeamId,
    Email,
    Role,
    InvitedBy,
    TokenHash,
    ExpiresAt,
    CreatedAt,
}
