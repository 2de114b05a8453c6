//! The repository traits of [`rivetr_core::store`] on SQL, one file per
//! repository.
//!
//! Conventions every file follows:
//! - Reads go to `self.db().read`, writes to `self.db().write`; a write
//!   that touches several rows runs in one transaction
//!   (`self.db().write.begin()`), checking first and writing last.
//! - Scoping: a row of another team is `NotFound` ([`authorize`]); lists
//!   filter by [`team_filter`] in SQL, never in Rust after an unscoped
//!   query.
//! - Timestamps pass through [`crate::codec::now`] / [`crate::codec::micros`]
//!   so what is returned equals what a later read returns.
//! - Database errors go through [`crate::error::DbContext::during`].

mod app;
mod audit;
mod certificate;
mod deployment;
mod domain;
mod env_var;
mod identity;
mod invitation;
mod job;
mod log;
mod notification;
mod project;
mod sealed;
mod secret;
mod session;
mod settings;
mod sign_in;
mod token;
mod volume;
mod webhook;

pub use log::PruneReport;

use rivetr_core::access::Scope;
use rivetr_core::error::{Error, Result};
use rivetr_core::id::TeamId;
use rivetr_core::model::Action;

/// `row` if `scope` sees its team and may do `action`: a missing row and
/// another team's row are both `NotFound` (named by `what`), so existence
/// does not leak; a visible row the role may not touch is
/// `PermissionDenied`.
pub(crate) fn authorize<T>(
    scope: &Scope,
    row: Option<T>,
    team_of: impl FnOnce(&T) -> TeamId,
    action: Action,
    what: impl FnOnce() -> String,
) -> Result<T> {
    match row {
        Some(row) => {
            let team = team_of(&row);
            if !scope.sees(team) {
                return Err(Error::not_found(what()));
            }
            scope.check(team, action)?;
            Ok(row)
        }
        None => Err(Error::not_found(what())),
    }
}

/// The team a list query must be limited to: `None` for the system scope
/// (everything), `Some(team)` for a member.
pub(crate) fn team_filter(scope: &Scope) -> Option<uuid::Uuid> {
    scope.team().map(|team| *team.as_uuid())
}
