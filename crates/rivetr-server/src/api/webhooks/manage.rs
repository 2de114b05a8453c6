//! `GET|POST /api/v1/webhooks`: the caller's team's hook URLs, and its
//! secret (set or rotated by `POST`, shown only in that answer).

use axum::extract::State;
use chrono::{DateTime, Utc};
use rivetr_core::id::TeamId;
use rivetr_core::model::{AuditAction, NewAuditEntry};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::secret;
use crate::api::{ApiError, ApiState, Caller};
use crate::webhooks::Provider;

/// This file's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(show_webhooks, rotate_secret))
}

/// Where one provider delivers.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct HookUrlView {
    /// `github`, `gitlab`, `gitea` (also for Forgejo) or `bitbucket`.
    provider: String,
    /// The payload URL to enter in the provider's webhook settings:
    /// absolute when the server knows its public URL, else a path.
    url: String,
}

/// The team's webhook: its URLs, and whether a secret is set.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct WebhookSettingsView {
    /// The hook id (the team's id), the last part of every URL.
    #[schema(value_type = String, format = Uuid)]
    hook: TeamId,
    /// One URL per provider.
    urls: Vec<HookUrlView>,
    /// Whether a secret is set; without one every delivery is refused.
    secret_set: bool,
    /// When the secret was last set.
    secret_updated_at: Option<DateTime<Utc>>,
}

/// The team's webhook with its new secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct WebhookSecretView {
    /// The hook id (the team's id).
    #[schema(value_type = String, format = Uuid)]
    hook: TeamId,
    /// One URL per provider.
    urls: Vec<HookUrlView>,
    /// The secret to enter in the provider's settings (GitLab: "Secret
    /// token"). It is not shown again; the previous one no longer works.
    secret: String,
    /// When it was set.
    secret_updated_at: DateTime<Utc>,
}

fn urls(state: &ApiState, team: TeamId) -> Vec<HookUrlView> {
    let origin = state
        .auth()
        .public_origin()
        .map_or("", |o| o.trim_end_matches('/'));
    Provider::ALL
        .iter()
        .map(|p| HookUrlView {
            provider: p.as_str().to_owned(),
            url: format!("{origin}/api/v1/hooks/{p}/{team}"),
        })
        .collect()
}

/// The caller's team's webhook URLs (one per provider) and whether its
/// secret is set. The secret itself is never shown again after `POST`.
#[utoipa::path(
    get, path = "/api/v1/webhooks", tag = "webhooks",
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 200, description = "the team's webhook", body = WebhookSettingsView),
        (status = 401, description = "not signed in"),
    )
)]
async fn show_webhooks(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<axum::Json<WebhookSettingsView>, ApiError> {
    // The store decides whether the caller may read the team.
    state.store().get_team(&caller.scope, caller.team).await?;
    let credential = secret::load(state.store().as_ref(), caller.team).await?;
    Ok(axum::Json(WebhookSettingsView {
        hook: caller.team,
        urls: urls(&state, caller.team),
        secret_set: credential.is_some(),
        secret_updated_at: credential.map(|c| c.updated_at),
    }))
}

/// Set a new random secret for the caller's team's webhook, replacing the
/// previous one at once (deliveries signed with it are refused from now
/// on). The answer shows the secret; it is not shown again.
#[utoipa::path(
    post, path = "/api/v1/webhooks", tag = "webhooks",
    security(("token" = ["manage_apps"]), ("session" = ["manage_apps"])),
    responses(
        (status = 200, description = "the new secret, shown once", body = WebhookSecretView),
        (status = 401, description = "not signed in"),
        (status = 403, description = "the caller's role does not allow it"),
    )
)]
async fn rotate_secret(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<axum::Json<WebhookSecretView>, ApiError> {
    let (credential, secret) =
        secret::rotate(state.store().as_ref(), &caller.scope, caller.team).await?;
    let entry = NewAuditEntry {
        team_id: Some(caller.team),
        action: "webhook_secret.rotate".parse::<AuditAction>()?,
        target: caller.team.to_string(),
        detail: serde_json::json!({}),
    };
    if let Err(err) = state.store().record_audit(&caller.scope, entry).await {
        tracing::error!(error = %err, team = %caller.team, "recording an audit entry failed");
    }
    Ok(axum::Json(WebhookSecretView {
        hook: caller.team,
        urls: urls(&state, caller.team),
        secret: secret.expose().to_owned(),
        secret_updated_at: credential.updated_at,
    }))
}
