//! [`AcmeCache`]: where ACME accounts and issued certificates are kept, and
//! [`FileCache`], a directory of private files.

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use rivetr_core::input::DomainName;

/// Why the cache could not load or store an item.
#[derive(Debug, thiserror::Error)]
#[error("ACME cache: cannot {action} {what}: {source}")]
pub struct CacheError {
    /// `"load"` or `"store"`.
    pub action: &'static str,
    /// What it was (the file, the key).
    pub what: String,
    /// The underlying error.
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

/// Persistent storage for ACME accounts and certificates, keyed by ACME
/// directory URL (one account per CA) and domain. The store implements it;
/// [`FileCache`] keeps them in a directory.
///
/// # Behavior
/// - `load_*` returns `Ok(None)` when nothing was stored yet.
/// - Items are secrets (an account key, a certificate's private key): keep
///   them readable by this process only.
/// - A `store_*` replaces the previous item whole: a reader sees the old or
///   the new one, never a mix.
#[async_trait]
pub trait AcmeCache: fmt::Debug + Send + Sync {
    /// The account key (PKCS#8 DER) for `directory_url`.
    async fn load_account(&self, directory_url: &str) -> Result<Option<Vec<u8>>, CacheError>;
    /// Keep the account key (PKCS#8 DER) for `directory_url`.
    async fn store_account(&self, directory_url: &str, key: &[u8]) -> Result<(), CacheError>;
    /// The certificate of `domain` issued by `directory_url`: PEM, its
    /// private key first, then the chain (leaf first).
    async fn load_cert(
        &self,
        directory_url: &str,
        domain: &DomainName,
    ) -> Result<Option<Vec<u8>>, CacheError>;
    /// Keep the certificate of `domain` (PEM, as in
    /// [`load_cert`](Self::load_cert)).
    async fn store_cert(
        &self,
        directory_url: &str,
        domain: &DomainName,
        pem: &[u8],
    ) -> Result<(), CacheError>;
}

/// An [`AcmeCache`] in a directory: `<dir>/<directory URL, escaped>/`
/// holds `account.der` and `<domain>.pem`.
///
/// Directories are created `0700` and files written `0600`, each through a
/// temporary file renamed over the old one (readers never see half a
/// file). Blocking I/O runs on tokio's blocking pool.
#[derive(Clone, Debug)]
pub struct FileCache {
    dir: PathBuf,
}

impl FileCache {
    /// A cache in `dir` (created on the first store).
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The cache's directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of the account of `directory_url`.
    #[must_use]
    pub fn account_path(&self, directory_url: &str) -> PathBuf {
        self.dir.join(escape(directory_url)).join("account.der")
    }

    /// The file of the certificate of `domain` from `directory_url`.
    #[must_use]
    pub fn cert_path(&self, directory_url: &str, domain: &DomainName) -> PathBuf {
        // Domain names are ASCII letters, digits, `-` and `.`; escaped anyway.
        let file = format!("{}.pem", escape(domain.as_str()));
        self.dir.join(escape(directory_url)).join(file)
    }

    async fn load(path: PathBuf) -> Result<Option<Vec<u8>>, CacheError> {
        let what = path.display().to_string();
        let read = tokio::task::spawn_blocking(move || match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        });
        match read.await {
            Ok(result) => result.map_err(|e| error("load", what, e)),
            Err(join) => Err(error("load", what, join)),
        }
    }

    async fn store(path: PathBuf, bytes: Vec<u8>) -> Result<(), CacheError> {
        let what = path.display().to_string();
        let write = tokio::task::spawn_blocking(move || write_private(&path, &bytes));
        match write.await {
            Ok(result) => result.map_err(|e| error("store", what, e)),
            Err(join) => Err(error("store", what, join)),
        }
    }
}

#[async_trait]
impl AcmeCache for FileCache {
    async fn load_account(&self, directory_url: &str) -> Result<Option<Vec<u8>>, CacheError> {
        Self::load(self.account_path(directory_url)).await
    }

    async fn store_account(&self, directory_url: &str, key: &[u8]) -> Result<(), CacheError> {
        Self::store(self.account_path(directory_url), key.to_vec()).await
    }

    async fn load_cert(
        &self,
        directory_url: &str,
        domain: &DomainName,
    ) -> Result<Option<Vec<u8>>, CacheError> {
        Self::load(self.cert_path(directory_url, domain)).await
    }

    async fn store_cert(
        &self,
        directory_url: &str,
        domain: &DomainName,
        pem: &[u8],
    ) -> Result<(), CacheError> {
        Self::store(self.cert_path(directory_url, domain), pem.to_vec()).await
    }
}

fn error(
    action: &'static str,
    what: String,
    source: impl std::error::Error + Send + Sync + 'static,
) -> CacheError {
    CacheError {
        action,
        what,
        source: Box::new(source),
    }
}

/// `s` as one file name: ASCII letters, digits, `-` and `.` kept (a
/// leading `.` escaped), every other byte as `_XX` (hex), so different
/// strings never share a name.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, b) in s.bytes().enumerate() {
        let keep = b.is_ascii_alphanumeric() || b == b'-' || (b == b'.' && i > 0);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("_{b:02x}"));
        }
    }
    out
}

/// Unique temporary names within this process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Write `bytes` to `path` readable by this user only: parent directories
/// made `0700`, a new `0600` temporary file beside it written and synced,
/// renamed over `path`, the directory synced.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let parent = path
        .parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no parent directory"))?;
    create_private_dir(parent)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let counter = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let temp = parent.join(format!(".{name}.tmp-{}-{counter}", std::process::id()));
    let written = (|| {
        let mut file = open_private(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ignored = std::fs::remove_file(&temp);
    }
    written?;
    std::fs::File::open(parent)?.sync_all()
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    // An existing directory keeps its mode with `create`: tighten it.
    let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn open_private(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn escaping_is_one_file_name_and_injective() {
        assert_eq!(escape("app.example.com"), "app.example.com");
        assert_eq!(
            escape("https://127.0.0.1:14000/dir"),
            "https_3a_2f_2f127.0.0.1_3a14000_2fdir"
        );
        assert_eq!(escape(".."), "_2e.");
        assert_ne!(escape("a/b"), escape("a_2fb"));
        assert!(!escape("../../etc/passwd").contains('/'));
    }

    #[tokio::test]
    async fn stores_private_files_and_loads_them_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("rivetr-acme-cache-{}", std::process::id()));
        let cache = FileCache::new(dir.join("acme"));
        let domain: DomainName = "app.example.com".parse().unwrap();
        let url = "https://acme.example/dir";
        assert!(cache.load_cert(url, &domain).await.unwrap().is_none());
        cache.store_cert(url, &domain, b"one").await.unwrap();
        cache.store_cert(url, &domain, b"two").await.unwrap();
        cache.store_account(url, b"key").await.unwrap();
        assert_eq!(
            cache.load_cert(url, &domain).await.unwrap().unwrap(),
            b"two"
        );
        assert_eq!(cache.load_account(url).await.unwrap().unwrap(), b"key");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&cache.cert_path(url, &domain)), 0o600);
        assert_eq!(mode(&cache.account_path(url)), 0o600);
        assert_eq!(mode(cache.dir()), 0o700);
        let entries = std::fs::read_dir(cache.cert_path(url, &domain).parent().unwrap()).unwrap();
        assert_eq!(entries.count(), 2, "no temporary file left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
