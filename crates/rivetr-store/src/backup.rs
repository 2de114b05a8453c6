//! Backup and restore of the control database.
//!
//! SQLite: [`SqlStore::backup_to`] takes an online, consistent copy with
//! `VACUUM INTO` on a read connection (under WAL the writer keeps going),
//! and [`SqlStore::restore_sqlite`] puts a copy back while the server is
//! stopped. PostgreSQL: PostgreSQL's own tools do it (see
//! [`SqlStore::backup_to`]).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use sea_orm::sqlx::ConnectOptions as _;
use sea_orm::sqlx::Row as _;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sea_orm::{ConnectionTrait, DatabaseBackend, SqlxSqliteConnector, Statement};

use crate::SqlStore;
use crate::error::StoreError;
use crate::migration::{SchemaError, applied_names, known_names};

/// What [`SqlStore::backup_to`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackupReport {
    /// The backup file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The schema migrations it holds, oldest first.
    pub migrations: Vec<String>,
}

/// What [`SqlStore::restore_sqlite`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RestoreReport {
    /// The database file now holding the backup.
    pub target: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The schema migrations of the backup, oldest first (an older schema
    /// is brought up to date by the next [`SqlStore::open`]).
    pub migrations: Vec<String>,
    /// Where the database that was at `target` was kept, if there was one.
    pub previous: Option<PathBuf>,
}

/// What to tell someone who asks for a backup of a PostgreSQL database.
const POSTGRES_GUIDANCE: &str = "Rivetr does not back up a PostgreSQL control database \
itself: use PostgreSQL's tools. Back up online with \
`pg_dump --format=custom --file=rivetr.dump DATABASE_URL`; to restore, stop Rivetr, create an \
empty database (`createdb rivetr_restored`) and run \
`pg_restore --no-owner --dbname=NEW_DATABASE_URL rivetr.dump`, then point Rivetr at it";

impl SqlStore {
    /// Write a consistent copy of the SQLite database to `dest`, while the
    /// store keeps serving reads and writes.
    ///
    /// The copy is made with `VACUUM INTO` on a read connection (a snapshot
    /// of the last committed state; writers are not blocked under WAL) into
    /// a temporary file beside `dest`, synced to disk and then moved to
    /// `dest`. It is readable by its owner only (mode 0600): it holds sealed
    /// secrets and password hashes. The sealing key file is **not** part of
    /// it; back that up separately, or the secrets in the copy cannot be
    /// opened.
    ///
    /// # PostgreSQL
    ///
    /// Refused with [`StoreError::Backup`]: use PostgreSQL's tools. Online,
    /// while Rivetr runs:
    ///
    /// ```text
    /// pg_dump --format=custom --file=rivetr.dump "postgres://USER@HOST/DB"
    /// ```
    ///
    /// and to restore, with Rivetr stopped, into an empty database that
    /// Rivetr is then pointed at:
    ///
    /// ```text
    /// createdb rivetr_restored
    /// pg_restore --no-owner --dbname="postgres://USER@HOST/rivetr_restored" rivetr.dump
    /// ```
    ///
    /// # Errors
    ///
    /// [`StoreError::Backup`] when `dest` already exists (it is never
    /// overwritten) or the database is PostgreSQL; [`StoreError::Io`] or
    /// [`StoreError::Database`] when the copy fails (no file is left at
    /// `dest` then).
    pub async fn backup_to(&self, dest: &Path) -> Result<BackupReport, StoreError> {
        if self.db().backend != DatabaseBackend::Sqlite {
            return Err(StoreError::Backup(POSTGRES_GUIDANCE.to_owned()));
        }
        let dest = std::path::absolute(dest).map_err(io_error("resolving the backup path"))?;
        if exists(&dest)? {
            return Err(StoreError::Backup(format!(
                "{} already exists: a backup never overwrites a file (choose a new name)",
                dest.display()
            )));
        }
        let temp = TempFile::create_beside(&dest)?;
        let target = utf8(temp.path())?.to_owned();
        self.db()
            .read
            .execute(Statement::from_sql_and_values(
                DatabaseBackend::Sqlite,
                "VACUUM INTO ?",
                [target.into()],
            ))
            .await
            .map_err(StoreError::db(format!(
                "copying the database into {}",
                temp.path().display()
            )))?;
        let (path, bytes) = blocking(move || temp.sync_and_link(&dest)).await?;
        let migrations = inspect(&path, false).await?;
        Ok(BackupReport {
            path,
            bytes,
            migrations,
        })
    }

