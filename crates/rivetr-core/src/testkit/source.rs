//! The [`SourceFetcher`] conformance suite.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use futures::FutureExt;

use crate::ErrorKind;
use crate::log_sink::LogSink;
use crate::model::{DeploymentStatus, SourceSpec};
use crate::source::SourceFetcher;

/// Run the source suite against `fetcher`.
///
/// `supported` must be a source the fetcher can fetch (with at least one
/// file); `missing` one it supports whose repository, ref or upload does not
/// exist. Each fetch goes to a fresh directory under
/// [`std::env::temp_dir`], removed afterwards.
///
/// Checks: `supports` is true for both; the fetched root is inside the
/// destination and holds files; git sources report a commit with a hex sha,
/// the same one when fetched twice; `missing` is `NotFound`; an image source
/// is either supported or refused by `fetch` with `Unsupported`.
///
/// # Panics
///
/// With a message naming the broken contract.
pub async fn conformance(
    fetcher: &dyn SourceFetcher,
    supported: &SourceSpec,
    missing: &SourceSpec,
) {
    assert!(
        !fetcher.name().is_empty(),
        "source contract: name() must not be empty"
    );
    assert!(
        fetcher.supports(supported),
        "source contract: supports() must be true for the source the suite is given to fetch"
    );
    assert!(
        fetcher.supports(missing),
        "source contract: supports() must be true for the missing source the suite is given"
    );
    let dirs = [scratch_dir(), scratch_dir(), scratch_dir(), scratch_dir()];
    let outcome = AssertUnwindSafe(checks(fetcher, supported, missing, &dirs))
        .catch_unwind()
        .await;
    for dir in &dirs {
        let _ = tokio::fs::remove_dir_all(dir).await;
    }
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// A fresh, not yet created, directory path under the temp dir.
fn scratch_dir() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let unique = uuid::Uuid::now_v7().simple();
    std::env::temp_dir().join(format!(
        "rivetr-source-conformance-{}-{n}-{unique}",
        std::process::id()
    ))
}

async fn checks(
    fetcher: &dyn SourceFetcher,
    supported: &SourceSpec,
    missing: &SourceSpec,
    dirs: &[PathBuf; 4],
) {
    for dir in dirs {
        (tokio::fs::create_dir_all(dir).await)
            .unwrap_or_else(|e| panic!("testkit: cannot create {}: {e}", dir.display()));
    }
    let (log, _lines) = LogSink::channel(DeploymentStatus::Fetching);
    let tree = (fetcher.fetch(supported, &dirs[0], &log).await)
        .unwrap_or_else(|e| panic!("source contract: fetching the supported source failed: {e}"));
    assert!(
        tree.root.starts_with(&dirs[0]),
        "source contract: the tree's root must be the destination or inside it (got {})",
        tree.root.display()
    );
    let files = count_files(&tree.root).await;
    assert!(
        files > 0,
        "source contract: the fetched tree must hold the source's files"
    );
    if matches!(supported, SourceSpec::Git { .. }) {
        let commit = (tree.commit.as_ref())
            .unwrap_or_else(|| panic!("source contract: a git fetch must report its commit"));
        assert!(
            !commit.sha.is_empty() && commit.sha.chars().all(|c| c.is_ascii_hexdigit()),
            "source contract: a commit sha must be hex digits (got {:?})",
            commit.sha
        );
    }
    let again = (fetcher.fetch(supported, &dirs[1], &log).await)
        .unwrap_or_else(|e| panic!("source contract: fetching the same source twice failed: {e}"));
    assert_eq!(
        again.commit, tree.commit,
        "source contract: the same source fetched twice must give the same commit"
    );
    assert_eq!(
        count_files(&again.root).await,
        files,
        "source contract: the same source fetched twice must give the same files"
    );

    match fetcher.fetch(missing, &dirs[2], &log).await {
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => {
            panic!("source contract: a missing repository, ref or upload must be NotFound, got {e}")
        }
        Ok(_) => {
            panic!("source contract: a missing repository, ref or upload must be NotFound, got Ok")
        }
    }

    let Ok(image) = "rivetr-conformance/none:1".parse() else {
        return;
    };
    let image = SourceSpec::Image { image };
    if !fetcher.supports(&image) {
        match fetcher.fetch(&image, &dirs[3], &log).await {
            Err(e) if e.kind() == ErrorKind::Unsupported => {}
            other => panic!(
                "source contract: fetching a source supports() refuses must be Unsupported, got {:?}",
                other.map(|t| t.root)
            ),
        }
    }
}

/// Regular files under `root`, recursively.
async fn count_files(root: &Path) -> usize {
    let mut pending = vec![root.to_path_buf()];
    let mut files = 0;
    while let Some(dir) = pending.pop() {
        let mut entries = (tokio::fs::read_dir(&dir).await).unwrap_or_else(|e| {
            panic!(
                "source contract: the tree root {} must be a readable directory: {e}",
                dir.display()
            )
        });
        while let Some(entry) = (entries.next_entry().await)
            .unwrap_or_else(|e| panic!("testkit: reading {}: {e}", dir.display()))
        {
            let kind = (entry.file_type().await)
                .unwrap_or_else(|e| panic!("testkit: reading {}: {e}", entry.path().display()));
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                files += 1;
            }
        }
    }
    files
}
