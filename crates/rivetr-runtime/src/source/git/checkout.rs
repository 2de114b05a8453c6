//! Write a commit's tree to a directory straight from the object database:
//! no index, no `.git`, no filters.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use gix::bstr::ByteSlice;
use gix::object::tree::EntryKind;
use rivetr_core::{Error, Result};

use super::super::{check_links_resolve_inside, io_error, link_stays_inside, write_file};

/// The longest symlink target read, in bytes.
const MAX_LINK_TARGET: u64 = 4096;

/// How much a checkout may write.
#[derive(Clone, Copy, Debug)]
pub(super) struct Limits {
    /// Largest total of the blobs written, in bytes.
    pub(super) max_unpacked_bytes: u64,
    /// Most entries written.
    pub(super) max_entries: u64,
}

/// Counts what a checkout has written against its [`Limits`].
struct Budget {
    limits: Limits,
    entries: u64,
    bytes: u64,
}

impl Budget {
    fn entry(&mut self, rel: &Path) -> Result<()> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(Error::invalid_input(format!(
                "the repository has more than {} entries (at {})",
                self.limits.max_entries,
                rel.display()
            )));
        }
        Ok(())
    }

    fn bytes(&mut self, rel: &Path, size: u64) -> Result<()> {
        self.bytes = self.bytes.saturating_add(size);
        if self.bytes > self.limits.max_unpacked_bytes {
            return Err(Error::invalid_input(format!(
                "the repository checks out to more than {} bytes (at {}, {size} bytes)",
                self.limits.max_unpacked_bytes,
                rel.display()
            )));
        }
        Ok(())
    }
}

/// The size of object `id` from its header, without loading it.
fn object_size(repo: &gix::Repository, id: gix::ObjectId) -> Result<u64> {
    repo.find_header(id)
        .map(|h| h.size())
        .map_err(|e| Error::internal(format!("reading object {id}: {e}")))
}

/// Write `tree` under `dest` (which exists), within `limits`; then check
/// that every symlink written resolves inside `dest`.
pub(super) fn write_tree(
    repo: &gix::Repository,
    tree: &gix::Tree<'_>,
    dest: &Path,
    limits: Limits,
    interrupt: &AtomicBool,
) -> Result<()> {
    let mut budget = Budget {
        limits,
        entries: 0,
        bytes: 0,
    };
    let mut pending: Vec<(gix::ObjectId, PathBuf)> = vec![(tree.id, PathBuf::new())];
    while let Some((id, rel)) = pending.pop() {
        if interrupt.load(Ordering::Relaxed) {
            return Err(Error::cancelled("the checkout was cancelled"));
        }
        // A tree object is loaded whole: bound it like a file.
        let size = object_size(repo, id)?;
        if size > limits.max_unpacked_bytes {
            return Err(Error::invalid_input(format!(
                "the repository's directory {} is listed in {size} bytes; the limit is {} bytes",
                rel.display(),
                limits.max_unpacked_bytes
            )));
        }
        let tree =
            (repo.find_tree(id)).map_err(|e| Error::internal(format!("reading tree {id}: {e}")))?;
        let decoded = tree
            .decode()
            .map_err(|e| Error::internal(format!("decoding tree {id}: {e}")))?;
        for entry in &decoded.entries {
            let name = entry.filename.to_str().map_err(|_| {
                Error::invalid_input(format!(
                    "the repository holds a file name that is not UTF-8 in {}",
                    rel.display()
                ))
            })?;
            if name.is_empty()
                || name == "."
                || name == ".."
                || name.contains('/')
                || name.contains('\\')
                || name.contains('\0')
            {
                return Err(Error::invalid_input(format!(
                    "the repository holds an unsafe file name {name:?} in {}",
                    rel.display()
                )));
            }
            // Never write a `.git` (file or directory) into the tree.
            if name.eq_ignore_ascii_case(".git") {
                continue;
            }
            let rel_path = rel.join(name);
            let path = dest.join(&rel_path);
            let oid = entry.oid.to_owned();
            budget.entry(&rel_path)?;
            match entry.mode.kind() {
                EntryKind::Tree => {
                    std::fs::create_dir(&path).map_err(|e| io_error("creating", &path, e))?;
                    pending.push((oid, rel_path));
                }
                EntryKind::Blob | EntryKind::BlobExecutable => {
                    budget.bytes(&rel_path, object_size(repo, oid)?)?;
                    let blob = (repo.find_blob(oid))
                        .map_err(|e| Error::internal(format!("reading blob {oid}: {e}")))?;
                    let executable = matches!(entry.mode.kind(), EntryKind::BlobExecutable);
                    write_file(&path, &blob.data, executable)?;
                }
                EntryKind::Link => {
                    let size = object_size(repo, oid)?;
                    if size > MAX_LINK_TARGET {
                        return Err(Error::invalid_input(format!(
                            "the symlink {} has a target of {size} bytes; the limit is \
                             {MAX_LINK_TARGET} bytes",
                            rel_path.display()
                        )));
                    }
                    budget.bytes(&rel_path, size)?;
                    let blob = (repo.find_blob(oid))
                        .map_err(|e| Error::internal(format!("reading blob {oid}: {e}")))?;
                    let target = blob.data.to_str().map_err(|_| {
                        Error::invalid_input(format!(
                            "the symlink {} has a target that is not UTF-8",
                            rel_path.display()
                        ))
                    })?;
                    if !link_stays_inside(&rel_path, Path::new(target)) {
                        return Err(Error::invalid_input(format!(
                            "the symlink {} points outside the repository ({target})",
                            rel_path.display()
                        )));
                    }
                    std::os::unix::fs::symlink(target, &path)
                        .map_err(|e| io_error("creating the symlink", &path, e))?;
                }
                EntryKind::Commit => {
                    // A submodule: not fetched; leave its directory empty.
                    std::fs::create_dir(&path).map_err(|e| io_error("creating", &path, e))?;
                }
            }
        }
    }
    check_links_resolve_inside(dest, interrupt)
}
