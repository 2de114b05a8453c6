//! Connecting: SQLite (WAL, foreign keys, busy timeout, one writer beside a
//! pool of readers) or PostgreSQL (one pool), chosen by the URL.

use std::path::PathBuf;
use std::str::FromStr;

use sea_orm::sqlx::ConnectOptions as _;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{DatabaseBackend, DatabaseConnection, SqlxPostgresConnector, SqlxSqliteConnector};

use crate::StoreConfig;
use crate::error::StoreError;

/// Which database a URL names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DatabaseUrl {
    /// A SQLite file, or `None` for a private in-memory database.
    Sqlite(Option<PathBuf>),
    /// A PostgreSQL URL.
    Postgres(String),
}

impl DatabaseUrl {
    pub(crate) fn parse(url: &str) -> Result<Self, StoreError> {
        let bad = |reason: &str| StoreError::BadUrl {
            url: redact(url),
            reason: reason.to_owned(),
        };
        if let Some(rest) = url.strip_prefix("sqlite:") {
            if rest == ":memory:" || rest == "//:memory:" {
                return Ok(Self::Sqlite(None));
            }
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(bad(
                    "no file path (use sqlite:///absolute/path.db or sqlite://relative.db)",
                ));
            }
            return Ok(Self::Sqlite(Some(PathBuf::from(path))));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        Err(bad("unsupported scheme: use sqlite:// or postgres://"))
    }
}

/// `url` with any password replaced by `***`, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The connections a store uses.
#[derive(Clone, Debug)]
pub(crate) struct Db {
    /// Every write goes here (SQLite: exactly one connection, so writers
    /// queue in the pool instead of failing with "database is locked").
    pub(crate) write: DatabaseConnection,
    /// Reads go here (SQLite: read-only connections that WAL lets run
    /// beside the writer; PostgreSQL: the same pool as `write`).
    pub(crate) read: DatabaseConnection,
    /// Which backend.
    pub(crate) backend: DatabaseBackend,
}

impl Db {
    pub(crate) async fn connect(config: &StoreConfig) -> Result<Self, StoreError> {
        match DatabaseUrl::parse(&config.url)? {
            DatabaseUrl::Sqlite(path) => Self::sqlite(config, path).await,
            DatabaseUrl::Postgres(url) => Self::postgres(config, &url).await,
        }
    }

    async fn sqlite(config: &StoreConfig, path: Option<PathBuf>) -> Result<Self, StoreError> {
        let base = match &path {
            Some(path) => SqliteConnectOptions::new().filename(path),
            None => SqliteConnectOptions::from_str("sqlite::memory:").map_err(|e| {
                StoreError::BadUrl {
                    url: config.url.clone(),
                    reason: e.to_string(),
                }
            })?,
        }
        .foreign_keys(true)
        .busy_timeout(config.busy_timeout)
        .disable_statement_logging();
        let base = if path.is_some() {
            base.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
        } else {
            base
        };
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(config.busy_timeout.max(std::time::Duration::from_secs(30)))
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(base.clone().create_if_missing(true))
            .await
            .map_err(|e| StoreError::Database {
                doing: format!("opening SQLite database {}", describe(path.as_ref())),
                source: sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)),
            })?;
        let write = SqlxSqliteConnector::from_sqlx_sqlite_pool(writer);
        // An in-memory database exists only on its one connection.
        let read = match &path {
            None => write.clone(),
            Some(_) => {
                let readers = SqlitePoolOptions::new()
                    .max_connections(config.max_connections.max(1))
                    .acquire_timeout(config.busy_timeout.max(std::time::Duration::from_secs(30)))
                    .connect_lazy_with(base.read_only(true));
                SqlxSqliteConnector::from_sqlx_sqlite_pool(readers)
            }
        };
        Ok(Self {
            write,
            read,
            backend: DatabaseBackend::Sqlite,
        })
    }

    async fn postgres(config: &StoreConfig, url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::BadUrl {
                url: redact(url),
                reason: e.to_string(),
            })?
            .disable_statement_logging();
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections.max(2))
            .acquire_timeout(config.busy_timeout.max(std::time::Duration::from_secs(30)))
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Database {
                doing: format!("connecting to PostgreSQL at {}", redact(url)),
                source: sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)),
            })?;
        let db = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
        Ok(Self {
            write: db.clone(),
            read: db,
            backend: DatabaseBackend::Postgres,
        })
    }
}

fn describe(path: Option<&PathBuf>) -> String {
    path.map_or_else(|| "(in memory)".to_owned(), |p| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/rivetr/r.db").unwrap(),
            DatabaseUrl::Sqlite(Some("/var/lib/rivetr/r.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://r.db?mode=rwc").unwrap(),
            DatabaseUrl::Sqlite(Some("r.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite::memory:").unwrap(),
            DatabaseUrl::Sqlite(None)
        );
        assert!(matches!(
            DatabaseUrl::parse("postgres://u:p@h/db").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        let err = DatabaseUrl::parse("mysql://u:secret@h/db")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unsupported scheme"), "{err}");
        assert!(!err.contains("secret"), "password leaked: {err}");
    }
}
