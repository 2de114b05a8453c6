#![doc = include_str!("../README.md")]

pub mod seal;

mod backup;
mod codec;
mod config;
mod db;
mod entity;
mod error;
mod migration;
mod repo;
mod reseal;

use std::fmt;
use std::sync::Arc;

use chrono::Utc;
use rivetr_core::store::{Store, StoreCapabilities};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

pub use backup::{BackupReport, RestoreReport};
pub use config::{LogLimits, Sealing, StoreConfig};
pub use error::StoreError;
pub use migration::SchemaError;
pub use repo::PruneReport;
pub use reseal::ResealReport;
pub use rivetr_core;

use db::Db;
use seal::{KeyFile, Sealer};

/// Rivetr's durable [`Store`] on SQLite or PostgreSQL.
///
/// Cloning gives another handle to the same connections.
///
/// ```no_run
/// # async fn run() -> Result<(), rivetr_store::StoreError> {
/// use rivetr_store::{Sealing, SqlStore, StoreConfig};
///
/// let store = SqlStore::open(StoreConfig::new(
///     "sqlite:///var/lib/rivetr/rivetr.db",
///     Sealing::KeyFile("/var/lib/rivetr/sealing.keys".into()),
/// ))
/// .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqlStore {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    sealer: Arc<Sealer>,
    config: StoreConfig,
}

impl SqlStore {
    /// Connect, bring the schema up to date (one transaction per migration)
    /// and check the sealing key against the database.
    ///
    /// # Errors
    ///
    /// A bad URL, an unreachable database, a schema from a newer Rivetr, a
    /// failed migration, an unusable key file, or a sealing key that is not
    /// the one this database was sealed with.
    pub async fn open(config: StoreConfig) -> Result<Self, StoreError> {
        let sealer = match &config.sealing {
            Sealing::KeyFile(path) => Arc::new(KeyFile::new(path).load_or_create()?),
            Sealing::Sealer(sealer) => Arc::clone(sealer),
        };
        let db = Db::connect(&config).await?;
        migration::migrate(&db.write).await?;
        let store = Self {
            inner: Arc::new(Inner { db, sealer, config }),
        };
        store.check_sealing_keys().await?;
        Ok(store)
    }

    /// The settings the store was opened with.
    #[must_use]
    pub fn config(&self) -> &StoreConfig {
        &self.inner.config
    }

    pub(crate) fn db(&self) -> &Db {
        &self.inner.db
    }

    pub(crate) fn sealer(&self) -> &Sealer {
        &self.inner.sealer
    }

    /// Every key of the keyring that this database has seen must open its
    /// check value; a key seen for the first time records one.
    async fn check_sealing_keys(&self) -> Result<(), StoreError> {
        use entity::sealing_keys;
        let db = &self.inner.db.write;
        for id in self.inner.sealer.key_ids() {
            let place = check_place(id.as_str());
            let stored = sealing_keys::Entity::find_by_id(id.as_str().to_owned())
                .one(db)
                .await
                .map_err(StoreError::db("reading sealing key checks"))?;
            match stored {
                Some(row) => {
                    let opened = self.inner.sealer.open(place.as_bytes(), &row.check);
                    if !matches!(opened.as_deref(), Ok(CHECK_VALUE)) {
                        return Err(StoreError::WrongSealingKey {
                            key_id: id.to_string(),
                        });
                    }
                }
                None if id == self.inner.sealer.current_key() => {
                    let check = self.inner.sealer.seal(place.as_bytes(), CHECK_VALUE)?;
                    sealing_keys::ActiveModel {
                        key_id: Set(id.to_string()),
                        check: Set(check),
                        created_at: Set(Utc::now()),
                    }
                    .insert(db)
                    .await
                    .map_err(StoreError::db("recording the sealing key check"))?;
                }
                None => {}
            }
        }
        Ok(())
    }
}

const CHECK_VALUE: &[u8] = b"rivetr sealing key check";

fn check_place(key_id: &str) -> String {
    seal::place("sealing_keys", "check", &[&key_id])
}

impl fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.inner.db.backend)
            .field("sealer", &self.inner.sealer)
            .finish_non_exhaustive()
    }
}

impl Store for SqlStore {
    fn capabilities(&self) -> StoreCapabilities {
        StoreCapabilities::durable()
    }
}
