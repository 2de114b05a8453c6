//! Invitations to join a team.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStore;
use super::platform::check_line;
use crate::access::Scope;
use crate::error::{Error, Result};
use crate::id::{InvitationId, TeamId, UserId};
use crate::model::{Action, Invitation, Membership, NewInvitation, Role};
use crate::store::InvitationRepo;
use crate::store::contract::MAX_NAME;

#[async_trait]
impl InvitationRepo for MemoryStore {
    async fn create_invitation(&self, scope: &Scope, new: NewInvitation) -> Result<Invitation> {
        check_line("an invitation token hash", &new.token_hash, MAX_NAME)?;
        let now = Utc::now();
        if new.expires_at <= now {
            return Err(Error::invalid_input(
                "an invitation must expire in the future",
            ));
        }
        let team = new.team_id;
        let mut state = self.state();
        state.team(scope, team, Action::ManageMembers)?;
        if new.role == Role::Owner {
            scope.check(team, Action::ManageTeam)?;
        }
        if !scope.is_system() && scope.user() != Some(new.invited_by) {
            return Err(Error::permission_denied(
                "invitations are sent in the sender's own name",
            ));
        }
        if state.users.get(&new.invited_by).is_none() {
            return Err(Error::not_found(format!("user {}", new.invited_by)));
        }
        let invitations = &mut state.platform.invitations;
        if invitations
            .values()
            .any(|(_, hash)| *hash == new.token_hash)
        {
            return Err(Error::conflict(
                "an invitation with this token already exists",
            ));
        }
        // Inviting an address again replaces its earlier invitation.
        invitations.retain(|(i, _)| {
            !(i.team_id == team && i.email.as_str().eq_ignore_ascii_case(new.email.as_str()))
        });
        let invitation = Invitation {
            id: InvitationId::new(),
            team_id: team,
            email: new.email,
            role: new.role,
            invited_by: new.invited_by,
            expires_at: new.expires_at,
            created_at: now,
        };
        let seq = state.next_seq();
        state
            .platform
            .invitations
            .insert(seq, invitation.id, (invitation.clone(), new.token_hash));
        Ok(invitation)
    }

    async fn list_invitations(&self, scope: &Scope, team: TeamId) -> Result<Vec<Invitation>> {
        let state = self.state();
        state.team(scope, team, Action::ManageMembers)?;
        Ok(state
            .platform
            .invitations
            .ordered(|(i, _)| i.team_id == team)
            .into_iter()
            .map(|(i, _)| i.clone())
            .collect())
    }

    async fn revoke_invitation(&self, scope: &Scope, id: InvitationId) -> Result<()> {
        let mut state = self.state();
        let team = match state.platform.invitations.get(&id) {
            Some((i, _)) if scope.sees(i.team_id) => i.team_id,
            _ => return Err(Error::not_found(format!("invitation {id}"))),
        };
        scope.check(team, Action::ManageMembers)?;
        state.platform.invitations.remove(&id);
        Ok(())
    }

    async fn accept_invitation(
        &self,
        scope: &Scope,
        token_hash: &str,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Membership> {
        scope.require_system("accept invitations on someone's behalf")?;
        let mut state = self.state();
        let Some(invitation) = state
            .platform
            .invitations
            .values()
            .find(|(_, hash)| hash == token_hash)
            .map(|(i, _)| i.clone())
        else {
            return Err(Error::not_found("no such invitation"));
        };
        let Some(email) = state.users.get(&user).map(|u| u.email.clone()) else {
            return Err(Error::not_found(format!("user {user}")));
        };
        if invitation.expires_at <= now {
            return Err(Error::invalid_input(format!(
                "this invitation expired at {}",
                invitation.expires_at
            )));
        }
        if !email
            .as_str()
            .eq_ignore_ascii_case(invitation.email.as_str())
        {
            return Err(Error::permission_denied(
                "this invitation was sent to another e-mail address",
            ));
        }
        let team = invitation.team_id;
        if state.members.get(&(team, user)).is_some() {
            return Err(Error::conflict(format!(
                "user {user} is already a member of this team"
            )));
        }
        let membership = Membership {
            team_id: team,
            user_id: user,
            role: invitation.role,
            joined_at: Utc::now(),
        };
        let seq = state.next_seq();
        state.members.insert(seq, (team, user), membership.clone());
        state.platform.invitations.remove(&invitation.id);
        Ok(membership)
    }
}
