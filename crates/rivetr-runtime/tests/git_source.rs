#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! `GitSource` against real repositories made with the git CLI (in test code
//! only), served over file:// and smart HTTP (`git http-backend`).

#[path = "support/tree.rs"]
mod tree;
use tree::any_file_contains;

#[path = "support/git_http.rs"]
mod git_http;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use git_http::GitHttpServer;
use rivetr_core::ErrorKind;
use rivetr_core::input::{GitRef, GitUrl, GitUrlPolicy};
use rivetr_core::log_sink::LogSink;
use rivetr_core::model::{DeploymentStatus, SourceSpec};
use rivetr_core::source::SourceFetcher;
use rivetr_runtime::source::{GitCredentials, GitSource, GitSourceConfig, StaticCredentials};
use rivetr_runtime::testsupport::git;

const TOKEN: &str = "s3cr3t-t0ken-value";

fn write(dir: &Path, name: &str, content: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// A repository `<root>/<name>` with two commits on main, a tag `v1`
/// (annotated, on the first commit), a lightweight tag `light` and a branch
/// `feature`. Returns (first sha, second sha).
fn make_repo(root: &Path, name: &str) -> (String, String) {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "--quiet"]);
    write(&dir, "README.md", "version one\n");
    write(&dir, "src/app.txt", "app v1\n");
    git(&dir, &["add", "--", "."]);
    git(
        &dir,
        &["commit", "--quiet", "-m", "First commit\n\nWith a body."],
    );
    let first = git(&dir, &["rev-parse", "HEAD"]);
    git(&dir, &["tag", "-a", "v1", "-m", "release 1"]);
    write(&dir, "README.md", "version two\n");
    write(&dir, "run.sh", "#!/bin/sh\necho hi\n");
    git(&dir, &["add", "--", "."]);
    git(&dir, &["update-index", "--chmod=+x", "--", "run.sh"]);
    git(&dir, &["commit", "--quiet", "-m", "Second commit"]);
    let second = git(&dir, &["rev-parse", "HEAD"]);
    git(&dir, &["tag", "light"]);
    git(&dir, &["branch", "feature", &first]);
    (first, second)
}

fn spec(url: &str, reference: &str) -> SourceSpec {
    SourceSpec::Git {
        url: url.parse().unwrap(),
        reference: reference.parse().unwrap(),
        watch_paths: Vec::new(),
    }
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn source(cache: &Path, allow_file: bool, allow_http: bool) -> GitSource {
    GitSource::new(GitSourceConfig {
        cache_dir: cache.to_path_buf(),
        policy: GitUrlPolicy {
            allow_file,
            allow_http,
        },
        ..GitSourceConfig::new(cache)
    })
}

/// Every file under `root` (relative names), with `.git` reported if found.
fn files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            if entry.file_type().unwrap().is_dir() {
                pending.push(path);
            }
            out.push(rel);
        }
    }
    out.sort();
    out
}

fn lines(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<rivetr_core::model::NewLogLine>,
) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(line) = rx.try_recv() {
        out.push(line.text);
    }
    out
}

#[tokio::test]
async fn conformance_over_file_urls() {
    let tmp = tempfile::tempdir().unwrap();
    make_repo(tmp.path(), "app");
    let fetcher = source(&tmp.path().join("cache"), true, false);
    let supported = spec(&file_url(&tmp.path().join("app")), "main");
    let missing = spec(&file_url(&tmp.path().join("nope")), "main");
    rivetr_core::testkit::source::conformance(&fetcher, &supported, &missing).await;
    let missing_ref = spec(&file_url(&tmp.path().join("app")), "no-such-branch");
    rivetr_core::testkit::source::conformance(&fetcher, &supported, &missing_ref).await;
}

