//! Invitations to join a team.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::access::Scope;
use crate::error::Result;
use crate::id::{InvitationId, TeamId, UserId};
use crate::model::{Invitation, Membership, NewInvitation};

/// Invitations to join a team. An invitation is sent by someone who may
/// manage the team's members, and redeemed once by the invited person with
/// the token they were sent (the store keeps only a hash of it); accepting
/// it deletes it, so a token works once.
#[async_trait]
pub trait InvitationRepo {
    /// Invite someone; returns the invitation.
    ///
    /// # Behavior
    /// - Needs `ManageMembers` in `new.team_id`; inviting as `Owner` needs
    ///   `ManageTeam`. Unknown or invisible team: `NotFound`.
    /// - A member sends invitations in their own name: `invited_by` other
    ///   than the scope's user is `PermissionDenied`. The system may name
    ///   any user; an unknown `invited_by`: `NotFound`.
    /// - A `token_hash` that is empty, longer than 200 characters or holds
    ///   control characters, or an `expires_at` not in the future:
    ///   `InvalidInput`. A `token_hash` already stored: `Conflict`.
    /// - Inviting an address again (compared without regard to ASCII
    ///   case) replaces the team's earlier invitation of it, whose token
    ///   stops working.
    async fn create_invitation(&self, scope: &Scope, new: NewInvitation) -> Result<Invitation>;

    /// The team's open invitations (sent, not accepted, not revoked),
    /// expired ones included (compare `expires_at`), ordered by creation.
    ///
    /// # Behavior
    /// - Needs `ManageMembers`. Unknown or invisible team: `NotFound`.
    async fn list_invitations(&self, scope: &Scope, team: TeamId) -> Result<Vec<Invitation>>;

    /// Withdraw an invitation; its token stops working.
    ///
    /// # Behavior
    /// - Needs `ManageMembers` in its team. Unknown or invisible:
    ///   `NotFound`.
    async fn revoke_invitation(&self, scope: &Scope, id: InvitationId) -> Result<()>;

    /// Redeem the invitation whose token hashes to `token_hash` for
    /// `user` at `now`: in one step, `user` joins the team with the
    /// invitation's role and the invitation is deleted. Returns the new
    /// membership.
    ///
    /// # Behavior
    /// - System scope only (the server calls it for the signed-in user
    ///   who presents the token).
    /// - Unknown hash (never sent, revoked, already accepted, or its team
    ///   deleted): `NotFound`. Unknown user: `NotFound`.
    /// - Expired (`expires_at <= now`): `InvalidInput`.
    /// - The user's e-mail is not the invited address (compared without
    ///   regard to ASCII case): `PermissionDenied`.
    /// - The user is already a member of the team: `Conflict`, their role
    ///   unchanged.
    /// - A refused call changes nothing: the invitation stays.
    async fn accept_invitation(
        &self,
        scope: &Scope,
        token_hash: &str,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Membership>;
}
