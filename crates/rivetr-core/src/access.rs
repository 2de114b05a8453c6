//! Who is asking: the scope every store call is made in.
//!
//! Authorization happens where data is read. Every [`Store`](crate::store::Store)
//! method takes a [`Scope`]; an implementation returns only what that scope
//! may see and refuses writes its role does not allow. A resource of another
//! team is reported as *not found*, never as *forbidden*, so its existence
//! does not leak.

use crate::error::{Error, Result};
use crate::id::{TeamId, UserId};
use crate::model::{Action, Role, TokenScope};

/// The identity and team a store call is made for.
///
/// ```
/// use rivetr_core::access::Scope;
/// use rivetr_core::id::{TeamId, UserId};
/// use rivetr_core::model::{Action, Role};
///
/// let team = TeamId::new();
/// let viewer = Scope::member(UserId::new(), team, Role::Viewer);
/// assert!(viewer.check(team, Action::Read).is_ok());
/// assert!(viewer.check(team, Action::Deploy).is_err());
/// // Another team's data is invisible.
/// assert!(viewer.check(TeamId::new(), Action::Read).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    kind: ScopeKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum ScopeKind {
    System,
    Member {
        user: UserId,
        team: TeamId,
        role: Role,
        token: Option<TokenScope>,
    },
}

impl Scope {
    /// The platform itself (engine, reconciler, start-up). Sees everything.
    /// Never build this from a user request.
    #[must_use]
    pub fn system() -> Self {
        Self {
            kind: ScopeKind::System,
        }
    }

    /// A team member acting with their role.
    #[must_use]
    pub fn member(user: UserId, team: TeamId, role: Role) -> Self {
        Self {
            kind: ScopeKind::Member {
                user,
                team,
                role,
                token: None,
            },
        }
    }

    /// Narrow a member scope to what an API token allows.
    #[must_use]
    pub fn with_token_scope(mut self, scope: TokenScope) -> Self {
        if let ScopeKind::Member { token, .. } = &mut self.kind {
            *token = Some(scope);
        }
        self
    }

    /// Whether this is the system scope.
    #[must_use]
    pub fn is_system(&self) -> bool {
        matches!(self.kind, ScopeKind::System)
    }

    /// The acting user, if a person.
    #[must_use]
    pub fn user(&self) -> Option<UserId> {
        match self.kind {
            ScopeKind::System => None,
            ScopeKind::Member { user, .. } => Some(user),
        }
    }

    /// The team acted in, if a person.
    #[must_use]
    pub fn team(&self) -> Option<TeamId> {
        match self.kind {
            ScopeKind::System => None,
            ScopeKind::Member { team, .. } => Some(team),
        }
    }

    /// The member's role, if a person.
    #[must_use]
    pub fn role(&self) -> Option<Role> {
        match self.kind {
            ScopeKind::System => None,
            ScopeKind::Member { role, .. } => Some(role),
        }
    }

    /// Whether data of `team` is visible at all.
    #[must_use]
    pub fn sees(&self, team: TeamId) -> bool {
        match self.kind {
            ScopeKind::System => true,
            ScopeKind::Member { team: own, .. } => own == team,
        }
    }

    /// Whether `action` on `team`'s resources is allowed.
    #[must_use]
    pub fn allows(&self, team: TeamId, action: Action) -> bool {
        match self.kind {
            ScopeKind::System => true,
            ScopeKind::Member {
                team: own,
                role,
                token,
                ..
            } => own == team && role.allows(action) && token.is_none_or(|t| t.allows(action)),
        }
    }

    /// `Ok` if `action` on `team`'s resources is allowed; `NotFound` when
    /// the team is not visible, `PermissionDenied` when it is but the role
    /// (or token) does not allow the action.
    ///
    /// # Errors
    ///
    /// As above.
    pub fn check(&self, team: TeamId, action: Action) -> Result<()> {
        if !self.sees(team) {
            return Err(Error::not_found("no such resource in this team"));
        }
        if !self.allows(team, action) {
            let role = self.role().map_or("system", Role::as_str);
            return Err(Error::permission_denied(format!(
                "the {role} role may not {}",
                describe(action)
            )));
        }
        Ok(())
    }

    /// `Ok` only for the system scope.
    ///
    /// # Errors
    ///
    /// `PermissionDenied` for members.
    pub fn require_system(&self, doing: &str) -> Result<()> {
        if self.is_system() {
            Ok(())
        } else {
            Err(Error::permission_denied(format!(
                "only the platform itself may {doing}"
            )))
        }
    }
}

fn describe(action: Action) -> &'static str {
    match action {
        Action::Read => "read this",
        Action::Deploy => "deploy, roll back or cancel",
        Action::ManageApps => "change apps, env vars, domains or volumes",
        Action::RevealSecrets => "reveal secret values",
        Action::ManageProjects => "create or delete projects and environments",
        Action::ManageMembers => "manage members or their tokens",
        Action::ManageTeam => "grant ownership or delete the team",
    }
}
