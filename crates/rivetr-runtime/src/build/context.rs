//! The build context: a tar of a directory, streamed to the Engine API.
//!
//! The tar is written by a blocking task into a small bounded channel, and
//! the HTTP request body reads from that channel, so at most a few chunks
//! are in memory whatever the size of the tree. When the request is dropped
//! (the build is cancelled or failed), the channel closes and the producer
//! stops at its next write.
//!
//! What goes in:
//!
//! - every file, directory and symbolic link below the context root, with
//!   its mode; symbolic links are stored as links (never followed, so a
//!   link pointing out of the tree cannot pull host files in);
//! - never a `.git` entry (directory or file, at any depth);
//! - nothing that the root's `.dockerignore` excludes (see
//!   [`DockerIgnore`]), except the paths listed in
//!   [`BuildContext::keep`] (the Dockerfile and `.dockerignore`, which the
//!   daemon needs, as the Docker CLI does);
//! - the synthetic entries given in [`BuildContext::extra`] (a generated
//!   Dockerfile, for example), taken from memory.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use rivetr_core::input::PathInRepo;
use rivetr_core::{Error, Result};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::dockerignore::DockerIgnore;

/// Size of each chunk sent to the engine.
const CHUNK: usize = 64 * 1024;
/// Chunks buffered between the tar producer and the HTTP body.
const CHANNEL_CHUNKS: usize = 8;

/// What to put into a build context.
#[derive(Clone, Debug, Default)]
pub struct BuildContext {
    /// The directory whose contents form the context.
    pub root: PathBuf,
    /// Prefix for every entry taken from `root` (for example `site/`, so
    /// that a generated Dockerfile can sit beside the files); empty for
    /// none. Must be empty or end with `/`.
    pub prefix: String,
    /// Paths (relative to `root`, `/`-separated) kept even when
    /// `.dockerignore` excludes them.
    pub keep: Vec<String>,
    /// Paths (relative to `root`) left out whatever `.dockerignore` says.
    pub skip: Vec<String>,
    /// Entries added from memory: path in the tar and contents (mode 0644).
    pub extra: Vec<(String, Vec<u8>)>,
}

/// What the producer sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ContextStats {
    /// Regular files and synthetic entries.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
}

/// A running tar producer: the body to hand to the engine and the task
/// that reports how it went.
#[derive(Debug)]
pub struct ContextStream {
    /// The chunks of the tar, in order; an `Err` item aborts the request.
    pub body: mpsc::Receiver<io::Result<Bytes>>,
    /// The producer; resolves when the tar is complete or the reader is
    /// gone.
    pub producer: JoinHandle<io::Result<ContextStats>>,
}

impl ContextStream {
    /// The chunks as a `futures` stream (for `bollard::body_try_stream`).
    pub fn chunks(
        mut body: mpsc::Receiver<io::Result<Bytes>>,
    ) -> impl futures::Stream<Item = io::Result<Bytes>> + Send + 'static {
        futures::stream::poll_fn(move |cx| body.poll_recv(cx))
    }
}

/// Start streaming `context` as a tar.
///
/// Must be called inside a Tokio runtime (the producer is a blocking task).
#[must_use]
pub fn stream(context: BuildContext) -> ContextStream {
    let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
    let producer = tokio::task::spawn_blocking(move || {
        let writer = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        let result = write_tar(&context, writer);
        if let Err(err) = &result
            && err.kind() != io::ErrorKind::BrokenPipe
        {
            // Make the HTTP body fail so the engine does not build a
            // truncated context.
            let _ = tx.blocking_send(Err(io::Error::new(err.kind(), err.to_string())));
        }
        result
    });
    ContextStream { body: rx, producer }
}

/// The most of a `.dockerignore` read, in bytes.
const MAX_DOCKERIGNORE: u64 = 1 << 20;

/// The text of the `.dockerignore` at `path`, when it is a regular file (a
/// symlink, say to `/dev/zero`, is not followed), read up to
/// [`MAX_DOCKERIGNORE`] bytes; `None` when there is none.
fn read_dockerignore(path: &Path) -> io::Result<Option<String>> {
    use std::io::Read;
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => return Ok(None),
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err),
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_DOCKERIGNORE)
        .read_to_end(&mut bytes)?;
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// Write the whole tar into `writer`.
///
/// # Errors
///
/// I/O errors reading the tree, or `BrokenPipe` when the reader is gone.
pub fn write_tar<W: Write>(context: &BuildContext, writer: W) -> io::Result<ContextStats> {
    let ignore = match read_dockerignore(&context.root.join(".dockerignore")) {
        Ok(Some(text)) => DockerIgnore::parse(&text),
        Ok(None) => DockerIgnore::default(),
        Err(err) => return Err(annotate(err, ".dockerignore")),
    };
    let mut tar = tar::Builder::new(writer);
    tar.follow_symlinks(false);
    let mut stats = ContextStats::default();
    let walk = Walk {
        context,
        ignore: &ignore,
    };
    walk.dir(&mut tar, &context.root, "", &mut stats)?;
    for (name, data) in &context.extra {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mtime(0);
        tar.append_data(&mut header, name, data.as_slice())?;
        stats.files += 1;
        stats.bytes += data.len() as u64;
    }
    let mut writer = tar.into_inner()?;
    writer.flush()?;
    Ok(stats)
}

