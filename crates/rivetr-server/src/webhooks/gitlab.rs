//! GitLab: the shared secret in `X-Gitlab-Token`, events `Push Hook`,
//! `Tag Push Hook`, `Merge Request Hook` (and the same inside `System Hook`)
//! in `X-Gitlab-Event`. GitLab has no ping: its test deliveries are pushes.

use serde::Deserialize;

use super::payload::{self, Commit, Headers, PushFields};
use super::{PullRequestAction, PullRequestEvent, RepoRef, WebhookError, WebhookEvent, signature};

const TOKEN: &str = "X-Gitlab-Token";
const EVENT: &str = "X-Gitlab-Event";

/// Verifies a GitLab delivery and parses it.
pub(super) fn verify_and_parse(
    headers: Headers<'_, '_>,
    body: &[u8],
    secret: &[u8],
) -> Result<WebhookEvent, WebhookError> {
    let token = payload::header(headers, &[TOKEN])
        .ok_or(WebhookError::MissingSignature { header: TOKEN })?;
    signature::verify_token(TOKEN, token, secret)?;
    let event = payload::event_name(headers, &[EVENT])?;
    parse(event, body)
}

fn parse(event: &str, body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    match event {
        "Push Hook" | "Tag Push Hook" => push(event, payload::json(event, body)?),
        "Merge Request Hook" => merge_request(event, payload::json(event, body)?),
        "System Hook" => {
            let kind: Kind = payload::json(event, body)?;
            match kind.object_kind.as_deref().or(kind.event_name.as_deref()) {
                Some("push" | "tag_push") => push(event, payload::json(event, body)?),
                Some("merge_request") => merge_request(event, payload::json(event, body)?),
                Some(other) => Ok(payload::ignored(
                    &format!("{event}:{other}"),
                    "Rivetr acts on pushes and merge requests",
                )),
                None => Err(WebhookError::bad_payload(
                    event,
                    "names neither object_kind nor event_name",
                )),
            }
        }
        _ => Ok(payload::ignored(
            event,
            "Rivetr acts on Push Hook, Tag Push Hook and Merge Request Hook events",
        )),
    }
}

#[derive(Debug, Deserialize)]
struct Kind {
    object_kind: Option<String>,
    event_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Project {
    path_with_namespace: String,
    git_http_url: Option<String>,
    git_ssh_url: Option<String>,
}

impl Project {
    fn to_ref(&self) -> RepoRef {
        payload::repo_ref(
            &self.path_with_namespace,
            [self.git_http_url.as_deref(), self.git_ssh_url.as_deref()],
        )
    }
}

#[derive(Debug, Deserialize)]
struct Push {
    #[serde(rename = "ref")]
    full_ref: String,
    before: String,
    after: String,
    project: Project,
    #[serde(default)]
    commits: Vec<Commit>,
    total_commits_count: Option<u64>,
    user_username: Option<String>,
    user_name: Option<String>,
}

fn push(event: &str, p: Push) -> Result<WebhookEvent, WebhookError> {
    // GitLab lists at most 20 commits and says how many there were.
    let listed = u64::try_from(p.commits.len()).unwrap_or(u64::MAX);
    payload::push_event(PushFields {
        event,
        full_ref: &p.full_ref,
        before: &p.before,
        after: &p.after,
        repository: p.project.to_ref(),
        commits: &p.commits,
        head_commit: None,
        all_commits_listed: p.total_commits_count.is_none_or(|total| listed >= total),
        forced: false,
        pusher: p.user_username.or(p.user_name).unwrap_or_default(),
    })
}

#[derive(Debug, Deserialize)]
struct MergeRequestPayload {
    project: Project,
    object_attributes: MergeRequest,
}

#[derive(Debug, Deserialize)]
struct MergeRequest {
    iid: u64,
    action: Option<String>,
    source_branch: String,
    target_branch: String,
    last_commit: LastCommit,
    /// Present on an `update` that pushed new commits.
    oldrev: Option<String>,
    source: Option<Project>,
}

#[derive(Debug, Deserialize)]
struct LastCommit {
    id: String,
}

fn merge_request(event: &str, p: MergeRequestPayload) -> Result<WebhookEvent, WebhookError> {
    let mr = p.object_attributes;
    let action = match mr.action.as_deref() {
        Some("open") => PullRequestAction::Opened,
        Some("reopen") => PullRequestAction::Reopened,
        Some("close") => PullRequestAction::Closed,
        Some("merge") => PullRequestAction::Merged,
        Some("update") if mr.oldrev.is_some() => PullRequestAction::Synchronize,
        other => {
            return Ok(payload::ignored(
                &format!("{event}:{}", other.unwrap_or("none")),
                "the merge request's code did not change",
            ));
        }
    };
    Ok(WebhookEvent::PullRequest(PullRequestEvent {
        number: mr.iid,
        action,
        head_branch: payload::ref_name(event, &mr.source_branch)?,
        head_sha: payload::commit_id(event, "last commit id", &mr.last_commit.id)?,
        base_branch: payload::ref_name(event, &mr.target_branch)?,
        repository: p.project.to_ref(),
        head_repository: mr.source.as_ref().map(Project::to_ref),
    }))
}
