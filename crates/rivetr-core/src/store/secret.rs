//! Teams' sealed credentials.

use async_trait::async_trait;

use crate::access::Scope;
use crate::error::Result;
use crate::id::CredentialId;
use crate::model::{Credential, NewCredential};

/// Credentials a team keeps for its apps (registry passwords, deploy keys,
/// git tokens), sealed at rest. A value is returned only to a scope that may
/// `RevealSecrets` and to the system scope; everyone else gets `value: None`.
#[async_trait]
pub trait SecretRepo {
    /// Store a credential, replacing the kind and value of the team's
    /// credential with the same name; returns it as the caller may see it.
    ///
    /// # Behavior
    /// - Needs `ManageApps` in `new.team_id`. Unknown or invisible team:
    ///   `NotFound`.
    /// - Replacing keeps `id` and `created_at` and moves `updated_at`.
    async fn put_credential(&self, scope: &Scope, new: NewCredential) -> Result<Credential>;

    /// Credentials visible to the scope (the system: every team's),
    /// ordered by creation.
    ///
    /// # Behavior
    /// - Values hidden as described on the trait.
    async fn list_credentials(&self, scope: &Scope) -> Result<Vec<Credential>>;

    /// One credential.
    ///
    /// # Behavior
    /// - Unknown or invisible: `NotFound`. Value hidden as described on the
    ///   trait.
    async fn get_credential(&self, scope: &Scope, id: CredentialId) -> Result<Credential>;

    /// Delete a credential.
    ///
    /// # Behavior
    /// - Needs `ManageApps`. Unknown or invisible: `NotFound`.
    async fn delete_credential(&self, scope: &Scope, id: CredentialId) -> Result<()>;
}
