//! Git provider webhooks: verify a delivery, then parse it into one
//! provider-neutral [`WebhookEvent`].
//!
//! This module is the pure core: no I/O, no state. The HTTP route
//! (`/api/v1/webhooks/<provider>/<hook>`) hands it the request's headers, raw
//! body and the hook's secret, and acts on what it returns: deploys matching
//! apps on a [`WebhookEvent::Push`] (honouring [`watch_paths_match`]), answers
//! a [`WebhookEvent::Ping`], records a [`WebhookEvent::PullRequest`] for
//! previews.
//!
//! # Security
//!
//! Every delivery is verified before its body is parsed: GitHub, Gitea and
//! Bitbucket by an HMAC-SHA256 of the raw body, GitLab by its shared token.
//! Comparisons take constant time. An empty secret refuses every delivery
//! ([`WebhookError::NoSecret`]); no error message contains the secret.
//!
//! ```
//! use rivetr_server::webhooks::{Provider, WebhookError, verify_and_parse};
//!
//! let headers = [("X-Gitlab-Token", "wrong"), ("X-Gitlab-Event", "Push Hook")];
//! let lookup = |name: &str| {
//!     headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
//! };
//! let err = verify_and_parse(Provider::Gitlab, lookup, b"{}", b"the secret").unwrap_err();
//! assert_eq!(err, WebhookError::BadSignature { header: "X-Gitlab-Token" });
//! ```

mod bitbucket;
mod error;
mod event;
mod gitea;
mod github;
mod github_style;
mod gitlab;
mod payload;
mod repo_key;
mod signature;
mod watch_paths;

use std::fmt;
use std::str::FromStr;

pub use error::WebhookError;
pub use event::{
    CommitSummary, PullRequestAction, PullRequestEvent, PushEvent, PushedRef, RepoRef, WebhookEvent,
};
pub use watch_paths::watch_paths_match;

/// A git hosting service whose webhooks Rivetr understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Provider {
    /// GitHub (github.com and GitHub Enterprise Server).
    Github,
    /// GitLab (gitlab.com and self-managed).
    Gitlab,
    /// Gitea, and Forgejo (which sends the same deliveries).
    Gitea,
    /// Bitbucket Cloud.
    Bitbucket,
}

impl Provider {
    /// Every provider.
    pub const ALL: [Provider; 4] = [Self::Github, Self::Gitlab, Self::Gitea, Self::Bitbucket];

    /// The name used in webhook URLs: `"github"`, `"gitlab"`, `"gitea"` or
    /// `"bitbucket"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Github => "github",
            Self::Gitlab => "gitlab",
            Self::Gitea => "gitea",
            Self::Bitbucket => "bitbucket",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A provider name that Rivetr does not know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown webhook provider {name:?}; use github, gitlab, gitea (also for Forgejo) or bitbucket"
)]
pub struct UnknownProvider {
    /// The name given.
    pub name: String,
}

impl FromStr for Provider {
    type Err = UnknownProvider;

    /// Parses [`Provider::as_str`]'s names, ignoring case; `forgejo` is
    /// [`Provider::Gitea`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "github" => Ok(Self::Github),
            "gitlab" => Ok(Self::Gitlab),
            "gitea" | "forgejo" => Ok(Self::Gitea),
            "bitbucket" => Ok(Self::Bitbucket),
            _ => Err(UnknownProvider { name: s.to_owned() }),
        }
    }
}

/// Verifies a delivery from `provider`, then parses it.
///
/// `headers` looks a request header up by name and must ignore case, as
/// `http::HeaderMap` does (`|name| map.get(name).and_then(|v| v.to_str().ok())`).
/// `body` is the raw request body, exactly as received; `secret` the hook's
/// secret (for GitLab, its token).
///
/// # Errors
///
/// - [`WebhookError::NoSecret`] when `secret` is empty;
/// - [`WebhookError::MissingSignature`] when the signature (GitLab: token)
///   header is absent, [`WebhookError::BadSignature`] when it does not match;
///   nothing else is looked at before these checks pass;
/// - [`WebhookError::UnknownEvent`] when the event header is absent;
/// - [`WebhookError::BadPayload`] when the body of an event Rivetr acts on is
///   not what that event promises, or names a branch or commit that is not
///   valid.
///
/// Events Rivetr does not act on are [`WebhookEvent::Ignored`], not errors.
pub fn verify_and_parse<'h>(
    provider: Provider,
    headers: impl Fn(&str) -> Option<&'h str>,
    body: &[u8],
    secret: &[u8],
) -> Result<WebhookEvent, WebhookError> {
    if secret.is_empty() {
        return Err(WebhookError::NoSecret);
    }
    let headers: payload::Headers<'_, 'h> = &headers;
    match provider {
        Provider::Github => github::verify_and_parse(headers, body, secret),
        Provider::Gitlab => gitlab::verify_and_parse(headers, body, secret),
        Provider::Gitea => gitea::verify_and_parse(headers, body, secret),
        Provider::Bitbucket => bitbucket::verify_and_parse(headers, body, secret),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_names_round_trip() {
        for provider in Provider::ALL {
            assert_eq!(provider.as_str().parse::<Provider>(), Ok(provider));
            assert_eq!(provider.to_string(), provider.as_str());
        }
        assert_eq!("GitHub".parse::<Provider>(), Ok(Provider::Github));
        assert_eq!("forgejo".parse::<Provider>(), Ok(Provider::Gitea));
        let err = "gogs".parse::<Provider>().unwrap_err();
        assert!(err.to_string().contains("\"gogs\""), "{err}");
    }

    #[test]
    fn an_empty_secret_refuses_everything() {
        let headers = |name: &str| (name == "X-Gitlab-Token").then_some("");
        assert_eq!(
            verify_and_parse(Provider::Gitlab, headers, b"{}", b""),
            Err(WebhookError::NoSecret)
        );
    }
}
