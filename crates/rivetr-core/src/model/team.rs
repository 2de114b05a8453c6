//! Users, teams, roles, memberships and API tokens.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{InvitationId, TeamId, TokenId, UserId};
use crate::input::{DisplayName, Email};

/// A person who can sign in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Identity.
    pub id: UserId,
    /// Sign-in address, unique across the instance.
    pub email: Email,
    /// Name shown in the dashboard.
    pub name: DisplayName,
    /// Whether this user administers the whole instance (not just a team).
    pub instance_admin: bool,
    /// When the user was created.
    pub created_at: DateTime<Utc>,
}

/// What it takes to create a [`User`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    /// Sign-in address.
    pub email: Email,
    /// Name shown in the dashboard.
    pub name: DisplayName,
    /// Whether this user administers the whole instance.
    pub instance_admin: bool,
}

/// A team: the unit of ownership. Every project, app and deployment belongs
/// to exactly one team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// Identity.
    pub id: TeamId,
    /// Name shown in the dashboard.
    pub name: DisplayName,
    /// When the team was created.
    pub created_at: DateTime<Utc>,
}

/// A member's role within a team, from most to least powerful.
///
/// | action | owner | admin | developer | viewer |
/// | --- | :-: | :-: | :-: | :-: |
/// | read projects, apps, deployments, logs | ✓ | ✓ | ✓ | ✓ |
/// | deploy, rollback, cancel | ✓ | ✓ | ✓ | |
/// | create and change apps, env vars, domains, volumes | ✓ | ✓ | ✓ | |
/// | reveal secret values | ✓ | ✓ | | |
/// | create and delete projects and environments | ✓ | ✓ | | |
/// | manage members and their tokens | ✓ | ✓ | | |
/// | grant the owner role, delete the team | ✓ | | | |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Full control, including deleting the team.
    Owner,
    /// Everything but ownership.
    Admin,
    /// Builds and runs apps.
    Developer,
    /// Reads only.
    Viewer,
}

/// Something a caller may want to do to a team's resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// Read anything in the team (secret values excepted).
    Read,
    /// Deploy, roll back, cancel, start, stop.
    Deploy,
    /// Create, change and delete apps, env vars, domains and volumes.
    ManageApps,
    /// See the plain value of secret env vars.
    RevealSecrets,
    /// Create and delete projects and environments.
    ManageProjects,
    /// Invite, remove and change members (not to owner).
    ManageMembers,
    /// Grant ownership and delete the team.
    ManageTeam,
}

impl Role {
    /// Whether this role permits `action` (the matrix in [`Role`]'s docs).
    ///
    /// ```
    /// use rivetr_core::model::{Action, Role};
    ///
    /// assert!(Role::Developer.allows(Action::Deploy));
    /// assert!(!Role::Viewer.allows(Action::Deploy));
    /// assert!(!Role::Admin.allows(Action::ManageTeam));
    /// ```
    #[must_use]
    pub fn allows(self, action: Action) -> bool {
        match action {
            Action::Read => true,
            Action::Deploy | Action::ManageApps => self <= Role::Developer,
            Action::RevealSecrets | Action::ManageProjects | Action::ManageMembers => {
                self <= Role::Admin
            }
            Action::ManageTeam => self == Role::Owner,
        }
    }

    /// Lowercase name (`owner`, `admin`, `developer`, `viewer`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Developer => "developer",
            Role::Viewer => "viewer",
        }
    }
}

/// A user's role in one team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// The team.
    pub team_id: TeamId,
    /// The member.
    pub user_id: UserId,
    /// What the member may do.
    pub role: Role,
    /// When the member joined.
    pub joined_at: DateTime<Utc>,
}

/// An invitation to join a team, redeemable once before it expires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    /// Identity.
    pub id: InvitationId,
    /// The team to join.
    pub team_id: TeamId,
    /// Who was invited.
    pub email: Email,
    /// The role granted on acceptance.
    pub role: Role,
    /// Who sent it.
    pub invited_by: UserId,
    /// From this instant on the invitation is void.
    pub expires_at: DateTime<Utc>,
    /// When it was sent.
    pub created_at: DateTime<Utc>,
}

/// What it takes to create an [`Invitation`]. The token the invited person
/// redeems is shown to them once; only a hash of it is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewInvitation {
    /// The team to join.
    pub team_id: TeamId,
    /// Who is invited: only the user signing in with this address may
    /// accept (compared without regard to ASCII case).
    pub email: Email,
    /// The role granted on acceptance.
    pub role: Role,
    /// Who sends it.
    pub invited_by: UserId,
    /// Hash of the invitation token (never the token).
    pub token_hash: String,
    /// From this instant on the invitation is void.
    pub expires_at: DateTime<Utc>,
}

/// What an API token may do, on top of its owner's role (a token never
/// exceeds the role of the user who made it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// Read only.
    Read,
    /// Read and deploy.
    Deploy,
    /// Read, deploy and change resources.
    Write,
    /// Everything the owner's role allows.
    Admin,
}

impl TokenScope {
    /// Whether a token with this scope may attempt `action` (the owner's role
    /// must allow it too).
    #[must_use]
    pub fn allows(self, action: Action) -> bool {
        match self {
            TokenScope::Read => action == Action::Read,
            TokenScope::Deploy => matches!(action, Action::Read | Action::Deploy),
            TokenScope::Write => {
                matches!(action, Action::Read | Action::Deploy | Action::ManageApps)
            }
            TokenScope::Admin => true,
        }
    }
}

/// An API token. The secret itself is shown once at creation; only a hash
/// of it is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// Identity.
    pub id: TokenId,
    /// Whose token it is.
    pub user_id: UserId,
    /// The team it acts in.
    pub team_id: TeamId,
    /// A name to recognise it by.
    pub name: DisplayName,
    /// What it may do.
    pub scope: TokenScope,
    /// Hash of the token secret (never the secret).
    pub token_hash: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// After this instant it is refused; `None` means it never expires.
    pub expires_at: Option<DateTime<Utc>>,
}

/// What it takes to create an [`ApiToken`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    /// Whose token it is.
    pub user_id: UserId,
    /// The team it acts in.
    pub team_id: TeamId,
    /// A name to recognise it by.
    pub name: DisplayName,
    /// What it may do.
    pub scope: TokenScope,
    /// Hash of the token secret.
    pub token_hash: String,
    /// Expiry, if any.
    pub expires_at: Option<DateTime<Utc>>,
}
