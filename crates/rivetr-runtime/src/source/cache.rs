//! The cache of bare clones: one per repository URL under the cache dir, so
//! a redeploy only fetches what changed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rivetr_core::input::GitUrl;

/// The cache directory of `url` under `cache_dir`: `<cache_dir>/<hex>.git`,
/// where `<hex>` is the SHA-1 of the URL as written (so no URL text reaches
/// the file system).
#[must_use]
pub fn cache_path(cache_dir: &Path, url: &GitUrl) -> PathBuf {
    let mut hasher = gix::hash::hasher(gix::hash::Kind::Sha1);
    hasher.update(url.as_str().as_bytes());
    let name = match hasher.try_finalize() {
        Ok(id) => id.to_hex().to_string(),
        // SHA-1 collision detection fired: fall back to a plain FNV hash.
        Err(_) => fnv_hex(url.as_str().as_bytes()),
    };
    cache_dir.join(format!("{name}.git"))
}

fn fnv_hex(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// One lock per cache repository, so two fetches of the same URL in this
/// process never write the same repository at once.
#[derive(Debug, Default)]
pub(crate) struct CacheLocks {
    locks: Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>,
}

impl CacheLocks {
    pub(crate) fn lock_for(&self, path: &Path) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(map.entry(path.to_path_buf()).or_default())
    }
}
