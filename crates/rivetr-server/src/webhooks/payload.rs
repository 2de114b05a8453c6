//! Pieces every provider's parser shares: JSON decoding, refs, commit ids,
//! repositories and the push event assembled from them.

use std::collections::BTreeSet;

use rivetr_core::input::{GitRef, GitUrl};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{CommitSummary, PushEvent, PushedRef, RepoRef, WebhookError, WebhookEvent};

/// Header lookup, as given to [`verify_and_parse`](super::verify_and_parse).
pub(super) type Headers<'a, 'h> = &'a dyn Fn(&str) -> Option<&'h str>;

/// The value of the first of `names` that is present and not empty.
pub(super) fn header<'h>(headers: Headers<'_, 'h>, names: &[&str]) -> Option<&'h str> {
    names
        .iter()
        .find_map(|name| headers(name).map(str::trim).filter(|v| !v.is_empty()))
}

/// The event name from the first present of `names`.
pub(super) fn event_name<'h>(
    headers: Headers<'_, 'h>,
    names: &[&'static str],
) -> Result<&'h str, WebhookError> {
    header(headers, names).ok_or(WebhookError::UnknownEvent { header: names[0] })
}

/// `body` decoded as `T`.
pub(super) fn json<T: DeserializeOwned>(event: &str, body: &[u8]) -> Result<T, WebhookError> {
    if body.starts_with(b"payload=") {
        return Err(WebhookError::bad_payload(
            event,
            "the body is form-encoded; set the webhook's content type to application/json",
        ));
    }
    serde_json::from_slice(body).map_err(|e| WebhookError::bad_payload(event, e.to_string()))
}

/// A branch or tag short name.
pub(super) fn ref_name(event: &str, name: &str) -> Result<GitRef, WebhookError> {
    name.parse()
        .map_err(|e| WebhookError::bad_payload(event, format!("{e}")))
}

/// A full commit id (40 or 64 hex digits; all zeros for "none").
pub(super) fn commit_id(event: &str, field: &str, id: &str) -> Result<GitRef, WebhookError> {
    match id.parse::<GitRef>() {
        Ok(id) if id.is_commit_id() => Ok(id),
        _ => Err(WebhookError::bad_payload(
            event,
            format!("{field} is not a full commit id: {id:?}"),
        )),
    }
}

/// Whether a commit id is the all-zeros "no commit" of a created or deleted ref.
pub(super) fn is_zero(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b == b'0')
}

/// The all-zeros commit id (SHA-1 length), for providers that send `null`.
pub(super) fn zero_commit(event: &str) -> Result<GitRef, WebhookError> {
    commit_id(event, "zero commit", &"0".repeat(40))
}

/// A repository from its name and the clone addresses the provider gives
/// (invalid or absent ones left out).
pub(super) fn repo_ref<'a>(
    full_name: &str,
    urls: impl IntoIterator<Item = Option<&'a str>>,
) -> RepoRef {
    let mut clone_urls: Vec<GitUrl> = Vec::new();
    for url in urls.into_iter().flatten() {
        if let Ok(url) = url.parse::<GitUrl>()
            && !clone_urls.contains(&url)
        {
            clone_urls.push(url);
        }
    }
    RepoRef {
        full_name: full_name.to_owned(),
        clone_urls,
    }
}

/// The first line of a commit message, trimmed.
pub(super) fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or_default().trim().to_owned()
}

/// A commit as GitHub, GitLab and Gitea describe it in a push.
#[derive(Debug, Deserialize)]
pub(super) struct Commit {
    pub(super) id: String,
    #[serde(default)]
    pub(super) message: String,
    pub(super) author: Option<Author>,
    #[serde(default)]
    pub(super) added: Vec<String>,
    #[serde(default)]
    pub(super) modified: Vec<String>,
    #[serde(default)]
    pub(super) removed: Vec<String>,
}

