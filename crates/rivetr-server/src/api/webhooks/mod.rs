//! Git provider webhooks over HTTP: the endpoint a git host delivers to,
//! the team's hook URLs and secret, and each app's delivery log. The
//! verification and parsing are [`crate::webhooks`]'s; this module adds
//! the lookup of the team, the deploys and the log (`docs/webhooks.md`).
//!
//! | route | permission |
//! | --- | --- |
//! | `POST /api/v1/hooks/{provider}/{hook}` | public: the signature (GitLab: token) made with the team's secret is the proof |
//! | `GET /api/v1/webhooks` | `read` (the URLs, and whether a secret is set; never the secret) |
//! | `POST /api/v1/webhooks` | `manage_apps` (sets or rotates the secret, shown once) |
//! | `GET /api/v1/apps/{app}/webhook-deliveries` | `read` |
//!
//! Each team has one hook: its id is the team's id, its secret a sealed
//! credential of the team. A delivery names the hook in its URL; the
//! signature is checked with that team's secret before the body is parsed,
//! and only that team's apps are deployed.

mod body;
mod deliveries;
mod dispatch;
mod manage;
mod push;
mod receive;
mod secret;

use rivetr_core::model::WebhookProvider;
use utoipa_axum::router::OpenApiRouter;

use super::ApiState;
use crate::webhooks::Provider;

/// This module's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .merge(receive::routes())
        .merge(manage::routes())
        .merge(deliveries::routes())
}

/// The delivery log's name for `provider`.
fn logged_provider(provider: Provider) -> WebhookProvider {
    match provider {
        Provider::Github => WebhookProvider::Github,
        Provider::Gitlab => WebhookProvider::Gitlab,
        Provider::Gitea => WebhookProvider::Gitea,
        Provider::Bitbucket => WebhookProvider::Bitbucket,
    }
}
