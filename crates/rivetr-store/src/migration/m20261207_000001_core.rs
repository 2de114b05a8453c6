//! The core model: identity, projects, apps, deployments and their logs,
//! env vars, domains and volumes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, blob_null, boolean, integer, string, string_null, text, text_null,
    timestamp_with_time_zone, timestamp_with_time_zone_null, uuid, uuid_null,
};

use super::util::{cascade, index, pk_uuid, unique_index};

/// Creates the core tables.
#[derive(Debug, DeriveMigrationName)]
pub(crate) struct Migration;

// The trait's signature elides the manager's lifetime.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Teams::Table)
                .col(pk_uuid(Teams::Id))
                .col(string(Teams::Name))
                .col(timestamp_with_time_zone(Teams::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(pk_uuid(Users::Id))
                .col(string(Users::Email).unique_key())
                .col(string(Users::Name))
                .col(boolean(Users::InstanceAdmin))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .to_owned(),
        )
        .await?;
        // E-mail addresses are unique whatever their case (sign-in ignores it).
        m.get_connection()
            .execute_unprepared("CREATE UNIQUE INDEX users_email_lower ON users (lower(email))")
            .await?;
        m.create_table(
            Table::create()
                .table(Memberships::Table)
                .col(uuid(Memberships::TeamId))
                .col(uuid(Memberships::UserId))
                .col(string(Memberships::Role))
                .col(timestamp_with_time_zone(Memberships::JoinedAt))
                .primary_key(
                    Index::create()
                        .col(Memberships::TeamId)
                        .col(Memberships::UserId),
                )
                .foreign_key(&mut cascade(
                    Memberships::Table,
                    Memberships::TeamId,
                    Teams::Table,
                    Teams::Id,
                ))
                .foreign_key(&mut cascade(
                    Memberships::Table,
                    Memberships::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(Memberships::Table, &[Memberships::UserId]))
            .await?;
        m.create_table(
            Table::create()
                .table(ApiTokens::Table)
                .col(pk_uuid(ApiTokens::Id))
                .col(uuid(ApiTokens::UserId))
                .col(uuid(ApiTokens::TeamId))
                .col(string(ApiTokens::Name))
                .col(string(ApiTokens::Scope))
                .col(string(ApiTokens::TokenHash).unique_key())
                .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiTokens::ExpiresAt))
                .foreign_key(&mut cascade(
                    ApiTokens::Table,
                    ApiTokens::TeamId,
                    Teams::Table,
                    Teams::Id,
                ))
                .foreign_key(&mut cascade(
                    ApiTokens::Table,
                    ApiTokens::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            ApiTokens::Table,
            &[ApiTokens::TeamId, ApiTokens::UserId],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(Projects::Table)
                .col(pk_uuid(Projects::Id))
                .col(uuid(Projects::TeamId))
                .col(string(Projects::Name))
                .col(timestamp_with_time_zone(Projects::CreatedAt))
                .foreign_key(&mut cascade(
                    Projects::Table,
                    Projects::TeamId,
                    Teams::Table,
                    Teams::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            Projects::Table,
            &[Projects::TeamId, Projects::Name],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(Environments::Table)
                .col(pk_uuid(Environments::Id))
                .col(uuid(Environments::ProjectId))
                .col(uuid(Environments::TeamId))
                .col(string(Environments::Name))
                .col(timestamp_with_time_zone(Environments::CreatedAt))
                .foreign_key(&mut cascade(
                    Environments::Table,
                    Environments::ProjectId,
                    Projects::Table,
                    Projects::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            Environments::Table,
            &[Environments::ProjectId, Environments::Name],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(Apps::Table)
                .col(pk_uuid(Apps::Id))
                .col(uuid(Apps::TeamId))
                .col(uuid(Apps::ProjectId))
                .col(uuid(Apps::EnvironmentId))
                .col(string(Apps::Name))
                .col(text(Apps::Spec))
                .col(big_integer(Apps::LastDeploymentNumber).default(0))
                .col(timestamp_with_time_zone(Apps::CreatedAt))
                .col(timestamp_with_time_zone(Apps::UpdatedAt))
                .foreign_key(&mut cascade(
                    Apps::Table,
                    Apps::EnvironmentId,
                    Environments::Table,
                    Environments::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            Apps::Table,
            &[Apps::EnvironmentId, Apps::Name],
        ))
        .await?;
        m.create_index(index(Apps::Table, &[Apps::TeamId])).await?;
        m.create_table(
            Table::create()
                .table(Deployments::Table)
                .col(pk_uuid(Deployments::Id))
                .col(uuid(Deployments::AppId))
                .col(uuid(Deployments::TeamId))
                .col(big_integer(Deployments::Number))
                .col(text(Deployments::Trigger))
                .col(uuid_null(Deployments::RequestedBy))
                .col(string(Deployments::Status))
                .col(text_null(Deployments::Reason))
                .col(text_null(Deployments::CommitInfo))
                .col(string_null(Deployments::Image))
                .col(text(Deployments::Containers))
                .col(big_integer(Deployments::LogLines).default(0))
                .col(big_integer(Deployments::LogBytes).default(0))
                .col(timestamp_with_time_zone(Deployments::CreatedAt))
                .col(timestamp_with_time_zone_null(Deployments::StartedAt))
                .col(timestamp_with_time_zone_null(Deployments::FinishedAt))
                .foreign_key(&mut cascade(
                    Deployments::Table,
                    Deployments::AppId,
                    Apps::Table,
                    Apps::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            Deployments::Table,
            &[Deployments::AppId, Deployments::Number],
        ))
        .await?;
        m.create_index(index(Deployments::Table, &[Deployments::Status]))
            .await?;
        // At most one live deployment per app, enforced by the database.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX deployments_one_live_per_app ON deployments (app_id) WHERE status = 'live'",
            )
            .await?;
        m.create_table(
            Table::create()
                .table(LogChunks::Table)
                .col(uuid(LogChunks::DeploymentId))
                .col(big_integer(LogChunks::FirstSeq))
                .col(big_integer(LogChunks::LastSeq))
                .col(integer(LogChunks::Bytes))
                .col(text(LogChunks::Lines))
                .col(timestamp_with_time_zone(LogChunks::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(LogChunks::DeploymentId)
                        .col(LogChunks::FirstSeq),
                )
                .foreign_key(&mut cascade(
                    LogChunks::Table,
                    LogChunks::DeploymentId,
                    Deployments::Table,
                    Deployments::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            LogChunks::Table,
            &[LogChunks::DeploymentId, LogChunks::LastSeq],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(EnvVars::Table)
                .col(pk_uuid(EnvVars::Id))
                .col(uuid(EnvVars::AppId))
                .col(uuid(EnvVars::TeamId))
                .col(string(EnvVars::Key))
                .col(text_null(EnvVars::Value))
                .col(blob_null(EnvVars::Sealed))
                .col(boolean(EnvVars::Secret))
                .col(timestamp_with_time_zone(EnvVars::UpdatedAt))
                .foreign_key(&mut cascade(
                    EnvVars::Table,
                    EnvVars::AppId,
                    Apps::Table,
                    Apps::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            EnvVars::Table,
            &[EnvVars::AppId, EnvVars::Key],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(Domains::Table)
                .col(pk_uuid(Domains::Id))
                .col(uuid(Domains::AppId))
                .col(uuid(Domains::TeamId))
                .col(string(Domains::Host).unique_key())
                .col(boolean(Domains::ForceHttps))
                .col(string_null(Domains::RedirectTo))
                .col(text_null(Domains::BasicAuth))
                .col(timestamp_with_time_zone(Domains::CreatedAt))
                .foreign_key(&mut cascade(
                    Domains::Table,
                    Domains::AppId,
                    Apps::Table,
                    Apps::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(Domains::Table, &[Domains::TeamId]))
            .await?;
        m.create_table(
            Table::create()
                .table(Volumes::Table)
                .col(pk_uuid(Volumes::Id))
                .col(uuid(Volumes::AppId))
                .col(uuid(Volumes::TeamId))
                .col(string(Volumes::Name).unique_key())
                .col(string(Volumes::MountPath))
                .col(timestamp_with_time_zone(Volumes::CreatedAt))
                .foreign_key(&mut cascade(
                    Volumes::Table,
                    Volumes::AppId,
                    Apps::Table,
                    Apps::Id,
                ))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Teams {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Users {
    Table,
    Id,
    Email,
    Name,
    InstanceAdmin,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Memberships {
    Table,
    TeamId,
    UserId,
    Role,
    JoinedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    TeamId,
    Name,
    Scope,
    TokenHash,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Projects {
    Table,
    Id,
    TeamId,
    Name,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Environments {
    Table,
    Id,
    ProjectId,
    TeamId,
    Name,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Apps {
    Table,
    Id,
    TeamId,
    ProjectId,
    EnvironmentId,
    Name,
    Spec,
    LastDeploymentNumber,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Deployments {
    Table,
    Id,
    AppId,
    TeamId,
    Number,
    Trigger,
    RequestedBy,
    Status,
    Reason,
    CommitInfo,
    Image,
    Containers,
    LogLines,
    LogBytes,
    CreatedAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum LogChunks {
    Table,
    DeploymentId,
    FirstSeq,
    LastSeq,
    Bytes,
    Lines,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum EnvVars {
    Table,
    Id,
    AppId,
    TeamId,
    Key,
    Value,
    Sealed,
    Secret,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Domains {
    Table,
    Id,
    AppId,
    TeamId,
    Host,
    ForceHttps,
    RedirectTo,
    BasicAuth,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Volumes {
    Table,
    Id,
    AppId,
    TeamId,
    Name,
    MountPath,
    CreatedAt,
}
