//! The audit log.

use async_trait::async_trait;

use crate::access::Scope;
use crate::error::Result;
use crate::id::TeamId;
use crate::model::{AuditEntry, NewAuditEntry, Page};

/// The audit log: append-only, so there is no method to change or delete
/// an entry. Entries of a deleted team are kept.
#[async_trait]
pub trait AuditRepo {
    /// Append an entry; returns it as stored.
    ///
    /// # Behavior
    /// - The actor is the scope's user (`None` for the system scope); it
    ///   cannot be given.
    /// - A member records only in their own team, with any role; an
    ///   instance-level entry (`team_id: None`) from a member:
    ///   `PermissionDenied`; another team: `NotFound`. The system records
    ///   anywhere. An unknown team: `NotFound`.
    /// - A `target` longer than 256 characters or holding control
    ///   characters: `InvalidInput`.
    /// - `seq` is greater than that of every entry recorded before.
    async fn record_audit(&self, scope: &Scope, new: NewAuditEntry) -> Result<AuditEntry>;

    /// Entries of `team` (or instance-level entries when `team` is `None`),
    /// newest first: those with `seq` below `page.before`, at most
    /// `page.limit`.
    ///
    /// # Behavior
    /// - A member needs `ManageMembers` in their own team
    ///   (`PermissionDenied` otherwise); another team: `NotFound`;
    ///   instance-level entries: `PermissionDenied`.
    /// - The system may list any team's entries, also of a team that was
    ///   deleted.
    /// - `page.limit` of 0: `InvalidInput`.
    async fn list_audit(
        &self,
        scope: &Scope,
        team: Option<TeamId>,
        page: Page,
    ) -> Result<Vec<AuditEntry>>;
}
