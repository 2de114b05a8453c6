//! The server key: 32 random bytes behind every keyed hash of the auth
//! model (API token hashes, session id hashes, CSRF tokens).
//!
//! It lives in `<data dir>/auth.key` as 64 hex characters and a newline,
//! mode 0600, made at first start. Losing or changing it invalidates every
//! API token and signs everyone out; it is not needed to read sealed
//! secrets (that is the store's sealing key).

use std::fmt;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt;

use super::crypto::{RandomUnavailable, hex, random_bytes};

/// The key file's name in the data directory.
pub const SERVER_KEY_FILE: &str = "auth.key";

/// The server key. `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerKey([u8; 32]);

/// Why the server key could not be loaded or made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerKeyError {
    /// Reading or writing the file failed.
    #[error("server key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// The file does not hold 64 hex characters.
    #[error("server key file {path} does not hold a key (64 hex characters)")]
    Malformed {
        /// The file.
        path: PathBuf,
    },
    /// No key could be drawn.
    #[error(transparent)]
    Random(#[from] RandomUnavailable),
}

impl ServerKey {
    /// A key from its bytes (embedders who keep it elsewhere).
    #[must_use]
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The bytes, for [`TokenHasher::new`](super::api_token::TokenHasher::new),
    /// [`SessionKey::new`](super::session::SessionKey::new) and
    /// [`CsrfKey::new`](super::csrf::CsrfKey::new).
    #[must_use]
    pub fn bytes(&self) -> [u8; 32] {
        self.0
    }

    /// Load the key from `<data_dir>/auth.key`, making it (mode 0600) if
    /// the file does not exist. A file readable by group or others is used,
    /// with a warning.
    ///
    /// # Errors
    ///
    /// [`ServerKeyError::Malformed`] for a file that is not a key (never
    /// replaced: tokens and sessions depend on it); I/O and random errors.
    pub async fn load_or_create(data_dir: &Path) -> Result<Self, ServerKeyError> {
        let path = data_dir.join(SERVER_KEY_FILE);
        if let Some(key) = read(&path).await? {
            return Ok(key);
        }
        // Write the whole key beside the final name, then link it in: the
        // link fails if another process made the file first, and no reader
        // ever sees a half-written key.
        let fresh = random_bytes::<32>()?;
        let tmp = data_dir.join(format!(
            ".{SERVER_KEY_FILE}.{}.tmp",
            hex(&random_bytes::<8>()?)
        ));
        let linked = async {
            let mut file = tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)
                .await?;
            file.write_all(format!("{}\n", hex(&fresh)).as_bytes())
                .await?;
            file.sync_all().await?;
            tokio::fs::hard_link(&tmp, &path).await
        }
        .await;
        // Best effort: the temporary name holds the key too.
        let _ = tokio::fs::remove_file(&tmp).await;
        match linked {
            Ok(()) => {
                tracing::info!(path = %path.display(), "made a new server key");
                Ok(Self(fresh))
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                read(&path).await?.ok_or_else(|| io_error(&path, e))
            }
            Err(e) => Err(io_error(&path, e)),
        }
    }
}

fn io_error(path: &Path, source: io::Error) -> ServerKeyError {
    ServerKeyError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The key in `path`, `None` when there is no such file.
async fn read(path: &Path) -> Result<Option<ServerKey>, ServerKeyError> {
    let text = match tokio::fs::read_to_string(path).await {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, e)),
    };
    let meta = tokio::fs::metadata(path)
        .await
        .map_err(|e| io_error(path, e))?;
    if meta.permissions().mode() & 0o077 != 0 {
        tracing::warn!(
            path = %path.display(),
            "the server key file is readable by other users; make it mode 0600"
        );
    }
    parse_hex(text.trim())
        .map(|bytes| Some(ServerKey(bytes)))
        .ok_or_else(|| ServerKeyError::Malformed {
            path: path.to_owned(),
        })
}

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerKey(***)")
    }
}

/// The 32 bytes of 64 hex characters (either case), else `None`.
fn parse_hex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0_u8; 32];
    for (byte, pair) in out.iter_mut().zip(s.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    #[tokio::test]
    async fn made_once_with_mode_0600_then_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let first = ServerKey::load_or_create(dir.path()).await.unwrap();
        let path = dir.path().join("auth.key");
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, format!("{}\n", hex(&first.bytes())));
        let again = ServerKey::load_or_create(dir.path()).await.unwrap();
        assert_eq!(again, first);
        assert_eq!(format!("{first:?}"), "ServerKey(***)");
    }

    #[tokio::test]
    async fn a_damaged_file_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.key");
        std::fs::write(&path, "not a key\n").unwrap();
        let err = ServerKey::load_or_create(dir.path()).await.unwrap_err();
        assert!(matches!(err, ServerKeyError::Malformed { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a key\n");
        std::fs::write(&path, format!("{}\n", "Ab".repeat(32))).unwrap();
        let key = ServerKey::load_or_create(dir.path()).await.unwrap();
        assert_eq!(key.bytes(), [0xab; 32]);
        std::fs::write(&path, "zz".repeat(32)).unwrap();
        assert!(ServerKey::load_or_create(dir.path()).await.is_err());
        std::fs::write(&path, "é".repeat(32)).unwrap();
        assert!(ServerKey::load_or_create(dir.path()).await.is_err());
    }

    #[tokio::test]
    async fn a_missing_data_dir_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = ServerKey::load_or_create(&dir.path().join("missing"))
            .await
            .unwrap_err();
        assert!(matches!(err, ServerKeyError::Io { .. }), "{err}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_first_starts_agree_on_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let dir = dir.path().to_owned();
                tokio::spawn(async move { ServerKey::load_or_create(&dir).await.unwrap() })
            })
            .collect();
        let mut keys = Vec::new();
        for task in tasks {
            keys.push(task.await.unwrap());
        }
        assert!(keys.windows(2).all(|w| w[0] == w[1]));
        // Only the key file is left.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn from_bytes() {
        assert_eq!(ServerKey::from_bytes([5; 32]).bytes(), [5; 32]);
    }
}
