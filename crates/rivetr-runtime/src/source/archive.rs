//! [`ArchiveSource`]: unpack uploaded zip and tar.gz archives, safely.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use rivetr_core::id::UploadId;
use rivetr_core::log_sink::LogSink;
use rivetr_core::model::SourceSpec;
use rivetr_core::source::{SourceFetcher, SourceTree};
use rivetr_core::{Error, Result};

use super::{InterruptOnDrop, check_links_resolve_inside, io_error, link_stays_inside};

/// Size and count limits for [`ArchiveSource`], enforced while unpacking
/// (sizes written in headers are not trusted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Largest upload accepted, in bytes (the compressed file).
    pub max_bytes: u64,
    /// Largest total of the unpacked files, in bytes.
    pub max_unpacked_bytes: u64,
    /// Most entries (files, directories and links) accepted.
    pub max_entries: u64,
}

impl Default for ArchiveLimits {
    /// 256 MiB uploads, 1 GiB unpacked, 100 000 entries.
    fn default() -> Self {
        Self {
            max_bytes: 256 << 20,
            max_unpacked_bytes: 1 << 30,
            max_entries: 100_000,
        }
    }
}

/// A [`SourceFetcher`] for [`SourceSpec::Archive`]: the upload is the file
/// `<uploads_dir>/<upload id>`, a zip or a tar.gz (told apart by its first
/// bytes).
///
/// Refused with `InvalidInput`, naming the entry: absolute paths, `..`,
/// hard links, symlinks whose target is absolute or leaves the tree (as
/// written, or once resolved on disk through the tree's other links,
/// checked when everything is unpacked), entries below a symlink, device files and FIFOs, duplicate entries, encrypted zip
/// entries, corrupt archives, and anything over the [`ArchiveLimits`].
/// An upload that does not exist is `NotFound`.
///
/// When everything in the archive sits in one top-level directory (as in the
/// archives GitHub makes), the returned tree's root is that directory; the
/// files themselves are written as they are named.
#[derive(Clone, Debug)]
pub struct ArchiveSource {
    uploads_dir: PathBuf,
    limits: ArchiveLimits,
}

impl ArchiveSource {
    /// Unpack uploads kept in `uploads_dir` within `limits`.
    pub fn new(uploads_dir: impl Into<PathBuf>, limits: ArchiveLimits) -> Self {
        Self {
            uploads_dir: uploads_dir.into(),
            limits,
        }
    }

    /// The file holding `upload`.
    #[must_use]
    pub fn upload_path(&self, upload: UploadId) -> PathBuf {
        self.uploads_dir.join(upload.to_string())
    }

    /// The limits.
    #[must_use]
    pub fn limits(&self) -> ArchiveLimits {
        self.limits
    }
}

#[async_trait]
impl SourceFetcher for ArchiveSource {
    fn name(&self) -> &'static str {
        "archive"
    }

    fn supports(&self, source: &SourceSpec) -> bool {
        matches!(source, SourceSpec::Archive { .. })
    }

    async fn fetch(&self, source: &SourceSpec, dest: &Path, log: &LogSink) -> Result<SourceTree> {
        let SourceSpec::Archive { upload } = source else {
            return Err(Error::unsupported(format!(
                "the archive source unpacks uploads, not {}",
                source.describe()
            )));
        };
        let path = self.upload_path(*upload);
        log.info(&format!("Unpacking upload {upload}"));
        let job = Unpack {
            upload: *upload,
            path,
            dest: dest.to_path_buf(),
            limits: self.limits,
            entries: 0,
            bytes: 0,
            links: HashSet::new(),
        };
        let interrupt = InterruptOnDrop::new();
        let flag = interrupt.flag();
        let (root, entries, bytes) =
            tokio::task::spawn_blocking(move || job.run(&flag))
                .await
                .map_err(|e| Error::internal(format!("the unpack task failed: {e}")))??;
        drop(interrupt);
        log.info(&format!("Unpacked {entries} entries ({bytes} bytes)"));
        Ok(SourceTree { root, commit: None })
    }
}

enum Format {
    Zip,
    TarGz,
}

struct Unpack {
    upload: UploadId,
    path: PathBuf,
    dest: PathBuf,
    limits: ArchiveLimits,
    entries: u64,
    bytes: u64,
    /// Symlinks written so far (relative paths): nothing is written below one.
    links: HashSet<PathBuf>,
}

fn corrupt(err: impl std::fmt::Display) -> Error {
    Error::invalid_input(format!("the archive is corrupt or not a zip/tar.gz: {err}"))
}

