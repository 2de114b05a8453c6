#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! Backup and restore of the control database: an online copy taken while a
//! writer keeps going, restored and opened; backups from a newer Rivetr,
//! damaged backups and existing destinations refused; PostgreSQL pointed
//! at its own tools.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rivetr_core::access::Scope;
use rivetr_core::model::{NewUser, User};
use rivetr_core::store::UserRepo;
use rivetr_store::{SchemaError, Sealing, SqlStore, StoreConfig, StoreError};
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::sqlx::{ConnectOptions, Connection, Executor};
use tokio::sync::mpsc;

fn new_user(i: usize) -> NewUser {
    NewUser {
        email: format!("user{i}@example.com").parse().unwrap(),
        name: format!("User {i}").parse().unwrap(),
        instance_admin: false,
    }
}

/// A user the writer created, and when its `create_user` call ran.
struct Written {
    user: User,
    started: Instant,
    finished: Instant,
}

/// The config of a store on the SQLite file `path` with `db`'s key file.
fn config_at(db: &common::TestDb, path: &Path) -> StoreConfig {
    StoreConfig::new(
        format!("sqlite://{}", path.display()),
        Sealing::KeyFile(db.dir.path().join("sealing.keys")),
    )
}

/// Run `statement` on the SQLite file at `path` (created when missing).
async fn sql(path: &Path, statement: &str) {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    conn.execute(statement).await.unwrap();
    conn.close().await.unwrap();
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A database file at `dir/name` with `n` users that nothing has open (a
/// backup of `db.store`, so no connection closing in the background can
/// change it while a test compares its bytes).
async fn idle_database(db: &common::TestDb, name: &str, n: usize) -> PathBuf {
    for i in 0..n {
        db.store
            .create_user(&Scope::system(), new_user(1000 + i))
            .await
            .unwrap();
    }
    let path = db.dir.path().join(name);
    db.store.backup_to(&path).await.unwrap();
    path
}

/// `path` with `suffix` appended (`rivetr.db` → `rivetr.db-wal`).
fn side(path: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", path.display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_taken_while_writing_restores_to_a_consistent_snapshot() {
    let db = common::sqlite().await;
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let writer = tokio::spawn({
        let (store, stop) = (db.store.clone(), Arc::clone(&stop));
        async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let user = store
                    .create_user(&Scope::system(), new_user(i))
                    .await
                    .unwrap();
                let finished = Instant::now();
                tx.send(Written {
                    user,
                    started,
                    finished,
                })
                .unwrap();
                i += 1;
            }
        }
    });
    let mut written = Vec::new();
    while written.len() < 20 {
        written.push(rx.recv().await.unwrap());
    }

    let dest = db.dir.path().join("backup.db");
    let backup_started = Instant::now();
    let report = db.store.backup_to(&dest).await.unwrap();
    let backup_finished = Instant::now();

    // The writer was not held up: it goes on after the backup.
    let after = written.len() + 20;
    while written.len() < after {
        written.push(rx.recv().await.unwrap());
    }
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    while let Ok(w) = rx.try_recv() {
        written.push(w);
    }

    assert_eq!(report.path, dest);
    assert_eq!(report.bytes, std::fs::metadata(&dest).unwrap().len());
    assert!(
        report.migrations.iter().any(|m| m.ends_with("_core")),
        "{:?}",
        report.migrations
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "backup mode {mode:o}");
    }
    assert_eq!(
        files_in(db.dir.path())
            .iter()
            .filter(|n| n.contains(".tmp-"))
            .count(),
        0,
        "temp file left behind: {:?}",
        files_in(db.dir.path())
    );

    let target = db.dir.path().join("restored").join("rivetr.db");
    std::fs::create_dir(target.parent().unwrap()).unwrap();
    let restored = SqlStore::restore_sqlite(&dest, &target).await.unwrap();
    assert_eq!(restored.target, target);
    assert_eq!(restored.previous, None);
    assert_eq!(restored.migrations, report.migrations);

    let store = SqlStore::open(config_at(&db, &target)).await.unwrap();
    let system = Scope::system();
    let count = usize::try_from(store.count_users(&system).await.unwrap()).unwrap();
    // One writer in sequence: a consistent snapshot holds a prefix of what
    // it wrote, including everything finished before the backup began and
    // nothing begun after it ended.
    let finished_before = written
        .iter()
        .filter(|w| w.finished < backup_started)
        .count();
    let started_after = written
        .iter()
        .filter(|w| w.started > backup_finished)
        .count();
    assert!(
        count >= finished_before && count <= written.len() - started_after,
        "restored {count} users; {finished_before} were written before the backup, {started_after} after it, of {}",
        written.len()
    );
    for (i, w) in written.iter().enumerate() {
        let found = store
            .find_user_by_email(&system, &w.user.email)
            .await
            .unwrap();
        if i < count {
            assert_eq!(found.as_ref(), Some(&w.user), "user {i} missing or changed");
        } else {
            assert_eq!(found, None, "user {i} written after the snapshot is in it");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_keeps_the_replaced_database_aside_with_its_write_ahead_log() {
    let db = common::sqlite().await;
    let system = Scope::system();
    let kept = db.store.create_user(&system, new_user(1)).await.unwrap();
    let dest = db.dir.path().join("backup.db");
    db.store.backup_to(&dest).await.unwrap();
    let later = db.store.create_user(&system, new_user(2)).await.unwrap();

    // The database as a crashed server leaves it: the last write only in
    // the write-ahead log.
    let live = db.dir.path().join("rivetr.db");
    let target = db.dir.path().join("crashed.db");
    std::fs::copy(&live, &target).unwrap();
    std::fs::copy(side(&live, "-wal"), side(&target, "-wal")).unwrap();
    assert!(std::fs::metadata(side(&target, "-wal")).unwrap().len() > 0);

    let report = SqlStore::restore_sqlite(&dest, &target).await.unwrap();
    let previous = report.previous.expect("the replaced database is kept");
    let name = previous.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("crashed.db.before-restore-"), "{name}");
    assert!(
        !side(&target, "-wal").exists(),
        "the old log is still beside the target"
    );
    assert!(
        !side(&previous, "-wal").exists(),
        "the kept database needs its log"
    );

    let restored = SqlStore::open(config_at(&db, &target)).await.unwrap();
    assert_eq!(restored.get_user(&system, kept.id).await.unwrap(), kept);
    assert!(restored.get_user(&system, later.id).await.is_err());

    // The kept file alone is the whole database that was replaced.
    let old = SqlStore::open(config_at(&db, &previous)).await.unwrap();
    assert_eq!(old.get_user(&system, later.id).await.unwrap(), later);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_a_database_in_use() {
    let db = common::sqlite().await;
    let dest = db.dir.path().join("backup.db");
    db.store.backup_to(&dest).await.unwrap();
    // A reader in the middle of a transaction, and a write after its
    // snapshot: the write-ahead log cannot be folded in.
    let live = db.dir.path().join("rivetr.db");
    let mut reader = SqliteConnectOptions::new()
        .filename(&live)
        .connect()
        .await
        .unwrap();
    reader.execute("BEGIN").await.unwrap();
    reader.execute("SELECT COUNT(*) FROM users").await.unwrap();
    db.store
        .create_user(&Scope::system(), new_user(1))
        .await
        .unwrap();
    let files_before = files_in(db.dir.path());

    let err = SqlStore::restore_sqlite(&dest, &live).await.unwrap_err();
    assert!(matches!(err, StoreError::Backup(_)), "{err:?}");
    assert!(err.to_string().contains("stop the Rivetr server"), "{err}");
    assert_eq!(files_in(db.dir.path()), files_before, "files changed");
    assert_eq!(db.store.count_users(&Scope::system()).await.unwrap(), 1);
    reader.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_from_a_newer_rivetr_is_refused_and_the_target_left_alone() {
    let db = common::sqlite().await;
    let dest = db.dir.path().join("backup.db");
    db.store.backup_to(&dest).await.unwrap();
    sql(
        &dest,
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m29991231_000001_from_the_future', 0)",
    )
    .await;

    let target = idle_database(&db, "live.db", 3).await;
    let before = std::fs::read(&target).unwrap();
    let files_before = files_in(db.dir.path());

    let err = SqlStore::restore_sqlite(&dest, &target).await.unwrap_err();
    assert!(
        matches!(
            &err,
            StoreError::Schema(SchemaError::Newer { migration })
                if migration == "m29991231_000001_from_the_future"
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("newer version"), "{err}");
    assert_eq!(std::fs::read(&target).unwrap(), before, "target changed");
    assert_eq!(files_in(db.dir.path()), files_before, "files changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_with_an_older_schema_is_migrated_forward_when_opened() {
    let db = common::sqlite().await;
    let system = Scope::system();
    let user = db.store.create_user(&system, new_user(7)).await.unwrap();
    let dest = db.dir.path().join("backup.db");
    let report = db.store.backup_to(&dest).await.unwrap();
    // Make it the schema of a Rivetr before the platform and server tables
    // existed.
    let (older, newer) = report.migrations.split_at(report.migrations.len() - 2);
    assert!(
        newer[0].ends_with("_platform") && newer[1].ends_with("_server"),
        "{newer:?}"
    );
    sql(
        &dest,
        &format!(
            "DROP TABLE webhook_deliveries; DROP TABLE sessions; \
             DROP TABLE invitations; DROP TABLE notification_channels; DROP TABLE credentials; \
             DROP TABLE acme_accounts; DROP TABLE certificates; DROP TABLE jobs; DROP TABLE settings; \
             DROP TABLE audit_log; DROP TABLE user_credentials; DROP TABLE sealing_keys; \
             DELETE FROM seaql_migrations WHERE version IN ('{}', '{}')",
            newer[0], newer[1]
        ),
    )
    .await;

    let target = db.dir.path().join("restored.db");
    let restored = SqlStore::restore_sqlite(&dest, &target).await.unwrap();
    assert_eq!(restored.migrations, older);
    let store = SqlStore::open(config_at(&db, &target)).await.unwrap();
    assert_eq!(store.get_user(&system, user.id).await.unwrap(), user);
    let migrated = store
        .backup_to(&db.dir.path().join("migrated.db"))
        .await
        .unwrap();
    assert_eq!(migrated.migrations, report.migrations);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_or_foreign_backups_are_refused() {
    let db = common::sqlite().await;
    let target = idle_database(&db, "live.db", 1).await;
    let before = std::fs::read(&target).unwrap();

    let garbage = db.dir.path().join("garbage.db");
    std::fs::write(&garbage, b"this is not a database at all, not even close").unwrap();
    let err = SqlStore::restore_sqlite(&garbage, &target)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Backup(_)), "{err:?}");

    let foreign = db.dir.path().join("foreign.db");
    sql(&foreign, "CREATE TABLE t (x INTEGER)").await;
    let err = SqlStore::restore_sqlite(&foreign, &target)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a Rivetr database"), "{err:?}");

    let missing = db.dir.path().join("missing.db");
    let err = SqlStore::restore_sqlite(&missing, &target)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Backup(_)), "{err:?}");

    assert_eq!(std::fs::read(&target).unwrap(), before, "target changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_never_overwrites_an_existing_file() {
    let db = common::sqlite().await;
    let dest = db.dir.path().join("backup.db");
    std::fs::write(&dest, b"an earlier backup").unwrap();
    let err = db.store.backup_to(&dest).await.unwrap_err();
    assert!(matches!(err, StoreError::Backup(_)), "{err:?}");
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(std::fs::read(&dest).unwrap(), b"an earlier backup");
    assert!(
        !files_in(db.dir.path()).iter().any(|n| n.contains(".tmp-")),
        "{:?}",
        files_in(db.dir.path())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_backup_points_at_pg_dump() {
    let Some(db) = common::postgres().await else {
        return;
    };
    let dest = db.dir.path().join("backup.dump");
    let err = db.store.backup_to(&dest).await.unwrap_err();
    let StoreError::Backup(message) = &err else {
        panic!("{err:?}");
    };
    assert!(message.contains("pg_dump --format=custom"), "{message}");
    assert!(message.contains("pg_restore"), "{message}");
    assert!(!dest.exists(), "a file was left at {}", dest.display());
    assert!(files_in(db.dir.path()).iter().all(|n| !n.contains(".tmp-")));
}
