//! The store's own errors and how they map onto [`rivetr_core::Error`].

use rivetr_core::{Error, ErrorKind};
use sea_orm::{DbErr, RuntimeErr, SqlErr};

use crate::migration::SchemaError;
use crate::seal::{KeyFileError, SealError};

/// Why a store could not be opened, migrated, backed up or restored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL is not one this store understands.
    #[error("database URL {url:?}: {reason}")]
    BadUrl {
        /// The URL, with any password removed.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The database could not be reached or answered with an error.
    #[error("{doing}: {source}")]
    Database {
        /// What the store was doing.
        doing: String,
        /// The database's answer.
        #[source]
        source: DbErr,
    },
    /// The schema is from a newer Rivetr, or a migration failed.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// The sealing keys cannot be used.
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    /// A sealed value could not be opened or sealed.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The configured sealing key is not the one this database was sealed
    /// with.
    #[error(
        "sealing key {key_id} does not open this database's check value: the key file holds a different key under that id (restore the original key file)"
    )]
    WrongSealingKey {
        /// The key's id.
        key_id: String,
    },
    /// A backup or restore could not be done.
    #[error("{0}")]
    Backup(String),
    /// A file could not be read or written.
    #[error("{doing}: {source}")]
    Io {
        /// What the store was doing.
        doing: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    pub(crate) fn db(doing: impl Into<String>) -> impl FnOnce(DbErr) -> Self {
        let doing = doing.into();
        move |source| Self::Database { doing, source }
    }
}

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Database { doing, source } => db_error(source).context(doing),
            StoreError::BadUrl { .. } => Error::invalid_input(err.to_string()),
            other => Error::internal(other.to_string()).with_source(other),
        }
    }
}

/// Map a database error onto the core error kinds: unique violations are
/// `Conflict`, foreign-key violations `NotFound` (the parent is gone),
/// connection trouble `Unavailable` (retryable), the rest `Internal`.
pub(crate) fn db_error(err: DbErr) -> Error {
    let kind = match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => ErrorKind::Conflict,
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => ErrorKind::NotFound,
        _ => match &err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => ErrorKind::Unavailable,
            DbErr::RecordNotFound(_) => ErrorKind::NotFound,
            DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))
                if is_transient(e) =>
            {
                ErrorKind::Unavailable
            }
            _ => ErrorKind::Internal,
        },
    };
    let message = match kind {
        ErrorKind::Conflict => "already exists".to_owned(),
        ErrorKind::NotFound => "a record it refers to does not exist".to_owned(),
        ErrorKind::Unavailable => "the database is not answering; try again".to_owned(),
        _ => "database error".to_owned(),
    };
    Error::new(kind, message).with_source(err)
}

/// Errors worth retrying: I/O, pool and busy/locked answers.
fn is_transient(err: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error as E;
    match err {
        E::Io(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed => true,
        E::Database(db) => {
            let code = db.code();
            // SQLite BUSY (5) / LOCKED (6); PostgreSQL serialization
            // failure and deadlock.
            matches!(
                code.as_deref(),
                Some("5" | "6" | "517" | "262" | "40001" | "40P01")
            )
        }
        _ => false,
    }
}

/// Shorthand for mapping a `DbErr` to the core error with what was being done.
pub(crate) trait DbContext<T> {
    /// Map the error, naming what was being done.
    fn during(self, doing: &str) -> rivetr_core::Result<T>;
}

impl<T> DbContext<T> for Result<T, DbErr> {
    fn during(self, doing: &str) -> rivetr_core::Result<T> {
        self.map_err(|e| db_error(e).context(doing))
    }
}
