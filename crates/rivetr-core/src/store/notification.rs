//! Teams' notification channels.

use async_trait::async_trait;

use crate::access::Scope;
use crate::error::Result;
use crate::id::ChannelId;
use crate::model::{NewNotificationChannel, NotificationChannel};

/// Where a team's notifications go. A channel's `config` holds
/// credentials: it is returned only to a scope that may `RevealSecrets` and
/// to the system scope; everyone else gets `config: None`.
#[async_trait]
pub trait NotificationChannelRepo {
    /// Create a channel; returns it as the caller may see it.
    ///
    /// # Behavior
    /// - Needs `ManageProjects` in `new.team_id`. Unknown or invisible
    ///   team: `NotFound`.
    /// - `config` that is not a JSON object: `InvalidInput`.
    /// - Name already used in the team: `Conflict`.
    async fn create_channel(
        &self,
        scope: &Scope,
        new: NewNotificationChannel,
    ) -> Result<NotificationChannel>;

    /// Channels visible to the scope (the system: every team's), ordered
    /// by creation.
    ///
    /// # Behavior
    /// - Needs `Read`. Config hidden as described on the trait.
    async fn list_channels(&self, scope: &Scope) -> Result<Vec<NotificationChannel>>;

    /// One channel.
    ///
    /// # Behavior
    /// - Unknown or invisible: `NotFound`. Config hidden as described on
    ///   the trait.
    async fn get_channel(&self, scope: &Scope, id: ChannelId) -> Result<NotificationChannel>;

    /// Turn a channel on or off; returns it as the caller may see it.
    ///
    /// # Behavior
    /// - Needs `ManageProjects`. Unknown or invisible: `NotFound`.
    async fn set_channel_enabled(
        &self,
        scope: &Scope,
        id: ChannelId,
        enabled: bool,
    ) -> Result<NotificationChannel>;

    /// Delete a channel.
    ///
    /// # Behavior
    /// - Needs `ManageProjects`. Unknown or invisible: `NotFound`.
    async fn delete_channel(&self, scope: &Scope, id: ChannelId) -> Result<()>;
}
