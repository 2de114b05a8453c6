//! [`GitSource`]: fetch git repositories with gix into a cache of bare
//! clones, then check the commit's tree out without `.git`.

use std::fmt;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use gix::bstr::ByteSlice;
use gix::remote::Direction;
use rivetr_core::input::{GitRef, GitScheme, GitUrl, GitUrlPolicy};
use rivetr_core::log_sink::LogSink;
use rivetr_core::model::{CommitInfo, SourceSpec};
use rivetr_core::source::{SourceFetcher, SourceTree};
use rivetr_core::{Error, Result};

use super::cache::{CacheLocks, cache_path};
use super::credentials::{CredentialProvider, GitCredentials, StaticCredentials};
use super::{InterruptOnDrop, io_error};

mod checkout;
mod ssh;

/// The local ref a fetch writes the wanted commit to, in the cache repo.
const TARGET_REF: &str = "refs/rivetr/target";

/// How [`GitSource`] works.
#[derive(Clone, Debug)]
pub struct GitSourceConfig {
    /// Where the bare clones are kept, one per URL (created when missing).
    pub cache_dir: PathBuf,
    /// Which URL schemes are allowed (file:// and http:// are refused by
    /// default).
    pub policy: GitUrlPolicy,
    /// Fetch only the wanted commit (depth 1) instead of its history.
    pub shallow: bool,
    /// Largest total of the checked-out files, in bytes (each blob's size
    /// is read from its header before it is loaded).
    pub max_unpacked_bytes: u64,
    /// Most entries (files, directories, links and submodules) checked out.
    pub max_entries: u64,
}

impl GitSourceConfig {
    /// Shallow fetches into `cache_dir`, with the default (strict) policy
    /// and the archive's default limits: 1 GiB checked out, 100 000 entries.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            cache_dir: cache_dir.into(),
            policy: GitUrlPolicy::default(),
            shallow: true,
            max_unpacked_bytes: 1 << 30,
            max_entries: 100_000,
        }
    }
}

/// A [`SourceFetcher`] for [`SourceSpec::Git`], built on gix (no git CLI, no
/// shell).
///
/// - The URL is checked against the [`GitUrlPolicy`] before any I/O.
/// - Each URL has a bare clone under the cache dir (named by the URL's hash);
///   a fetch goes into it, so a redeploy only transfers what changed.
/// - Branches and tags are fetched shallow (depth 1) when configured; a full
///   commit id is asked for directly, and when the server refuses that, all
///   branches and tags are fetched and the commit is looked up.
/// - The commit's tree is written to the destination from the object
///   database: no `.git` is ever written there. Submodules are left out
///   (their directories stay empty); symlinks are written as symlinks only
///   when their target is relative and stays inside the tree, as written and
///   once resolved on disk through the tree's other links (checked when the
///   whole tree is written). The checkout is refused (`InvalidInput`, naming
///   the path) past [`GitSourceConfig::max_entries`] entries or
///   [`GitSourceConfig::max_unpacked_bytes`] bytes.
/// - Credentials come from a [`CredentialProvider`] (anonymous by default)
///   and reach gix only through its credential callback. Global and system
///   git config are ignored (no credential helpers, no `insteadOf`, no
///   `core.sshCommand` from the host).
/// - Errors: a repository or ref that does not exist → `NotFound`; refused
///   credentials → `PermissionDenied`; network trouble → `Unavailable`; a URL
///   the policy refuses → `InvalidInput`.
/// - Dropping the future interrupts the fetch.
/// - Transports: https and http run no external program (libcurl, in
///   process). gix serves `file://` (off unless the policy allows it) by
///   starting the host's `git-upload-pack` with an argument vector (never a
///   shell), as git itself does; the URL was validated so it cannot be taken
///   as an option. An ssh URL needs a deploy key: without one the fetch is
///   refused, so the server's own ssh identity is never used.
/// - A token is given to gix only for the repository's own host, never for
///   a host a redirect leads to.
/// - ssh deploy keys ([`GitCredentials::SshKey`]): the key is written to a
///   file (mode 0600) in a per-fetch directory (mode 0700) under the system
///   temp dir (or [`GitSource::with_ssh_temp_dir`]), removed when the fetch
///   ends, fails or is dropped; `ssh` is started with an argument vector
///   (`-F /dev/null -i <key> -o IdentitiesOnly=yes -o BatchMode=yes ...`, no
///   shell, no agent, the host's ssh config and known hosts ignored) and its
///   pipes are handed to gix. Host keys are checked against the credentials'
///   `known_hosts` when given (`StrictHostKeyChecking=yes`), otherwise
///   accepted on first use with a fresh known hosts file per fetch
///   (`accept-new`: convenient, but no protection against a man in the
///   middle; give `known_hosts` for that).
/// - One fetch per URL at a time in this process; several processes sharing
///   one cache dir are not coordinated. The cache is never pruned.
#[derive(Clone)]
pub struct GitSource {
    config: GitSourceConfig,
    credentials: Arc<dyn CredentialProvider>,
    locks: Arc<CacheLocks>,
    ssh_temp_dir: Option<PathBuf>,
}