impl Unpack {
    fn run(mut self, interrupt: &AtomicBool) -> Result<(PathBuf, u64, u64)> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::not_found(format!(
                    "no uploaded archive {}",
                    self.upload
                )));
            }
            Err(e) => return Err(io_error("opening the upload", &self.path, e)),
        };
        let size = file
            .metadata()
            .map_err(|e| io_error("reading", &self.path, e))?
            .len();
        if size > self.limits.max_bytes {
            return Err(Error::invalid_input(format!(
                "the archive is {size} bytes; the limit is {} bytes",
                self.limits.max_bytes
            )));
        }
        let mut magic = [0u8; 4];
        let got =
            read_up_to(&mut file, &mut magic).map_err(|e| io_error("reading", &self.path, e))?;
        let format = match &magic[..got] {
            [b'P', b'K', 3, 4] | [b'P', b'K', 5, 6] => Format::Zip,
            [0x1f, 0x8b, ..] => Format::TarGz,
            _ => {
                return Err(Error::invalid_input(
                    "the upload is neither a zip nor a tar.gz archive",
                ));
            }
        };
        let file = File::open(&self.path).map_err(|e| io_error("opening", &self.path, e))?;
        match format {
            Format::Zip => self.unzip(file, interrupt)?,
            Format::TarGz => self.untar(file, interrupt)?,
        }
        check_links_resolve_inside(&self.dest, interrupt)?;
        let root = single_top_dir(&self.dest)?.unwrap_or_else(|| self.dest.clone());
        Ok((root, self.entries, self.bytes))
    }

    fn untar(&mut self, file: File, interrupt: &AtomicBool) -> Result<()> {
        let gz = flate2::read::GzDecoder::new(io::BufReader::new(file));
        let mut archive = tar::Archive::new(gz);
        for entry in archive.entries().map_err(corrupt)? {
            if interrupt.load(Ordering::Relaxed) {
                return Err(Error::cancelled("unpacking was cancelled"));
            }
            let mut entry = entry.map_err(corrupt)?;
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let kind = entry.header().entry_type();
            let rel = self.admit(&name)?;
            use tar::EntryType as T;
            match kind {
                T::Directory => self.make_dir(&name, &rel)?,
                T::Regular | T::Continuous => {
                    let mode = entry.header().mode().unwrap_or(0o644);
                    self.write(&name, &rel, &mut entry, mode & 0o111 != 0)?;
                }
                T::Symlink => {
                    let target = entry
                        .link_name_bytes()
                        .map(|t| String::from_utf8_lossy(&t).into_owned())
                        .unwrap_or_default();
                    self.symlink(&name, &rel, &target)?;
                }
                T::Link => {
                    return Err(Error::invalid_input(format!(
                        "archive entry {name:?} is a hard link; hard links are not allowed"
                    )));
                }
                T::Char | T::Block | T::Fifo => {
                    return Err(Error::invalid_input(format!(
                        "archive entry {name:?} is a device file or FIFO; only files, \
                         directories and symlinks are allowed"
                    )));
                }
                other => {
                    return Err(Error::invalid_input(format!(
                        "archive entry {name:?} has an unsupported type ({other:?})"
                    )));
                }
            }
        }
        Ok(())
    }

    fn unzip(&mut self, file: File, interrupt: &AtomicBool) -> Result<()> {
        let mut archive = zip::ZipArchive::new(io::BufReader::new(file)).map_err(corrupt)?;
        for index in 0..archive.len() {
            if interrupt.load(Ordering::Relaxed) {
                return Err(Error::cancelled("unpacking was cancelled"));
            }
            let mut entry = archive.by_index(index).map_err(|e| match e {
                zip::result::ZipError::UnsupportedArchive(what) => {
                    Error::invalid_input(format!("archive entry {index} cannot be read: {what}"))
                }
                other => corrupt(other),
            })?;
            let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
            let rel = self.admit(&name)?;
            if entry.is_dir() {
                self.make_dir(&name, &rel)?;
            } else if entry.is_symlink() {
                let mut target = Vec::new();
                (&mut entry)
                    .take(4096)
                    .read_to_end(&mut target)
                    .map_err(corrupt)?;
                let target = String::from_utf8_lossy(&target).into_owned();
                self.symlink(&name, &rel, &target)?;
            } else {
                let kind = entry.unix_mode().map_or(0o100_000, |m| m & 0o170_000);
                if kind != 0o100_000 && kind != 0 {
                    return Err(Error::invalid_input(format!(
                        "archive entry {name:?} is a device file or FIFO; only files, \
                         directories and symlinks are allowed"
                    )));
                }
                let executable = entry.unix_mode().is_some_and(|m| m & 0o111 != 0);
                self.write(&name, &rel, &mut entry, executable)?;
            }
        }
        Ok(())
    }

    /// Count the entry and check its name; returns the relative path.
    fn admit(&mut self, name: &str) -> Result<PathBuf> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(Error::invalid_input(format!(
                "the archive has more than {} entries (at {name:?})",
                self.limits.max_entries
            )));
        }
        if name.contains('\0') || name.contains('\\') {
            return Err(Error::invalid_input(format!(
                "archive entry {name:?} has a NUL or backslash in its name"
            )));
        }
        let path = Path::new(name);
        let mut rel = PathBuf::new();
        for component in path.components() {
            match component {
                Component::Normal(part) => rel.push(part),
                Component::CurDir => {}
                Component::ParentDir => {
                    return Err(Error::invalid_input(format!(
                        "archive entry {name:?} contains '..'; paths must stay inside the archive"
                    )));
                }
                Component::RootDir | Component::Prefix(_) => {
                    return Err(Error::invalid_input(format!(
                        "archive entry {name:?} is an absolute path; paths must be relative"
                    )));
                }
            }
        }
        if let Some(link) = rel.ancestors().skip(1).find(|a| self.links.contains(*a)) {
            return Err(Error::invalid_input(format!(
                "archive entry {name:?} lies below the symlink {:?}",
                link.display().to_string()
            )));
        }
        Ok(rel)
    }

    fn make_dir(&self, name: &str, rel: &Path) -> Result<()> {
        if rel.as_os_str().is_empty() {
            return Ok(());
        }
        let path = self.dest.join(rel);
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            if meta.is_dir() {
                return Ok(());
            }
            return Err(Error::invalid_input(format!(
                "archive entry {name:?} appears twice"
            )));
        }
        std::fs::create_dir_all(&path).map_err(|e| io_error("creating", &path, e))
    }

    fn prepare(&self, name: &str, rel: &Path) -> Result<PathBuf> {
        if rel.as_os_str().is_empty() {
            return Err(Error::invalid_input(format!(
                "archive entry {name:?} has an empty name"
            )));
        }
        let path = self.dest.join(rel);
        if std::fs::symlink_metadata(&path).is_ok() {
            return Err(Error::invalid_input(format!(
                "archive entry {name:?} appears twice"
            )));
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_error("creating", parent, e))?;
        }
        Ok(path)
    }

    fn write(
        &mut self,
        name: &str,
        rel: &Path,
        data: &mut dyn Read,
        executable: bool,
    ) -> Result<()> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.prepare(name, rel)?;
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(if executable { 0o755 } else { 0o644 })
            .open(&path)
            .map_err(|e| io_error("creating", &path, e))?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match data.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Error::invalid_input(format!(
                        "archive entry {name:?} cannot be read: {e}"
                    )));
                }
            };
            self.bytes += n as u64;
            if self.bytes > self.limits.max_unpacked_bytes {
                return Err(Error::invalid_input(format!(
                    "the archive unpacks to more than {} bytes (at {name:?})",
                    self.limits.max_unpacked_bytes
                )));
            }
            out.write_all(&buf[..n])
                .map_err(|e| io_error("writing", &path, e))?;
        }
        Ok(())
    }

    fn symlink(&mut self, name: &str, rel: &Path, target: &str) -> Result<()> {
        if target.contains('\0') || !link_stays_inside(rel, Path::new(target)) {
            return Err(Error::invalid_input(format!(
                "archive entry {name:?} is a symlink to {target:?}, outside the archive; \
                 only relative links that stay inside are allowed"
            )));
        }
        let path = self.prepare(name, rel)?;
        std::os::unix::fs::symlink(target, &path)
            .map_err(|e| io_error("creating the symlink", &path, e))?;
        self.links.insert(rel.to_path_buf());
        Ok(())
    }
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// The only entry of `dest` when it is a (real) directory.
fn single_top_dir(dest: &Path) -> Result<Option<PathBuf>> {
    let mut entries = std::fs::read_dir(dest).map_err(|e| io_error("reading", dest, e))?;
    let Some(first) = entries.next() else {
        return Ok(None);
    };
    if entries.next().is_some() {
        return Ok(None);
    }
    let first = first.map_err(|e| io_error("reading", dest, e))?;
    let kind = first
        .file_type()
        .map_err(|e| io_error("reading", dest, e))?;
    Ok(kind.is_dir().then(|| first.path()))
}
