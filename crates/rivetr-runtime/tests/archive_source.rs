#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! `ArchiveSource` against real tar.gz and zip files built here, including
//! hostile ones written with raw headers.

use std::io::Write;
use std::path::{Path, PathBuf};

use rivetr_core::ErrorKind;
use rivetr_core::id::UploadId;
use rivetr_core::log_sink::LogSink;
use rivetr_core::model::SourceSpec;
use rivetr_core::source::SourceFetcher;
use rivetr_runtime::source::{ArchiveLimits, ArchiveSource};

struct Uploads {
    dir: tempfile::TempDir,
}

impl Uploads {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn put(&self, bytes: &[u8]) -> UploadId {
        let id = UploadId::new();
        std::fs::write(self.dir.path().join(id.to_string()), bytes).unwrap();
        id
    }

    fn source(&self) -> ArchiveSource {
        ArchiveSource::new(self.dir.path(), ArchiveLimits::default())
    }

    fn with_limits(&self, limits: ArchiveLimits) -> ArchiveSource {
        ArchiveSource::new(self.dir.path(), limits)
    }
}

/// A tar header with `name` written raw (no checks by the tar crate).
fn raw_header(name: &[u8], kind: tar::EntryType, size: u64, link: Option<&[u8]>) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    {
        let gnu = header.as_gnu_mut().unwrap();
        gnu.name[..name.len()].copy_from_slice(name);
        if let Some(link) = link {
            gnu.linkname[..link.len()].copy_from_slice(link);
        }
    }
    header.set_entry_type(kind);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_cksum();
    header
}

enum Entry<'a> {
    File(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    HardLink(&'a str, &'a str),
    Device(&'a str),
}

fn tar_gz(entries: &[Entry<'_>]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(gz);
    for entry in entries {
        match entry {
            Entry::File(name, data) => {
                let header = raw_header(
                    name.as_bytes(),
                    tar::EntryType::Regular,
                    data.len() as u64,
                    None,
                );
                builder.append(&header, *data).unwrap();
            }
            Entry::Dir(name) => {
                let header = raw_header(name.as_bytes(), tar::EntryType::Directory, 0, None);
                builder.append(&header, &[][..]).unwrap();
            }
            Entry::Symlink(name, target) => {
                let header = raw_header(
                    name.as_bytes(),
                    tar::EntryType::Symlink,
                    0,
                    Some(target.as_bytes()),
                );
                builder.append(&header, &[][..]).unwrap();
            }
            Entry::HardLink(name, target) => {
                let header = raw_header(
                    name.as_bytes(),
                    tar::EntryType::Link,
                    0,
                    Some(target.as_bytes()),
                );
                builder.append(&header, &[][..]).unwrap();
            }
            Entry::Device(name) => {
                let header = raw_header(name.as_bytes(), tar::EntryType::Char, 0, None);
                builder.append(&header, &[][..]).unwrap();
            }
        }
    }
    builder.into_inner().unwrap().finish().unwrap()
}

fn zip(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for entry in entries {
        match entry {
            Entry::File(name, data) => {
                writer.start_file(*name, options).unwrap();
                writer.write_all(data).unwrap();
            }
            Entry::Dir(name) => writer.add_directory(*name, options).unwrap(),
            Entry::Symlink(name, target) => writer.add_symlink(*name, *target, options).unwrap(),
            Entry::HardLink(..) | Entry::Device(_) => unreachable!("zip has no such entries"),
        }
    }
    writer.finish().unwrap().into_inner()
}

struct Dest(tempfile::TempDir);

impl Dest {
    fn path(&self) -> PathBuf {
        self.0.path().join("dest")
    }
}

fn spec(upload: UploadId) -> SourceSpec {
    SourceSpec::Archive { upload }
}

/// Unpack into `<fresh temp dir>/dest`, so escapes would land beside `dest`.
async fn unpack(source: &ArchiveSource, upload: UploadId) -> (Dest, rivetr_core::Result<PathBuf>) {
    let parent = tempfile::tempdir().unwrap();
    std::fs::create_dir(parent.path().join("dest")).unwrap();
    let dest = Dest(parent);
    let result = source
        .fetch(&spec(upload), &dest.path(), &LogSink::discard())
        .await
        .map(|tree| tree.root);
    (dest, result)
}

async fn refused(source: &ArchiveSource, upload: UploadId, needle: &str) {
    let (dest, result) = unpack(source, upload).await;
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.message().contains(needle), "{needle:?} not in {err}");
    // Nothing was written outside the destination.
    let beside: Vec<_> = std::fs::read_dir(dest.0.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside, ["dest"], "an entry escaped");
}

fn app_entries() -> Vec<Entry<'static>> {
    vec![
        Entry::Dir("app/"),
        Entry::File("app/Dockerfile", b"FROM scratch\n"),
        Entry::File("app/src/main.txt", b"hello\n"),
        Entry::Symlink("app/link", "src/main.txt"),
        Entry::File("README.md", b"top\n"),
    ]
}

