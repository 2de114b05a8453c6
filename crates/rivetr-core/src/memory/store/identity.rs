//! Teams, members, users and API tokens.

use async_trait::async_trait;
use chrono::Utc;

use super::{MemoryStore, State};
use crate::access::Scope;
use crate::error::{Error, Result};
use crate::id::{TeamId, TokenId, UserId};
use crate::input::{DisplayName, Email};
use crate::model::{Action, ApiToken, Membership, NewApiToken, NewUser, Role, Team, User};
use crate::store::{TeamRepo, TokenRepo, UserRepo};

/// Every action, to compare what a new token could do with what its
/// creator may do.
const ACTIONS: [Action; 7] = [
    Action::Read,
    Action::Deploy,
    Action::ManageApps,
    Action::RevealSecrets,
    Action::ManageProjects,
    Action::ManageMembers,
    Action::ManageTeam,
];

impl State {
    fn owners(&self, team: TeamId) -> usize {
        self.members
            .values()
            .filter(|m| m.team_id == team && m.role == Role::Owner)
            .count()
    }

    fn role_of(&self, team: TeamId, user: UserId) -> Option<Role> {
        self.members.get(&(team, user)).map(|m| m.role)
    }
}

#[async_trait]
impl TeamRepo for MemoryStore {
    async fn create_team(&self, scope: &Scope, name: DisplayName, owner: UserId) -> Result<Team> {
        if !scope.is_system() && scope.user() != Some(owner) {
            return Err(Error::permission_denied(
                "you can only create a team with yourself as its owner",
            ));
        }
        let mut state = self.state();
        if state.users.get(&owner).is_none() {
            return Err(Error::not_found(format!("user {owner}")));
        }
        let now = Utc::now();
        let team = Team {
            id: TeamId::new(),
            name,
            created_at: now,
        };
        let seq = state.next_seq();
        state.teams.insert(seq, team.id, team.clone());
        let membership = Membership {
            team_id: team.id,
            user_id: owner,
            role: Role::Owner,
            joined_at: now,
        };
        state.members.insert(seq, (team.id, owner), membership);
        Ok(team)
    }

    async fn get_team(&self, scope: &Scope, id: TeamId) -> Result<Team> {
        self.state().team(scope, id, Action::Read).cloned()
    }

    async fn list_teams(&self, scope: &Scope) -> Result<Vec<Team>> {
        let state = self.state();
        Ok(state
            .teams
            .ordered(|t| scope.sees(t.id))
            .into_iter()
            .cloned()
            .collect())
    }

    async fn teams_of_user(&self, scope: &Scope, user: UserId) -> Result<Vec<(Team, Role)>> {
        if !scope.is_system() && scope.user() != Some(user) {
            return Err(Error::permission_denied("you can only list your own teams"));
        }
        let state = self.state();
        Ok(state
            .members
            .ordered(|m| m.user_id == user)
            .into_iter()
            .filter_map(|m| Some((state.teams.get(&m.team_id)?.clone(), m.role)))
            .collect())
    }

    async fn set_member(
        &self,
        scope: &Scope,
        team: TeamId,
        user: UserId,
        role: Role,
    ) -> Result<Membership> {
        let mut state = self.state();
        state.team(scope, team, Action::ManageMembers)?;
        if state.users.get(&user).is_none() {
            return Err(Error::not_found(format!("user {user}")));
        }
        let current = state.role_of(team, user);
        if role == Role::Owner || current == Some(Role::Owner) {
            scope.check(team, Action::ManageTeam)?;
        }
        if current == Some(Role::Owner) && role != Role::Owner && state.owners(team) <= 1 {
            return Err(Error::conflict(
                "the last owner of a team cannot be demoted; make someone else owner first",
            ));
        }
        if let Some(existing) = state.members.get_mut(&(team, user)) {
            existing.role = role;
            return Ok(existing.clone());
        }
        let membership = Membership {
            team_id: team,
            user_id: user,
            role,
            joined_at: Utc::now(),
        };
        let seq = state.next_seq();
        state.members.insert(seq, (team, user), membership.clone());
        Ok(membership)
    }

    async fn remove_member(&self, scope: &Scope, team: TeamId, user: UserId) -> Result<()> {
        let mut state = self.state();
        state.team(scope, team, Action::ManageMembers)?;
        let Some(current) = state.role_of(team, user) else {
            return Err(Error::not_found(format!(
                "user {user} is not a member of this team"
            )));
        };
        if current == Role::Owner {
            scope.check(team, Action::ManageTeam)?;
            if state.owners(team) <= 1 {
                return Err(Error::conflict(
                    "the last owner of a team cannot be removed; make someone else owner first",
                ));
            }
        }
        state.members.remove(&(team, user));
        // A former member's tokens must not outlive their membership.
        state
            .tokens
            .retain(|t| !(t.team_id == team && t.user_id == user));
        Ok(())
    }

    async fn list_members(&self, scope: &Scope, team: TeamId) -> Result<Vec<Membership>> {
        let state = self.state();
        state.team(scope, team, Action::Read)?;
        Ok(state
            .members
            .ordered(|m| m.team_id == team)
            .into_iter()
            .cloned()
            .collect())
    }

