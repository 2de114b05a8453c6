//! Gitea and Forgejo: `X-Gitea-Signature` (hex HMAC-SHA256 of the body),
//! events `push` and `pull_request` in `X-Gitea-Event`. Forgejo sends the same
//! headers, and its own `X-Forgejo-*` ones, which are read when the Gitea ones
//! are absent.

use serde::Deserialize;

use super::github_style::{Repository, pull_request};
use super::payload::{self, Commit, Headers, PushFields};
use super::{WebhookError, WebhookEvent, signature};

const SIGNATURE: &str = "X-Gitea-Signature";
const FORGEJO_SIGNATURE: &str = "X-Forgejo-Signature";
const EVENT: &str = "X-Gitea-Event";
const FORGEJO_EVENT: &str = "X-Forgejo-Event";

/// Verifies a Gitea or Forgejo delivery and parses it.
pub(super) fn verify_and_parse(
    headers: Headers<'_, '_>,
    body: &[u8],
    secret: &[u8],
) -> Result<WebhookEvent, WebhookError> {
    let sig = payload::header(headers, &[SIGNATURE, FORGEJO_SIGNATURE])
        .ok_or(WebhookError::MissingSignature { header: SIGNATURE })?;
    signature::verify_hmac_sha256_hex(SIGNATURE, sig, body, secret)?;
    let event = payload::event_name(headers, &[EVENT, FORGEJO_EVENT])?;
    parse(event, body)
}

fn parse(event: &str, body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    match event {
        "push" => push(event, payload::json(event, body)?),
        "pull_request" | "pull_request_sync" => {
            pull_request(event, payload::json(event, body)?, "synchronized")
        }
        _ => Ok(payload::ignored(
            event,
            "Rivetr acts on push and pull_request events",
        )),
    }
}

#[derive(Debug, Deserialize)]
struct Push {
    #[serde(rename = "ref")]
    full_ref: String,
    before: String,
    after: String,
    repository: Repository,
    #[serde(default)]
    commits: Vec<Commit>,
    total_commits: Option<u64>,
    head_commit: Option<Commit>,
    pusher: Option<User>,
}

#[derive(Debug, Deserialize)]
struct User {
    login: Option<String>,
    username: Option<String>,
}

fn push(event: &str, p: Push) -> Result<WebhookEvent, WebhookError> {
    // Gitea lists a limited number of commits and says how many there were.
    let listed = u64::try_from(p.commits.len()).unwrap_or(u64::MAX);
    payload::push_event(PushFields {
        event,
        full_ref: &p.full_ref,
        before: &p.before,
        after: &p.after,
        repository: p.repository.to_ref(),
        commits: &p.commits,
        head_commit: p.head_commit.as_ref(),
        all_commits_listed: p.total_commits.is_none_or(|total| listed >= total),
        forced: false,
        pusher: p
            .pusher
            .and_then(|u| u.login.or(u.username))
            .unwrap_or_default(),
    })
}
