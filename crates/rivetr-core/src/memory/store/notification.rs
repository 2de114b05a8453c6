//! Teams' notification channels.

use async_trait::async_trait;
use chrono::Utc;

use super::{MemoryStore, Owned, authorize};
use crate::access::Scope;
use crate::error::{Error, Result};
use crate::id::{ChannelId, TeamId};
use crate::model::{Action, NewNotificationChannel, NotificationChannel};
use crate::store::NotificationChannelRepo;

impl Owned for NotificationChannel {
    fn team(&self) -> TeamId {
        self.team_id
    }
}

/// A channel as `scope` may see it: the config only with `RevealSecrets`
/// (always for the system).
fn as_seen_by(scope: &Scope, channel: &NotificationChannel) -> NotificationChannel {
    let mut channel = channel.clone();
    if !scope.allows(channel.team_id, Action::RevealSecrets) {
        channel.config = None;
    }
    channel
}

#[async_trait]
impl NotificationChannelRepo for MemoryStore {
    async fn create_channel(
        &self,
        scope: &Scope,
        new: NewNotificationChannel,
    ) -> Result<NotificationChannel> {
        let mut state = self.state();
        state.team(scope, new.team_id, Action::ManageProjects)?;
        let config: serde_json::Value = serde_json::from_str(new.config.expose())
            .map_err(|_| Error::invalid_input("a channel's config must be a JSON object"))?;
        if !config.is_object() {
            return Err(Error::invalid_input(
                "a channel's config must be a JSON object",
            ));
        }
        if state
            .platform
            .channels
            .values()
            .any(|c| c.team_id == new.team_id && c.name == new.name)
        {
            return Err(Error::conflict(format!(
                "a notification channel named \"{}\" already exists in this team",
                new.name
            )));
        }
        let channel = NotificationChannel {
            id: ChannelId::new(),
            team_id: new.team_id,
            name: new.name,
            kind: new.kind,
            config: Some(new.config),
            enabled: new.enabled,
            created_at: Utc::now(),
        };
        let seen = as_seen_by(scope, &channel);
        let seq = state.next_seq();
        state.platform.channels.insert(seq, channel.id, channel);
        Ok(seen)
    }

    async fn list_channels(&self, scope: &Scope) -> Result<Vec<NotificationChannel>> {
        let state = self.state();
        Ok(state
            .platform
            .channels
            .ordered(|c| scope.sees(c.team_id))
            .into_iter()
            .map(|c| as_seen_by(scope, c))
            .collect())
    }

    async fn get_channel(&self, scope: &Scope, id: ChannelId) -> Result<NotificationChannel> {
        let state = self.state();
        let channel = authorize(
            scope,
            state.platform.channels.get(&id),
            Action::Read,
            || format!("notification channel {id}"),
        )?;
        Ok(as_seen_by(scope, channel))
    }

    async fn set_channel_enabled(
        &self,
        scope: &Scope,
        id: ChannelId,
        enabled: bool,
    ) -> Result<NotificationChannel> {
        let mut state = self.state();
        authorize(
            scope,
            state.platform.channels.get(&id),
            Action::ManageProjects,
            || format!("notification channel {id}"),
        )?;
        let channel = state
            .platform
            .channels
            .get_mut(&id)
            .ok_or_else(|| Error::not_found(format!("notification channel {id}")))?;
        channel.enabled = enabled;
        Ok(as_seen_by(scope, channel))
    }

    async fn delete_channel(&self, scope: &Scope, id: ChannelId) -> Result<()> {
        let mut state = self.state();
        authorize(
            scope,
            state.platform.channels.get(&id),
            Action::ManageProjects,
            || format!("notification channel {id}"),
        )?;
        state.platform.channels.remove(&id);
        Ok(())
    }
}