#[tokio::test]
async fn conformance_over_smart_http() {
    let tmp = tempfile::tempdir().unwrap();
    make_repo(tmp.path(), "app");
    let server = GitHttpServer::start(tmp.path(), None).await;
    let fetcher = source(&tmp.path().join("cache"), false, true);
    let supported = spec(&server.url("app"), "main");
    let missing = spec(&server.url("nope"), "main");
    rivetr_core::testkit::source::conformance(&fetcher, &supported, &missing).await;
    let missing_ref = spec(&server.url("app"), "no-such-branch");
    rivetr_core::testkit::source::conformance(&fetcher, &supported, &missing_ref).await;
    assert!(server.requests() > 0);
}

async fn check_refs(fetcher: &GitSource, url: &str, first: &str, second: &str) {
    let cases = [
        ("main", second, "version two\n"),
        ("refs/heads/main", second, "version two\n"),
        ("feature", first, "version one\n"),
        ("v1", first, "version one\n"),
        ("light", second, "version two\n"),
        (first, first, "version one\n"),
        (second, second, "version two\n"),
    ];
    for (reference, sha, readme) in cases {
        let dest = tempfile::tempdir().unwrap();
        let (log, mut rx) = LogSink::channel(DeploymentStatus::Fetching);
        let tree = fetcher
            .fetch(&spec(url, reference), dest.path(), &log)
            .await
            .unwrap_or_else(|e| panic!("{url} at {reference}: {e}"));
        assert_eq!(tree.root, dest.path());
        let commit = tree.commit.unwrap();
        assert_eq!(commit.sha, sha, "{reference}");
        assert_eq!(commit.author, "Test Author");
        let expected_summary = if sha == first {
            "First commit"
        } else {
            "Second commit"
        };
        assert_eq!(commit.summary, expected_summary);
        assert_eq!(
            std::fs::read_to_string(dest.path().join("README.md")).unwrap(),
            readme,
            "{reference}"
        );
        assert_eq!(
            std::fs::read_to_string(dest.path().join("src/app.txt")).unwrap(),
            "app v1\n"
        );
        let names = files(dest.path());
        assert!(
            names.iter().all(|f| !f.split('/').any(|c| c == ".git")),
            "no .git in the tree: {names:?}"
        );
        let log = lines(&mut rx);
        assert_eq!(log[0], format!("Fetching {url} ({reference})"), "{log:?}");
        assert!(
            log.iter()
                .any(|l| l == &format!("Checked out {sha} {expected_summary}")),
            "{log:?}"
        );
        if sha == second {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dest.path().join("run.sh"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o111, 0o111, "run.sh stays executable");
        }
    }
}

#[tokio::test]
async fn branches_tags_and_commits_over_file_urls() {
    let tmp = tempfile::tempdir().unwrap();
    let (first, second) = make_repo(tmp.path(), "app");
    let fetcher = source(&tmp.path().join("cache"), true, false);
    check_refs(
        &fetcher,
        &file_url(&tmp.path().join("app")),
        &first,
        &second,
    )
    .await;
}

#[tokio::test]
async fn branches_tags_and_commits_over_smart_http() {
    let tmp = tempfile::tempdir().unwrap();
    let (first, second) = make_repo(tmp.path(), "app");
    let server = GitHttpServer::start(tmp.path(), None).await;
    let fetcher = source(&tmp.path().join("cache"), false, true);
    check_refs(&fetcher, &server.url("app"), &first, &second).await;
}

#[tokio::test]
async fn full_clones_work_too() {
    let tmp = tempfile::tempdir().unwrap();
    let (first, _) = make_repo(tmp.path(), "app");
    let fetcher = GitSource::new(GitSourceConfig {
        shallow: false,
        policy: GitUrlPolicy {
            allow_file: true,
            allow_http: false,
        },
        ..GitSourceConfig::new(tmp.path().join("cache"))
    });
    let dest = tempfile::tempdir().unwrap();
    let url = file_url(&tmp.path().join("app"));
    let tree = fetcher
        .fetch(&spec(&url, "v1"), dest.path(), &LogSink::discard())
        .await
        .unwrap();
    assert_eq!(tree.commit.unwrap().sha, first);
}

