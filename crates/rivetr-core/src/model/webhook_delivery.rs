//! The log of webhook deliveries: what a git host sent and what came of it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{AppId, TeamId, WebhookDeliveryId};

/// The git host that sent a webhook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WebhookProvider {
    /// GitHub.
    Github,
    /// GitLab.
    Gitlab,
    /// Gitea (and Forgejo).
    Gitea,
    /// Bitbucket.
    Bitbucket,
}

impl WebhookProvider {
    /// Lowercase name (`github`, `gitlab`, `gitea`, `bitbucket`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Github => "github",
            Self::Gitlab => "gitlab",
            Self::Gitea => "gitea",
            Self::Bitbucket => "bitbucket",
        }
    }
}

/// What came of a webhook delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WebhookOutcome {
    /// It queued one or more deployments (the message says which).
    Deployed,
    /// It was valid but asked for nothing (another branch, an event that
    /// does not deploy, auto-deploy off).
    Ignored,
    /// It was refused: unknown app, bad signature, malformed body.
    Refused,
    /// It was valid but the server failed to act on it.
    Failed,
}

impl WebhookOutcome {
    /// Lowercase name (`deployed`, `ignored`, `refused`, `failed`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deployed => "deployed",
            Self::Ignored => "ignored",
            Self::Refused => "refused",
            Self::Failed => "failed",
        }
    }
}

/// One webhook delivery as it was logged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    /// Identity.
    pub id: WebhookDeliveryId,
    /// The team of the app it was for; `None` when no app matched.
    pub team_id: Option<TeamId>,
    /// The app it was for; `None` when no app matched (such deliveries are
    /// the platform's to read).
    pub app_id: Option<AppId>,
    /// Who sent it.
    pub provider: WebhookProvider,
    /// The provider's event name (`push`, `Push Hook`, `repo:push`, ...).
    pub event: String,
    /// The provider's id of the delivery (`X-GitHub-Delivery`, ...), when
    /// it sent one.
    pub delivery_id: Option<String>,
    /// What came of it.
    pub outcome: WebhookOutcome,
    /// Why, in a line for people.
    pub message: String,
    /// When the server received it.
    pub received_at: DateTime<Utc>,
}

/// What it takes to log a [`WebhookDelivery`]; the store adds the id, the
/// team (from the app) and the time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWebhookDelivery {
    /// The app it was for, if one matched.
    pub app_id: Option<AppId>,
    /// Who sent it.
    pub provider: WebhookProvider,
    /// The provider's event name.
    pub event: String,
    /// The provider's id of the delivery, if any.
    pub delivery_id: Option<String>,
    /// What came of it.
    pub outcome: WebhookOutcome,
    /// Why, in a line for people.
    pub message: String,
}
