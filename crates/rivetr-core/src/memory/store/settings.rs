//! Instance settings.

use async_trait::async_trait;

use super::MemoryStore;
use crate::access::Scope;
use crate::error::{Error, Result};
use crate::model::SettingKey;
use crate::store::SettingsRepo;

const DOING: &str = "read or change instance settings";

#[async_trait]
impl SettingsRepo for MemoryStore {
    async fn get_setting(
        &self,
        scope: &Scope,
        key: &SettingKey,
    ) -> Result<Option<serde_json::Value>> {
        scope.require_system(DOING)?;
        Ok(self.state().platform.settings.get(key).cloned())
    }

    async fn put_setting(
        &self,
        scope: &Scope,
        key: &SettingKey,
        value: serde_json::Value,
    ) -> Result<()> {
        scope.require_system(DOING)?;
        self.state().platform.settings.insert(key.clone(), value);
        Ok(())
    }

    async fn list_settings(&self, scope: &Scope) -> Result<Vec<(SettingKey, serde_json::Value)>> {
        scope.require_system(DOING)?;
        let state = self.state();
        Ok(state
            .platform
            .settings
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    async fn delete_setting(&self, scope: &Scope, key: &SettingKey) -> Result<()> {
        scope.require_system(DOING)?;
        match self.state().platform.settings.remove(key) {
            Some(_) => Ok(()),
            None => Err(Error::not_found(format!("setting {key}"))),
        }
    }
}
