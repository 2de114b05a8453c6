//! The provider-neutral events a verified delivery is parsed into.

use rivetr_core::input::{GitRef, GitUrl};
use serde::{Deserialize, Serialize};

use super::repo_key::RepoKey;

/// What a verified webhook delivery asks for, whichever provider sent it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum WebhookEvent {
    /// Refs were pushed: one entry per updated ref. GitHub, GitLab and Gitea
    /// send one ref per delivery; Bitbucket may send several.
    Push {
        /// The updated refs, never empty.
        pushes: Vec<PushEvent>,
    },
    /// The provider checks that the webhook is reachable (GitHub's `ping`,
    /// Bitbucket's `diagnostics:ping`); answer it, do nothing else.
    Ping,
    /// A pull (merge) request was opened, updated, closed, merged or reopened.
    PullRequest(PullRequestEvent),
    /// A well-formed delivery that Rivetr does not act on (an issue comment, a
    /// label on a pull request, a push to a ref that is neither a branch nor a
    /// tag...). Answer it with success so the provider does not retry.
    Ignored {
        /// The event as the provider named it, with the action when there is one
        /// (`issues`, `pull_request:labeled`).
        event: String,
        /// Why Rivetr does not act on it.
        reason: String,
    },
}

/// A repository as a webhook names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoRef {
    /// `owner/name` (GitLab: the full namespace path, `group/subgroup/name`).
    pub full_name: String,
    /// The addresses the repository can be cloned from, as the provider gives
    /// them (https first, then ssh). Addresses that are not valid [`GitUrl`]s
    /// are left out. For Bitbucket, whose payloads carry only the web address,
    /// the https and ssh clone addresses derived from it.
    pub clone_urls: Vec<GitUrl>,
}

impl RepoRef {
    /// Whether `url` names this repository: the same host and path as one of
    /// [`clone_urls`](Self::clone_urls), whatever the scheme (https or ssh), ssh
    /// user, port, letter case, trailing `/` or `.git` suffix. A `file://` URL
    /// never matches.
    ///
    /// ```
    /// # use rivetr_server::webhooks::RepoRef;
    /// let repo = RepoRef {
    ///     full_name: "acme/shop".into(),
    ///     clone_urls: vec!["https://github.com/acme/shop.git".parse()?],
    /// };
    /// assert!(repo.matches(&"git@github.com:Acme/shop".parse()?));
    /// assert!(!repo.matches(&"https://github.com/acme/shop-admin".parse()?));
    /// # Ok::<(), rivetr_core::input::InputError>(())
    /// ```
    #[must_use]
    pub fn matches(&self, url: &GitUrl) -> bool {
        let Some(wanted) = RepoKey::of(url) else {
            return false;
        };
        self.clone_urls
            .iter()
            .filter_map(RepoKey::of)
            .any(|key| key == wanted)
    }
}

/// The ref a push updated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "name", rename_all = "snake_case")]
pub enum PushedRef {
    /// A branch (`refs/heads/<name>`), by its short name.
    Branch(GitRef),
    /// A tag (`refs/tags/<name>`), by its short name.
    Tag(GitRef),
}

impl PushedRef {
    /// The branch, if a branch was pushed.
    #[must_use]
    pub fn branch(&self) -> Option<&GitRef> {
        match self {
            Self::Branch(name) => Some(name),
            Self::Tag(_) => None,
        }
    }

    /// The tag, if a tag was pushed.
    #[must_use]
    pub fn tag(&self) -> Option<&GitRef> {
        match self {
            Self::Tag(name) => Some(name),
            Self::Branch(_) => None,
        }
    }
}

/// One ref updated by a push.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushEvent {
    /// The repository pushed to.
    pub repository: RepoRef,
    /// The branch or tag pushed.
    pub target: PushedRef,
    /// The commit the ref pointed to before the push (all zeros when the push
    /// created it). Always a full commit id.
    pub before: GitRef,
    /// The commit the ref points to now (all zeros when the push deleted it).
    /// Always a full commit id.
    pub after: GitRef,
    /// The push created the ref.
    pub created: bool,
    /// The push deleted the ref: there is nothing to deploy.
    pub deleted: bool,
    /// The paths added, modified or removed by the pushed commits,
    /// deduplicated and sorted. Empty when [`paths_known`](Self::paths_known)
    /// is false.
    pub changed_paths: Vec<String>,
    /// Whether [`changed_paths`](Self::changed_paths) is complete. False when
    /// the provider does not list paths (Bitbucket), lists only part of the
    /// commits, or the push created the ref or rewrote history: watch paths
    /// cannot rule a deploy out then.
    pub paths_known: bool,
    /// The commit the ref now points to, when the provider describes it
    /// (absent for a deletion).
    pub head_commit: Option<CommitSummary>,
    /// Who pushed, as the provider names them (a user name, or a display name).
    pub pusher: String,
}

/// A commit as a push describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitSummary {
    /// The commit id.
    pub id: GitRef,
    /// The first line of the commit message.
    pub summary: String,
    /// The author's name.
    pub author: String,
}

/// What happened to a pull request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PullRequestAction {
    /// It was opened.
    Opened,
    /// New commits were pushed to its head branch.
    Synchronize,
    /// It was closed without being merged (Bitbucket: declined).
    Closed,
    /// It was merged (and so closed).
    Merged,
    /// It was reopened.
    Reopened,
}

impl PullRequestAction {
    /// `"opened"`, `"synchronize"`, `"closed"`, `"merged"` or `"reopened"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Synchronize => "synchronize",
            Self::Closed => "closed",
            Self::Merged => "merged",
            Self::Reopened => "reopened",
        }
    }

    /// Whether the pull request is open after this action (a preview should
    /// exist and show [`PullRequestEvent::head_sha`]).
    #[must_use]
    pub fn is_open(self) -> bool {
        matches!(self, Self::Opened | Self::Synchronize | Self::Reopened)
    }
}

/// A pull (merge) request changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequestEvent {
    /// The number shown to users (`#12`, GitLab's `!12`), unique per repository.
    pub number: u64,
    /// What happened.
    pub action: PullRequestAction,
    /// The branch with the proposed changes.
    pub head_branch: GitRef,
    /// The latest commit of the head branch.
    pub head_sha: GitRef,
    /// The branch the changes are proposed for.
    pub base_branch: GitRef,
    /// The repository the request was made in (that owns the base branch).
    pub repository: RepoRef,
    /// The repository the head branch lives in: a fork when its name differs
    /// from [`repository`](Self::repository)'s. `None` when the provider does
    /// not say (GitHub, once a fork is deleted).
    pub head_repository: Option<RepoRef>,
}

impl PullRequestEvent {
    /// Whether the head branch may live in another repository (a fork): its
    /// code was not necessarily pushed by someone with access to the
    /// repository, so building it should need an explicit opt-in. True when
    /// the head repository is unknown.
    #[must_use]
    pub fn is_from_fork(&self) -> bool {
        self.head_repository.as_ref().is_none_or(|head| {
            !head
                .full_name
                .eq_ignore_ascii_case(&self.repository.full_name)
        })
    }
}
