//! [`MemorySource`]: a [`SourceFetcher`] serving trees kept in memory.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use super::faults::Faults;
use crate::error::{Error, Result};
use crate::id::UploadId;
use crate::input::{GitRef, GitUrl};
use crate::log_sink::LogSink;
use crate::model::{CommitInfo, SourceSpec};
use crate::source::{SourceFetcher, SourceTree};

/// The operations of [`MemorySource`] that can be scripted through
/// [`MemorySource::faults`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceOp {
    /// [`SourceFetcher::fetch`].
    Fetch,
}

type Files = BTreeMap<String, Vec<u8>>;

/// A [`SourceFetcher`] for git and archive sources whose content lives in
/// memory. Cheap to clone: clones share state.
///
/// Put trees in with [`MemorySource::insert_git`] (a push to a branch,
/// giving a new commit) and [`MemorySource::insert_archive`] (an upload);
/// [`SourceFetcher::fetch`] writes them to disk. Image sources are not
/// supported.
#[derive(Clone, Debug, Default)]
pub struct MemorySource {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    faults: Faults<SourceOp>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    repos: HashMap<GitUrl, HashMap<GitRef, (CommitInfo, Files)>>,
    archives: HashMap<UploadId, Files>,
}

impl MemorySource {
    /// A source with no repositories and no uploads.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The failures and stalls scripted for this source.
    #[must_use]
    pub fn faults(&self) -> &Faults<SourceOp> {
        &self.inner.faults
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Set the tree of `reference` in the repository at `url` (creating
    /// both), as a push would, and return the resulting commit.
    ///
    /// File names are paths relative to the tree's root (`src/main.rs`);
    /// names that are absolute or contain `..` make the fetch fail. The sha
    /// is derived from the url, ref and content: the same push gives the
    /// same commit.
    pub fn insert_git(
        &self,
        url: &GitUrl,
        reference: &GitRef,
        files: impl IntoIterator<Item = (String, Vec<u8>)>,
    ) -> CommitInfo {
        let files: Files = files.into_iter().collect();
        let mut hashed = Vec::new();
        for part in [url.as_str().as_bytes(), reference.as_str().as_bytes()] {
            hashed.extend_from_slice(part);
            hashed.push(0);
        }
        for (name, content) in &files {
            hashed.extend_from_slice(name.as_bytes());
            hashed.push(0);
            hashed.extend_from_slice(content);
            hashed.push(0);
        }
        let commit = CommitInfo {
            sha: sha_like(&hashed),
            summary: format!("Update {} on {reference}", plural(files.len(), "file")),
            author: "Rivetr Memory".to_owned(),
        };
        let mut state = self.lock();
        let repo = state.repos.entry(url.clone()).or_default();
        repo.insert(reference.clone(), (commit.clone(), files));
        commit
    }

    /// Store an uploaded archive's content under the key `upload`.
    pub fn insert_archive(
        &self,
        upload: UploadId,
        files: impl IntoIterator<Item = (String, Vec<u8>)>,
    ) {
        let files = files.into_iter().collect();
        self.lock().archives.insert(upload, files);
    }

    fn lookup(&self, source: &SourceSpec) -> Result<(Option<CommitInfo>, Files)> {
        let state = self.lock();
        match source {
            SourceSpec::Git { url, reference, .. } => {
                let repo = (state.repos.get(url))
                    .ok_or_else(|| Error::not_found(format!("no git repository at {url}")))?;
                let (commit, files) = repo.get(reference).ok_or_else(|| {
                    Error::not_found(format!("no ref {reference} in the git repository at {url}"))
                })?;
                Ok((Some(commit.clone()), files.clone()))
            }
            SourceSpec::Archive { upload } => (state.archives.get(upload))
                .map(|files| (None, files.clone()))
                .ok_or_else(|| Error::not_found(format!("no uploaded archive {upload}"))),
            SourceSpec::Image { image } => Err(Error::unsupported(format!(
                "the memory source fetches git and archive sources, not image {image}"
            ))),
        }
    }
}

/// `n thing` or `n things`.
fn plural(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// 40 hex digits derived from `bytes` (FNV-1a, three seeds): looks like a
/// git sha, stable across runs; not cryptographic.
fn sha_like(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(48);
    for seed in 0..3u64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        out.push_str(&format!("{hash:016x}"));
    }
    out.truncate(40);
    out
}

/// Refuse names that would escape the destination.
fn check_name(name: &str) -> Result<&Path> {
    let path = Path::new(name);
    let relative = !name.is_empty()
        && (path.components()).all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if relative {
        Ok(path)
    } else {
        Err(Error::invalid_input(format!(
            "file name {name:?} must be a relative path without `..`"
        )))
    }
}

fn io_error(doing: &str, path: &Path, err: std::io::Error) -> Error {
    Error::internal(format!("{doing} {}: {err}", path.display())).with_source(err)
}

#[async_trait]
impl SourceFetcher for MemorySource {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn supports(&self, source: &SourceSpec) -> bool {
        matches!(source, SourceSpec::Git { .. } | SourceSpec::Archive { .. })
    }

    async fn fetch(&self, source: &SourceSpec, dest: &Path, log: &LogSink) -> Result<SourceTree> {
        self.faults().enter(SourceOp::Fetch).await?;
        match source {
            SourceSpec::Git { url, reference, .. } => {
                log.info(&format!("Cloning {url} (ref {reference})"));
            }
            SourceSpec::Archive { upload } => log.info(&format!("Unpacking upload {upload}")),
            SourceSpec::Image { .. } => {}
        }
        let (commit, files) = self.lookup(source)?;
        for name in files.keys() {
            check_name(name)?;
        }
        for (name, content) in &files {
            let path = dest.join(check_name(name)?);
            if let Some(parent) = path.parent() {
                (tokio::fs::create_dir_all(parent).await)
                    .map_err(|e| io_error("creating", parent, e))?;
            }
            (tokio::fs::write(&path, content).await).map_err(|e| io_error("writing", &path, e))?;
        }
        log.info(&format!("Wrote {}", plural(files.len(), "file")));
        if let Some(commit) = &commit {
            log.info(&format!("Checked out {} ({})", commit.sha, commit.summary));
        }
        Ok(SourceTree {
            root: dest.to_path_buf(),
            commit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DeploymentStatus;

    fn git(url: &str, reference: &str) -> SourceSpec {
        SourceSpec::Git {
            url: url.parse().unwrap(),
            reference: reference.parse().unwrap(),
            watch_paths: Vec::new(),
        }
    }

    #[test]
    fn sha_is_40_hex_and_deterministic() {
        let source = MemorySource::new();
        let (url, main) = (
            "https://git.test/a.git".parse().unwrap(),
            "main".parse().unwrap(),
        );
        let a = source.insert_git(&url, &main, [("f".to_owned(), b"1".to_vec())]);
        let b = source.insert_git(&url, &main, [("f".to_owned(), b"1".to_vec())]);
        let c = source.insert_git(&url, &main, [("f".to_owned(), b"2".to_vec())]);
        assert_eq!(a.sha.len(), 40);
        assert!(a.sha.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(a, b);
        assert_ne!(a.sha, c.sha);
    }

    #[tokio::test]
    async fn fetch_writes_files_and_logs() {
        let source = MemorySource::new();
        let commit = source.insert_git(
            &"https://git.test/a.git".parse().unwrap(),
            &"main".parse().unwrap(),
            [("src/lib.rs".to_owned(), b"//".to_vec())],
        );
        let dir = tempfile::tempdir().unwrap();
        let (log, mut rx) = LogSink::channel(DeploymentStatus::Fetching);
        let spec = git("https://git.test/a.git", "main");
        let tree = source.fetch(&spec, dir.path(), &log).await.unwrap();
        assert_eq!(tree.commit, Some(commit.clone()));
        assert_eq!(std::fs::read(dir.path().join("src/lib.rs")).unwrap(), b"//");
        let mut lines = Vec::new();
        while let Ok(line) = rx.try_recv() {
            lines.push(line.text);
        }
        assert!(
            lines[0].starts_with("Cloning https://git.test/a.git"),
            "{lines:?}"
        );
        assert!(lines.iter().any(|l| l.contains(&commit.sha)));
    }

    #[tokio::test]
    async fn refuses_escaping_names_and_unknown_sources() {
        let source = MemorySource::new();
        let (up, abs) = (UploadId::new(), UploadId::new());
        source.insert_archive(up, [("../evil".to_owned(), Vec::new())]);
        source.insert_archive(abs, [("/etc/evil".to_owned(), Vec::new())]);
        let dir = tempfile::tempdir().unwrap();
        let log = LogSink::discard();
        for upload in [up, abs] {
            let spec = SourceSpec::Archive { upload };
            let err = source.fetch(&spec, dir.path(), &log).await.unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        }
        let err = (source.fetch(&git("https://git.test/none.git", "main"), dir.path(), &log))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::NotFound);
        assert!(err.message().contains("none.git"));
    }

    #[tokio::test]
    async fn scripted_fail_and_stall() {
        let source = MemorySource::new();
        let upload = UploadId::new();
        source.insert_archive(upload, [("a".to_owned(), b"a".to_vec())]);
        let dir = tempfile::tempdir().unwrap();
        let spec = SourceSpec::Archive { upload };
        let log = LogSink::discard();
        source
            .faults()
            .fail_next(SourceOp::Fetch, Error::unavailable("offline"));
        let err = source.fetch(&spec, dir.path(), &log).await.unwrap_err();
        assert!(err.is_retryable());
        let stall = source.faults().stall(SourceOp::Fetch);
        let fetch = source.fetch(&spec, dir.path(), &log);
        let release = async {
            stall.reached().await;
            assert!(!dir.path().join("a").exists(), "stalled before writing");
            stall.release();
        };
        let (tree, ()) = tokio::join!(fetch, release);
        assert_eq!(tree.unwrap().root, dir.path());
    }
}
