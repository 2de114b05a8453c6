//! Where a team's notifications go.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::SecretString;
use crate::id::{ChannelId, TeamId};
use crate::input::DisplayName;

/// Which notifier delivers to a [`NotificationChannel`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// A Slack incoming webhook.
    Slack,
    /// A Discord webhook.
    Discord,
    /// A generic HTTP webhook.
    Webhook,
    /// E-mail over SMTP.
    Email,
}

impl ChannelKind {
    /// Lowercase name (`slack`, `discord`, `webhook`, `email`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slack => "slack",
            Self::Discord => "discord",
            Self::Webhook => "webhook",
            Self::Email => "email",
        }
    }
}

/// A team's notification channel, named uniquely within the team.
///
/// Its configuration holds credentials (webhook URLs, SMTP passwords), so it
/// is hidden like a secret: `None` unless the caller may
/// [reveal secrets](crate::model::Action::RevealSecrets) or is the platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationChannel {
    /// Identity.
    pub id: ChannelId,
    /// Owning team.
    pub team_id: TeamId,
    /// Name, unique per team.
    pub name: DisplayName,
    /// Which notifier delivers to it.
    pub kind: ChannelKind,
    /// The notifier's configuration, a JSON object; `None` when hidden.
    pub config: Option<SecretString>,
    /// Whether notifications are sent to it.
    pub enabled: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// What it takes to create a [`NotificationChannel`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNotificationChannel {
    /// Owning team.
    pub team_id: TeamId,
    /// Name, unique per team.
    pub name: DisplayName,
    /// Which notifier delivers to it.
    pub kind: ChannelKind,
    /// The notifier's configuration: a JSON object (anything else is
    /// `InvalidInput`).
    pub config: SecretString,
    /// Whether notifications are sent to it.
    pub enabled: bool,
}