impl fmt::Debug for GitSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitSource")
            .field("config", &self.config)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl GitSource {
    /// A source fetching anonymously.
    #[must_use]
    pub fn new(config: GitSourceConfig) -> Self {
        Self {
            config,
            credentials: Arc::new(StaticCredentials::new()),
            locks: Arc::default(),
            ssh_temp_dir: None,
        }
    }

    /// Use `provider` for the credentials of each URL.
    #[must_use]
    pub fn with_credentials(mut self, provider: Arc<dyn CredentialProvider>) -> Self {
        self.credentials = provider;
        self
    }

    /// Create the per-fetch directories holding ssh deploy keys under `dir`
    /// (default: the system temp dir). It should be on a local, private
    /// file system; its path may hold only letters, digits and `/._+-`.
    #[must_use]
    pub fn with_ssh_temp_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.ssh_temp_dir = Some(dir.into());
        self
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &GitSourceConfig {
        &self.config
    }

    /// The bare clone used for `url`.
    #[must_use]
    pub fn cache_path(&self, url: &GitUrl) -> PathBuf {
        cache_path(&self.config.cache_dir, url)
    }
}

#[async_trait]
impl SourceFetcher for GitSource {
    fn name(&self) -> &'static str {
        "git"
    }

    fn supports(&self, source: &SourceSpec) -> bool {
        matches!(source, SourceSpec::Git { .. })
    }

    async fn fetch(&self, source: &SourceSpec, dest: &Path, log: &LogSink) -> Result<SourceTree> {
        let SourceSpec::Git { url, reference, .. } = source else {
            return Err(Error::unsupported(format!(
                "the git source fetches git repositories, not {}",
                source.describe()
            )));
        };
        self.config.policy.check(url)?;
        let credentials = self.credentials.credentials(url);
        if matches!(credentials, GitCredentials::SshKey { .. }) && url.scheme() != GitScheme::Ssh {
            return Err(Error::invalid_input(format!(
                "an ssh key works over ssh, not over {url}"
            )));
        }
        if url.scheme() == GitScheme::Ssh && !matches!(credentials, GitCredentials::SshKey { .. }) {
            // Without a deploy key, ssh would authenticate with the server's
            // own identity (~/.ssh, its agent): any team could then fetch
            // whatever that identity can read.
            return Err(Error::invalid_input(format!(
                "{url} is an ssh URL: give the app a deploy key (the server's own ssh identity is never used)"
            )));
        }
        if matches!(credentials, GitCredentials::Token { .. }) && url.scheme() == GitScheme::Ssh {
            return Err(Error::invalid_input(format!(
                "a token works over https, not over ssh ({url})"
            )));
        }
        log.info(&format!("Fetching {url} ({reference})"));
        let repo_dir = self.cache_path(url);
        // Held by the blocking task, so a dropped fetch keeps the cache
        // locked until its thread has really stopped.
        let held = self.locks.lock_for(&repo_dir).lock_owned().await;
        let job = Job {
            url: url.clone(),
            reference: reference.clone(),
            repo_dir,
            dest: dest.to_path_buf(),
            shallow: self.config.shallow,
            limits: checkout::Limits {
                max_unpacked_bytes: self.config.max_unpacked_bytes,
                max_entries: self.config.max_entries,
            },
            credentials,
            ssh_temp_dir: self.ssh_temp_dir.clone().unwrap_or_else(std::env::temp_dir),
        };
        let interrupt = InterruptOnDrop::new();
        let flag = interrupt.flag();
        let commit = tokio::task::spawn_blocking(move || {
            let result = job.run(&flag);
            drop(held);
            result
        })
        .await
        .map_err(|e| Error::internal(format!("the git fetch task failed: {e}")))??;
        drop(interrupt);
        log.info(&format!("Checked out {} {}", commit.sha, commit.summary));
        Ok(SourceTree {
            root: dest.to_path_buf(),
            commit: Some(commit),
        })
    }
}

