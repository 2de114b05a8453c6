//! `AuditRepo` on SQL: an append-only table ordered by its auto-increment
//! `seq`. Entries keep their team id without a foreign key, so they outlive
//! the team.

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::{Error, Result};
use rivetr_core::id::{AuditId, TeamId, UserId};
use rivetr_core::model::{Action, AuditEntry, NewAuditEntry, Page};
use rivetr_core::store::AuditRepo;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::authorize;
use super::identity::team_id;
use crate::SqlStore;
use crate::codec::{self, uuid_of};
use crate::entity::{audit_log, teams};
use crate::error::DbContext;

/// The longest audit target.
const MAX_TARGET: usize = 256;

fn entry_of(row: audit_log::Model) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: AuditId::from_uuid(row.id),
        seq: codec::to_u64(row.seq, "audit seq")?,
        team_id: row.team_id.map(TeamId::from_uuid),
        actor: row.actor.map(UserId::from_uuid),
        action: codec::parse_text(&row.action, "audit action")?,
        target: row.target,
        detail: codec::parse_json(&row.detail, "audit detail")?,
        at: row.at,
    })
}

/// Refuses text over `max` characters and control characters (empty is
/// fine).
fn check_target(target: &str) -> Result<()> {
    if target.chars().count() > MAX_TARGET {
        return Err(Error::invalid_input(format!(
            "an audit target is longer than {MAX_TARGET} characters"
        )));
    }
    if target.chars().any(char::is_control) {
        return Err(Error::invalid_input(
            "an audit target must not hold control characters",
        ));
    }
    Ok(())
}

#[async_trait]
impl AuditRepo for SqlStore {
    async fn record_audit(&self, scope: &Scope, new: NewAuditEntry) -> Result<AuditEntry> {
        check_target(&new.target)?;
        let db = &self.db().write;
        match new.team_id {
            Some(team) => {
                let row = teams::Entity::find_by_id(uuid_of(team))
                    .one(db)
                    .await
                    .during("reading the team")?;
                authorize(scope, row, team_id, Action::Read, || format!("team {team}"))?;
            }
            None => scope.require_system("record instance-level audit entries")?,
        }
        let row = audit_log::ActiveModel {
            seq: NotSet,
            id: Set(uuid_of(AuditId::new())),
            team_id: Set(new.team_id.map(uuid_of)),
            actor: Set(scope.user().map(uuid_of)),
            action: Set(new.action.as_str().to_owned()),
            target: Set(new.target),
            detail: Set(codec::json_text(&new.detail)?),
            at: Set(codec::now()),
        }
        .insert(db)
        .await
        .during("recording the audit entry")?;
        entry_of(row)
    }

    async fn list_audit(
        &self,
        scope: &Scope,
        team: Option<TeamId>,
        page: Page,
    ) -> Result<Vec<AuditEntry>> {
        match team {
            Some(team) => scope.check(team, Action::ManageMembers)?,
            None => scope.require_system("read instance-level audit entries")?,
        }
        if page.limit == 0 {
            return Err(Error::invalid_input("a page must hold at least one item"));
        }
        let mut query = audit_log::Entity::find()
            .order_by_desc(audit_log::Column::Seq)
            .limit(u64::from(page.limit));
        query = match team {
            Some(team) => query.filter(audit_log::Column::TeamId.eq(uuid_of(team))),
            None => query.filter(audit_log::Column::TeamId.is_null()),
        };
        if let Some(before) = page.before {
            // Every stored seq is below i64::MAX.
            let before = i64::try_from(before).unwrap_or(i64::MAX);
            query = query.filter(audit_log::Column::Seq.lt(before));
        }
        query
            .all(&self.db().read)
            .await
            .during("listing audit entries")?
            .into_iter()
            .map(entry_of)
            .collect()
    }
}
