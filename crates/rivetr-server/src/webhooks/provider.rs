//! [`Provider`]: the git hosts whose webhooks Rivetr understands, and the
//! headers each one sends.

use std::fmt;
use std::str::FromStr;

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

    /// The header that carries the delivery's signature (GitLab: its
    /// token). For Gitea, Forgejo's `X-Forgejo-Signature` is read when this
    /// one is absent.
    #[must_use]
    pub fn signature_header(self) -> &'static str {
        match self {
            Self::Github => "X-Hub-Signature-256",
            Self::Gitlab => "X-Gitlab-Token",
            Self::Gitea => "X-Gitea-Signature",
            Self::Bitbucket => "X-Hub-Signature",
        }
    }

    /// The headers that name the event, in the order they are read.
    #[must_use]
    pub fn event_headers(self) -> &'static [&'static str] {
        match self {
            Self::Github => &["X-GitHub-Event"],
            Self::Gitlab => &["X-Gitlab-Event"],
            Self::Gitea => &["X-Gitea-Event", "X-Forgejo-Event"],
            Self::Bitbucket => &["X-Event-Key"],
        }
    }

    /// The headers that carry the provider's id of a delivery (shown in its
    /// "recent deliveries" page), in the order they are read.
    #[must_use]
    pub fn delivery_id_headers(self) -> &'static [&'static str] {
        match self {
            Self::Github => &["X-GitHub-Delivery"],
            Self::Gitlab => &["X-Gitlab-Event-UUID", "Idempotency-Key"],
            Self::Gitea => &["X-Gitea-Delivery", "X-Forgejo-Delivery"],
            Self::Bitbucket => &["X-Request-UUID"],
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
