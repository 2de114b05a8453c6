#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! `GitSource` with ssh deploy keys against a throwaway `sshd` on
//! 127.0.0.1 (its own host key and authorized keys, in a temp dir), serving
//! repositories made with the git CLI (test code only).

#[path = "support/tree.rs"]
mod tree;
use tree::any_file_contains;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rivetr_core::ErrorKind;
use rivetr_core::input::GitUrl;
use rivetr_core::log_sink::LogSink;
use rivetr_core::model::{DeploymentStatus, SourceSpec};
use rivetr_core::source::SourceFetcher;
use rivetr_runtime::source::{GitCredentials, GitSource, GitSourceConfig, StaticCredentials};
use rivetr_runtime::testsupport::git;

/// A repository `<root>/<name>` with one commit on main.
fn make_repo(root: &Path, name: &str) -> String {
    let dir = root.join(name);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    git(&dir, &["init", "--quiet"]);
    std::fs::write(dir.join("README.md"), "over ssh\n").unwrap();
    std::fs::write(dir.join("src/app.txt"), "app\n").unwrap();
    git(&dir, &["add", "--", "."]);
    git(&dir, &["commit", "--quiet", "-m", "First commit"]);
    git(&dir, &["rev-parse", "HEAD"])
}

fn spec(url: &str, reference: &str) -> SourceSpec {
    SourceSpec::Git {
        url: url.parse().unwrap(),
        reference: reference.parse().unwrap(),
        watch_paths: Vec::new(),
    }
}

