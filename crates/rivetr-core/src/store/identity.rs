//! Users, teams, memberships and API tokens.

use async_trait::async_trait;

use crate::access::Scope;
use crate::error::Result;
use crate::id::{TeamId, TokenId, UserId};
use crate::input::{DisplayName, Email};
use crate::model::{ApiToken, Membership, NewApiToken, NewUser, Role, Team, User};

/// Teams and their members.
#[async_trait]
pub trait TeamRepo {
    /// Create a team with `owner` as its first member (role owner).
    ///
    /// # Behavior
    /// - Allowed for the system scope and for a member scope whose user is
    ///   `owner`; otherwise `PermissionDenied`.
    /// - Unknown `owner`: `NotFound`. Atomic: team and membership or
    ///   neither.
    async fn create_team(&self, scope: &Scope, name: DisplayName, owner: UserId) -> Result<Team>;

    /// One team.
    ///
    /// # Behavior
    /// - `NotFound` when unknown or not the scope's team.
    async fn get_team(&self, scope: &Scope, id: TeamId) -> Result<Team>;

    /// Teams visible to the scope: all for the system, the acting team for
    /// a member; ordered by creation.
    async fn list_teams(&self, scope: &Scope) -> Result<Vec<Team>>;

    /// Teams `user` belongs to, with the role in each.
    ///
    /// # Behavior
    /// - System scope, or a member scope asking about its own user;
    ///   otherwise `PermissionDenied`.
    async fn teams_of_user(&self, scope: &Scope, user: UserId) -> Result<Vec<(Team, Role)>>;

    /// Add `user` to `team` with `role`, or change their role.
    ///
    /// # Behavior
    /// - Needs `ManageMembers`; granting or taking away `Owner` needs
    ///   `ManageTeam`.
    /// - Demoting the last owner: `Conflict`.
    async fn set_member(
        &self,
        scope: &Scope,
        team: TeamId,
        user: UserId,
        role: Role,
    ) -> Result<Membership>;

    /// Remove `user` from `team`, revoking their tokens in that team.
    ///
    /// # Behavior
    /// - Needs `ManageMembers` (`ManageTeam` to remove an owner).
    /// - Removing the last owner: `Conflict`. Not a member: `NotFound`.
    async fn remove_member(&self, scope: &Scope, team: TeamId, user: UserId) -> Result<()>;

    /// The members of `team`, ordered by join time.
    async fn list_members(&self, scope: &Scope, team: TeamId) -> Result<Vec<Membership>>;

    /// The scope `user` acts in when working in `team`: how a server turns
    /// an authenticated user into a [`Scope`].
    ///
    /// # Behavior
    /// - `NotFound` when `user` is not a member of `team`.
    async fn scope_for(&self, user: UserId, team: TeamId) -> Result<Scope>;

    /// Delete a team and everything it owns.
    ///
    /// # Behavior
    /// - Needs `ManageTeam`. Unknown: `NotFound`.
    async fn delete_team(&self, scope: &Scope, id: TeamId) -> Result<()>;
}

/// People who can sign in.
#[async_trait]
pub trait UserRepo {
    /// Create a user.
    ///
    /// # Behavior
    /// - System scope only (sign-up and setup are server flows).
    /// - E-mail already used: `Conflict`.
    async fn create_user(&self, scope: &Scope, new: NewUser) -> Result<User>;

    /// One user.
    ///
    /// # Behavior
    /// - Visible to the system, to the user themself, and to members of a
    ///   team the user belongs to; otherwise `NotFound`.
    async fn get_user(&self, scope: &Scope, id: UserId) -> Result<User>;

    /// The user signing in with `email`.
    ///
    /// # Behavior
    /// - System scope only. `Ok(None)` when there is none.
    async fn find_user_by_email(&self, scope: &Scope, email: &Email) -> Result<Option<User>>;

    /// How many users exist (the server's first-run check).
    ///
    /// # Behavior
    /// - System scope only.
    async fn count_users(&self, scope: &Scope) -> Result<u64>;
}

/// API tokens (hashes only).
#[async_trait]
pub trait TokenRepo {
    /// Store a new token.
    ///
    /// # Behavior
    /// - A member may create tokens for themself in their team (needs
    ///   `Read`); `ManageMembers` to create one for someone else.
    /// - The owner must be a member of the team: else `InvalidInput`.
    /// - A token never grants more than its creator holds: when the new
    ///   token's rights (its owner's role narrowed by its scope) exceed the
    ///   caller's (role narrowed by the caller's own token scope), the
    ///   answer is `PermissionDenied`.
    /// - A hash already stored: `Conflict`.
    async fn create_token(&self, scope: &Scope, new: NewApiToken) -> Result<ApiToken>;

    /// The token whose secret hashes to `token_hash`.
    ///
    /// # Behavior
    /// - System scope only. Expired tokens are returned too (the caller
    ///   checks `expires_at`). `Ok(None)` when unknown.
    async fn find_token_by_hash(&self, scope: &Scope, token_hash: &str)
    -> Result<Option<ApiToken>>;

    /// Tokens in the scope's team: a member sees their own; with
    /// `ManageMembers`, everyone's.
    async fn list_tokens(&self, scope: &Scope) -> Result<Vec<ApiToken>>;

    /// Revoke a token.
    ///
    /// # Behavior
    /// - Its owner, or `ManageMembers`. Unknown or invisible: `NotFound`.
    async fn revoke_token(&self, scope: &Scope, id: TokenId) -> Result<()>;
}