/// One fetch and checkout, run on a blocking thread.
struct Job {
    url: GitUrl,
    reference: GitRef,
    repo_dir: PathBuf,
    dest: PathBuf,
    shallow: bool,
    limits: checkout::Limits,
    credentials: GitCredentials,
    ssh_temp_dir: PathBuf,
}

impl Job {
    fn run(&self, interrupt: &Arc<AtomicBool>) -> Result<CommitInfo> {
        let repo = self.open_cache()?;
        // Removed when this function returns (or unwinds).
        let keys = match &self.credentials {
            GitCredentials::SshKey {
                private_key,
                known_hosts,
            } => Some(ssh::KeyDir::create(
                &self.ssh_temp_dir,
                private_key,
                known_hosts.as_deref(),
            )?),
            _ => None,
        };
        let id = self.fetch(&repo, keys.as_ref(), interrupt)?;
        drop(keys);
        let commit = (repo.find_object(id))
            .and_then(|o| o.peel_to_commit())
            .map_err(|e| {
                Error::not_found(format!(
                    "{} in {} is not a commit: {}",
                    self.reference,
                    self.url,
                    render(&e)
                ))
            })?;
        let info = commit_info(&commit)?;
        let tree = commit.tree().map_err(|e| {
            Error::internal(format!("reading the tree of {}: {}", info.sha, render(&e)))
        })?;
        checkout::write_tree(&repo, &tree, &self.dest, self.limits, interrupt)?;
        Ok(info)
    }

