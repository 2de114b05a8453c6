//! GitHub: `X-Hub-Signature-256: sha256=<hex>` (HMAC-SHA256 of the body),
//! events `push`, `ping` and `pull_request` in `X-GitHub-Event`.

use serde::Deserialize;

use super::github_style::{Repository, pull_request};
use super::payload::{self, Commit, Headers, PushFields};
use super::{WebhookError, WebhookEvent, signature};

const SIGNATURE: &str = "X-Hub-Signature-256";
const EVENT: &str = "X-GitHub-Event";
/// GitHub lists at most this many commits in a push.
const MAX_LISTED_COMMITS: usize = 2048;

/// Verifies a GitHub delivery and parses it.
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
    match event {
        "ping" => Ok(WebhookEvent::Ping),
        "push" => push(event, payload::json(event, body)?),
        "pull_request" => pull_request(event, payload::json(event, body)?, "synchronize"),
        _ => Ok(payload::ignored(
            event,
            "Rivetr acts on push, ping and pull_request events",
        )),
    }
}

#[derive(Debug, Deserialize)]
struct Push {
    #[serde(rename = "ref")]
    full_ref: String,
    before: String,
    after: String,
    #[serde(default)]
    forced: bool,
    repository: Repository,
    #[serde(default)]
    commits: Vec<Commit>,
    head_commit: Option<Commit>,
    pusher: Option<Pusher>,
}

#[derive(Debug, Deserialize)]
struct Pusher {
    #[serde(default)]
    name: String,
}

fn push(event: &str, p: Push) -> Result<WebhookEvent, WebhookError> {
    payload::push_event(PushFields {
        event,
        full_ref: &p.full_ref,
        before: &p.before,
        after: &p.after,
        repository: p.repository.to_ref(),
        commits: &p.commits,
        head_commit: p.head_commit.as_ref(),
        all_commits_listed: p.commits.len() < MAX_LISTED_COMMITS,
        forced: p.forced,
        pusher: p.pusher.map(|p| p.name).unwrap_or_default(),
    })
}