#[tokio::test]
async fn conformance_tar_gz_and_zip() {
    let uploads = Uploads::new();
    let source = uploads.source();
    for bytes in [tar_gz(&app_entries()), zip(&app_entries())] {
        let supported = spec(uploads.put(&bytes));
        let missing = spec(UploadId::new());
        rivetr_core::testkit::source::conformance(&source, &supported, &missing).await;
    }
}

#[tokio::test]
async fn unpacks_files_dirs_and_inside_links() {
    let uploads = Uploads::new();
    let source = uploads.source();
    for bytes in [tar_gz(&app_entries()), zip(&app_entries())] {
        let (dest, root) = unpack(&source, uploads.put(&bytes)).await;
        let root = root.unwrap();
        assert_eq!(root, dest.path(), "two top-level entries: no stripping");
        assert_eq!(
            std::fs::read(root.join("app/Dockerfile")).unwrap(),
            b"FROM scratch\n"
        );
        assert_eq!(
            std::fs::read(root.join("app/src/main.txt")).unwrap(),
            b"hello\n"
        );
        assert_eq!(std::fs::read(root.join("app/link")).unwrap(), b"hello\n");
        assert_eq!(std::fs::read(root.join("README.md")).unwrap(), b"top\n");
    }
}

#[tokio::test]
async fn a_single_top_level_directory_becomes_the_root() {
    let uploads = Uploads::new();
    let source = uploads.source();
    let entries = [
        Entry::Dir("repo-main/"),
        Entry::File("repo-main/index.html", b"<h1>hi</h1>"),
    ];
    for bytes in [tar_gz(&entries), zip(&entries)] {
        let (dest, root) = unpack(&source, uploads.put(&bytes)).await;
        let root = root.unwrap();
        assert_eq!(root, dest.path().join("repo-main"));
        assert!(root.join("index.html").is_file());
    }
}

