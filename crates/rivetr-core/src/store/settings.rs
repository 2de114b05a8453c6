//! Instance settings.

use async_trait::async_trait;

use crate::access::Scope;
use crate::error::Result;
use crate::model::SettingKey;

/// Instance-wide settings: a key-value table of JSON values. Every method
/// is for the platform only (an API exposes settings to instance admins
/// itself): member scopes get `PermissionDenied`.
#[async_trait]
pub trait SettingsRepo {
    /// The value of `key`.
    ///
    /// # Behavior
    /// - System scope only. `Ok(None)` when the key is not set.
    async fn get_setting(
        &self,
        scope: &Scope,
        key: &SettingKey,
    ) -> Result<Option<serde_json::Value>>;

    /// Set `key` to `value`, replacing any previous value.
    ///
    /// # Behavior
    /// - System scope only.
    async fn put_setting(
        &self,
        scope: &Scope,
        key: &SettingKey,
        value: serde_json::Value,
    ) -> Result<()>;

    /// Every setting, ordered by key.
    ///
    /// # Behavior
    /// - System scope only.
    async fn list_settings(&self, scope: &Scope) -> Result<Vec<(SettingKey, serde_json::Value)>>;

    /// Remove `key`.
    ///
    /// # Behavior
    /// - System scope only. Not set: `NotFound`.
    async fn delete_setting(&self, scope: &Scope, key: &SettingKey) -> Result<()>;
}