#[tokio::test]
async fn a_redeploy_fetches_the_new_commit_into_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    make_repo(tmp.path(), "app");
    let server = GitHttpServer::start(tmp.path(), None).await;
    let cache = tmp.path().join("cache");
    let fetcher = source(&cache, false, true);
    let url = server.url("app");
    let parsed: GitUrl = url.parse().unwrap();
    let first = tempfile::tempdir().unwrap();
    let before = fetcher
        .fetch(&spec(&url, "main"), first.path(), &LogSink::discard())
        .await
        .unwrap();
    let cache_repo = fetcher.cache_path(&parsed);
    assert!(cache_repo.starts_with(&cache));
    assert!(
        cache_repo.join("HEAD").is_file(),
        "the cache holds a bare clone"
    );
    assert!(
        !cache_repo.display().to_string().contains("127.0.0.1"),
        "named by hash"
    );

    let work = tmp.path().join("app");
    write(&work, "README.md", "version three\n");
    write(&work, "new.txt", "new\n");
    git(&work, &["add", "--", "."]);
    git(&work, &["commit", "--quiet", "-m", "Third commit"]);
    let third = git(&work, &["rev-parse", "HEAD"]);

    let second = tempfile::tempdir().unwrap();
    let after = fetcher
        .fetch(&spec(&url, "main"), second.path(), &LogSink::discard())
        .await
        .unwrap();
    let after = after.commit.unwrap();
    assert_ne!(Some(after.clone()), before.commit);
    assert_eq!(after.sha, third);
    assert_eq!(after.summary, "Third commit");
    assert_eq!(
        std::fs::read_to_string(second.path().join("README.md")).unwrap(),
        "version three\n"
    );
    assert!(second.path().join("new.txt").is_file());
    assert!(cache_repo.join("HEAD").is_file());
    // The second fetch added a (small) pack to the cached clone instead of
    // cloning again.
    let packs = std::fs::read_dir(cache_repo.join("objects/pack"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "pack")
        })
        .count();
    assert_eq!(packs, 2, "one pack per fetch");
    // The old commit is still in the cache (the fetch added to it).
    let output = Command::new("git")
        .args(["cat-file", "-t", &before.commit.unwrap().sha])
        .current_dir(&cache_repo)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "commit");
}

