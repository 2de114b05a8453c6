//! What a user signs in with: a password hash and a TOTP secret.

use async_trait::async_trait;

use crate::access::Scope;
use crate::error::Result;
use crate::id::UserId;
use crate::model::{PasswordHash, SecretString};

/// Users' sign-in credentials. Signing in is a server flow, so every method
/// is for the platform only: member scopes get `PermissionDenied`. An
/// unknown user is `NotFound` everywhere.
#[async_trait]
pub trait CredentialRepo {
    /// Set (or replace) the user's password hash.
    ///
    /// # Behavior
    /// - System scope only. Unknown user: `NotFound`.
    async fn set_password_hash(
        &self,
        scope: &Scope,
        user: UserId,
        hash: PasswordHash,
    ) -> Result<()>;

    /// The user's password hash; `Ok(None)` when they have no password
    /// (yet).
    ///
    /// # Behavior
    /// - System scope only. Unknown user: `NotFound`.
    async fn password_hash(&self, scope: &Scope, user: UserId) -> Result<Option<PasswordHash>>;

    /// Set the user's TOTP secret, or turn TOTP off with `None`.
    ///
    /// # Behavior
    /// - System scope only. Unknown user: `NotFound`.
    async fn set_totp_secret(
        &self,
        scope: &Scope,
        user: UserId,
        secret: Option<SecretString>,
    ) -> Result<()>;

    /// The user's TOTP secret; `Ok(None)` when TOTP is off.
    ///
    /// # Behavior
    /// - System scope only. Unknown user: `NotFound`.
    async fn totp_secret(&self, scope: &Scope, user: UserId) -> Result<Option<SecretString>>;
}
