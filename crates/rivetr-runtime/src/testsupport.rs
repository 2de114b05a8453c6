//! Helpers for tests that need a real Docker Engine (feature
//! `test-support`).
//!
//! No registry can be reached where Rivetr's tests run, so the test image is
//! built `FROM scratch` with the host's static busybox through the engine's
//! build API, and nothing is ever pulled.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use bollard::query_parameters::BuildImageOptions;
use futures::StreamExt;
use rivetr_core::input::ImageRef;
use rivetr_core::runtime::ContainerRuntime;
use tokio::sync::OnceCell;

use crate::docker::{ConnectOptions, DockerRuntime};

/// The busybox httpd test image (`FROM scratch`, serves `/www` on 8080).
pub const BUSYBOX_HTTPD_IMAGE: &str = "rivetr-test/busybox-httpd:1";
/// Label on images built by these helpers.
pub const LABEL_TEST: &str = "dev.rivetr.test";
/// The page `/index.html` of the busybox httpd image.
pub const INDEX_HTML: &str = "<html><body>rivetr test app</body></html>\n";

const DOCKERFILE: &str = "FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nEXPOSE 8080\n\
CMD [\"/bin/busybox\",\"httpd\",\"-f\",\"-p\",\"8080\",\"-h\",\"/www\"]\n";

/// Connect to the engine, or, when none answers, skip loudly: `None` after a
/// `SKIPPED:` line on stderr. With `RIVETR_TEST_STRICT=1` (the project's
/// test command) a missing engine fails the test instead.
///
/// # Panics
///
/// Under `RIVETR_TEST_STRICT=1`, when no engine answers.
pub async fn docker_or_skip() -> Option<DockerRuntime> {
    match DockerRuntime::connect(&ConnectOptions::default()).await {
        Ok(runtime) => Some(runtime),
        Err(e) if std::env::var("RIVETR_TEST_STRICT").as_deref() == Ok("1") => {
            panic!("RIVETR_TEST_STRICT=1 and no Docker engine: {e}")
        }
        Err(e) => {
            #[allow(
                clippy::print_stderr,
                reason = "a skipped test must say so where the test runner shows it"
            )]
            {
                eprintln!(
                    "SKIPPED: no Docker engine answered ({e}); set RIVETR_TEST_STRICT=1 to fail instead"
                );
            }
            None
        }
    }
}

/// The busybox httpd image, built once per process unless present: the
/// static busybox from `RIVETR_TEST_BUSYBOX` or `/bin/busybox`, a
/// `www/index.html` ([`INDEX_HTML`]), port 8080, labelled
/// [`LABEL_TEST`]`=true`. Never pulled.
///
/// # Panics
///
/// When busybox cannot be read or the build fails.
pub async fn busybox_httpd_image(runtime: &DockerRuntime) -> ImageRef {
    static BUILT: OnceCell<ImageRef> = OnceCell::const_new();
    BUILT
        .get_or_init(|| async {
            let image: ImageRef = BUSYBOX_HTTPD_IMAGE
                .parse()
                .unwrap_or_else(|e| panic!("bad test image name: {e}"));
            match runtime.image_exists(&image).await {
                Ok(true) => return image,
                Ok(false) => {}
                Err(e) => panic!("checking for {image}: {e}"),
            }
            build(runtime, &image).await;
            image
        })
        .await
        .clone()
}

async fn build(runtime: &DockerRuntime, image: &ImageRef) {
    let busybox_path =
        std::env::var("RIVETR_TEST_BUSYBOX").unwrap_or_else(|_| "/bin/busybox".to_owned());
    let busybox = tokio::fs::read(&busybox_path).await.unwrap_or_else(|e| {
        panic!(
            "reading a static busybox at {busybox_path} (install busybox-static or set \
             RIVETR_TEST_BUSYBOX): {e}"
        )
    });
    let context = context_tar(&busybox)
        .unwrap_or_else(|e| panic!("making the build context of {image}: {e}"));
    let options = BuildImageOptions {
        t: Some(image.as_str().to_owned()),
        labels: Some(HashMap::from([(LABEL_TEST.to_owned(), "true".to_owned())])),
        rm: true,
        forcerm: true,
        ..BuildImageOptions::default()
    };
    let docker = &runtime.connection().docker;
    let mut progress = docker.build_image(
        options,
        None,
        Some(bollard::body_full(bytes::Bytes::from(context))),
    );
    while let Some(item) = progress.next().await {
        match item {
            Ok(info) => {
                if let Some(detail) = info.error_detail {
                    panic!("building {image}: {}", detail.message.unwrap_or_default());
                }
            }
            Err(e) => panic!("building {image}: {e}"),
        }
    }
}

fn context_tar(busybox: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut tar = tar::Builder::new(Vec::new());
    let mut add = |path: &str, mode: u32, data: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(mode);
        header.set_cksum();
        tar.append_data(&mut header, path, data)
    };
    add("Dockerfile", 0o644, DOCKERFILE.as_bytes())?;
    add("busybox", 0o755, busybox)?;
    add("www/index.html", 0o644, INDEX_HTML.as_bytes())?;
    tar.into_inner()
}

/// A name unique to this process and call, `prefix-…`, for networks and
/// containers (lowercase letters, digits and dashes).
#[must_use]
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{:x}-{n}-{:x}", std::process::id(), nanos)
}

/// Run the `git` CLI in `dir` with a fixed identity and no user or system
/// configuration — for making test repositories only (an argument vector,
/// never a shell; product code never runs git).
///
/// # Panics
///
/// When git is missing or the command fails.
pub fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=Test Author",
            "-c",
            "user.email=test@example.com",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(["-c", "tag.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap_or_else(|e| panic!("the git CLI is needed by these tests: {e}"));
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The static busybox binary test images are built with:
/// `RIVETR_TEST_BUSYBOX`, or `/bin/busybox`.
#[must_use]
pub fn busybox_path() -> std::path::PathBuf {
    std::env::var_os("RIVETR_TEST_BUSYBOX").map_or_else(|| "/bin/busybox".into(), Into::into)
}