#[tokio::test]
async fn tokens_authenticate_and_never_leak() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, second) = make_repo(tmp.path(), "app");
    let server = GitHttpServer::start(tmp.path(), Some(("x-access-token", TOKEN))).await;
    let url = server.url("app");
    let parsed: GitUrl = url.parse().unwrap();
    let cache = tmp.path().join("cache");

    let anonymous = source(&cache, false, true);
    let err = anonymous
        .fetch(
            &spec(&url, "main"),
            tempfile::tempdir().unwrap().path(),
            &LogSink::discard(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");

    let wrong = source(&cache, false, true).with_credentials(Arc::new(
        StaticCredentials::new().with(parsed.clone(), GitCredentials::token("wrong-token")),
    ));
    let err = wrong
        .fetch(
            &spec(&url, "main"),
            tempfile::tempdir().unwrap().path(),
            &LogSink::discard(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(!err.to_string().contains("wrong-token"));

    let right = source(&cache, false, true).with_credentials(Arc::new(
        StaticCredentials::new().with(parsed.clone(), GitCredentials::token(TOKEN)),
    ));
    let dest = tempfile::tempdir().unwrap();
    let (log, mut rx) = LogSink::channel(DeploymentStatus::Fetching);
    let tree = right
        .fetch(&spec(&url, "main"), dest.path(), &log)
        .await
        .unwrap();
    assert_eq!(tree.commit.unwrap().sha, second);
    assert!(
        any_file_contains(dest.path(), TOKEN).is_none(),
        "token in the tree"
    );
    let cache_repo = right.cache_path(&parsed);
    assert!(cache_repo.is_dir());
    if let Some(file) = any_file_contains(&cache_repo, TOKEN) {
        panic!("the token leaked into the cache: {}", file.display());
    }
    let config = std::fs::read_to_string(cache_repo.join("config")).unwrap();
    assert!(
        !config.contains(TOKEN) && !config.contains("x-access-token"),
        "{config}"
    );
    for line in lines(&mut rx) {
        assert!(!line.contains(TOKEN), "token in the log: {line}");
    }
}

#[tokio::test]
async fn ssh_keys_are_refused_over_https() {
    // ssh deploy keys over ssh are tested in `git_ssh.rs`.
    let tmp = tempfile::tempdir().unwrap();
    let url: GitUrl = "https://example.invalid/org/repo.git".parse().unwrap();
    let fetcher = source(&tmp.path().join("cache"), false, false).with_credentials(Arc::new(
        StaticCredentials::new().with(
            url.clone(),
            GitCredentials::SshKey {
                private_key: rivetr_core::model::SecretString::new("-----BEGIN KEY-----"),
                known_hosts: None,
            },
        ),
    ));
    let err = fetcher
        .fetch(&spec(url.as_str(), "main"), tmp.path(), &LogSink::discard())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(!tmp.path().join("cache").exists());
}

#[tokio::test]
async fn ssh_urls_without_a_deploy_key_never_use_the_servers_identity() {
    let tmp = tempfile::tempdir().unwrap();
    let fetcher = source(&tmp.path().join("cache"), false, false);
    for url in [
        "ssh://git@127.0.0.1:1/org/repo.git",
        "git@127.0.0.1:org/repo.git",
    ] {
        let err = fetcher
            .fetch(&spec(url, "main"), tmp.path(), &LogSink::discard())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert!(err.message().contains("deploy key"), "{err}");
    }
    assert!(!tmp.path().join("cache").exists(), "nothing was fetched");
}

#[tokio::test]
async fn the_default_policy_refuses_file_and_http_before_any_io() {
    let tmp = tempfile::tempdir().unwrap();
    make_repo(tmp.path(), "app");
    let server = GitHttpServer::start(tmp.path(), None).await;
    let cache = tmp.path().join("cache");
    let strict = GitSource::new(GitSourceConfig::new(&cache));
    for url in [file_url(&tmp.path().join("app")), server.url("app")] {
        let dest = tempfile::tempdir().unwrap();
        let err = strict
            .fetch(&spec(&url, "main"), dest.path(), &LogSink::discard())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{url}: {err}");
        assert!(err.message().contains("instance admin"), "{err}");
        assert!(std::fs::read_dir(dest.path()).unwrap().next().is_none());
    }
    assert!(!cache.exists(), "nothing was created");
    assert_eq!(server.requests(), 0, "no request reached the server");
}

#[tokio::test]
async fn hostile_urls_and_refs_are_refused_at_parse_time() {
    let tmp = tempfile::tempdir().unwrap();
    let pwned = tmp.path().join("pwned");
    let pwned_s = pwned.display().to_string();
    let hostile_urls = [
        format!("--upload-pack=touch {pwned_s}"),
        "-oProxyCommand=touch /tmp/x".to_owned(),
        "ssh://-oProxyCommand=touch/x".to_owned(),
        format!("https://example.com/repo;touch {pwned_s}"),
        "https://example.com/$(touch x).git".to_owned(),
        "https://example.com/`touch x`.git".to_owned(),
        "https://example.com/repo\n--upload-pack=x".to_owned(),
        format!("ext::sh -c touch% {pwned_s}"),
        format!("file://{}/../etc", tmp.path().display()),
        "https://user:token@example.com/repo.git".to_owned(),
    ];
    for url in &hostile_urls {
        let err = url.parse::<GitUrl>().unwrap_err();
        assert!(!err.reason().is_empty(), "{url:?}");
        // Stored specs are checked when loaded, too.
        let json = serde_json::json!({"type": "git", "url": url, "reference": "main"});
        assert!(
            serde_json::from_value::<SourceSpec>(json).is_err(),
            "{url:?}"
        );
    }
    let hostile_refs = [
        "--upload-pack=touch /tmp/x",
        "-oProxyCommand=x",
        "main;touch x",
        "$(touch x)",
        "`touch x`",
        "main\nfoo",
        "main..HEAD",
        "../../etc/passwd",
    ];
    for reference in hostile_refs {
        let err = reference.parse::<GitRef>().unwrap_err();
        assert!(!err.reason().is_empty(), "{reference:?}");
        let json = serde_json::json!({"type": "git", "url": "https://example.com/a.git", "reference": reference});
        assert!(
            serde_json::from_value::<SourceSpec>(json).is_err(),
            "{reference:?}"
        );
    }
    assert!(!pwned.exists(), "nothing ran");
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "nothing was created"
    );
}

#[tokio::test]
async fn symlinks_leaving_the_repository_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("links");
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "--quiet"]);
    write(&dir, "a.txt", "a\n");
    std::os::unix::fs::symlink("a.txt", dir.join("inside")).unwrap();
    git(&dir, &["add", "--", "."]);
    git(&dir, &["commit", "--quiet", "-m", "inside link"]);
    let fetcher = source(&tmp.path().join("cache"), true, false);
    let url = file_url(&dir);
    let dest = tempfile::tempdir().unwrap();
    fetcher
        .fetch(&spec(&url, "main"), dest.path(), &LogSink::discard())
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_link(dest.path().join("inside")).unwrap(),
        Path::new("a.txt")
    );

    std::os::unix::fs::symlink("../../../etc/passwd", dir.join("escape")).unwrap();
    git(&dir, &["add", "--", "."]);
    git(&dir, &["commit", "--quiet", "-m", "escaping link"]);
    let dest = tempfile::tempdir().unwrap();
    let err = fetcher
        .fetch(&spec(&url, "main"), dest.path(), &LogSink::discard())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.message().contains("escape"), "{err}");
}

