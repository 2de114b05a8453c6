//! An app's configuration records: env vars, domains, volumes.

use async_trait::async_trait;

use crate::access::Scope;
use crate::error::Result;
use crate::id::{AppId, DomainId, VolumeId};
use crate::input::EnvKey;
use crate::model::{Domain, EnvVar, NewDomain, NewEnvVar, NewVolume, Volume};

/// Environment variables.
#[async_trait]
pub trait EnvVarRepo {
    /// Insert or replace (by key) an env var of an app.
    ///
    /// # Behavior
    /// - Needs `ManageApps`. Returns the stored var as the caller may see it.
    async fn set_env_var(&self, scope: &Scope, new: NewEnvVar) -> Result<EnvVar>;

    /// An app's env vars, ordered by key.
    ///
    /// # Behavior
    /// - Secret values are `None` unless the scope may `RevealSecrets`.
    async fn list_env_vars(&self, scope: &Scope, app: AppId) -> Result<Vec<EnvVar>>;

    /// Delete an env var by key.
    ///
    /// # Behavior
    /// - Needs `ManageApps`. Unknown key: `NotFound`.
    async fn delete_env_var(&self, scope: &Scope, app: AppId, key: &EnvKey) -> Result<()>;
}

/// Domains.
#[async_trait]
pub trait DomainRepo {
    /// Attach a domain to an app.
    ///
    /// # Behavior
    /// - Needs `ManageApps`. Host already attached anywhere on the
    ///   instance: `Conflict`.
    async fn add_domain(&self, scope: &Scope, new: NewDomain) -> Result<Domain>;

    /// Domains of one app, or all visible ones when `app` is `None`; ordered
    /// by creation.
    async fn list_domains(&self, scope: &Scope, app: Option<AppId>) -> Result<Vec<Domain>>;

    /// Detach a domain.
    ///
    /// # Behavior
    /// - Needs `ManageApps`. Unknown: `NotFound`.
    async fn remove_domain(&self, scope: &Scope, id: DomainId) -> Result<()>;
}

/// Named volume records.
#[async_trait]
pub trait VolumeRepo {
    /// Record a named volume of an app.
    ///
    /// # Behavior
    /// - Needs `ManageApps`. Name already used on the instance: `Conflict`.
    async fn create_volume(&self, scope: &Scope, new: NewVolume) -> Result<Volume>;

    /// Volumes of one app, ordered by creation.
    async fn list_volumes(&self, scope: &Scope, app: AppId) -> Result<Vec<Volume>>;

    /// Delete a volume record.
    ///
    /// # Behavior
    /// - Needs `ManageApps`. Unknown: `NotFound`.
    async fn delete_volume(&self, scope: &Scope, id: VolumeId) -> Result<()>;
}