/// A commit's author.
#[derive(Debug, Deserialize)]
pub(super) struct Author {
    #[serde(default)]
    pub(super) name: String,
}

impl Commit {
    fn summary(&self, event: &str) -> Result<CommitSummary, WebhookError> {
        Ok(CommitSummary {
            id: commit_id(event, "head commit id", &self.id)?,
            summary: first_line(&self.message),
            author: self
                .author
                .as_ref()
                .map(|a| a.name.clone())
                .unwrap_or_default(),
        })
    }
}

/// What a GitHub, GitLab or Gitea push says, before it is checked.
#[derive(Debug)]
pub(super) struct PushFields<'a> {
    /// The event name, for errors.
    pub(super) event: &'a str,
    /// The full ref, `refs/heads/main`.
    pub(super) full_ref: &'a str,
    pub(super) before: &'a str,
    pub(super) after: &'a str,
    pub(super) repository: RepoRef,
    pub(super) commits: &'a [Commit],
    /// The head commit when the provider names it; otherwise looked up in
    /// `commits` by `after`.
    pub(super) head_commit: Option<&'a Commit>,
    /// Whether `commits` lists every pushed commit.
    pub(super) all_commits_listed: bool,
    /// Whether the push rewrote history (commits may have been dropped).
    pub(super) forced: bool,
    pub(super) pusher: String,
}

/// Splits a full ref into a branch or tag; `None` for other refs.
pub(super) fn pushed_ref(event: &str, full_ref: &str) -> Option<Result<PushedRef, WebhookError>> {
    if let Some(branch) = full_ref.strip_prefix("refs/heads/") {
        Some(ref_name(event, branch).map(PushedRef::Branch))
    } else {
        full_ref
            .strip_prefix("refs/tags/")
            .map(|tag| ref_name(event, tag).map(PushedRef::Tag))
    }
}

/// The event for a push that names its commits and their paths.
pub(super) fn push_event(fields: PushFields<'_>) -> Result<WebhookEvent, WebhookError> {
    let event = fields.event;
    let Some(target) = pushed_ref(event, fields.full_ref) else {
        return Ok(ignored_ref(event, fields.full_ref));
    };
    let target = target?;
    let created = is_zero(fields.before);
    let deleted = is_zero(fields.after);
    let head_commit = if deleted {
        None
    } else {
        fields
            .head_commit
            .or_else(|| fields.commits.iter().find(|c| c.id == fields.after))
            .map(|c| c.summary(event))
            .transpose()?
    };
    let paths_known = fields.all_commits_listed
        && !created
        && !deleted
        && !fields.forced
        && !fields.commits.is_empty();
    let changed_paths = if paths_known {
        let mut paths = BTreeSet::new();
        for commit in fields.commits {
            paths.extend(
                commit
                    .added
                    .iter()
                    .chain(&commit.modified)
                    .chain(&commit.removed)
                    .cloned(),
            );
        }
        paths.into_iter().collect()
    } else {
        Vec::new()
    };
    Ok(WebhookEvent::Push {
        pushes: vec![PushEvent {
            repository: fields.repository,
            target,
            before: commit_id(event, "before", fields.before)?,
            after: commit_id(event, "after", fields.after)?,
            created,
            deleted,
            changed_paths,
            paths_known,
            head_commit,
            pusher: fields.pusher,
        }],
    })
}

/// The event for a push to a ref that is neither a branch nor a tag.
pub(super) fn ignored_ref(event: &str, full_ref: &str) -> WebhookEvent {
    WebhookEvent::Ignored {
        event: event.to_owned(),
        reason: format!("{full_ref:?} is neither a branch nor a tag"),
    }
}

/// The event for a delivery Rivetr does not act on.
pub(super) fn ignored(event: &str, reason: &str) -> WebhookEvent {
    WebhookEvent::Ignored {
        event: event.to_owned(),
        reason: reason.to_owned(),
    }
}
