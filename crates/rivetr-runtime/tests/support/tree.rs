//! Looking through a tree on disk (shared by the git tests).

use std::path::{Path, PathBuf};

/// Whether `needle` occurs in `haystack`.
fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A file under `root` containing `needle`, if any.
pub(crate) fn any_file_contains(root: &Path, needle: &str) -> Option<PathBuf> {
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                let data = std::fs::read(entry.path()).unwrap();
                if contains_bytes(&data, needle.as_bytes()) {
                    return Some(entry.path());
                }
            }
        }
    }
    None
}