/// Run git in `dir` with `input` on stdin (test code only: plumbing such as
/// `mktree` reads stdin); returns stdout, trimmed.
fn git_stdin(dir: &Path, args: &[&str], input: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?} failed");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Fetch `main` of `repo` into a fresh directory (kept alive by the
/// returned guard).
async fn fetch_main(
    fetcher: &GitSource,
    repo: &Path,
) -> (tempfile::TempDir, rivetr_core::Result<PathBuf>) {
    let dest = tempfile::tempdir().unwrap();
    let result = fetcher
        .fetch(
            &spec(&file_url(repo), "main"),
            dest.path(),
            &LogSink::discard(),
        )
        .await
        .map(|tree| tree.root);
    (dest, result)
}

#[tokio::test]
async fn symlink_chains_resolving_outside_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chain");
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "--quiet"]);
    write(&dir, "a.txt", "a\n");
    std::os::unix::fs::symlink(".", dir.join("r")).unwrap();
    std::os::unix::fs::symlink("r/r/r/a.txt", dir.join("ok")).unwrap();
    git(&dir, &["add", "--", "."]);
    git(&dir, &["commit", "--quiet", "-m", "inside chain"]);
    let fetcher = source(&tmp.path().join("cache"), true, false);
    let (_dest, root) = fetch_main(&fetcher, &dir).await;
    let root = root.unwrap();
    assert_eq!(std::fs::read_to_string(root.join("ok")).unwrap(), "a\n");

    let chain = "r/r/r/r/r/r/r/r/../../../../../../../../etc/passwd";
    std::os::unix::fs::symlink(chain, dir.join("x")).unwrap();
    git(&dir, &["add", "--", "."]);
    git(&dir, &["commit", "--quiet", "-m", "escaping chain"]);
    let err = fetch_main(&fetcher, &dir).await.1.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.message().contains("the symlink x"), "{err}");
}

