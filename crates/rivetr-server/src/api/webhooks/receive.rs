//! `POST /api/v1/hooks/{provider}/{hook}`: where a git host delivers.
//!
//! In order: the provider is known (else 404); the body is read up to
//! `max_webhook_bytes` (else 413); the hook's team and secret are looked
//! up; the signature (GitLab: token) is checked against that secret in
//! constant time, and only then is the body parsed and acted on. An unknown
//! hook, a team without a secret and a bad signature get the same answer
//! (401, with the same message as a bad signature would get): the
//! delivery is checked against a placeholder secret, so even the time
//! taken does not tell them apart.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use rivetr_core::id::TeamId;
use rivetr_core::model::{SecretString, WebhookOutcome};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::{BodyError, read_capped};
use super::deliveries::Delivery;
use super::dispatch::{HookAnswer, dispatch};
use super::secret;
use crate::api::extract::Path;
use crate::api::{ApiError, ApiState};
use crate::webhooks::{Provider, WebhookError, WebhookEvent, verify_and_parse};

/// What an unknown hook's deliveries are checked against (so they take
/// the time a real check takes). Whatever the result, they are refused.
const PLACEHOLDER_SECRET: &[u8] = b"rivetr: no such hook; every delivery is refused";

/// This file's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(receive))
}

/// Receive a webhook delivery from a git host. Public: the signature
/// (GitLab: the token) made with the team's webhook secret proves the
/// sender. A push deploys the team's apps built from the pushed branch of
/// that repository (when it touched their watch paths); a ping is
/// answered; a pull request is recorded. Every delivery is logged.
#[utoipa::path(
    post, path = "/api/v1/hooks/{provider}/{hook}", tag = "webhooks",
    params(
        ("provider" = String, Path, description = "`github`, `gitlab`, `gitea` (or `forgejo`) or `bitbucket`"),
        ("hook" = String, Path, description = "the team's hook id, as `GET /api/v1/webhooks` shows it"),
    ),
    request_body(content = String, content_type = "application/json",
        description = "the provider's payload, exactly as it signed it"),
    security(()),
    responses(
        (status = 200, description = "a ping answered, or nothing to deploy", body = HookAnswer),
        (status = 202, description = "deployments queued, or a pull request recorded", body = HookAnswer),
        (status = 400, description = "a verified delivery without an event, or with a malformed payload"),
        (status = 401, description = "unknown hook, no secret set, or a signature that does not match"),
        (status = 404, description = "unknown provider"),
        (status = 413, description = "the body is larger than the server accepts"),
        (status = 500, description = "every deploy the push asked for failed"),
    )
)]
async fn receive(
    State(state): State<ApiState>,
    Path((provider, hook)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, axum::Json<HookAnswer>), ApiError> {
    let provider: Provider =
        provider
            .parse()
            .map_err(|err: crate::webhooks::UnknownProvider| {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", err.to_string())
            })?;
    let delivery = Delivery::new(provider, &headers);
    let store = state.store().as_ref();
    let body = match read_capped(&headers, body, state.settings().max_webhook_bytes).await {
        Ok(body) => body,
        Err(err) => {
            if let BodyError::TooLarge { limit } = err {
                let message = format!("refused: the body is larger than {limit} bytes");
                delivery
                    .record(store, None, WebhookOutcome::Refused, &message)
                    .await;
            }
            return Err(err.into_api_error());
        }
    };
    let (team, secret) = match find_hook(&state, &hook).await? {
        Some((team, secret)) => (Some(team), secret),
        None => (None, SecretString::new("")),
    };
    let lookup = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let verified = match team {
        Some(_) => verify_and_parse(provider, lookup, &body, secret.expose().as_bytes()),
        None => refuse(
            provider,
            verify_and_parse(provider, lookup, &body, PLACEHOLDER_SECRET),
        ),
    };
    let event = match verified {
        Ok(event) => event,
        Err(err) => {
            let about = if team.is_some() {
                ""
            } else {
                " (unknown hook)"
            };
            let message = format!("refused{about}: {err}");
            delivery
                .record(store, None, WebhookOutcome::Refused, &message)
                .await;
            return Err(if err.is_unauthenticated() {
                ApiError::unauthenticated(err.to_string())
            } else {
                ApiError::bad_request(err.to_string())
            });
        }
    };
    let Some(team) = team else {
        return Err(ApiError::unauthenticated(
            unknown_hook(provider).to_string(),
        ));
    };
    let (status, answer) = dispatch(&state, provider, team, &delivery, event).await?;
    Ok((status, axum::Json(answer)))
}

/// The team the hook id names and its secret, if it has one.
async fn find_hook(
    state: &ApiState,
    hook: &str,
) -> Result<Option<(TeamId, SecretString)>, ApiError> {
    let Ok(team) = hook.parse::<TeamId>() else {
        return Ok(None);
    };
    let credential = secret::load(state.store().as_ref(), team).await?;
    Ok(credential
        .and_then(|c| c.value)
        .filter(|v| !v.expose().is_empty())
        .map(|v| (team, v)))
}

/// What an unknown hook answers: the placeholder check's refusal, or, in
/// the impossible case that it passed, a bad signature.
fn refuse(
    provider: Provider,
    checked: Result<WebhookEvent, WebhookError>,
) -> Result<WebhookEvent, WebhookError> {
    match checked {
        Err(err) if err.is_unauthenticated() => Err(err),
        _ => Err(unknown_hook(provider)),
    }
}

fn unknown_hook(provider: Provider) -> WebhookError {
    WebhookError::BadSignature {
        header: provider.signature_header(),
    }
}
