//! The one-time setup token that creates the first admin.
//!
//! At start-up, while the store has no user, the server draws a new token
//! (32 random bytes, base64url), writes it to `<data dir>/setup-token`
//! (mode 0600, replacing any earlier one) and prints it once in the log.
//! Whoever creates the first admin must present it: reaching the server
//! first is not enough. Redeeming compares in constant time and then
//! deletes the file; exactly one redemption succeeds, even when several
//! race (within a process a lock orders them; across processes only one
//! deletion of the file succeeds). Once a user exists, start-up deletes a
//! leftover file.
//!
//! The caller redeems first and creates the admin second; if creating the
//! admin then fails, the token is spent and a restart draws a new one.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use super::crypto::{RandomUnavailable, b64url, ct_eq, hex, random_bytes};

/// The file's name in the data directory.
pub const SETUP_TOKEN_FILE: &str = "setup-token";

/// A setup token. `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct SetupToken(String);

impl SetupToken {
    /// The token text, to print once.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SetupToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SetupToken(***)")
    }
}

/// Why a setup token could not be issued or redeemed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// No token is pending: it was used, or an admin already exists.
    #[error("no setup token is pending: it was already used, or an admin exists")]
    AlreadyUsed,
    /// The token presented is not the pending one.
    #[error("wrong setup token")]
    Wrong,
    /// Reading, writing or deleting the token file failed.
    #[error("setup token file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// No token could be drawn.
    #[error(transparent)]
    Random(#[from] RandomUnavailable),
}

/// The setup token file of one data directory.
#[derive(Debug)]
pub struct SetupTokenFile {
    dir: PathBuf,
    path: PathBuf,
    lock: Mutex<()>,
}

