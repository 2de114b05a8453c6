#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    unreachable_pub,
    reason = "tests unwrap to fail loudly"
)]
//! Throwaway stores on both backends for the integration tests.
//!
//! SQLite: a file in a temp dir. PostgreSQL: a fresh database in the
//! cluster named by `RIVETR_TEST_POSTGRES_URL` (set by
//! `scripts/with-postgres`, which the README's test command uses). Without
//! that variable the PostgreSQL tests skip loudly, unless
//! `RIVETR_TEST_STRICT=1`, where they fail.

#![allow(dead_code)]

use std::sync::Arc;

use rivetr_store::seal::{KeyId, Sealer, SealingKey};
use rivetr_store::{Sealing, SqlStore, StoreConfig};
use sea_orm::sqlx::{Connection, PgConnection};
use tempfile::TempDir;

/// A store and what keeps it alive.
pub struct TestDb {
    /// The store.
    pub store: SqlStore,
    /// How it was opened (to reopen it).
    pub config: StoreConfig,
    /// Temp dir holding the SQLite file and key file.
    pub dir: TempDir,
}

impl TestDb {
    /// Open the same database again (a restart).
    pub async fn reopen(&self) -> SqlStore {
        SqlStore::open(self.config.clone())
            .await
            .expect("reopen store")
    }
}

/// A sealer with one fresh key.
pub fn sealer(id: &str) -> Arc<Sealer> {
    let id: KeyId = id.parse().expect("key id");
    Arc::new(Sealer::new(SealingKey::generate(id).expect("key")))
}

/// A SQLite store in a temp dir, with a key file there.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("rivetr.db").display());
    let config = StoreConfig::new(url, Sealing::KeyFile(dir.path().join("sealing.keys")));
    let store = SqlStore::open(config.clone())
        .await
        .expect("open SQLite store");
    TestDb { store, config, dir }
}

/// The admin URL of the test cluster, or `None` (after saying so) when
/// there is none and skipping is allowed.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("RIVETR_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("RIVETR_TEST_STRICT").as_deref() != Ok("1"),
                "RIVETR_TEST_POSTGRES_URL is not set: run under scripts/with-postgres (the README's test command does)"
            );
            eprintln!(
                "SKIPPED: PostgreSQL test (set RIVETR_TEST_POSTGRES_URL, or run under scripts/with-postgres)"
            );
            None
        }
    }
}

/// A URL of a new, empty database in the test cluster.
pub async fn postgres_database() -> Option<String> {
    let admin = postgres_admin_url()?;
    let name = format!("rivetr_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(&admin)
        .await
        .expect("connect to the test cluster");
    sea_orm::sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let base = admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(base, _)| base);
    Some(format!("{base}/{name}"))
}

/// A PostgreSQL store on a new database, or `None` when skipped.
pub async fn postgres() -> Option<TestDb> {
    let url = postgres_database().await?;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = StoreConfig::new(url, Sealing::KeyFile(dir.path().join("sealing.keys")));
    let store = SqlStore::open(config.clone())
        .await
        .expect("open PostgreSQL store");
    Some(TestDb { store, config, dir })
}

/// Run `test` on a SQLite store and then on a PostgreSQL one (when the
/// cluster is there).
#[macro_export]
macro_rules! on_both_backends {
    ($(#[$meta:meta])* $name:ident, |$db:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $db = $crate::common::sqlite().await;
                $body
            }

            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($db) = $crate::common::postgres().await else { return };
                $body
            }
        }
    };
}
