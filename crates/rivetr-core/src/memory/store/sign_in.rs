//! Users' password hashes and TOTP secrets.

use async_trait::async_trait;

use super::{MemoryStore, State};
use crate::access::Scope;
use crate::error::{Error, Result};
use crate::id::UserId;
use crate::model::{PasswordHash, SecretString};
use crate::store::CredentialRepo;

const DOING: &str = "read or change sign-in credentials";

impl State {
    fn known_user(&self, user: UserId) -> Result<()> {
        match self.users.get(&user) {
            Some(_) => Ok(()),
            None => Err(Error::not_found(format!("user {user}"))),
        }
    }
}

#[async_trait]
impl CredentialRepo for MemoryStore {
    async fn set_password_hash(
        &self,
        scope: &Scope,
        user: UserId,
        hash: PasswordHash,
    ) -> Result<()> {
        scope.require_system(DOING)?;
        let mut state = self.state();
        state.known_user(user)?;
        state.platform.password_hashes.insert(user, hash);
        Ok(())
    }

    async fn password_hash(&self, scope: &Scope, user: UserId) -> Result<Option<PasswordHash>> {
        scope.require_system(DOING)?;
        let state = self.state();
        state.known_user(user)?;
        Ok(state.platform.password_hashes.get(&user).cloned())
    }

    async fn set_totp_secret(
        &self,
        scope: &Scope,
        user: UserId,
        secret: Option<SecretString>,
    ) -> Result<()> {
        scope.require_system(DOING)?;
        let mut state = self.state();
        state.known_user(user)?;
        match secret {
            Some(secret) => state.platform.totp_secrets.insert(user, secret),
            None => state.platform.totp_secrets.remove(&user),
        };
        Ok(())
    }

    async fn totp_secret(&self, scope: &Scope, user: UserId) -> Result<Option<SecretString>> {
        scope.require_system(DOING)?;
        let state = self.state();
        state.known_user(user)?;
        Ok(state.platform.totp_secrets.get(&user).cloned())
    }
}