impl SetupTokenFile {
    /// The token file in `data_dir` (which must exist).
    #[must_use]
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.to_owned(),
            path: data_dir.join(SETUP_TOKEN_FILE),
            lock: Mutex::new(()),
        }
    }

    /// The token file at `path` (its directory must exist; the temp file
    /// of an atomic write goes there too).
    #[must_use]
    pub fn at(path: &Path) -> Self {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_owned();
        Self {
            dir,
            path: path.to_owned(),
            lock: Mutex::new(()),
        }
    }

    /// Where the token is written.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, source: io::Error) -> SetupError {
        SetupError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// The start-up step: with no user (`user_count == 0`), issue a new
    /// token, write it and log it once, and return it; otherwise delete a
    /// leftover token file and return `None`.
    ///
    /// # Errors
    ///
    /// [`SetupError::Io`] when the file cannot be written or deleted,
    /// [`SetupError::Random`] when no token can be drawn.
    pub async fn prepare(&self, user_count: u64) -> Result<Option<SetupToken>, SetupError> {
        let _guard = self.lock.lock().await;
        if user_count > 0 {
            return match tokio::fs::remove_file(&self.path).await {
                Ok(()) => {
                    tracing::info!(path = %self.path.display(), "deleted the unused setup token: an admin exists");
                    Ok(None)
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(self.io(e)),
            };
        }
        let token = SetupToken(b64url(&random_bytes::<32>()?));
        self.write(&token).await?;
        tracing::warn!(
            path = %self.path.display(),
            "no admin yet: create the first admin with this one-time setup token: {}",
            token.expose()
        );
        Ok(Some(token))
    }

    /// Write `token` to a new file with mode 0600 beside the final one,
    /// then rename it over, so readers see the old token or the new one.
    async fn write(&self, token: &SetupToken) -> Result<(), SetupError> {
        let tmp = self.dir.join(format!(
            ".{SETUP_TOKEN_FILE}.{}.tmp",
            hex(&random_bytes::<8>()?)
        ));
        let written = async {
            let mut file = tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)
                .await?;
            file.write_all(format!("{}\n", token.expose()).as_bytes())
                .await?;
            file.sync_all().await?;
            tokio::fs::rename(&tmp, &self.path).await
        }
        .await;
        if let Err(e) = written {
            // Best effort: the temporary file holds the token.
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(self.io(e));
        }
        Ok(())
    }

    /// Redeem `presented`: succeeds exactly once for the pending token.
    ///
    /// # Errors
    ///
    /// - [`SetupError::AlreadyUsed`] when no token is pending (used before,
    ///   or never issued because an admin exists);
    /// - [`SetupError::Wrong`] when `presented` is not the pending token
    ///   (which stays pending);
    /// - [`SetupError::Io`] when the file cannot be read or deleted.
    pub async fn redeem(&self, presented: &str) -> Result<(), SetupError> {
        let _guard = self.lock.lock().await;
        let stored = match tokio::fs::read_to_string(&self.path).await {
            Ok(stored) => stored,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(SetupError::AlreadyUsed),
            Err(e) => return Err(self.io(e)),
        };
        let stored = stored.trim();
        if stored.is_empty() || !ct_eq(stored.as_bytes(), presented.trim().as_bytes()) {
            return Err(SetupError::Wrong);
        }
        match tokio::fs::remove_file(&self.path).await {
            Ok(()) => Ok(()),
            // Another process redeemed it between our read and delete.
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(SetupError::AlreadyUsed),
            Err(e) => Err(self.io(e)),
        }
    }

    /// Whether a token is pending (the file exists).
    ///
    /// # Errors
    ///
    /// [`SetupError::Io`] when that cannot be told.
    pub async fn is_pending(&self) -> Result<bool, SetupError> {
        tokio::fs::try_exists(&self.path)
            .await
            .map_err(|e| self.io(e))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use std::os::unix::fs::PermissionsExt;
    use std::sync::Arc;

    use super::*;

    fn setup() -> (tempfile::TempDir, SetupTokenFile) {
        let dir = tempfile::tempdir().unwrap();
        let file = SetupTokenFile::in_data_dir(dir.path());
        (dir, file)
    }

    #[tokio::test]
    async fn issued_at_first_start_with_mode_0600() {
        let (dir, file) = setup();
        let token = file.prepare(0).await.unwrap().unwrap();
        assert_eq!(token.expose().len(), 43);
        assert_eq!(format!("{token:?}"), "SetupToken(***)");
        let path = dir.path().join("setup-token");
        assert_eq!(file.path(), path);
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let content = std::fs::read_to_string(&path).unwrap();
        assert_eq!(content, format!("{}\n", token.expose()));
        // Only the token file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[tokio::test]
    async fn redeemable_exactly_once() {
        let (_dir, file) = setup();
        let token = file.prepare(0).await.unwrap().unwrap();
        assert!(matches!(file.redeem("wrong").await, Err(SetupError::Wrong)));
        let mut almost = token.expose().as_bytes().to_vec();
        almost[0] = if almost[0] == b'A' { b'B' } else { b'A' };
        let almost = String::from_utf8(almost).unwrap();
        assert!(matches!(file.redeem(&almost).await, Err(SetupError::Wrong)));
        assert!(
            file.is_pending().await.unwrap(),
            "a wrong token leaves it pending"
        );
        file.redeem(token.expose()).await.unwrap();
        assert!(!file.is_pending().await.unwrap());
        assert!(matches!(
            file.redeem(token.expose()).await,
            Err(SetupError::AlreadyUsed)
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn racing_redemptions_have_one_winner() {
        let (_dir, file) = setup();
        let file = Arc::new(file);
        let token = file.prepare(0).await.unwrap().unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let file = Arc::clone(&file);
                let token = token.expose().to_owned();
                tokio::spawn(async move { file.redeem(&token).await })
            })
            .collect();
        let mut wins = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => wins += 1,
                Err(SetupError::AlreadyUsed) => {}
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!(wins, 1);
    }

    #[tokio::test]
    async fn a_restart_without_admin_replaces_the_token() {
        let (_dir, file) = setup();
        let first = file.prepare(0).await.unwrap().unwrap();
        let second = file.prepare(0).await.unwrap().unwrap();
        assert_ne!(first, second);
        assert!(matches!(
            file.redeem(first.expose()).await,
            Err(SetupError::Wrong)
        ));
        file.redeem(second.expose()).await.unwrap();
    }

    #[tokio::test]
    async fn no_token_once_an_admin_exists() {
        let (_dir, file) = setup();
        let stale = file.prepare(0).await.unwrap().unwrap();
        assert!(file.prepare(1).await.unwrap().is_none());
        assert!(!file.is_pending().await.unwrap());
        assert!(matches!(
            file.redeem(stale.expose()).await,
            Err(SetupError::AlreadyUsed)
        ));
        assert!(file.prepare(3).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn an_empty_file_redeems_nothing() {
        let (dir, file) = setup();
        std::fs::write(dir.path().join("setup-token"), "\n").unwrap();
        assert!(matches!(file.redeem("").await, Err(SetupError::Wrong)));
        assert!(matches!(file.redeem("  ").await, Err(SetupError::Wrong)));
    }

    #[tokio::test]
    async fn a_missing_data_dir_is_an_io_error() {
        let (dir, _) = setup();
        let file = SetupTokenFile::in_data_dir(&dir.path().join("missing"));
        let err = file.prepare(0).await.unwrap_err();
        assert!(matches!(err, SetupError::Io { .. }), "{err}");
    }
}