/// Make an ed25519 key pair `<path>` and `<path>.pub`; returns (private,
/// public) texts.
fn keygen(path: &Path) -> (String, String) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "rivetr-test", "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("ssh-keygen is needed by these tests: {e}"));
    assert!(
        out.status.success(),
        "ssh-keygen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let private = std::fs::read_to_string(path).unwrap();
    let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
    (private, public.trim().to_owned())
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn current_user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A throwaway sshd on 127.0.0.1, killed on drop.
struct Sshd {
    child: Child,
    port: u16,
    user: String,
    /// The deploy key sshd accepts.
    key: String,
    /// `known_hosts` content with sshd's host key.
    known_hosts: String,
    dir: tempfile::TempDir,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sshd {
    /// Start one, or `None` after a `SKIPPED:` line (a panic under
    /// `RIVETR_TEST_STRICT=1`).
    fn start() -> Option<Self> {
        match Self::try_start() {
            Ok(sshd) => Some(sshd),
            Err(e) if std::env::var("RIVETR_TEST_STRICT").as_deref() == Ok("1") => {
                panic!("RIVETR_TEST_STRICT=1 and no sshd could be started: {e}")
            }
            Err(e) => {
                #[allow(clippy::print_stderr, reason = "a skipped test must say so")]
                {
                    eprintln!(
                        "SKIPPED: no sshd could be started ({e}); install openssh-server or set \
                         RIVETR_TEST_STRICT=1 to fail instead"
                    );
                }
                None
            }
        }
    }

    fn try_start() -> Result<Self, String> {
        let sshd = ["/usr/sbin/sshd", "/usr/local/sbin/sshd", "/sbin/sshd"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .ok_or("no sshd binary (package openssh-server)")?;
        let user = current_user();
        if user == "root" && !Path::new("/run/sshd").is_dir() {
            // sshd's privilege separation directory, made by the package's
            // service at boot.
            let _ = std::fs::create_dir_all("/run/sshd");
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let (_, host_public) = keygen(&dir.path().join("host_key"));
        let (key, client_public) = keygen(&dir.path().join("client_key"));
        std::fs::write(
            dir.path().join("authorized_keys"),
            format!("{client_public}\n"),
        )
        .map_err(|e| e.to_string())?;
        let port = free_port();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nPidFile none\n\
             AuthorizedKeysFile {auth}\nPubkeyAuthentication yes\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nStrictModes no\nUsePAM no\n\
             PermitRootLogin prohibit-password\nAcceptEnv GIT_PROTOCOL\nLogLevel VERBOSE\n",
            host = dir.path().join("host_key").display(),
            auth = dir.path().join("authorized_keys").display(),
        );
        let config_path = dir.path().join("sshd_config");
        std::fs::write(&config_path, config).map_err(|e| e.to_string())?;
        let log = std::fs::File::create(dir.path().join("sshd.log")).map_err(|e| e.to_string())?;
        let child = Command::new(&sshd)
            .args(["-D", "-e", "-f"])
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .map_err(|e| format!("starting {}: {e}", sshd.display()))?;
        let host_key_fields: Vec<&str> = host_public.split_whitespace().take(2).collect();
        let mut server = Self {
            child,
            port,
            user,
            key,
            known_hosts: format!("[127.0.0.1]:{port} {}\n", host_key_fields.join(" ")),
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("sshd exited ({status}): {}", server.log()));
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            if Instant::now() >= deadline {
                return Err(format!("sshd did not listen: {}", server.log()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    fn url(&self, repo: &Path) -> String {
        format!(
            "ssh://{}@127.0.0.1:{}{}",
            self.user,
            self.port,
            repo.display()
        )
    }
}

fn fetcher(cache: &Path, key_dirs: &Path, url: &str, credentials: GitCredentials) -> GitSource {
    let url: GitUrl = url.parse().unwrap();
    GitSource::new(GitSourceConfig::new(cache))
        .with_credentials(Arc::new(StaticCredentials::new().with(url, credentials)))
        .with_ssh_temp_dir(key_dirs)
}

fn is_empty_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

/// The longest line of the key's body: text that only the key holds.
fn key_marker(key: &str) -> String {
    key.lines()
        .filter(|l| !l.starts_with("-----"))
        .max_by_key(|l| l.len())
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn conformance_over_ssh_with_a_deploy_key() {
    let Some(sshd) = Sshd::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    make_repo(tmp.path(), "app");
    let key_dirs = tmp.path().join("keys");
    let url = sshd.url(&tmp.path().join("app"));
    let missing_url = sshd.url(&tmp.path().join("nope"));
    for credentials in [
        GitCredentials::ssh_key_with_known_hosts(sshd.key.clone(), sshd.known_hosts.clone()),
        GitCredentials::ssh_key(sshd.key.clone()),
    ] {
        let missing_url: GitUrl = missing_url.parse().unwrap();
        let fetcher = fetcher(
            &tmp.path().join("cache"),
            &key_dirs,
            &url,
            credentials.clone(),
        )
        .with_credentials(Arc::new(
            StaticCredentials::new()
                .with(url.parse().unwrap(), credentials.clone())
                .with(missing_url.clone(), credentials),
        ));
        let supported = spec(&url, "main");
        let missing = spec(missing_url.as_str(), "main");
        rivetr_core::testkit::source::conformance(&fetcher, &supported, &missing).await;
        let missing_ref = spec(&url, "no-such-branch");
        rivetr_core::testkit::source::conformance(&fetcher, &supported, &missing_ref).await;
        assert!(is_empty_dir(&key_dirs), "a key dir was left behind");
    }
}

#[tokio::test]
async fn the_key_never_leaves_its_temp_dir() {
    let Some(sshd) = Sshd::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let sha = make_repo(tmp.path(), "app");
    let key_dirs = tmp.path().join("keys");
    let url = sshd.url(&tmp.path().join("app"));
    let source = fetcher(
        &tmp.path().join("cache"),
        &key_dirs,
        &url,
        GitCredentials::ssh_key(sshd.key.clone()),
    );
    let dest = tempfile::tempdir().unwrap();
    let (log, mut rx) = LogSink::channel(DeploymentStatus::Fetching);
    let tree = source
        .fetch(&spec(&url, "main"), dest.path(), &log)
        .await
        .unwrap_or_else(|e| panic!("{e}\nsshd log:\n{}", sshd.log()));
    assert_eq!(tree.commit.unwrap().sha, sha);
    assert_eq!(
        std::fs::read_to_string(dest.path().join("README.md")).unwrap(),
        "over ssh\n"
    );
    assert!(is_empty_dir(&key_dirs), "the key dir was not removed");
    let marker = key_marker(&sshd.key);
    if let Some(file) = any_file_contains(dest.path(), &marker) {
        panic!("the key leaked into the tree: {}", file.display());
    }
    let cache_repo = source.cache_path(&url.parse().unwrap());
    assert!(cache_repo.is_dir());
    for needle in [marker.as_str(), "PRIVATE KEY", "known_hosts", "sshCommand"] {
        if let Some(file) = any_file_contains(&cache_repo, needle) {
            panic!("{needle:?} leaked into the cache: {}", file.display());
        }
    }
    let mut lines = Vec::new();
    while let Ok(line) = rx.try_recv() {
        lines.push(line.text);
    }
    assert!(!lines.is_empty());
    for line in lines {
        assert!(
            !line.contains(&marker) && !line.contains("PRIVATE KEY"),
            "key in the log: {line}"
        );
    }
}

#[tokio::test]
async fn a_wrong_key_is_permission_denied() {
    let Some(sshd) = Sshd::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    make_repo(tmp.path(), "app");
    let (other_key, _) = keygen(&tmp.path().join("other_key"));
    let key_dirs = tmp.path().join("keys");
    let url = sshd.url(&tmp.path().join("app"));
    let source = fetcher(
        &tmp.path().join("cache"),
        &key_dirs,
        &url,
        GitCredentials::ssh_key_with_known_hosts(other_key.clone(), sshd.known_hosts.clone()),
    );
    let dest = tempfile::tempdir().unwrap();
    let err = source
        .fetch(&spec(&url, "main"), dest.path(), &LogSink::discard())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(!err.to_string().contains(&key_marker(&other_key)), "{err}");
    assert!(is_empty_dir(dest.path()));
    assert!(is_empty_dir(&key_dirs), "the key dir was not removed");
}

#[tokio::test]
async fn a_host_key_mismatch_is_refused() {
    let Some(sshd) = Sshd::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    make_repo(tmp.path(), "app");
    let (_, impostor) = keygen(&tmp.path().join("impostor_host_key"));
    let fields: Vec<&str> = impostor.split_whitespace().take(2).collect();
    let wrong_known_hosts = format!("[127.0.0.1]:{} {}\n", sshd.port, fields.join(" "));
    let key_dirs = tmp.path().join("keys");
    let url = sshd.url(&tmp.path().join("app"));
    for known_hosts in [wrong_known_hosts, String::new()] {
        let source = fetcher(
            &tmp.path().join("cache"),
            &key_dirs,
            &url,
            GitCredentials::ssh_key_with_known_hosts(sshd.key.clone(), known_hosts),
        );
        let dest = tempfile::tempdir().unwrap();
        let err = source
            .fetch(&spec(&url, "main"), dest.path(), &LogSink::discard())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
        assert!(
            err.to_string().to_ascii_lowercase().contains("host key"),
            "{err}"
        );
        assert!(is_empty_dir(dest.path()));
        assert!(is_empty_dir(&key_dirs), "the key dir was not removed");
    }
}

/// A server that accepts connections and never answers: the fetch hangs in
/// ssh until it is dropped. Needs no sshd.
#[tokio::test]
async fn a_dropped_fetch_removes_the_key_and_stops_ssh() {
    let tmp = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let url = format!("ssh://git@127.0.0.1:{port}/srv/repo.git");
    let key_dirs = tmp.path().join("keys");
    let source = fetcher(
        &tmp.path().join("cache"),
        &key_dirs,
        &url,
        GitCredentials::ssh_key("-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-key\n"),
    );
    let dest = tempfile::tempdir().unwrap();
    let wanted = spec(&url, "main");
    let log = LogSink::discard();
    let fetch = source.fetch(&wanted, dest.path(), &log);
    let started = Instant::now();
    let outcome = tokio::time::timeout(Duration::from_millis(1500), fetch).await;
    assert!(outcome.is_err(), "the fetch should still hang: {outcome:?}");
    // The key dir existed while ssh ran...
    assert!(!is_empty_dir(&key_dirs));
    // ...and goes away soon after the fetch is dropped.
    loop {
        if is_empty_dir(&key_dirs) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the key dir outlived the dropped fetch"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(listener);
}
