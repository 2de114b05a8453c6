//! Write a commit's tree to a directory straight from the object database:
//! no index, no `.git`, no filters.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use gix::bstr::ByteSlice;
use gix::object::tree::EntryKind;
use rivetr_core::{Error, Result};

use super::super::{io_error, link_stays_inside, write_file};

/// Write `tree` under `dest` (which exists).
pub(super) fn write_tree(
    repo: &gix::Repository,
    tree: &gix::Tree<'_>,
    dest: &Path,
    interrupt: &AtomicBool,
) -> Result<()> {
    let mut pending: Vec<(gix::ObjectId, PathBuf)> = vec![(tree.id, PathBuf::new())];
    while let Some((id, rel)) = pending.pop() {
        if interrupt.load(Ordering::Relaxed) {
            return Err(Error::cancelled("the checkout was cancelled"));
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
            match entry.mode.kind() {
                EntryKind::Tree => {
                    std::fs::create_dir(&path).map_err(|e| io_error("creating", &path, e))?;
                    pending.push((oid, rel_path));
                }
                EntryKind::Blob | EntryKind::BlobExecutable => {
                    let blob = (repo.find_blob(oid))
                        .map_err(|e| Error::internal(format!("reading blob {oid}: {e}")))?;
                    let executable = matches!(entry.mode.kind(), EntryKind::BlobExecutable);
                    write_file(&path, &blob.data, executable)?;
                }
                EntryKind::Link => {
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
    Ok(())
}
