//! The payload shapes GitHub and Gitea/Forgejo share (Gitea's webhooks
//! follow GitHub's): the repository and pull-request events.

use serde::Deserialize;

use super::payload;
use super::{PullRequestAction, PullRequestEvent, RepoRef, WebhookError, WebhookEvent};

/// The repository a delivery is about.
#[derive(Debug, Deserialize)]
pub(super) struct Repository {
    full_name: String,
    clone_url: Option<String>,
    ssh_url: Option<String>,
}

impl Repository {
    pub(super) fn to_ref(&self) -> RepoRef {
        payload::repo_ref(
            &self.full_name,
            [self.clone_url.as_deref(), self.ssh_url.as_deref()],
        )
    }
}

/// A `pull_request` delivery.
#[derive(Debug, Deserialize)]
pub(super) struct PullRequestPayload {
    action: String,
    number: u64,
    pull_request: PullRequest,
    repository: Repository,
}

#[derive(Debug, Deserialize)]
struct PullRequest {
    #[serde(default)]
    merged: bool,
    head: Branch,
    base: Branch,
}

#[derive(Debug, Deserialize)]
struct Branch {
    #[serde(rename = "ref")]
    name: String,
    sha: String,
    repo: Option<Repository>,
}

/// A pull-request event; `synchronize` is the action name the provider
/// uses for new commits on the branch (GitHub `synchronize`, Gitea
/// `synchronized`).
pub(super) fn pull_request(
    event: &str,
    p: PullRequestPayload,
    synchronize: &str,
) -> Result<WebhookEvent, WebhookError> {
    let action = match p.action.as_str() {
        "opened" => PullRequestAction::Opened,
        sync if sync == synchronize => PullRequestAction::Synchronize,
        "reopened" => PullRequestAction::Reopened,
        "closed" if p.pull_request.merged => PullRequestAction::Merged,
        "closed" => PullRequestAction::Closed,
        other => {
            return Ok(payload::ignored(
                &format!("{event}:{other}"),
                "the pull request's code did not change",
            ));
        }
    };
    let pr = p.pull_request;
    Ok(WebhookEvent::PullRequest(PullRequestEvent {
        number: p.number,
        action,
        head_branch: payload::ref_name(event, &pr.head.name)?,
        head_sha: payload::commit_id(event, "head sha", &pr.head.sha)?,
        base_branch: payload::ref_name(event, &pr.base.name)?,
        repository: p.repository.to_ref(),
        head_repository: pr.head.repo.as_ref().map(Repository::to_ref),
    }))
}