struct Walk<'a> {
    context: &'a BuildContext,
    ignore: &'a DockerIgnore,
}

impl Walk<'_> {
    fn dir<W: Write>(
        &self,
        tar: &mut tar::Builder<W>,
        dir: &Path,
        rel: &str,
        stats: &mut ContextStats,
    ) -> io::Result<()> {
        let mut entries = std::fs::read_dir(dir)
            .map_err(|e| annotate(e, display_rel(rel)))?
            .collect::<io::Result<Vec<_>>>()
            .map_err(|e| annotate(e, display_rel(rel)))?;
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let name = entry.file_name();
            if name == ".git" {
                continue;
            }
            let name = name.to_string_lossy();
            let child_rel = if rel.is_empty() {
                name.into_owned()
            } else {
                format!("{rel}/{name}")
            };
            if self.context.skip.contains(&child_rel) {
                continue;
            }
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).map_err(|e| annotate(e, &child_rel))?;
            let excluded =
                self.ignore.is_excluded(&child_rel) && !self.context.keep.contains(&child_rel);
            let in_tar = format!("{}{child_rel}", self.context.prefix);
            let kind = meta.file_type();
            if kind.is_dir() {
                if !excluded {
                    tar.append_dir(&in_tar, &path)
                        .map_err(|e| annotate(e, &child_rel))?;
                }
                if !excluded || self.ignore.has_exceptions() || self.keeps_below(&child_rel) {
                    self.dir(tar, &path, &child_rel, stats)?;
                }
            } else if excluded {
                continue;
            } else if kind.is_symlink() {
                let target = std::fs::read_link(&path).map_err(|e| annotate(e, &child_rel))?;
                let mut header = tar::Header::new_gnu();
                header.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_size(0);
                tar.append_link(&mut header, &in_tar, &target)
                    .map_err(|e| annotate(e, &child_rel))?;
            } else if kind.is_file() {
                let mut file = std::fs::File::open(&path).map_err(|e| annotate(e, &child_rel))?;
                tar.append_file(&in_tar, &mut file)
                    .map_err(|e| annotate(e, &child_rel))?;
                stats.files += 1;
                stats.bytes += meta.len();
            }
            // Sockets, FIFOs and devices have no place in an image: skipped.
        }
        Ok(())
    }

    /// Whether a kept path lies below `dir`.
    fn keeps_below(&self, dir: &str) -> bool {
        self.context.keep.iter().any(|k| {
            k.strip_prefix(dir)
                .is_some_and(|rest| rest.starts_with('/'))
        })
    }
}

fn display_rel(rel: &str) -> &str {
    if rel.is_empty() { "." } else { rel }
}

/// Add the path to an I/O error (keeping `BrokenPipe` as it is: that one
/// means the reader went away).
fn annotate(err: io::Error, path: &str) -> io::Error {
    if err.kind() == io::ErrorKind::BrokenPipe {
        return err;
    }
    io::Error::new(err.kind(), format!("{path}: {err}"))
}

