//! Versioned, forward-only schema migrations, run at start-up.
//!
//! Each migration runs in its own transaction on both backends (SQLite and
//! PostgreSQL have transactional DDL), so a failed migration leaves the
//! schema as it was. Applied migrations are recorded by name in
//! `seaql_migrations`; a database that names a migration this binary does
//! not know comes from a newer Rivetr and is refused (see
//! [`crate::SqlStore::open`] and [`crate::backup`]).
//!
//! New tables for later features (managed databases, compose services,
//! templates, backups, preview deployments) arrive as new migrations
//! appended to [`Migrator::migrations`]; a migration is never edited once
//! released.

mod m20261207_000001_core;
mod m20261207_000002_platform;
mod m20261208_000001_server;
mod util;

use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};
use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// Rivetr's migrations, oldest first.
#[derive(Debug)]
pub(crate) struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261207_000001_core::Migration),
            Box::new(m20261207_000002_platform::Migration),
            Box::new(m20261208_000001_server::Migration),
        ]
    }
}

/// Names of the migrations this binary knows, oldest first.
pub(crate) fn known_names() -> Vec<String> {
    Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

/// Names of the migrations recorded in `db`, oldest first (empty for a new
/// database).
pub(crate) async fn applied_names<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    let exists = match backend {
        sea_orm::DatabaseBackend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'"
        }
        _ => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'seaql_migrations'"
        }
    };
    let row = db
        .query_one(sea_orm::Statement::from_string(backend, exists))
        .await?;
    let present: i64 = match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    if present == 0 {
        return Ok(Vec::new());
    }
    let rows = db
        .query_all(sea_orm::Statement::from_string(
            backend,
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await?;
    rows.iter()
        .map(|row| row.try_get::<String>("", "version"))
        .collect()
}

/// Bring `db` up to date, one migration per transaction.
///
/// Refuses (with [`SchemaError::Newer`]) a database that has applied a
/// migration this binary does not know.
pub(crate) async fn migrate<C>(db: &C) -> Result<Vec<String>, SchemaError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let known = known_names();
    let applied = applied_names(db).await.map_err(SchemaError::Db)?;
    if let Some(unknown) = applied.iter().find(|name| !known.contains(name)) {
        return Err(SchemaError::Newer {
            migration: unknown.clone(),
        });
    }
    let mut ran = Vec::new();
    for name in known.iter().filter(|name| !applied.contains(name)) {
        let txn = db.begin().await.map_err(SchemaError::Db)?;
        Migrator::up(&txn, Some(1))
            .await
            .map_err(|source| SchemaError::Migration {
                migration: name.clone(),
                source,
            })?;
        txn.commit().await.map_err(SchemaError::Db)?;
        tracing::info!(migration = %name, "applied database migration");
        ran.push(name.clone());
    }
    Ok(ran)
}

/// Why the schema could not be brought up to date.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The database was written by a newer Rivetr.
    #[error(
        "the database has migration {migration}, which this version of Rivetr does not know: it was written by a newer version (upgrade Rivetr, or restore a backup made by this version)"
    )]
    Newer {
        /// The first unknown migration.
        migration: String,
    },
    /// A migration failed (and was rolled back).
    #[error("migration {migration} failed and was rolled back")]
    Migration {
        /// Its name.
        migration: String,
        /// Why.
        #[source]
        source: DbErr,
    },
    /// The database could not be read or written.
    #[error("database error while migrating")]
    Db(#[source] DbErr),
}
