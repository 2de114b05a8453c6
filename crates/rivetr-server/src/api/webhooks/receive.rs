//! `POST /api/v1/hooks/{provider}/{hook}`: where a git host delivers.
//!
//! In order: the provider is known (else 404); the body is read up to
//! `max_webhook_bytes` (else 413); the hook's team and secret are looked
//! up; the signature (GitLab: token) is checked against that secret in
//! constant time, and only then is the body parsed and acted on. An unknown
//! hook, a team without a secret and a bad signature get the same answer
//! (401, with the message a bad or missing signature gets): an unknown
//! hook's delivery is checked against a placeholder secret and refused
//! whatever the result.

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

/// What an unknown hook's deliveries are checked against (so they get the
/// answer a real check gives). Whatever the result, they are refused.
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
    let provider = provider
        .parse::<Provider>()
        .map_err(|err| ApiError::new(StatusCode::NOT_FOUND, "not_found", err.to_string()))?;
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
    let lookup = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some((team, secret)) = find_hook(&state, &hook).await? else {
        let placeholder = verify_and_parse(provider, lookup, &body, PLACEHOLDER_SECRET);
        let err = unknown_hook(provider, placeholder);
        return Err(refused(&state, &delivery, "refused (unknown hook)", &err).await);
    };
    let event = match verify_and_parse(provider, lookup, &body, secret.expose().as_bytes()) {
        Ok(event) => event,
        Err(err) => return Err(refused(&state, &delivery, "refused", &err).await),
    };
    let (status, answer) = dispatch(&state, provider, team, &delivery, event).await?;
    Ok((status, axum::Json(answer)))
}

/// Log a refused delivery (with no app: its body cannot be trusted to name
/// one) and say how to answer it: 401 when the sender is not proven, 400
/// when a verified delivery is malformed.
async fn refused(
    state: &ApiState,
    delivery: &Delivery,
    what: &str,
    err: &WebhookError,
) -> ApiError {
    let message = format!("{what}: {err}");
    delivery
        .record(
            state.store().as_ref(),
            None,
            WebhookOutcome::Refused,
            &message,
        )
        .await;
    if err.is_unauthenticated() {
        ApiError::unauthenticated(err.to_string())
    } else {
        ApiError::bad_request(err.to_string())
    }
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

/// Why an unknown hook refuses a delivery: the placeholder check's
/// refusal (a missing or bad signature, as a real hook would answer), or,
/// should that check ever pass, a bad signature.
fn unknown_hook(provider: Provider, checked: Result<WebhookEvent, WebhookError>) -> WebhookError {
    match checked {
        Err(err) if err.is_unauthenticated() => err,
        _ => WebhookError::BadSignature {
            header: provider.signature_header(),
        },
    }
}
