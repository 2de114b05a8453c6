//! `NotificationChannelRepo` on SQL (in progress).

#![allow(unused_imports)]

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::Result;
use rivetr_core::id::ChannelId;
use rivetr_core::model::{NewNotificationChannel, NotificationChannel};
use rivetr_core::store::NotificationChannelRepo;

use super::pending;
use crate::SqlStore;

#[async_trait]
impl NotificationChannelRepo for SqlStore {
    async fn create_channel(
        &self,
        _scope: &Scope,
        _new: NewNotificationChannel,
    ) -> Result<NotificationChannel> {
        Err(pending())
    }

    async fn list_channels(&self, _scope: &Scope) -> Result<Vec<NotificationChannel>> {
        Err(pending())
    }

    async fn get_channel(&self, _scope: &Scope, _id: ChannelId) -> Result<NotificationChannel> {
        Err(pending())
    }

    async fn set_channel_enabled(
        &self,
        _scope: &Scope,
        _id: ChannelId,
        _enabled: bool,
    ) -> Result<NotificationChannel> {
        Err(pending())
    }

    async fn delete_channel(&self, _scope: &Scope, _id: ChannelId) -> Result<()> {
        Err(pending())
    }
}