    /// Open (or create) the bare cache repository, isolated from the host's
    /// global and system git config.
    fn open_cache(&self) -> Result<gix::Repository> {
        // A stalled server must not hold a deployment forever: give up when
        // under 1 KiB/s for a minute, or when connecting takes 30 s.
        let options = gix::open::Options::isolated().config_overrides([
            "http.lowSpeedLimit=1024",
            "http.lowSpeedTime=60",
            "gitoxide.http.connectTimeout=30000",
        ]);
        if self.repo_dir.join("HEAD").is_file() {
            if let Ok(repo) = gix::open_opts(&self.repo_dir, options.clone()) {
                return Ok(repo);
            }
            // A broken cache (an interrupted first clone): start again.
            std::fs::remove_dir_all(&self.repo_dir)
                .map_err(|e| io_error("removing the broken git cache", &self.repo_dir, e))?;
        }
        if let Some(parent) = self.repo_dir.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| io_error("creating the git cache dir", parent, e))?;
        }
        gix::create::into(
            &self.repo_dir,
            gix::create::Kind::Bare,
            gix::create::Options::default(),
        )
        .map_err(|e| {
            Error::internal(format!(
                "creating the git cache {}: {}",
                self.repo_dir.display(),
                render(&e)
            ))
        })?;
        gix::open_opts(&self.repo_dir, options).map_err(|e| {
            Error::internal(format!(
                "opening the git cache {}: {}",
                self.repo_dir.display(),
                render(&e)
            ))
        })
    }

    /// Fetch the wanted ref into [`TARGET_REF`] and return the id it points to.
    fn fetch(
        &self,
        repo: &gix::Repository,
        keys: Option<&ssh::KeyDir>,
        interrupt: &Arc<AtomicBool>,
    ) -> Result<gix::ObjectId> {
        let source = self.reference.as_str();
        let spec = format!("+{source}:{TARGET_REF}");
        let shallow = self.shallow;
        match self.fetch_specs(repo, &[spec.as_str()], shallow, keys, interrupt) {
            Ok(Some(id)) => return Ok(id),
            Ok(None) if !self.reference.is_commit_id() => {
                return Err(Error::not_found(format!(
                    "no branch or tag {} in the git repository {}",
                    self.reference, self.url
                )));
            }
            Ok(None) => {}
            // The server may refuse to send a commit by id (protocol v0/v1
            // without allowAnySHA1InWant): fall back below.
            Err(e)
                if self.reference.is_commit_id()
                    && !matches!(
                        e.kind(),
                        rivetr_core::ErrorKind::PermissionDenied
                            | rivetr_core::ErrorKind::Cancelled
                    ) => {}
            Err(e) => return Err(e),
        }
        if interrupt.load(Ordering::Relaxed) {
            return Err(Error::cancelled("the git fetch was cancelled"));
        }
        // The server would not send the commit by id: fetch every branch and
        // tag with history, then look for it.
        let all = [
            "+refs/heads/*:refs/rivetr/heads/*",
            "+refs/tags/*:refs/rivetr/tags/*",
        ];
        self.fetch_specs(repo, &all, false, keys, interrupt)?;
        let id = gix::ObjectId::from_hex(source.as_bytes())
            .map_err(|e| Error::invalid_input(format!("bad commit id {source}: {e}")))?;
        if repo.find_object(id).is_err() {
            return Err(Error::not_found(format!(
                "no commit {source} in the git repository {}",
                self.url
            )));
        }
        Ok(id)
    }

    /// Fetch with `specs`; `Ok(None)` when no remote ref matched.
    fn fetch_specs(
        &self,
        repo: &gix::Repository,
        specs: &[&str],
        shallow: bool,
        keys: Option<&ssh::KeyDir>,
        interrupt: &Arc<AtomicBool>,
    ) -> Result<Option<gix::ObjectId>> {
        let remote = repo
            .remote_at(self.url.as_str())
            .and_then(|r| r.with_refspecs(specs.iter().copied(), Direction::Fetch))
            .map_err(|e| Error::invalid_input(format!("git URL {}: {}", self.url, render(&e))))?;
        let asked = Arc::new(AtomicBool::new(false));
        let (connection, stderr) = match keys {
            Some(keys) => {
                let (url, version) = remote
                    .sanitized_url_and_version(Direction::Fetch)
                    .map_err(|e| self.classify(&e, false, "connecting to", ""))?;
                let (transport, stderr) = ssh::connect(&url, version, keys, interrupt)?;
                (remote.to_connection_with_transport(transport), Some(stderr))
            }
            None => (
                remote
                    .connect(Direction::Fetch)
                    .map_err(|e| self.classify(&e, false, "connecting to", ""))?,
                None,
            ),
        };
        let ssh_text = || {
            stderr
                .as_ref()
                .map(ssh::SshStderr::text)
                .unwrap_or_default()
        };
        let credentials = self.credentials.clone();
        let url_host = self.url.host().map(str::to_owned);
        let asked_in = Arc::clone(&asked);
        let connection = connection.with_credentials(move |action| {
            use gix::credentials::helper::{Action, NextAction};
            match action {
                Action::Get(ctx) => {
                    asked_in.store(true, Ordering::Relaxed);
                    // Answer only for the repository's own host: never for
                    // a host a redirect led to.
                    let same_host = asked_host(&ctx).is_some_and(|asked| {
                        url_host
                            .as_deref()
                            .is_some_and(|own| asked.eq_ignore_ascii_case(own))
                    });
                    match &credentials {
                        GitCredentials::Token { user, token } if same_host => {
                            Ok(Some(gix::credentials::protocol::Outcome {
                                identity: gix::sec::identity::Account {
                                    username: user.clone(),
                                    password: token.expose().to_owned(),
                                    oauth_refresh_token: None,
                                },
                                next: NextAction::from(ctx),
                            }))
                        }
                        _ => Ok(None),
                    }
                }
                Action::Store(_) | Action::Erase(_) => Ok(None),
            }
        });
        let prepare = connection
            .prepare_fetch(gix::progress::Discard, Default::default())
            .map_err(|e| {
                self.classify(
                    &e,
                    asked.load(Ordering::Relaxed),
                    "listing refs of",
                    &ssh_text(),
                )
            })?;
        let wanted = prepare.ref_map().mappings.iter().find_map(|m| {
            let local = m.local.as_ref()?;
            (local.as_bstr() == TARGET_REF.as_bytes().as_bstr())
                .then(|| m.remote.as_id().map(ToOwned::to_owned))
                .flatten()
        });
        if specs.len() == 1 && wanted.is_none() {
            return Ok(None);
        }
        let depth = if shallow {
            NonZeroU32::new(1).map_or(gix::remote::fetch::Shallow::NoChange, |d| {
                gix::remote::fetch::Shallow::DepthAtRemote(d)
            })
        } else if repo.is_shallow().unwrap_or(false) {
            gix::remote::fetch::Shallow::undo()
        } else {
            gix::remote::fetch::Shallow::NoChange
        };
        prepare
            .with_shallow(depth)
            .receive(gix::progress::Discard, interrupt)
            .map_err(|e| {
                if interrupt.load(Ordering::Relaxed) {
                    Error::cancelled("the git fetch was cancelled")
                } else {
                    self.classify(
                        &e,
                        asked.load(Ordering::Relaxed),
                        "fetching from",
                        &ssh_text(),
                    )
                }
            })?;
        if specs.len() != 1 {
            return Ok(None);
        }
        let id = match repo.find_reference(TARGET_REF) {
            Ok(mut r) => r.peel_to_id().ok().map(gix::Id::detach),
            Err(_) => None,
        };
        Ok(id.or(wanted))
    }

    /// Turn a gix error (and what ssh wrote to stderr, if it ran) into the
    /// error family's kinds.
    fn classify(
        &self,
        err: &gix::Error,
        asked_credentials: bool,
        doing: &str,
        ssh_stderr: &str,
    ) -> Error {
        let mut text = render(err);
        if !ssh_stderr.is_empty() {
            text.push_str(" (ssh: ");
            text.push_str(ssh_stderr);
            text.push(')');
        }
        let lower = text.to_ascii_lowercase();
        let message = format!("{doing} {}: {text}", self.url);
        let auth = [
            "401",
            "403",
            "authenticat",
            "credential",
            "permission denied",
            "host key verification failed",
        ];
        let missing = [
            "404",
            "not found",
            "does not exist",
            "valid git directory",
            "could not access remote repository",
            "not a git repository",
            "does not appear to be a git repository",
            "no such file",
            "matched any of",
        ];
        if auth.iter().any(|n| lower.contains(n)) || (asked_credentials && lower.contains("40")) {
            Error::permission_denied(message)
        } else if missing.iter().any(|n| lower.contains(n)) {
            Error::not_found(message)
        } else if lower.contains("want") || lower.contains("not our ref") {
            Error::internal(message)
        } else {
            Error::unavailable(message)
        }
    }
}

