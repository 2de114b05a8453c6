//! `SecretRepo` on SQL (in progress).

#![allow(unused_imports)]

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::Result;
use rivetr_core::id::CredentialId;
use rivetr_core::model::{Credential, NewCredential};
use rivetr_core::store::SecretRepo;

use super::pending;
use crate::SqlStore;

#[async_trait]
impl SecretRepo for SqlStore {
    async fn put_credential(&self, _scope: &Scope, _new: NewCredential) -> Result<Credential> {
        Err(pending())
    }

    async fn list_credentials(&self, _scope: &Scope) -> Result<Vec<Credential>> {
        Err(pending())
    }

    async fn get_credential(&self, _scope: &Scope, _id: CredentialId) -> Result<Credential> {
        Err(pending())
    }

    async fn delete_credential(&self, _scope: &Scope, _id: CredentialId) -> Result<()> {
        Err(pending())
    }
}