    /// Replace the SQLite database at `target` with the backup at
    /// `backup`.
    ///
    /// **Stop the Rivetr server first**: a store open on `target` would go
    /// on writing to the replaced file. The backup is checked before
    /// anything is touched: it must pass `PRAGMA integrity_check` and must
    /// not hold a schema migration this binary does not know (a backup from
    /// a newer Rivetr is refused). A backup with an older schema is fine:
    /// the next [`SqlStore::open`] brings it up to date.
    ///
    /// The database that was at `target` is kept beside it as
    /// `<target>.before-restore-<UTC time>` (after its write-ahead log is
    /// checkpointed into it, so it is complete on its own); the backup is
    /// copied to a temporary file beside `target`, synced, and moved into
    /// place. The sealing key file the backup was made with must be in
    /// place too.
    ///
    /// # Errors
    ///
    /// [`StoreError::Schema`] with [`SchemaError::Newer`] for a backup from
    /// a newer Rivetr; [`StoreError::Backup`] for a backup that is damaged,
    /// not a Rivetr database, or still has a write-ahead log beside it, and
    /// for a `target` still in use; [`StoreError::Io`] or
    /// [`StoreError::Database`] when a file cannot be read or written. In
    /// every error case `target` is left as it was (should the restored copy
    /// fail to move into place and the previous database also fail to move
    /// back, the error says where the previous database is).
    pub async fn restore_sqlite(backup: &Path, target: &Path) -> Result<RestoreReport, StoreError> {
        let backup = std::path::absolute(backup).map_err(io_error("resolving the backup path"))?;
        let target = std::path::absolute(target).map_err(io_error("resolving the target path"))?;
        if !exists(&backup)? {
            return Err(StoreError::Backup(format!(
                "backup {} does not exist",
                backup.display()
            )));
        }
        if non_empty(&with_suffix(&backup, "-wal"))? {
            return Err(StoreError::Backup(format!(
                "{} has a write-ahead log beside it: it is a live database, not a backup \
                 (make one with `SqlStore::backup_to`)",
                backup.display()
            )));
        }
        let migrations = inspect(&backup, true).await?;
        let known = known_names();
        if let Some(newer) = migrations.iter().find(|name| !known.contains(name)) {
            return Err(StoreError::Schema(SchemaError::Newer {
                migration: newer.clone(),
            }));
        }

        let (temp, bytes) = {
            let (backup, target) = (backup.clone(), target.clone());
            blocking(move || {
                let temp = TempFile::create_beside(&target)?;
                let mut from = File::open(&backup).map_err(io_error("opening the backup"))?;
                let mut to = temp.file()?;
                io::copy(&mut from, &mut to).map_err(io_error("copying the backup"))?;
                let bytes = temp.sync()?;
                Ok((temp, bytes))
            })
            .await?
        };
        let previous = if exists(&target)? {
            checkpoint(&target).await?;
            let (target, suffix) = (target.clone(), aside_suffix());
            Some(blocking(move || set_aside(&target, &suffix)).await?)
        } else {
            None
        };
        let placed = {
            let (target, previous) = (target.clone(), previous.clone());
            blocking(move || {
                temp.rename_to(&target)
                    .map_err(|err| put_back(previous.as_deref(), &target, err))?;
                sync_dir(&target)
            })
            .await
        };
        placed?;
        Ok(RestoreReport {
            target,
            bytes,
            migrations,
            previous,
        })
    }
}

