//! `TeamRepo` and `UserRepo` on SQL.
//!
//! Every change to a team's members (and to its tokens, see `token.rs`)
//! first locks the team's row inside its transaction ([`locked_team`]), so
//! two concurrent changes of one team are decided one after the other:
//! "is this the last owner?" and "is this user still a member?" are never
//! answered from a state another transaction is about to change. On SQLite
//! the single writer connection already runs write transactions one at a
//! time.

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, Result};
use rivetr_core::id::{TeamId, UserId};
use rivetr_core::input::{DisplayName, Email};
use rivetr_core::model::{Action, Membership, NewUser, Role, Team, User};
use rivetr_core::store::{TeamRepo, UserRepo};
use sea_orm::sea_query::{Expr, Func, LockType, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::{authorize, team_filter};
use crate::SqlStore;
use crate::codec::{self, enum_text, parse_enum, parse_text, uuid_of};
use crate::entity::{api_tokens, memberships, teams, users};
use crate::error::DbContext;

#[async_trait]
impl TeamRepo for SqlStore {
    async fn create_team(&self, scope: &Scope, name: DisplayName, owner: UserId) -> Result<Team> {
        if !scope.is_system() && scope.user() != Some(owner) {
            return Err(Error::permission_denied(
                "you can only create a team with yourself as its owner",
            ));
        }
        let txn = self.db().write.begin().await.during("creating a team")?;
        let exists = users::Entity::find_by_id(uuid_of(owner))
            .count(&txn)
            .await
            .during("creating a team")?;
        if exists == 0 {
            return Err(Error::not_found(format!("user {owner}")));
        }
        let now = codec::now();
        let team = Team {
            id: TeamId::new(),
            name,
            created_at: now,
        };
        teams::Entity::insert(teams::ActiveModel {
            id: Set(uuid_of(team.id)),
            name: Set(team.name.as_str().to_owned()),
            created_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await
        .during("creating a team")?;
        insert_membership(
            &txn,
            &Membership {
                team_id: team.id,
                user_id: owner,
                role: Role::Owner,
                joined_at: now,
            },
        )
        .await?;
        txn.commit().await.during("creating a team")?;
        Ok(team)
    }

    async fn get_team(&self, scope: &Scope, id: TeamId) -> Result<Team> {
        let row = teams::Entity::find_by_id(uuid_of(id))
            .one(&self.db().read)
            .await
            .during("reading a team")?;
        let row = authorize(scope, row, team_id, Action::Read, || format!("team {id}"))?;
        team_of(&row)
    }

    async fn list_teams(&self, scope: &Scope) -> Result<Vec<Team>> {
        let mut query = teams::Entity::find();
        if let Some(team) = team_filter(scope) {
            query = query.filter(teams::Column::Id.eq(team));
        }
        query
            .order_by_asc(teams::Column::CreatedAt)
            .order_by_asc(teams::Column::Id)
            .all(&self.db().read)
            .await
            .during("listing teams")?
            .iter()
            .map(team_of)
            .collect()
    }

    async fn teams_of_user(&self, scope: &Scope, user: UserId) -> Result<Vec<(Team, Role)>> {
        if !scope.is_system() && scope.user() != Some(user) {
            return Err(Error::permission_denied("you can only list your own teams"));
        }
        let rows = memberships::Entity::find()
            .select_also(teams::Entity)
            .join(JoinType::InnerJoin, membership_team())
            .filter(memberships::Column::UserId.eq(uuid_of(user)))
            .order_by_asc(memberships::Column::JoinedAt)
            .order_by_asc(memberships::Column::TeamId)
            .all(&self.db().read)
            .await
            .during("listing a user's teams")?;
        rows.into_iter()
            .filter_map(|(membership, team)| Some((team?, membership)))
            .map(|(team, membership)| Ok((team_of(&team)?, role_of_row(&membership.role)?)))
            .collect()
    }

    async fn set_member(
        &self,
        scope: &Scope,
        team: TeamId,
        user: UserId,
        role: Role,
    ) -> Result<Membership> {
        const DOING: &str = "setting a member's role";
        let txn = self.db().write.begin().await.during(DOING)?;
        let row = locked_team(&txn, team).await?;
        authorize(scope, row, team_id, Action::ManageMembers, || {
            format!("team {team}")
        })?;
        let known = users::Entity::find_by_id(uuid_of(user))
            .count(&txn)
            .await
            .during(DOING)?;
        if known == 0 {
            return Err(Error::not_found(format!("user {user}")));
        }
        let current = membership(&txn, team, user).await?;
        let current_role = current.as_ref().map(|m| m.role);
        if role == Role::Owner || current_role == Some(Role::Owner) {
            scope.check(team, Action::ManageTeam)?;
        }
        if current_role == Some(Role::Owner)
            && role != Role::Owner
            && owners(&txn, team).await? <= 1
        {
            return Err(Error::conflict(
                "the last owner of a team cannot be demoted; make someone else owner first",
            ));
        }
        let membership = match current {
            Some(mut existing) => {
                memberships::Entity::update_many()
                    .col_expr(memberships::Column::Role, Expr::value(enum_text(&role)?))
                    .filter(memberships::Column::TeamId.eq(uuid_of(team)))
                    .filter(memberships::Column::UserId.eq(uuid_of(user)))
                    .exec(&txn)
                    .await
                    .during(DOING)?;
                existing.role = role;
                existing
            }
            None => {
                let membership = Membership {
                    team_id: team,
                    user_id: user,
                    role,
                    joined_at: codec::now(),
                };
                insert_membership(&txn, &membership).await?;
                membership
            }
        };
        txn.commit().await.during(DOING)?;
        Ok(membership)
    }

    async fn remove_member(&self, scope: &Scope, team: TeamId, user: UserId) -> Result<()> {
        const DOING: &str = "removing a member";
        let txn = self.db().write.begin().await.during(DOING)?;
        let row = locked_team(&txn, team).await?;
        authorize(scope, row, team_id, Action::ManageMembers, || {
            format!("team {team}")
        })?;
        let Some(current) = membership(&txn, team, user).await? else {
            return Err(Error::not_found(format!(
                "user {user} is not a member of this team"
            )));
        };
        if current.role == Role::Owner {
            scope.check(team, Action::ManageTeam)?;
            if owners(&txn, team).await? <= 1 {
                return Err(Error::conflict(
                    "the last owner of a team cannot be removed; make someone else owner first",
                ));
            }
        }
        memberships::Entity::delete_many()
            .filter(memberships::Column::TeamId.eq(uuid_of(team)))
            .filter(memberships::Column::UserId.eq(uuid_of(user)))
            .exec(&txn)
            .await
            .during(DOING)?;
        // A former member's tokens must not outlive their membership.
        api_tokens::Entity::delete_many()
            .filter(api_tokens::Column::TeamId.eq(uuid_of(team)))
            .filter(api_tokens::Column::UserId.eq(uuid_of(user)))
            .exec(&txn)
            .await
            .during(DOING)?;
        txn.commit().await.during(DOING)
    }

    async fn list_members(&self, scope: &Scope, team: TeamId) -> Result<Vec<Membership>> {
        let db = &self.db().read;
        let row = teams::Entity::find_by_id(uuid_of(team))
            .one(db)
            .await
            .during("listing members")?;
        authorize(scope, row, team_id, Action::Read, || format!("team {team}"))?;
        memberships::Entity::find()
            .filter(memberships::Column::TeamId.eq(uuid_of(team)))
            .order_by_asc(memberships::Column::JoinedAt)
            .order_by_asc(memberships::Column::UserId)
            .all(db)
            .await
            .during("listing members")?
            .iter()
            .map(membership_of)
            .collect()
    }

    async fn scope_for(&self, user: UserId, team: TeamId) -> Result<Scope> {
        match membership(&self.db().read, team, user).await? {
            Some(m) => Ok(Scope::member(user, team, m.role)),
            None => Err(Error::not_found(format!(
                "user {user} is not a member of team {team}"
            ))),
        }
    }

    async fn delete_team(&self, scope: &Scope, id: TeamId) -> Result<()> {
        const DOING: &str = "deleting a team";
        let txn = self.db().write.begin().await.during(DOING)?;
        let row = locked_team(&txn, id).await?;
        authorize(scope, row, team_id, Action::ManageTeam, || {
            format!("team {id}")
        })?;
        // Everything the team owns hangs off its row by cascading foreign
        // keys: memberships, tokens, projects and all below, credentials,
        // notification channels, invitations.
        teams::Entity::delete_by_id(uuid_of(id))
            .exec(&txn)
            .await
            .during(DOING)?;
        txn.commit().await.during(DOING)
    }
}

#[async_trait]
impl UserRepo for SqlStore {
    async fn create_user(&self, scope: &Scope, new: NewUser) -> Result<User> {
        const DOING: &str = "creating a user";
        scope.require_system("create users")?;
        let txn = self.db().write.begin().await.during(DOING)?;
        if self.db().backend == DatabaseBackend::Postgres {
            // The unique index on `email` compares case; two sign-ups that
            // differ only in case are kept apart by taking turns here.
            // (SQLite runs write transactions one at a time anyway.)
            txn.execute_unprepared("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
                .await
                .during(DOING)?;
        }
        if find_by_email(&txn, &new.email).await?.is_some() {
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
            created_at: codec::now(),
        };
        users::Entity::insert(users::ActiveModel {
            id: Set(uuid_of(user.id)),
            email: Set(user.email.as_str().to_owned()),
            name: Set(user.name.as_str().to_owned()),
            instance_admin: Set(user.instance_admin),
            created_at: Set(user.created_at),
        })
        .exec_without_returning(&txn)
        .await
        .during(DOING)?;
        txn.commit().await.during(DOING)?;
        Ok(user)
    }

    async fn get_user(&self, scope: &Scope, id: UserId) -> Result<User> {
        let mut query = users::Entity::find_by_id(uuid_of(id));
        // A member sees themself and the users of the team they act in.
        if scope.user() != Some(id)
            && let Some(team) = team_filter(scope)
        {
            query = query.filter(
                users::Column::Id.in_subquery(
                    Query::select()
                        .column(memberships::Column::UserId)
                        .from(memberships::Entity)
                        .and_where(memberships::Column::TeamId.eq(team))
                        .to_owned(),
                ),
            );
        }
        match query.one(&self.db().read).await.during("reading a user")? {
            Some(row) => user_of(&row),
            None => Err(Error::not_found(format!("user {id}"))),
        }
    }

    async fn find_user_by_email(&self, scope: &Scope, email: &Email) -> Result<Option<User>> {
        scope.require_system("look users up by e-mail")?;
        find_by_email(&self.db().read, email).await
    }

    async fn count_users(&self, scope: &Scope) -> Result<u64> {
        scope.require_system("count users")?;
        users::Entity::find()
            .count(&self.db().read)
            .await
            .during("counting users")
    }
}

/// The team's row, locked until the transaction `txn` ends (PostgreSQL;
/// SQLite's single writer needs no row locks).
pub(super) async fn locked_team(
    txn: &impl ConnectionTrait,
    team: TeamId,
) -> Result<Option<teams::Model>> {
    teams::Entity::find_by_id(uuid_of(team))
        .lock(LockType::NoKeyUpdate)
        .one(txn)
        .await
        .during("locking a team")
}

/// `user`'s membership of `team`, if any.
pub(super) async fn membership(
    db: &impl ConnectionTrait,
    team: TeamId,
    user: UserId,
) -> Result<Option<Membership>> {
    memberships::Entity::find_by_id((uuid_of(team), uuid_of(user)))
        .one(db)
        .await
        .during("reading a membership")?
        .as_ref()
        .map(membership_of)
        .transpose()
}

/// The team id of a team row (for [`authorize`]).
pub(super) fn team_id(row: &teams::Model) -> TeamId {
    TeamId::from_uuid(row.id)
}

/// How many owners `team` has.
async fn owners(db: &impl ConnectionTrait, team: TeamId) -> Result<u64> {
    memberships::Entity::find()
        .filter(memberships::Column::TeamId.eq(uuid_of(team)))
        .filter(memberships::Column::Role.eq(enum_text(&Role::Owner)?))
        .count(db)
        .await
        .during("counting a team's owners")
}

async fn insert_membership(db: &impl ConnectionTrait, m: &Membership) -> Result<()> {
    memberships::Entity::insert(memberships::ActiveModel {
        team_id: Set(uuid_of(m.team_id)),
        user_id: Set(uuid_of(m.user_id)),
        role: Set(enum_text(&m.role)?),
        joined_at: Set(m.joined_at),
    })
    .exec_without_returning(db)
    .await
    .during("adding a member")?;
    Ok(())
}

/// E-mail addresses are compared without regard to ASCII case (the only
/// case an [`Email`] can carry), so `Ada@example.com` cannot sign up twice.
async fn find_by_email(db: &impl ConnectionTrait, email: &Email) -> Result<Option<User>> {
    users::Entity::find()
        .filter(
            Expr::expr(Func::lower(Expr::col((
                users::Entity,
                users::Column::Email,
            ))))
            .eq(email.as_str().to_ascii_lowercase()),
        )
        .order_by_asc(users::Column::CreatedAt)
        .one(db)
        .await
        .during("looking a user up by e-mail")?
        .as_ref()
        .map(user_of)
        .transpose()
}

/// `memberships.team_id` → `teams.id`, for joins.
fn membership_team() -> sea_orm::RelationDef {
    memberships::Entity::belongs_to(teams::Entity)
        .from(memberships::Column::TeamId)
        .to(teams::Column::Id)
        .into()
}

fn team_of(row: &teams::Model) -> Result<Team> {
    Ok(Team {
        id: TeamId::from_uuid(row.id),
        name: parse_text(&row.name, "team name")?,
        created_at: row.created_at,
    })
}

fn user_of(row: &users::Model) -> Result<User> {
    Ok(User {
        id: UserId::from_uuid(row.id),
        email: parse_text(&row.email, "user e-mail")?,
        name: parse_text(&row.name, "user name")?,
        instance_admin: row.instance_admin,
        created_at: row.created_at,
    })
}

fn role_of_row(text: &str) -> Result<Role> {
    parse_enum(text, "member role")
}

fn membership_of(row: &memberships::Model) -> Result<Membership> {
    Ok(Membership {
        team_id: TeamId::from_uuid(row.team_id),
        user_id: UserId::from_uuid(row.user_id),
        role: role_of_row(&row.role)?,
        joined_at: row.joined_at,
    })
}
