//! `AuditRepo` on SQL (in progress).

#![allow(unused_imports)]

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::Result;
use rivetr_core::id::TeamId;
use rivetr_core::model::{AuditEntry, NewAuditEntry, Page};
use rivetr_core::store::AuditRepo;

use super::pending;
use crate::SqlStore;

#[async_trait]
impl AuditRepo for SqlStore {
    async fn record_audit(&self, _scope: &Scope, _new: NewAuditEntry) -> Result<AuditEntry> {
        Err(pending())
    }

    async fn list_audit(
        &self,
        _scope: &Scope,
        _team: Option<TeamId>,
        _page: Page,
    ) -> Result<Vec<AuditEntry>> {
        Err(pending())
    }
}
