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

/// Check, once a tree is written under `dest`, that every symlink in it
/// really resolves inside `dest`.
///
/// [`link_stays_inside`] only reads a target as text, so a chain such as
/// `r -> .` with `x -> r/r/../../etc` passes it while on disk `x` leaves
/// the tree (each `r` is the root again). The rule here: each symlink's
/// target is resolved on disk, following every link it passes through
/// (`canonicalize`), and must end inside the canonical `dest`. A target
/// that does not exist (a dangling link) is resolved one component at a
/// time from the link's directory: every existing component is resolved
/// on disk, the missing rest as text, and every step must stay inside
/// `dest`. Links that cannot be resolved for another reason (a loop) are
/// refused too. Refusals are `InvalidInput` naming the link (relative to
/// `dest`).
fn check_links_resolve_inside(dest: &Path, interrupt: &AtomicBool) -> rivetr_core::Result<()> {
    let root = std::fs::canonicalize(dest).map_err(|e| io_error("resolving", dest, e))?;
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        if interrupt.load(Ordering::Relaxed) {
            return Err(Error::cancelled("checking the symlinks was cancelled"));
        }
        let entries = std::fs::read_dir(&dir).map_err(|e| io_error("reading", &dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error("reading", &dir, e))?;
            let kind = entry
                .file_type()
                .map_err(|e| io_error("reading", &dir, e))?;
            let path = entry.path();
            if kind.is_dir() {
                dirs.push(path);
            } else if kind.is_symlink() {
                check_link(&root, &dir, &path)?;
            }
        }
    }
    Ok(())
}

/// Check one symlink at `path` (in the real directory `dir`, inside the
/// canonical `root`); see [`check_links_resolve_inside`].
fn check_link(root: &Path, dir: &Path, path: &Path) -> rivetr_core::Result<()> {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let refuse = |why: &str| {
        Error::invalid_input(format!(
            "the symlink {} {why}; only links that stay inside the tree are allowed",
            rel.display()
        ))
    };
    match std::fs::canonicalize(path) {
        Ok(resolved) if resolved.starts_with(root) => return Ok(()),
        Ok(resolved) => {
            return Err(refuse(&format!(
                "resolves outside the tree (to {})",
                resolved.display()
            )));
        }
        Err(e) if missing(&e) => {}
        Err(e) => return Err(refuse(&format!("cannot be resolved ({e})"))),
    }
    // Dangling: resolve what exists on disk, the rest as text.
    let target = std::fs::read_link(path).map_err(|e| io_error("reading the symlink", path, e))?;
    let mut current = dir.to_path_buf();
    for component in target.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                current.pop();
            }
            Component::Normal(name) => {
                let next = current.join(name);
                current = match std::fs::canonicalize(&next) {
                    Ok(resolved) => resolved,
                    Err(e) if missing(&e) => {
                        // A missing name, or a dangling link: its own
                        // check covers where it points.
                        next
                    }
                    Err(e) => return Err(refuse(&format!("cannot be resolved ({e})"))),
                };
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(refuse("is absolute"));
            }
        }
        if !current.starts_with(root) {
            return Err(refuse("resolves outside the tree"));
        }
    }
    Ok(())
}

/// Whether resolving failed because a name along the way does not exist.
fn missing(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
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
    fn links_are_resolved_on_disk() {
        let check = |links: &[(&str, &str)]| {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let root = dir.path().join("root");
            std::fs::create_dir_all(root.join("d")).unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(root.join("a.txt"), "a").unwrap_or_else(|e| panic!("{e}"));
            for (link, target) in links {
                std::os::unix::fs::symlink(target, root.join(link))
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            check_links_resolve_inside(&root, &AtomicBool::new(false))
        };
        assert!(check(&[("r", "."), ("x", "r/r/a.txt"), ("y", "r/no/such")]).is_ok());
        assert!(check(&[("d/up", ".."), ("x", "d/up/d/up/a.txt")]).is_ok());
        // Leaving and re-entering resolves inside: allowed.
        assert!(check(&[("d/up", ".."), ("x", "d/up/../root/a.txt")]).is_ok());
        let outside = [
            &[("r", "."), ("x", "r/r/../../a.txt")][..],
            &[("r", "."), ("x", "r/r/../../no/such")],
            &[("d/up", ".."), ("x", "d/up/../no/such")],
            &[("loop", "loop")],
            &[("x", "a.txt/../../outside")],
        ];
        for links in outside {
            let err = check(links).err().unwrap_or_else(|| panic!("{links:?}"));
            assert_eq!(err.kind(), rivetr_core::ErrorKind::InvalidInput, "{err}");
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
