//! Bitbucket Cloud: `X-Hub-Signature: sha256=<hex>` (HMAC-SHA256 of the body,
//! sent when the webhook has a secret), events `repo:push`,
//! `pullrequest:created|updated|fulfilled|rejected` and `diagnostics:ping` in
//! `X-Event-Key`.
//!
//! Bitbucket names neither the paths a push changed (pushes have
//! `paths_known: false`) nor the repository's clone addresses (they are
//! derived from its web address), and gives pull request heads as abbreviated
//! commit ids.

use rivetr_core::input::GitRef;
use serde::Deserialize;

use super::payload::{self, Headers};
use super::{
    CommitSummary, PullRequestAction, PullRequestEvent, PushEvent, PushedRef, RepoRef,
    WebhookError, WebhookEvent, signature,
};

const SIGNATURE: &str = "X-Hub-Signature";
const EVENT: &str = "X-Event-Key";

/// Verifies a Bitbucket Cloud delivery and parses it.
pub(super) fn verify_and_parse(
    headers: Headers<'_, '_>,
    body: &[u8],
    secret: &[u8],
) -> Result<WebhookEvent, WebhookError> {
    let sig = payload::header(headers, &[SIGNATURE])
        .ok_or(WebhookError::MissingSignature { header: SIGNATURE })?;
    let hex = sig
        .strip_prefix("sha256=")
        .ok_or(WebhookError::BadSignature { header: SIGNATURE })?;
    signature::verify_hmac_sha256_hex(SIGNATURE, hex, body, secret)?;
    let event = payload::event_name(headers, &[EVENT])?;
    parse(event, body)
}

fn parse(event: &str, body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let action = match event {
        "diagnostics:ping" => return Ok(WebhookEvent::Ping),
        "repo:push" => return push(event, payload::json(event, body)?),
        "pullrequest:created" => PullRequestAction::Opened,
        "pullrequest:updated" => PullRequestAction::Synchronize,
        "pullrequest:fulfilled" => PullRequestAction::Merged,
        "pullrequest:rejected" => PullRequestAction::Closed,
        _ => {
            return Ok(payload::ignored(
                event,
                "Rivetr acts on repo:push, pull request created/updated/fulfilled/rejected \
                 and diagnostics:ping events",
            ));
        }
    };
    pull_request(event, action, payload::json(event, body)?)
}

#[derive(Debug, Deserialize)]
struct Repository {
    full_name: String,
    links: Option<Links>,
}

#[derive(Debug, Deserialize)]
struct Links {
    html: Option<Link>,
}

#[derive(Debug, Deserialize)]
struct Link {
    href: String,
}

impl Repository {
    /// The https and ssh clone addresses derived from the web address
    /// (`https://bitbucket.org/ws/repo` → `https://bitbucket.org/ws/repo.git`
    /// and `git@bitbucket.org:ws/repo.git`).
    fn to_ref(&self) -> RepoRef {
        let web = self
            .links
            .as_ref()
            .and_then(|l| l.html.as_ref())
            .map(|l| l.href.as_str());
        let https = web.map(|w| format!("{}.git", w.trim_end_matches('/')));
        let ssh = web
            .and_then(|w| w.strip_prefix("https://"))
            .and_then(|rest| rest.split('/').next())
            .map(|host| format!("git@{host}:{}.git", self.full_name));
        payload::repo_ref(&self.full_name, [https.as_deref(), ssh.as_deref()])
    }
}

#[derive(Debug, Deserialize)]
struct PushPayload {
    actor: Option<Actor>,
    repository: Repository,
    push: Push,
}