/// Render a gix error with its causes on one line.
fn render(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let next = cause.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = cause.source();
    }
    text
}

fn commit_info(commit: &gix::Commit<'_>) -> Result<CommitInfo> {
    let sha = commit.id().to_hex().to_string();
    let bad =
        |e: &dyn std::error::Error| Error::internal(format!("reading commit {sha}: {}", render(e)));
    let message = commit.message().map_err(|e| bad(&e))?;
    let summary = message.summary().to_str_lossy().into_owned();
    let author = commit.author().map_err(|e| bad(&e))?;
    Ok(CommitInfo {
        summary,
        author: author.name.to_str_lossy().into_owned(),
        sha,
    })
}

/// The host (without port or user) gix asks credentials for, from the
/// context's host or, when gix left it empty, its URL.
fn asked_host(ctx: &gix::credentials::protocol::Context) -> Option<String> {
    let authority = match &ctx.host {
        Some(host) => host.clone(),
        None => {
            let url = String::from_utf8_lossy(ctx.url.as_ref()?.as_ref()).into_owned();
            let rest = url.split_once("://")?.1.to_owned();
            rest.split('/').next()?.to_owned()
        }
    };
    let host = authority.rsplit('@').next()?;
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => host.split(':').next()?,
    };
    Some(host.to_ascii_lowercase())
}
