//! The audit log: who did what, append-only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{AuditId, TeamId, UserId};

dotted_name!(
    /// What an audit entry records: a dotted lowercase `noun.verb` name
    /// such as `env_var.reveal` or `member.remove` (at least two parts of
    /// lowercase letters, digits and `_`, each starting with a letter; at
    /// most 64 characters).
    ///
    /// ```
    /// use rivetr_core::model::AuditAction;
    ///
    /// let action: AuditAction = "env_var.reveal".parse()?;
    /// assert_eq!(action.to_string(), "env_var.reveal");
    /// assert!("reveal".parse::<AuditAction>().is_err());
    /// assert!("EnvVar.Reveal".parse::<AuditAction>().is_err());
    /// # Ok::<(), rivetr_core::input::InputError>(())
    /// ```
    AuditAction, "audit action", min_segments = 2
);

/// One entry of the audit log. Entries are never changed or deleted, not
/// even with their team: they outlive it for forensics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Identity.
    pub id: AuditId,
    /// Position in the store's log: grows with every entry, across teams;
    /// pages are cut by it.
    pub seq: u64,
    /// The team it concerns; `None` for the instance as a whole.
    pub team_id: Option<TeamId>,
    /// Who did it; `None` for the platform itself.
    pub actor: Option<UserId>,
    /// What was done.
    pub action: AuditAction,
    /// What it was done to, for people (an id, a name, a host).
    pub target: String,
    /// Anything else worth keeping (never a secret value).
    pub detail: serde_json::Value,
    /// When it was recorded.
    pub at: DateTime<Utc>,
}

/// What it takes to record an [`AuditEntry`]. There is no actor field: the
/// store takes it from the scope, so nobody can record in another's name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAuditEntry {
    /// The team it concerns; `None` for the instance as a whole.
    pub team_id: Option<TeamId>,
    /// What was done.
    pub action: AuditAction,
    /// What it was done to (one line, at most 256 characters).
    pub target: String,
    /// Anything else worth keeping.
    pub detail: serde_json::Value,
}
