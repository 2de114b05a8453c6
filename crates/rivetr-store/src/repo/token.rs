//! `TokenRepo` on SQL (in progress).

#![allow(unused_imports)]

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::Result;
use rivetr_core::id::{TeamId, TokenId, UserId};
use rivetr_core::input::{DisplayName, Email};
use rivetr_core::model::{ApiToken, Membership, NewApiToken, NewUser, Role, Team, User};
use rivetr_core::store::TokenRepo;

use super::pending;
use crate::SqlStore;

#[async_trait]
impl TokenRepo for SqlStore {
    async fn create_token(&self, _scope: &Scope, _new: NewApiToken) -> Result<ApiToken> {
        Err(pending())
    }

    async fn find_token_by_hash(
        &self,
        _scope: &Scope,
        _token_hash: &str,
    ) -> Result<Option<ApiToken>> {
        Err(pending())
    }

    async fn list_tokens(&self, _scope: &Scope) -> Result<Vec<ApiToken>> {
        Err(pending())
    }

    async fn revoke_token(&self, _scope: &Scope, _id: TokenId) -> Result<()> {
        Err(pending())
    }
}
