//! Git provider webhooks: verify a delivery, then parse it into one
//! provider-neutral [`WebhookEvent`].
//!
//! This module is the pure core: no I/O, no state. The HTTP route
//! (`/api/v1/hooks/<provider>/<hook>`, in `crate::api`) hands it the request's headers, raw
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
mod provider;
mod repo_key;
mod signature;
mod watch_paths;

pub use error::WebhookError;
pub use event::{
    CommitSummary, PullRequestAction, PullRequestEvent, PushEvent, PushedRef, RepoRef, WebhookEvent,
};
pub use provider::{Provider, UnknownProvider};
pub use watch_paths::watch_paths_match;

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
    fn the_signature_header_is_the_one_refusals_name() {
        for provider in Provider::ALL {
            assert_eq!(
                verify_and_parse(provider, |_| None, b"{}", b"secret"),
                Err(WebhookError::MissingSignature {
                    header: provider.signature_header()
                }),
                "{provider}"
            );
        }
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