#[derive(Debug, Deserialize)]
struct Actor {
    nickname: Option<String>,
    display_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Push {
    changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
struct Change {
    new: Option<RefState>,
    old: Option<RefState>,
}

#[derive(Debug, Deserialize)]
struct RefState {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    target: Target,
}

#[derive(Debug, Deserialize)]
struct Target {
    hash: String,
    #[serde(default)]
    message: String,
    author: Option<CommitAuthor>,
}

#[derive(Debug, Deserialize)]
struct CommitAuthor {
    #[serde(default)]
    raw: String,
    user: Option<Actor>,
}

impl CommitAuthor {
    /// The user's display name, or the name part of `Name <email>`.
    fn name(&self) -> String {
        self.user
            .as_ref()
            .and_then(|u| u.display_name.clone())
            .unwrap_or_else(|| {
                self.raw
                    .split_once('<')
                    .map_or(self.raw.as_str(), |(name, _)| name)
                    .trim()
                    .to_owned()
            })
    }
}

fn push(event: &str, p: PushPayload) -> Result<WebhookEvent, WebhookError> {
    let repository = p.repository.to_ref();
    let pusher = p
        .actor
        .and_then(|a| a.nickname.or(a.display_name))
        .unwrap_or_default();
    let mut pushes = Vec::new();
    for change in &p.push.changes {
        let Some(state) = change.new.as_ref().or(change.old.as_ref()) else {
            continue;
        };
        let target = match state.kind.as_str() {
            "branch" => PushedRef::Branch(payload::ref_name(event, &state.name)?),
            "tag" => PushedRef::Tag(payload::ref_name(event, &state.name)?),
            _ => continue,
        };
        let id = |s: Option<&RefState>, field| match s {
            Some(s) => payload::commit_id(event, field, &s.target.hash),
            None => payload::zero_commit(event),
        };
        let head_commit = match &change.new {
            Some(new) => Some(CommitSummary {
                id: payload::commit_id(event, "new target hash", &new.target.hash)?,
                summary: payload::first_line(&new.target.message),
                author: new
                    .target
                    .author
                    .as_ref()
                    .map(CommitAuthor::name)
                    .unwrap_or_default(),
            }),
            None => None,
        };
        pushes.push(PushEvent {
            repository: repository.clone(),
            target,
            before: id(change.old.as_ref(), "old target hash")?,
            after: id(change.new.as_ref(), "new target hash")?,
            created: change.old.is_none(),
            deleted: change.new.is_none(),
            changed_paths: Vec::new(),
            paths_known: false,
            head_commit,
            pusher: pusher.clone(),
        });
    }
    if pushes.is_empty() {
        return Ok(payload::ignored(event, "the push updated no branch or tag"));
    }
    Ok(WebhookEvent::Push { pushes })
}

#[derive(Debug, Deserialize)]
struct PullRequestPayload {
    pullrequest: PullRequest,
    repository: Repository,
}

#[derive(Debug, Deserialize)]
struct PullRequest {
    id: u64,
    source: Endpoint,
    destination: Endpoint,
}

#[derive(Debug, Deserialize)]
struct Endpoint {
    branch: BranchName,
    commit: Option<CommitHash>,
    repository: Option<Repository>,
}

#[derive(Debug, Deserialize)]
struct BranchName {
    name: String,
}

#[derive(Debug, Deserialize)]
struct CommitHash {
    hash: String,
}

/// Bitbucket's pull request payloads abbreviate commit ids (12 digits).
fn abbreviated_commit_id(event: &str, id: &str) -> Result<GitRef, WebhookError> {
    let hex = id.len() >= 7 && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit());
    match id.parse::<GitRef>() {
        Ok(id) if hex => Ok(id),
        _ => Err(WebhookError::bad_payload(
            event,
            format!("the source commit is not a commit id: {id:?}"),
        )),
    }
}

fn pull_request(
    event: &str,
    action: PullRequestAction,
    p: PullRequestPayload,
) -> Result<WebhookEvent, WebhookError> {
    let pr = p.pullrequest;
    let head_sha = pr
        .source
        .commit
        .as_ref()
        .ok_or_else(|| WebhookError::bad_payload(event, "the source names no commit"))?;
    Ok(WebhookEvent::PullRequest(PullRequestEvent {
        number: pr.id,
        action,
        head_branch: payload::ref_name(event, &pr.source.branch.name)?,
        head_sha: abbreviated_commit_id(event, &head_sha.hash)?,
        base_branch: payload::ref_name(event, &pr.destination.branch.name)?,
        repository: p.repository.to_ref(),
        head_repository: pr.source.repository.as_ref().map(Repository::to_ref),
    }))
}
