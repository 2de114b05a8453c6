//! The audit log.

use async_trait::async_trait;
use chrono::Utc;

use super::MemoryStore;
use super::platform::line;
use crate::access::Scope;
use crate::error::{Error, Result};
use crate::id::{AuditId, TeamId};
use crate::model::{Action, AuditEntry, NewAuditEntry, Page};
use crate::store::AuditRepo;

/// The longest audit target.
const MAX_TARGET: usize = 256;

#[async_trait]
impl AuditRepo for MemoryStore {
    async fn record_audit(&self, scope: &Scope, new: NewAuditEntry) -> Result<AuditEntry> {
        line("an audit target", &new.target, MAX_TARGET)?;
        let mut state = self.state();
        match new.team_id {
            Some(team) => {
                state.team(scope, team, Action::Read)?;
            }
            None => scope.require_system("record instance-level audit entries")?,
        }
        let entry = AuditEntry {
            id: AuditId::new(),
            seq: state.next_seq(),
            team_id: new.team_id,
            actor: scope.user(),
            action: new.action,
            target: new.target,
            detail: new.detail,
            at: Utc::now(),
        };
        state.platform.audit.push(entry.clone());
        Ok(entry)
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
        let state = self.state();
        Ok(state
            .platform
            .audit
            .iter()
            .rev()
            .filter(|e| e.team_id == team && page.before.is_none_or(|b| e.seq < b))
            .take(page.limit as usize)
            .cloned()
            .collect())
    }
}