    async fn scope_for(&self, user: UserId, team: TeamId) -> Result<Scope> {
        match self.state().role_of(team, user) {
            Some(role) => Ok(Scope::member(user, team, role)),
            None => Err(Error::not_found(format!(
                "user {user} is not a member of team {team}"
            ))),
        }
    }

    async fn delete_team(&self, scope: &Scope, id: TeamId) -> Result<()> {
        let mut state = self.state();
        state.team(scope, id, Action::ManageTeam)?;
        state.delete_team_rows(id);
        Ok(())
    }
}

#[async_trait]
impl UserRepo for MemoryStore {
    async fn create_user(&self, scope: &Scope, new: NewUser) -> Result<User> {
        scope.require_system("create users")?;
        let mut state = self.state();
        if find_by_email(&state, &new.email).is_some() {
            return Err(Error::conflict(format!(
                "a user with e-mail {} already exists",
                new.email
            )));
        }
        let user = User {
            id: UserId::new(),
            email: new.email,
            name: new.name,
            instance_admin: new.instance_admin,
            created_at: Utc::now(),
        };
        let seq = state.next_seq();
        state.users.insert(seq, user.id, user.clone());
        Ok(user)
    }

    async fn get_user(&self, scope: &Scope, id: UserId) -> Result<User> {
        let state = self.state();
        let visible = scope.is_system()
            || scope.user() == Some(id)
            || scope
                .team()
                .is_some_and(|team| state.role_of(team, id).is_some());
        match state.users.get(&id) {
            Some(user) if visible => Ok(user.clone()),
            _ => Err(Error::not_found(format!("user {id}"))),
        }
    }

    async fn find_user_by_email(&self, scope: &Scope, email: &Email) -> Result<Option<User>> {
        scope.require_system("look users up by e-mail")?;
        Ok(find_by_email(&self.state(), email).cloned())
    }

    async fn count_users(&self, scope: &Scope) -> Result<u64> {
        scope.require_system("count users")?;
        Ok(self.state().users.len() as u64)
    }
}

/// E-mail addresses are compared without regard to ASCII case, so
/// `Ada@Example.com` cannot sign up twice.
fn find_by_email<'a>(state: &'a State, email: &Email) -> Option<&'a User> {
    state
        .users
        .values()
        .find(|u| u.email.as_str().eq_ignore_ascii_case(email.as_str()))
}

#[async_trait]
impl TokenRepo for MemoryStore {
    async fn create_token(&self, scope: &Scope, new: NewApiToken) -> Result<ApiToken> {
        let mut state = self.state();
        let team = new.team_id;
        state.team(scope, team, Action::Read)?;
        if scope.user() != Some(new.user_id) {
            scope.check(team, Action::ManageMembers)?;
        }
        let Some(role) = state.role_of(team, new.user_id) else {
            return Err(Error::invalid_input(format!(
                "user {} is not a member of this team, so cannot own a token in it",
                new.user_id
            )));
        };
        // A token must not let anyone do more than its creator may.
        if ACTIONS
            .iter()
            .any(|&a| new.scope.allows(a) && role.allows(a) && !scope.allows(team, a))
        {
            return Err(Error::permission_denied(
                "a token may not allow more than its creator may do",
            ));
        }
        if state
            .tokens
            .values()
            .any(|t| t.token_hash == new.token_hash)
        {
            return Err(Error::conflict("a token with this secret already exists"));
        }
        let token = ApiToken {
            id: TokenId::new(),
            user_id: new.user_id,
            team_id: team,
            name: new.name,
            scope: new.scope,
            token_hash: new.token_hash,
            created_at: Utc::now(),
            expires_at: new.expires_at,
        };
        let seq = state.next_seq();
        state.tokens.insert(seq, token.id, token.clone());
        Ok(token)
    }

    async fn find_token_by_hash(
        &self,
        scope: &Scope,
        token_hash: &str,
    ) -> Result<Option<ApiToken>> {
        scope.require_system("look tokens up by secret")?;
        let state = self.state();
        Ok(state
            .tokens
            .values()
            .find(|t| t.token_hash == token_hash)
            .cloned())
    }

    async fn list_tokens(&self, scope: &Scope) -> Result<Vec<ApiToken>> {
        let state = self.state();
        Ok(state
            .tokens
            .ordered(|t| token_visible(scope, t))
            .into_iter()
            .cloned()
            .collect())
    }

    async fn revoke_token(&self, scope: &Scope, id: TokenId) -> Result<()> {
        let mut state = self.state();
        match state.tokens.get(&id) {
            Some(token) if token_visible(scope, token) => {
                state.tokens.remove(&id);
                Ok(())
            }
            _ => Err(Error::not_found(format!("token {id}"))),
        }
    }
}

/// The system sees every token; a member sees their own in their team, and
/// everyone's with `ManageMembers`.
fn token_visible(scope: &Scope, token: &ApiToken) -> bool {
    scope.is_system()
        || (scope.sees(token.team_id)
            && (scope.user() == Some(token.user_id)
                || scope.allows(token.team_id, Action::ManageMembers)))
}