#[tokio::test]
async fn checkouts_are_limited_in_entries_and_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bomb");
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "--quiet"]);
    // One blob, then trees of 16 entries all naming the level below: a few
    // objects that expand to 16^3 files.
    let blob = git_stdin(&dir, &["hash-object", "-w", "--stdin"], "x\n");
    let mut tree = git_stdin(&dir, &["mktree"], &format!("100644 blob {blob}\tf\n"));
    for _ in 0..3 {
        let listing: String = (0..16)
            .map(|i| format!("040000 tree {tree}\td{i:02}\n"))
            .collect();
        tree = git_stdin(&dir, &["mktree"], &listing);
    }
    let commit = git(&dir, &["commit-tree", &tree, "-m", "bomb"]);
    git(&dir, &["update-ref", "refs/heads/main", &commit]);
    let limited = |max_entries, max_unpacked_bytes| {
        GitSource::new(GitSourceConfig {
            policy: GitUrlPolicy {
                allow_file: true,
                allow_http: false,
            },
            max_entries,
            max_unpacked_bytes,
            ..GitSourceConfig::new(tmp.path().join("cache"))
        })
    };
    let err = fetch_main(&limited(100, 1 << 30), &dir)
        .await
        .1
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.message().contains("more than 100 entries"), "{err}");
    // Within the limits it is checked out.
    let (_dest, root) = fetch_main(&limited(10_000, 1 << 30), &dir).await;
    let root = root.unwrap();
    assert_eq!(
        std::fs::read_to_string(root.join("d15/d00/d07/f")).unwrap(),
        "x\n"
    );

    let dir = tmp.path().join("big");
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "--quiet"]);
    write(&dir, "small.txt", "s\n");
    write(&dir, "data/big.bin", &"0".repeat(64 * 1024));
    git(&dir, &["add", "--", "."]);
    git(&dir, &["commit", "--quiet", "-m", "big file"]);
    let err = fetch_main(&limited(100, 4096), &dir).await.1.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.message().contains("data/big.bin"), "{err}");
    assert!(err.message().contains("4096 bytes"), "{err}");
}

#[tokio::test]
async fn a_dropped_fetch_leaves_the_cache_usable() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, second) = make_repo(tmp.path(), "app");
    let server = GitHttpServer::start(tmp.path(), None).await;
    let fetcher = source(&tmp.path().join("cache"), false, true);
    let url = server.url("app");
    let dest = tempfile::tempdir().unwrap();
    let dropped = tokio::time::timeout(
        std::time::Duration::from_millis(1),
        fetcher.fetch(&spec(&url, "main"), dest.path(), &LogSink::discard()),
    )
    .await;
    drop(dropped);
    let dest = tempfile::tempdir().unwrap();
    let tree = fetcher
        .fetch(&spec(&url, "main"), dest.path(), &LogSink::discard())
        .await
        .unwrap();
    assert_eq!(tree.commit.unwrap().sha, second);
}

#[tokio::test]
async fn a_commit_no_ref_points_to_is_fetched_by_id() {
    let tmp = tempfile::tempdir().unwrap();
    let (first, second) = make_repo(tmp.path(), "app");
    let work = tmp.path().join("app");
    // Move `feature` and the tags away so `first` is only reachable
    // through history.
    git(&work, &["branch", "-f", "feature", &second]);
    git(&work, &["tag", "-d", "v1"]);
    let v2 = GitHttpServer::start(tmp.path(), None).await;
    let v0 = GitHttpServer::start_v0(tmp.path()).await;
    let file = file_url(&work);
    for (i, url) in [v2.url("app"), v0.url("app"), file].into_iter().enumerate() {
        let fetcher = source(&tmp.path().join(format!("cache-{i}")), true, true);
        let dest = tempfile::tempdir().unwrap();
        let tree = fetcher
            .fetch(&spec(&url, &first), dest.path(), &LogSink::discard())
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(tree.commit.unwrap().sha, first, "{url}");
        assert_eq!(
            std::fs::read_to_string(dest.path().join("README.md")).unwrap(),
            "version one\n"
        );
        // A commit id that exists nowhere is NotFound.
        let missing = "0123456789abcdef0123456789abcdef01234567";
        let err = fetcher
            .fetch(
                &spec(&url, missing),
                tempfile::tempdir().unwrap().path(),
                &LogSink::discard(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{url}: {err}");
    }
}