/// Check a database file opened read-only: optionally its integrity, then
/// return its applied migrations. A file without any is not a Rivetr
/// database.
async fn inspect(path: &Path, check_integrity: bool) -> Result<Vec<String>, StoreError> {
    let shown = path.display().to_string();
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(true)
        .disable_statement_logging();
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| StoreError::Backup(format!("{shown} cannot be opened as a database: {e}")))?;
    let db = SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
    let result = async {
        if check_integrity {
            let rows = db
                .query_all(Statement::from_string(
                    DatabaseBackend::Sqlite,
                    "PRAGMA integrity_check",
                ))
                .await
                .map_err(|e| {
                    StoreError::Backup(format!("{shown} is not a usable database: {e}"))
                })?;
            let answers = rows
                .iter()
                .map(|row| row.try_get_by_index::<String>(0))
                .collect::<Result<Vec<_>, _>>()
                .map_err(StoreError::db(format!("checking the integrity of {shown}")))?;
            if answers != ["ok"] {
                return Err(StoreError::Backup(format!(
                    "{shown} is damaged (integrity check: {})",
                    answers.join("; ")
                )));
            }
        }
        let applied = applied_names(&db)
            .await
            .map_err(StoreError::db(format!("reading the migrations of {shown}")))?;
        if applied.is_empty() {
            return Err(StoreError::Backup(format!(
                "{shown} is not a Rivetr database (it has no schema migrations)"
            )));
        }
        Ok(applied)
    }
    .await;
    // Closing a read-only immutable connection cannot lose anything.
    let _ = db.close().await;
    result
}

/// Fold the write-ahead log of the database at `path` into the file and
/// truncate it, so the file alone is the whole database. Busy (another
/// connection holds it): the server is still running.
async fn checkpoint(path: &Path) -> Result<(), StoreError> {
    let shown = path.display().to_string();
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(std::time::Duration::from_secs(5))
        .disable_statement_logging()
        .connect()
        .await
        .map_err(|e| StoreError::Backup(format!("{shown} cannot be opened: {e}")))?;
    let row = sea_orm::sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| {
            StoreError::Backup(format!(
                "checkpointing {shown}: {e} (stop the Rivetr server before restoring)"
            ))
        })?;
    let busy: i64 = row
        .try_get(0)
        .map_err(|e| StoreError::Backup(format!("checkpointing {shown}: {e}")))?;
    sea_orm::sqlx::Connection::close(conn)
        .await
        .map_err(|e| StoreError::Backup(format!("closing {shown}: {e}")))?;
    if busy != 0 {
        return Err(StoreError::Backup(format!(
            "{shown} is in use by another connection: stop the Rivetr server before restoring"
        )));
    }
    Ok(())
}

/// Rename the database at `target` to `<target>.before-restore-<suffix>`
/// (never over an existing file) and remove its emptied `-wal`/`-shm`.
fn set_aside(target: &Path, suffix: &str) -> Result<PathBuf, StoreError> {
    let mut aside = with_suffix(target, &format!(".before-restore-{suffix}"));
    let mut n = 1;
    while exists(&aside)? {
        aside = with_suffix(target, &format!(".before-restore-{suffix}.{n}"));
        n += 1;
    }
    std::fs::rename(target, &aside).map_err(io_error("keeping the current database aside"))?;
    for side in ["-wal", "-shm"] {
        match std::fs::remove_file(with_suffix(target, side)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("removing the old write-ahead log")(e)),
        }
    }
    Ok(aside)
}

/// After the restored copy could not be moved into place: move the
/// database that was set aside back to `target`, and return `err` (saying
/// where the old database is if even that fails).
fn put_back(previous: Option<&Path>, target: &Path, err: StoreError) -> StoreError {
    let Some(previous) = previous else {
        return err;
    };
    match std::fs::rename(previous, target) {
        Ok(()) => err,
        Err(e) => StoreError::Backup(format!(
            "{err}; moving the previous database back also failed ({e}): it is at {}",
            previous.display()
        )),
    }
}

