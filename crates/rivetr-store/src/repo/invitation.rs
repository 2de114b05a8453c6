//! `InvitationRepo` on SQL (token hashes only).
//!
//! Creating and accepting lock the team's row like every member change
//! (see `identity.rs`); accepting reads the invitation again once it holds
//! the lock, so of two acceptances of one token, the second finds nothing,
//! and deletes it before adding the member, so an acceptance and a
//! revocation racing each other never both succeed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, Result};
use rivetr_core::id::{InvitationId, TeamId, UserId};
use rivetr_core::input::Email;
use rivetr_core::model::{Action, Invitation, Membership, NewInvitation, Role};
use rivetr_core::store::InvitationRepo;
use rivetr_core::store::contract::{self, MAX_NAME};
use sea_orm::sea_query::{Expr, Func, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

use super::authorize;
use super::identity::{locked_team, membership, team_id};
use super::project::named_conflict;
use crate::SqlStore;
use crate::codec::{self, enum_text, parse_enum, parse_text, uuid_of};
use crate::entity::{invitations, memberships, teams, users};
use crate::error::DbContext;

fn invitation_of(row: &invitations::Model) -> Result<Invitation> {
    Ok(Invitation {
        id: InvitationId::from_uuid(row.id),
        team_id: TeamId::from_uuid(row.team_id),
        email: parse_text(&row.email, "invitation e-mail")?,
        role: parse_enum(&row.role, "invitation role")?,
        invited_by: UserId::from_uuid(row.invited_by),
        expires_at: row.expires_at,
        created_at: row.created_at,
    })
}

/// The invitation's address equals `email`, without regard to ASCII case
/// (the only case an [`Email`] can carry).
fn same_address(email: &Email) -> SimpleExpr {
    Expr::expr(Func::lower(Expr::col((
        invitations::Entity,
        invitations::Column::Email,
    ))))
    .eq(email.as_str().to_ascii_lowercase())
}

async fn user_exists(db: &impl ConnectionTrait, user: UserId, doing: &str) -> Result<bool> {
    let n = users::Entity::find_by_id(uuid_of(user))
        .count(db)
        .await
        .during(doing)?;
    Ok(n > 0)
}

#[async_trait]
impl InvitationRepo for SqlStore {
    async fn create_invitation(&self, scope: &Scope, new: NewInvitation) -> Result<Invitation> {
        const DOING: &str = "sending an invitation";
        contract::line("an invitation token hash", &new.token_hash, MAX_NAME)?;
        let now = codec::now();
        let expires_at = codec::micros(new.expires_at);
        if expires_at <= now {
            return Err(Error::invalid_input(
                "an invitation must expire in the future",
            ));
        }
        let team = new.team_id;
        let txn = self.db().write.begin().await.during(DOING)?;
        let row = locked_team(&txn, team).await?;
        authorize(scope, row, team_id, Action::ManageMembers, || {
            format!("team {team}")
        })?;
        if new.role == Role::Owner {
            scope.check(team, Action::ManageTeam)?;
        }
        if !scope.is_system() && scope.user() != Some(new.invited_by) {
            return Err(Error::permission_denied(
                "invitations are sent in the sender's own name",
            ));
        }
        if !user_exists(&txn, new.invited_by, DOING).await? {
            return Err(Error::not_found(format!("user {}", new.invited_by)));
        }
        // Inviting an address again replaces its earlier invitation (the
        // transaction rolls this back if the insert is refused).
        invitations::Entity::delete_many()
            .filter(invitations::Column::TeamId.eq(uuid_of(team)))
            .filter(same_address(&new.email))
            .exec(&txn)
            .await
            .during(DOING)?;
        let invitation = Invitation {
            id: InvitationId::new(),
            team_id: team,
            email: new.email,
            role: new.role,
            invited_by: new.invited_by,
            expires_at,
            created_at: now,
        };
        invitations::Entity::insert(invitations::ActiveModel {
            id: Set(uuid_of(invitation.id)),
            team_id: Set(uuid_of(team)),
            email: Set(invitation.email.as_str().to_owned()),
            role: Set(enum_text(&invitation.role)?),
            invited_by: Set(uuid_of(invitation.invited_by)),
            token_hash: Set(new.token_hash),
            expires_at: Set(invitation.expires_at),
            created_at: Set(invitation.created_at),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(|e| {
            named_conflict(e, DOING, || {
                "an invitation with this token already exists".to_owned()
            })
        })?;
        txn.commit().await.during(DOING)?;
        Ok(invitation)
    }

    async fn list_invitations(&self, scope: &Scope, team: TeamId) -> Result<Vec<Invitation>> {
        const DOING: &str = "listing invitations";
        let db = &self.db().read;
        let row = teams::Entity::find_by_id(uuid_of(team))
            .one(db)
            .await
            .during(DOING)?;
        authorize(scope, row, team_id, Action::ManageMembers, || {
            format!("team {team}")
        })?;
        invitations::Entity::find()
            .filter(invitations::Column::TeamId.eq(uuid_of(team)))
            .order_by_asc(invitations::Column::CreatedAt)
            .order_by_asc(invitations::Column::Id)
            .all(db)
            .await
            .during(DOING)?
            .iter()
            .map(invitation_of)
            .collect()
    }

    async fn revoke_invitation(&self, scope: &Scope, id: InvitationId) -> Result<()> {
        const DOING: &str = "revoking an invitation";
        let db = &self.db().write;
        let row = invitations::Entity::find_by_id(uuid_of(id))
            .one(db)
            .await
            .during(DOING)?;
        let row = authorize(
            scope,
            row,
            |i| TeamId::from_uuid(i.team_id),
            Action::ManageMembers,
            || format!("invitation {id}"),
        )?;
        let deleted = invitations::Entity::delete_by_id(row.id)
            .exec(db)
            .await
            .during(DOING)?;
        if deleted.rows_affected == 0 {
            return Err(Error::not_found(format!("invitation {id}")));
        }
        Ok(())
    }

    async fn accept_invitation(
        &self,
        scope: &Scope,
        token_hash: &str,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Membership> {
        const DOING: &str = "accepting an invitation";
        scope.require_system("accept invitations on someone's behalf")?;
        let txn = self.db().write.begin().await.during(DOING)?;
        let find =
            || invitations::Entity::find().filter(invitations::Column::TokenHash.eq(token_hash));
        let Some(first) = find().one(&txn).await.during(DOING)? else {
            return Err(Error::not_found("no such invitation"));
        };
        // Lock the team, then read the invitation again: an acceptance
        // that committed meanwhile has deleted it.
        locked_team(&txn, TeamId::from_uuid(first.team_id)).await?;
        let Some(row) = find().one(&txn).await.during(DOING)? else {
            return Err(Error::not_found("no such invitation"));
        };
        let invitation = invitation_of(&row)?;
        let Some(account) = users::Entity::find_by_id(uuid_of(user))
            .one(&txn)
            .await
            .during(DOING)?
        else {
            return Err(Error::not_found(format!("user {user}")));
        };
        if invitation.expires_at <= now {
            return Err(Error::invalid_input(format!(
                "this invitation expired at {}",
                invitation.expires_at
            )));
        }
        if !account
            .email
            .eq_ignore_ascii_case(invitation.email.as_str())
        {
            return Err(Error::permission_denied(
                "this invitation was sent to another e-mail address",
            ));
        }
        let team = invitation.team_id;
        if membership(&txn, team, user).await?.is_some() {
            return Err(Error::conflict(format!(
                "user {user} is already a member of this team"
            )));
        }
        // Deleted first: of an acceptance and a revocation racing, the one
        // that deletes second finds nothing (PostgreSQL makes it wait for
        // the first to end).
        let deleted = invitations::Entity::delete_by_id(uuid_of(invitation.id))
            .exec(&txn)
            .await
            .during(DOING)?;
        if deleted.rows_affected == 0 {
            return Err(Error::not_found("no such invitation"));
        }
        let joined = Membership {
            team_id: team,
            user_id: user,
            role: invitation.role,
            joined_at: codec::now(),
        };
        memberships::Entity::insert(memberships::ActiveModel {
            team_id: Set(uuid_of(team)),
            user_id: Set(uuid_of(user)),
            role: Set(enum_text(&joined.role)?),
            joined_at: Set(joined.joined_at),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(|e| {
            named_conflict(e, DOING, || {
                format!("user {user} is already a member of this team")
            })
        })?;
        txn.commit().await.during(DOING)?;
        Ok(joined)
    }
}