#[tokio::test]
async fn path_escapes_are_refused() {
    let uploads = Uploads::new();
    let source = uploads.source();
    let cases: [(&[Entry<'_>], &str); 4] = [
        (&[Entry::File("../x", b"evil")], "'..'"),
        (&[Entry::File("a/../../x", b"evil")], "'..'"),
        (&[Entry::File("/etc/x", b"evil")], "absolute"),
        (&[Entry::Dir("/x/")], "absolute"),
    ];
    for (entries, needle) in cases {
        refused(&source, uploads.put(&tar_gz(entries)), needle).await;
    }
    // Zip: the zip crate writes names as given.
    refused(
        &source,
        uploads.put(&zip(&[Entry::File("../x", b"evil")])),
        "'..'",
    )
    .await;
    refused(
        &source,
        uploads.put(&zip(&[Entry::File("/etc/x", b"evil")])),
        "absolute",
    )
    .await;
}

#[tokio::test]
async fn links_out_devices_and_hard_links_are_refused() {
    let uploads = Uploads::new();
    let source = uploads.source();
    let cases: [(&[Entry<'_>], &str); 6] = [
        (&[Entry::Symlink("l", "/etc/passwd")], "outside"),
        (&[Entry::Symlink("l", "../x")], "outside"),
        (&[Entry::Symlink("d/l", "../../x")], "outside"),
        (
            &[
                Entry::Symlink("d", "."),
                Entry::File("d/x", b"through the link"),
            ],
            "below the symlink",
        ),
        (&[Entry::HardLink("h", "/etc/passwd")], "hard link"),
        (&[Entry::Device("dev")], "device"),
    ];
    for (entries, needle) in cases {
        refused(&source, uploads.put(&tar_gz(entries)), needle).await;
    }
    refused(
        &source,
        uploads.put(&zip(&[Entry::Symlink("l", "/etc/passwd")])),
        "outside",
    )
    .await;
    refused(
        &source,
        uploads.put(&zip(&[Entry::Symlink("l", "../../x")])),
        "outside",
    )
    .await;
}

/// `r -> .` makes `r/r/r/...` the root again: textually the chain never
/// climbs above the root, on disk it does.
const CHAIN: &str = "r/r/r/r/r/r/r/r/../../../../../../../../etc/passwd";

#[tokio::test]
async fn symlink_chains_resolving_outside_are_refused() {
    let uploads = Uploads::new();
    let source = uploads.source();
    let cases: [&[Entry<'_>]; 3] = [
        &[Entry::Symlink("r", "."), Entry::Symlink("x", CHAIN)],
        // Dangling: resolved as far as it exists.
        &[
            Entry::Symlink("r", "."),
            Entry::Symlink("x", "r/r/../../no/such/file"),
        ],
        // Through a link in a subdirectory.
        &[
            Entry::Dir("d"),
            Entry::Symlink("d/up", ".."),
            Entry::Symlink("x", "d/up/d/up/../etc/passwd"),
        ],
    ];
    for entries in cases {
        refused(&source, uploads.put(&tar_gz(entries)), "the symlink x").await;
    }
    refused(
        &source,
        uploads.put(&zip(&[
            Entry::Symlink("r", "."),
            Entry::Symlink("x", CHAIN),
        ])),
        "resolves outside",
    )
    .await;
    // Chains that stay inside are fine.
    let upload = uploads.put(&tar_gz(&[
        Entry::Symlink("r", "."),
        Entry::File("a.txt", b"a"),
        Entry::Symlink("x", "r/r/r/a.txt"),
        Entry::Symlink("dangling", "r/r/missing"),
    ]));
    let (_dest, result) = unpack(&source, upload).await;
    let root = result.unwrap();
    assert_eq!(std::fs::read(root.join("x")).unwrap(), b"a");
}

#[tokio::test]
async fn limits_are_enforced_while_unpacking() {
    let uploads = Uploads::new();
    let big = vec![b'a'; 100_000];
    let many: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
    let many: Vec<Entry<'_>> = many.iter().map(|n| Entry::File(n, b"x")).collect();
    let limits = ArchiveLimits {
        max_bytes: 1 << 20,
        max_unpacked_bytes: 50_000,
        max_entries: 10,
    };
    let source = uploads.with_limits(limits);
    for bytes in [
        tar_gz(&[Entry::File("big", &big)]),
        zip(&[Entry::File("big", &big)]),
    ] {
        // Compresses to far less than the unpacked limit: the count is what stops it.
        assert!(bytes.len() < 50_000);
        refused(&source, uploads.put(&bytes), "more than 50000 bytes").await;
    }
    for bytes in [tar_gz(&many), zip(&many)] {
        refused(&source, uploads.put(&bytes), "more than 10 entries").await;
    }
    let small = uploads.with_limits(ArchiveLimits {
        max_bytes: 10,
        ..limits
    });
    refused(
        &small,
        uploads.put(&tar_gz(&app_entries())),
        "the limit is 10 bytes",
    )
    .await;
}

#[tokio::test]
async fn corrupt_and_unknown_uploads() {
    let uploads = Uploads::new();
    let source = uploads.source();
    refused(
        &source,
        uploads.put(b"just some text"),
        "neither a zip nor a tar.gz",
    )
    .await;
    let mut truncated = tar_gz(&app_entries());
    truncated.truncate(truncated.len() / 2);
    let (_dest, result) = unpack(&source, uploads.put(&truncated)).await;
    assert_eq!(result.unwrap_err().kind(), ErrorKind::InvalidInput);
    let mut broken_zip = zip(&app_entries());
    let len = broken_zip.len();
    broken_zip.truncate(len - 30);
    refused(&source, uploads.put(&broken_zip), "corrupt").await;
    refused(&source, uploads.put(&[0x1f, 0x8b, 0, 0, 1, 2, 3]), "").await;

    let (_dest, result) = unpack(&source, UploadId::new()).await;
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.message().contains("no uploaded archive"));
}

#[tokio::test]
async fn git_and_image_sources_are_not_supported() {
    let uploads = Uploads::new();
    let source = uploads.source();
    let image = SourceSpec::Image {
        image: "busybox:1".parse().unwrap(),
    };
    assert!(!source.supports(&image));
    let dest = tempfile::tempdir().unwrap();
    let err = source
        .fetch(&image, dest.path(), &LogSink::discard())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    let _: &Path = dest.path();
}
