//! `TeamRepo`, `UserRepo` on SQL (in progress).

#![allow(unused_imports)]

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::Result;
use rivetr_core::id::{TeamId, TokenId, UserId};
use rivetr_core::input::{DisplayName, Email};
use rivetr_core::model::{ApiToken, Membership, NewApiToken, NewUser, Role, Team, User};
use rivetr_core::store::{TeamRepo, UserRepo};

use super::pending;
use crate::SqlStore;

#[async_trait]
impl TeamRepo for SqlStore {
    async fn create_team(
        &self,
        _scope: &Scope,
        _name: DisplayName,
        _owner: UserId,
    ) -> Result<Team> {
        Err(pending())
    }

    async fn get_team(&self, _scope: &Scope, _id: TeamId) -> Result<Team> {
        Err(pending())
    }

    async fn list_teams(&self, _scope: &Scope) -> Result<Vec<Team>> {
        Err(pending())
    }

    async fn teams_of_user(&self, _scope: &Scope, _user: UserId) -> Result<Vec<(Team, Role)>> {
        Err(pending())
    }

    async fn set_member(
        &self,
        _scope: &Scope,
        _team: TeamId,
        _user: UserId,
        _role: Role,
    ) -> Result<Membership> {
        Err(pending())
    }

    async fn remove_member(&self, _scope: &Scope, _team: TeamId, _user: UserId) -> Result<()> {
        Err(pending())
    }

    async fn list_members(&self, _scope: &Scope, _team: TeamId) -> Result<Vec<Membership>> {
        Err(pending())
    }

    async fn scope_for(&self, _user: UserId, _team: TeamId) -> Result<Scope> {
        Err(pending())
    }

    async fn delete_team(&self, _scope: &Scope, _id: TeamId) -> Result<()> {
        Err(pending())
    }
}

#[async_trait]
impl UserRepo for SqlStore {
    async fn create_user(&self, _scope: &Scope, _new: NewUser) -> Result<User> {
        Err(pending())
    }

    async fn get_user(&self, _scope: &Scope, _id: UserId) -> Result<User> {
        Err(pending())
    }

    async fn find_user_by_email(&self, _scope: &Scope, _email: &Email) -> Result<Option<User>> {
        Err(pending())
    }

    async fn count_users(&self, _scope: &Scope) -> Result<u64> {
        Err(pending())
    }
}