fn aside_suffix() -> String {
    chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string()
}

/// A file beside its destination, removed on drop unless it was moved
/// there.
struct TempFile {
    path: PathBuf,
    placed: bool,
}

impl TempFile {
    /// An empty file, mode 0600, in `dest`'s directory.
    fn create_beside(dest: &Path) -> Result<Self, StoreError> {
        let name = dest.file_name().ok_or_else(|| {
            StoreError::Backup(format!("{} does not name a file", dest.display()))
        })?;
        let path = dest.with_file_name(format!(
            ".{}.tmp-{}",
            name.to_string_lossy(),
            uuid::Uuid::new_v4().simple()
        ));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options
            .open(&path)
            .map_err(io_error(&format!("creating {}", path.display())))?;
        Ok(Self {
            path,
            placed: false,
        })
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn file(&self) -> Result<File, StoreError> {
        OpenOptions::new()
            .write(true)
            .open(&self.path)
            .map_err(io_error(&format!("opening {}", self.path.display())))
    }

    fn sync(&self) -> Result<u64, StoreError> {
        let file = self.file()?;
        file.sync_all()
            .map_err(io_error(&format!("syncing {}", self.path.display())))?;
        let meta = file
            .metadata()
            .map_err(io_error(&format!("reading {}", self.path.display())))?;
        Ok(meta.len())
    }

    /// Sync, then give it the name `dest` only if nothing has that name
    /// (a hard link cannot replace a file, a rename could).
    fn sync_and_link(mut self, dest: &Path) -> Result<(PathBuf, u64), StoreError> {
        let bytes = self.sync()?;
        match std::fs::hard_link(&self.path, dest) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(StoreError::Backup(format!(
                    "{} already exists: a backup never overwrites a file (choose a new name)",
                    dest.display()
                )));
            }
            Err(e) => return Err(io_error(&format!("creating {}", dest.display()))(e)),
        }
        self.placed = true;
        if let Err(e) = std::fs::remove_file(&self.path) {
            // The backup is complete under its name; the second name is
            // only clutter.
            tracing::warn!(path = %self.path.display(), error = %e, "could not remove the backup's temporary name");
        }
        sync_dir(dest)?;
        Ok((dest.to_owned(), bytes))
    }

    /// Rename it to `dest` (after [`TempFile::sync`]).
    fn rename_to(mut self, dest: &Path) -> Result<(), StoreError> {
        std::fs::rename(&self.path, dest).map_err(io_error(&format!(
            "moving the restored database to {}",
            dest.display()
        )))?;
        self.placed = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.placed {
            // Best effort: a leftover temp file is harmless and named as one.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Make a rename or link in `path`'s directory durable.
fn sync_dir(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        File::open(dir)
            .and_then(|dir| dir.sync_all())
            .map_err(io_error(&format!("syncing {}", dir.display())))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn exists(path: &Path) -> Result<bool, StoreError> {
    path.try_exists()
        .map_err(io_error(&format!("looking for {}", path.display())))
}

fn non_empty(path: &Path) -> Result<bool, StoreError> {
    match std::fs::metadata(path) {
        Ok(meta) => Ok(meta.len() > 0),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_error(&format!("looking for {}", path.display()))(e)),
    }
}

/// `path` with `suffix` appended to its file name (`db` → `db-wal`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn utf8(path: &Path) -> Result<&str, StoreError> {
    path.to_str().ok_or_else(|| {
        StoreError::Backup(format!(
            "{} is not valid UTF-8, which SQLite needs",
            path.display()
        ))
    })
}

fn io_error(doing: &str) -> impl FnOnce(io::Error) -> StoreError {
    let doing = doing.to_owned();
    move |source| StoreError::Io { doing, source }
}

/// Run file work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Backup(format!("the file task failed: {e}")))?
}
