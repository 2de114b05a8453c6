//! `CredentialRepo` on SQL (in progress).

#![allow(unused_imports)]

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::Result;
use rivetr_core::id::UserId;
use rivetr_core::model::{PasswordHash, SecretString};
use rivetr_core::store::CredentialRepo;

use super::pending;
use crate::SqlStore;

#[async_trait]
impl CredentialRepo for SqlStore {
    async fn set_password_hash(
        &self,
        _scope: &Scope,
        _user: UserId,
        _hash: PasswordHash,
    ) -> Result<()> {
        Err(pending())
    }

    async fn password_hash(&self, _scope: &Scope, _user: UserId) -> Result<Option<PasswordHash>> {
        Err(pending())
    }

    async fn set_totp_secret(
        &self,
        _scope: &Scope,
        _user: UserId,
        _secret: Option<SecretString>,
    ) -> Result<()> {
        Err(pending())
    }

    async fn totp_secret(&self, _scope: &Scope, _user: UserId) -> Result<Option<SecretString>> {
        Err(pending())
    }
}
