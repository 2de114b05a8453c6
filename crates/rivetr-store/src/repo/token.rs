//! `TokenRepo` on SQL (hashes only).
//!
//! `create_token` locks the team's row like every member change does (see
//! `identity.rs`), so a token is never created for a member whose
//! removal (which revokes their tokens) is committing at the same time.

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, Result};
use rivetr_core::id::{TeamId, TokenId, UserId};
use rivetr_core::model::{Action, ApiToken, NewApiToken};
use rivetr_core::store::TokenRepo;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};

use super::authorize;
use super::identity::{locked_team, membership, team_id};
use super::project::named_conflict;
use crate::SqlStore;
use crate::codec::{self, enum_text, parse_enum, parse_text, uuid_of};
use crate::entity::api_tokens;
use crate::error::DbContext;

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

#[async_trait]
impl TokenRepo for SqlStore {
    async fn create_token(&self, scope: &Scope, new: NewApiToken) -> Result<ApiToken> {
        const DOING: &str = "creating a token";
        let team = new.team_id;
        let txn = self.db().write.begin().await.during(DOING)?;
        let row = locked_team(&txn, team).await?;
        authorize(scope, row, team_id, Action::Read, || format!("team {team}"))?;
        if scope.user() != Some(new.user_id) {
            scope.check(team, Action::ManageMembers)?;
        }
        let Some(owner) = membership(&txn, team, new.user_id).await? else {
            return Err(Error::invalid_input(format!(
                "user {} is not a member of this team, so cannot own a token in it",
                new.user_id
            )));
        };
        // A token must not let anyone do more than its creator may.
        if ACTIONS
            .iter()
            .any(|&a| new.scope.allows(a) && owner.role.allows(a) && !scope.allows(team, a))
        {
            return Err(Error::permission_denied(
                "a token may not allow more than its creator may do",
            ));
        }
        let token = ApiToken {
            id: TokenId::new(),
            user_id: new.user_id,
            team_id: team,
            name: new.name,
            scope: new.scope,
            token_hash: new.token_hash,
            created_at: codec::now(),
            expires_at: new.expires_at.map(codec::micros),
        };
        api_tokens::Entity::insert(api_tokens::ActiveModel {
            id: Set(uuid_of(token.id)),
            user_id: Set(uuid_of(token.user_id)),
            team_id: Set(uuid_of(token.team_id)),
            name: Set(token.name.as_str().to_owned()),
            scope: Set(enum_text(&token.scope)?),
            token_hash: Set(token.token_hash.clone()),
            created_at: Set(token.created_at),
            expires_at: Set(token.expires_at),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(|e| {
            named_conflict(e, DOING, || {
                "a token with this secret already exists".to_owned()
            })
        })?;
        txn.commit().await.during(DOING)?;
        Ok(token)
    }

    async fn find_token_by_hash(
        &self,
        scope: &Scope,
        token_hash: &str,
    ) -> Result<Option<ApiToken>> {
        scope.require_system("look tokens up by secret")?;
        api_tokens::Entity::find()
            .filter(api_tokens::Column::TokenHash.eq(token_hash))
            .one(&self.db().read)
            .await
            .during("looking a token up")?
            .map(token_of)
            .transpose()
    }

    async fn list_tokens(&self, scope: &Scope) -> Result<Vec<ApiToken>> {
        api_tokens::Entity::find()
            .filter(visible_to(scope))
            .order_by_asc(api_tokens::Column::CreatedAt)
            .order_by_asc(api_tokens::Column::Id)
            .all(&self.db().read)
            .await
            .during("listing tokens")?
            .into_iter()
            .map(token_of)
            .collect()
    }

    async fn revoke_token(&self, scope: &Scope, id: TokenId) -> Result<()> {
        // One statement: the token goes only if the scope sees it.
        let deleted = api_tokens::Entity::delete_many()
            .filter(api_tokens::Column::Id.eq(uuid_of(id)))
            .filter(visible_to(scope))
            .exec(&self.db().write)
            .await
            .during("revoking a token")?;
        if deleted.rows_affected == 0 {
            return Err(Error::not_found(format!("token {id}")));
        }
        Ok(())
    }
}

/// The tokens `scope` sees: the system sees every token; a member their
/// own in their team, and everyone's there with `ManageMembers`.
fn visible_to(scope: &Scope) -> Condition {
    let (Some(team), Some(user)) = (scope.team(), scope.user()) else {
        return Condition::all();
    };
    let mine = Condition::all().add(api_tokens::Column::TeamId.eq(uuid_of(team)));
    if scope.allows(team, Action::ManageMembers) {
        mine
    } else {
        mine.add(api_tokens::Column::UserId.eq(uuid_of(user)))
    }
}

fn token_of(row: api_tokens::Model) -> Result<ApiToken> {
    Ok(ApiToken {
        id: TokenId::from_uuid(row.id),
        user_id: UserId::from_uuid(row.user_id),
        team_id: TeamId::from_uuid(row.team_id),
        name: parse_text(&row.name, "token name")?,
        scope: parse_enum(&row.scope, "token scope")?,
        token_hash: row.token_hash,
        created_at: row.created_at,
        expires_at: row.expires_at,
    })
}