/// Writes into the channel in chunks of [`CHUNK`] bytes.
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the engine stopped reading"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buf.len();
        let n = data.len().min(room);
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// The canonical path of `root` and, when given, of `root/rel`, checking
/// that the latter stays inside the former once symbolic links are
/// resolved. `Ok(None)` for the second when it does not exist.
///
/// # Errors
///
/// `InvalidInput` when `rel` resolves outside `root`; `InvalidInput` when
/// the root is missing.
pub fn resolve_inside(root: &Path, rel: Option<&PathInRepo>) -> Result<(PathBuf, Option<PathBuf>)> {
    let root = std::fs::canonicalize(root).map_err(|e| {
        Error::invalid_input(format!(
            "the source tree {} is not readable: {e}",
            root.display()
        ))
    })?;
    let Some(rel) = rel else {
        let same = root.clone();
        return Ok((root, Some(same)));
    };
    let joined = rel.join_to(&root);
    match std::fs::canonicalize(&joined) {
        Ok(path) if path.starts_with(&root) => Ok((root, Some(path))),
        Ok(_) => Err(Error::invalid_input(format!(
            "{rel} resolves outside the source tree (through a symbolic link); refusing it"
        ))),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok((root, None)),
        Err(err) => Err(Error::invalid_input(format!("{rel}: {err}"))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use std::collections::BTreeMap;

    use super::*;

    fn entries(context: &BuildContext) -> BTreeMap<String, tar::EntryType> {
        let mut out = Vec::new();
        write_tar(context, &mut out).unwrap();
        let mut archive = tar::Archive::new(out.as_slice());
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let path = e.path().unwrap().to_string_lossy().into_owned();
                (
                    path.trim_end_matches('/').to_owned(),
                    e.header().entry_type(),
                )
            })
            .collect()
    }

    #[test]
    fn git_ignored_and_symlinks_kept_as_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join(".git/objects")).unwrap();
        std::fs::write(root.join(".git/config"), "secret").unwrap();
        std::fs::create_dir_all(root.join("sub/.git")).unwrap();
        std::fs::write(root.join("sub/a.txt"), "a").unwrap();
        std::fs::write(root.join("app.log"), "log").unwrap();
        std::fs::write(root.join("Dockerfile"), "FROM scratch").unwrap();
        std::fs::write(
            root.join(".dockerignore"),
            "*.log\nDockerfile\n.dockerignore\n",
        )
        .unwrap();
        std::os::unix::fs::symlink("/etc/passwd", root.join("passwd")).unwrap();
        let context = BuildContext {
            root: root.to_path_buf(),
            keep: vec!["Dockerfile".into(), ".dockerignore".into()],
            extra: vec![("gen/Dockerfile".into(), b"FROM x".to_vec())],
            ..BuildContext::default()
        };
        let got = entries(&context);
        let names: Vec<&str> = got.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                ".dockerignore",
                "Dockerfile",
                "gen/Dockerfile",
                "passwd",
                "sub",
                "sub/a.txt"
            ]
        );
        assert_eq!(got["passwd"], tar::EntryType::Symlink);
    }

    #[test]
    fn exceptions_inside_excluded_directories_and_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("build/deep")).unwrap();
        std::fs::write(root.join("build/deep/keep.txt"), "k").unwrap();
        std::fs::write(root.join("build/drop.txt"), "d").unwrap();
        std::fs::write(root.join(".dockerignore"), "build\n!build/deep/keep.txt\n").unwrap();
        let context = BuildContext {
            root: root.to_path_buf(),
            prefix: "site/".into(),
            skip: vec![".dockerignore".into()],
            ..BuildContext::default()
        };
        let got = entries(&context);
        let names: Vec<&str> = got.keys().map(String::as_str).collect();
        assert_eq!(names, ["site/build/deep/keep.txt"]);
    }

    #[tokio::test]
    async fn stream_stops_when_the_reader_goes_away() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..64 {
            std::fs::write(dir.path().join(format!("f{i}")), vec![7u8; 256 * 1024]).unwrap();
        }
        let mut s = stream(BuildContext {
            root: dir.path().to_path_buf(),
            ..BuildContext::default()
        });
        // Nobody reads: the producer fills the channel, then waits.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!s.producer.is_finished(), "16 MiB cannot fit the channel");
        assert_eq!(
            s.body.len(),
            CHANNEL_CHUNKS,
            "at most a few chunks are buffered"
        );
        let first = s.body.recv().await.unwrap().unwrap();
        assert_eq!(first.len(), CHUNK);
        drop(s.body);
        let err = s.producer.await.unwrap().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn a_dockerignore_linked_to_dev_zero_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join(".dockerignore")).unwrap();
        std::fs::write(dir.path().join("a.txt"), "a").unwrap();
        let context = BuildContext {
            root: dir.path().to_path_buf(),
            ..BuildContext::default()
        };
        let got = entries(&context);
        assert_eq!(got[".dockerignore"], tar::EntryType::Symlink);
        assert!(got.contains_key("a.txt"));
        // A regular file is read, but only its first MiB.
        let big = format!("a.txt\n{}", "#".repeat(2 << 20));
        std::fs::remove_file(dir.path().join(".dockerignore")).unwrap();
        std::fs::write(dir.path().join(".dockerignore"), big).unwrap();
        let text = read_dockerignore(&dir.path().join(".dockerignore"))
            .unwrap()
            .unwrap();
        assert_eq!(text.len() as u64, MAX_DOCKERIGNORE);
        assert!(!entries(&context).contains_key("a.txt"));
    }

    #[test]
    fn resolve_inside_refuses_links_out() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
        std::fs::create_dir(dir.path().join("in")).unwrap();
        let rel: PathInRepo = "out".parse().unwrap();
        let err = resolve_inside(dir.path(), Some(&rel)).unwrap_err();
        assert_eq!(err.kind(), rivetr_core::ErrorKind::InvalidInput);
        assert!(err.message().contains("outside"), "{err}");
        let rel: PathInRepo = "in".parse().unwrap();
        assert!(resolve_inside(dir.path(), Some(&rel)).unwrap().1.is_some());
        let rel: PathInRepo = "missing".parse().unwrap();
        assert!(resolve_inside(dir.path(), Some(&rel)).unwrap().1.is_none());
    }
}
