//! The key file: where sealing keys live when config does not give one.
//!
//! One key per line, `ID:BASE64`, the current key first; lines starting
//! with `#` are comments. Created on first start with mode 0600; refused
//! when others can read it.
//!
//! ```text
//! # Rivetr sealing keys: the first seals new values, the others only open older ones.
//! k20261207-3f9a:3q2+7w...=
//! ```

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64ct::{Base64, Encoding};
use ring::rand::{SecureRandom, SystemRandom};

use super::{KeyId, SealError, Sealer, SealingKey};

const HEADER: &str =
    "# Rivetr sealing keys: the first seals new values, the others only open older ones.\n";

/// Why the key file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// Reading or writing the file failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Group or others may read the file.
    #[error("key file {path} is readable by other users (mode {mode:o}); run `chmod 600 {path}`")]
    TooOpen {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A line is not `ID:BASE64` of 32 bytes.
    #[error("key file {path}, line {line}: {reason}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The file holds no key.
    #[error("key file {path} holds no key")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A key could not be generated.
    #[error(transparent)]
    Seal(#[from] SealError),
}

/// Reads, creates and rotates a key file.
#[derive(Debug, Clone)]
pub struct KeyFile {
    path: PathBuf,
}

impl KeyFile {
    /// The key file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Where it is.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The keys in the file, current first.
    ///
    /// # Errors
    ///
    /// See [`KeyFileError`].
    pub fn keys(&self) -> Result<Vec<SealingKey>, KeyFileError> {
        let meta = std::fs::metadata(&self.path).map_err(|e| self.io(e))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyFileError::TooOpen {
                path: self.path.clone(),
                mode,
            });
        }
        let text = std::fs::read_to_string(&self.path).map_err(|e| self.io(e))?;
        let mut keys = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            keys.push(self.parse_line(index + 1, line)?);
        }
        if keys.is_empty() {
            return Err(KeyFileError::Empty {
                path: self.path.clone(),
            });
        }
        Ok(keys)
    }

    /// A sealer from the file: its first key seals, all open.
    ///
    /// # Errors
    ///
    /// See [`KeyFileError`].
    pub fn sealer(&self) -> Result<Sealer, KeyFileError> {
        let mut keys = self.keys()?.into_iter();
        let current = keys.next().ok_or_else(|| KeyFileError::Empty {
            path: self.path.clone(),
        })?;
        Ok(Sealer::with_old_keys(current, keys))
    }

    /// [`sealer`](Self::sealer), first creating the file (mode 0600, its
    /// directory 0700) with one fresh key when it does not exist.
    ///
    /// # Errors
    ///
    /// See [`KeyFileError`].
    pub fn load_or_create(&self) -> Result<Sealer, KeyFileError> {
        if !self.path.exists() {
            let key = SealingKey::generate(fresh_id()?)?;
            self.write_new(&[key])?;
            tracing::info!(path = %self.path.display(), "generated a new sealing key file");
        }
        self.sealer()
    }

    /// Put a fresh key first (it seals from now on) and keep the others for
    /// opening. Run a reseal afterwards, then [`retire`](Self::retire) the
    /// old keys. Returns the new key's id.
    ///
    /// # Errors
    ///
    /// See [`KeyFileError`].
    pub fn rotate(&self) -> Result<KeyId, KeyFileError> {
        let mut keys = self.keys()?;
        let key = SealingKey::generate(fresh_id()?)?;
        let id = key.id().clone();
        keys.insert(0, key);
        self.replace(&keys)?;
        Ok(id)
    }

    /// Drop every key but the current one (after a reseal).
    ///
    /// # Errors
    ///
    /// See [`KeyFileError`].
    pub fn retire(&self) -> Result<(), KeyFileError> {
        let keys = self.keys()?;
        self.replace(&keys[..1])
    }

    fn parse_line(&self, line: usize, text: &str) -> Result<SealingKey, KeyFileError> {
        let syntax = |reason: String| KeyFileError::Syntax {
            path: self.path.clone(),
            line,
            reason,
        };
        text.parse().map_err(|e| match e {
            SealError::BadKey(reason) => syntax(reason),
            other => syntax(other.to_string()),
        })
    }

    fn render(keys: &[SealingKey]) -> String {
        let mut text = String::from(HEADER);
        for key in keys {
            text.push_str(key.id().as_str());
            text.push(':');
            text.push_str(&Base64::encode_string(key.bytes()));
            text.push('\n');
        }
        text
    }

    fn write_new(&self, keys: &[SealingKey]) -> Result<(), KeyFileError> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| self.io(e))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&self.path)
            .map_err(|e| self.io(e))?;
        file.write_all(Self::render(keys).as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| self.io(e))
    }

    /// Rewrite atomically: a 0600 temp file beside it, then rename.
    fn replace(&self, keys: &[SealingKey]) -> Result<(), KeyFileError> {
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".new");
        let tmp = PathBuf::from(tmp);
        let _ = std::fs::remove_file(&tmp);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| self.io(e))?;
        file.write_all(Self::render(keys).as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| self.io(e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| self.io(e))
    }

    fn io(&self, source: std::io::Error) -> KeyFileError {
        KeyFileError::Io {
            path: self.path.clone(),
            source,
        }
    }
}

/// `k<yyyymmdd>-<4 hex>`: sortable by day, unique enough to tell keys apart.
fn fresh_id() -> Result<KeyId, SealError> {
    let mut suffix = [0u8; 2];
    SystemRandom::new()
        .fill(&mut suffix)
        .map_err(|_| SealError::Random)?;
    let day = chrono::Utc::now().format("%Y%m%d");
    format!("k{day}-{:02x}{:02x}", suffix[0], suffix[1]).parse()
}
