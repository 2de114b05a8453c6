//! Source fetchers: turn an app's [`SourceSpec`](rivetr_core::model::SourceSpec)
//! into a tree on disk.
//!
//! - [`GitSource`]: git repositories over https, ssh, http and file URLs (as the
//!   [`GitUrlPolicy`](rivetr_core::input::GitUrlPolicy) allows), fetched with
//!   gix into a cache of bare clones and checked out without `.git`.
//! - [`ArchiveSource`]: uploaded zip and tar.gz archives, unpacked with limits
//!   and without path escapes.
//! - Image sources ([`SourceSpec::Image`](rivetr_core::model::SourceSpec::Image))
//!   have nothing to fetch: the deploy engine pulls the image through the
//!   [`ContainerRuntime`](rivetr_core::runtime::ContainerRuntime), so no
//!   fetcher here supports them (each refuses them with `Unsupported`).
//!
//! No fetcher runs a shell or the git program.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rivetr_core::Error;

mod archive;
mod cache;
mod credentials;
mod git;

pub use archive::{ArchiveLimits, ArchiveSource};
pub use cache::cache_path;
pub use credentials::{CredentialProvider, DEFAULT_TOKEN_USER, GitCredentials, StaticCredentials};
pub use git::{GitSource, GitSourceConfig};

/// Sets its flag when dropped: blocking work polls the flag and stops when
/// the future that started it is dropped.
#[derive(Debug)]
struct InterruptOnDrop(Arc<AtomicBool>);

impl InterruptOnDrop {
    fn new() -> Self {
        Self(Arc::new(AtomicBool::new(false)))
    }

    fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.0)
    }
}

impl Drop for InterruptOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn io_error(doing: &str, path: &Path, err: std::io::Error) -> Error {
    let message = format!("{doing} {}: {err}", path.display());
    Error::internal(message).with_source(err)
}

/// Whether a symlink at `link` (relative to the tree's root) with `target`
/// stays inside the tree: the target must be relative and, resolved
/// lexically from the link's directory, never climb above the root.
fn link_stays_inside(link: &Path, target: &Path) -> bool {
    let mut depth: usize = link.parent().map_or(0, |p| {
        p.components()
            .filter(|c| matches!(c, Component::Normal(_)))
            .count()
    });
    for component in target.components() {
        match component {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    !target.as_os_str().is_empty()
}

/// Create `path` (which must not exist) with `data`.
fn write_file(path: &PathBuf, data: &[u8], executable: bool) -> rivetr_core::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mode = if executable { 0o755 } else { 0o644 };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| io_error("creating", path, e))?;
    file.write_all(data)
        .map_err(|e| io_error("writing", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_must_stay_inside_the_tree() {
        let inside = [
            ("l", "a.txt"),
            ("d/l", "../a.txt"),
            ("d/e/l", "../../a"),
            ("d/l", "./x/../y"),
            ("l", "."),
        ];
        for (link, target) in inside {
            assert!(
                link_stays_inside(Path::new(link), Path::new(target)),
                "{link} -> {target}"
            );
        }
        let outside = [
            ("l", "../a"),
            ("d/l", "../../a"),
            ("l", "/etc/passwd"),
            ("d/l", "x/../../../a"),
            ("l", ""),
        ];
        for (link, target) in outside {
            assert!(
                !link_stays_inside(Path::new(link), Path::new(target)),
                "{link} -> {target}"
            );
        }
    }

    #[test]
    fn cache_paths_are_hashed_and_stable() {
        let url: rivetr_core::input::GitUrl = "https://example.com/a.git"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let a = cache_path(Path::new("/c"), &url);
        assert_eq!(a, cache_path(Path::new("/c"), &url));
        let name = a
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert_eq!(name.len(), 44, "{name}");
        assert!(!name.contains("example"));
    }

    #[test]
    fn the_interrupt_flag_is_set_on_drop() {
        let guard = InterruptOnDrop::new();
        let flag = guard.flag();
        assert!(!flag.load(Ordering::Relaxed));
        drop(guard);
        assert!(flag.load(Ordering::Relaxed));
    }
}
