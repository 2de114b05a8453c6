//! Git credentials: [`GitCredentials`] and where they come from
//! ([`CredentialProvider`], [`StaticCredentials`]).
//!
//! Credentials are handed to gix through its credential-helper callback, in
//! memory: they never appear in a URL, in the cache repository's config, in
//! the checked-out tree, in a log line or in a process's arguments. ssh keys
//! exist on disk only for the length of a fetch (see
//! [`GitCredentials::SshKey`]).

use std::collections::HashMap;
use std::fmt;

use rivetr_core::input::GitUrl;
use rivetr_core::model::SecretString;

/// The user name sent with a token over https when none is given.
///
/// GitHub accepts `x-access-token`, GitLab `oauth2`; most servers only look at
/// the password.
pub const DEFAULT_TOKEN_USER: &str = "x-access-token";

/// What to authenticate a git fetch with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum GitCredentials {
    /// Anonymous access.
    #[default]
    None,
    /// An access token sent as https basic auth (`user` is
    /// [`DEFAULT_TOKEN_USER`] unless given, e.g. `oauth2` for GitLab).
    Token {
        /// Basic-auth user name.
        user: String,
        /// The token, sent as the password.
        token: SecretString,
    },
    /// An ssh deploy key (an unencrypted OpenSSH or PEM private key) for
    /// `ssh://` and `user@host:path` URLs.
    ///
    /// The key is written to a file with mode 0600 in a per-fetch directory
    /// with mode 0700, handed to `ssh -i` (no shell, no agent, the host's ssh
    /// config ignored) and removed when the fetch ends or is cancelled.
    SshKey {
        /// The private key.
        private_key: SecretString,
        /// `known_hosts` lines for the server (e.g. from `ssh-keyscan`):
        /// when given, the host key must match one of them
        /// (`StrictHostKeyChecking=yes`). When `None`, the first key the
        /// server shows is accepted (`StrictHostKeyChecking=accept-new`
        /// with a new, empty known hosts file for every fetch), which does
        /// not protect against a man in the middle.
        known_hosts: Option<String>,
    },
}

impl GitCredentials {
    /// A token with the [`DEFAULT_TOKEN_USER`] user name.
    pub fn token(token: impl Into<String>) -> Self {
        Self::Token {
            user: DEFAULT_TOKEN_USER.to_owned(),
            token: SecretString::new(token),
        }
    }

    /// A token with the given basic-auth user name (`oauth2` for GitLab).
    pub fn token_with_user(user: impl Into<String>, token: impl Into<String>) -> Self {
        Self::Token {
            user: user.into(),
            token: SecretString::new(token),
        }
    }

    /// An ssh deploy key, accepting the server's host key on first use.
    pub fn ssh_key(private_key: impl Into<String>) -> Self {
        Self::SshKey {
            private_key: SecretString::new(private_key),
            known_hosts: None,
        }
    }

    /// An ssh deploy key, checking the server's host key against
    /// `known_hosts` (lines in OpenSSH's `known_hosts` format).
    pub fn ssh_key_with_known_hosts(
        private_key: impl Into<String>,
        known_hosts: impl Into<String>,
    ) -> Self {
        Self::SshKey {
            private_key: SecretString::new(private_key),
            known_hosts: Some(known_hosts.into()),
        }
    }
}

/// Supplies the credentials for a repository URL.
///
/// The server implements this over its sealed secrets; tests and simple
/// embeddings use [`StaticCredentials`].
///
/// # Behavior
/// - Called once per fetch, before any network I/O, on the async runtime:
///   return quickly (look the value up, do not do network I/O).
/// - Returns [`GitCredentials::None`] for anonymous access.
pub trait CredentialProvider: fmt::Debug + Send + Sync + 'static {
    /// The credentials to use for `url`.
    fn credentials(&self, url: &GitUrl) -> GitCredentials;
}

/// A [`CredentialProvider`] backed by a map from URL (exactly as written in
/// the app's source) to credentials; other URLs are fetched anonymously.
#[derive(Clone, Debug, Default)]
pub struct StaticCredentials {
    by_url: HashMap<GitUrl, GitCredentials>,
}

impl StaticCredentials {
    /// No credentials for any URL.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Use `credentials` for `url`.
    #[must_use]
    pub fn with(mut self, url: GitUrl, credentials: GitCredentials) -> Self {
        self.by_url.insert(url, credentials);
        self
    }

    /// Use `credentials` for `url`.
    pub fn insert(&mut self, url: GitUrl, credentials: GitCredentials) {
        self.by_url.insert(url, credentials);
    }
}

impl CredentialProvider for StaticCredentials {
    fn credentials(&self, url: &GitUrl) -> GitCredentials {
        self.by_url.get(url).cloned().unwrap_or_default()
    }
}
