//! `SettingsRepo` on SQL (in progress).

#![allow(unused_imports)]

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::Result;
use rivetr_core::model::SettingKey;
use rivetr_core::store::SettingsRepo;

use super::pending;
use crate::SqlStore;

#[async_trait]
impl SettingsRepo for SqlStore {
    async fn get_setting(
        &self,
        _scope: &Scope,
        _key: &SettingKey,
    ) -> Result<Option<serde_json::Value>> {
        Err(pending())
    }

    async fn put_setting(
        &self,
        _scope: &Scope,
        _key: &SettingKey,
        _value: serde_json::Value,
    ) -> Result<()> {
        Err(pending())
    }

    async fn list_settings(&self, _scope: &Scope) -> Result<Vec<(SettingKey, serde_json::Value)>> {
        Err(pending())
    }

    async fn delete_setting(&self, _scope: &Scope, _key: &SettingKey) -> Result<()> {
        Err(pending())
    }
}
