//! What the session routes answer with.

use chrono::{DateTime, Utc};
use rivetr_core::model::{Role, Team, User};
use serde::Serialize;
use utoipa::ToSchema;

/// A user as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserView {
    /// Identity.
    #[schema(value_type = String, format = Uuid)]
    pub(crate) id: rivetr_core::id::UserId,
    /// Sign-in address.
    pub(crate) email: String,
    /// Display name.
    pub(crate) name: String,
    /// Administers the whole instance.
    pub(crate) instance_admin: bool,
    /// Created at.
    pub(crate) created_at: DateTime<Utc>,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id,
            email: user.email.as_str().to_owned(),
            name: user.name.as_str().to_owned(),
            instance_admin: user.instance_admin,
            created_at: user.created_at,
        }
    }
}

/// A team the user belongs to, with their role.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MembershipView {
    /// The team.
    #[schema(value_type = String, format = Uuid)]
    pub(crate) team_id: rivetr_core::id::TeamId,
    /// Its name.
    pub(crate) team_name: String,
    /// The user's role there.
    #[schema(value_type = String, example = "developer")]
    pub(crate) role: Role,
}

impl MembershipView {
    pub(crate) fn new(team: &Team, role: Role) -> Self {
        Self {
            team_id: team.id,
            team_name: team.name.as_str().to_owned(),
            role,
        }
    }
}

/// A signed-in browser session's answer: who, and the CSRF token every
/// unsafe request of this session must send as `X-CSRF-Token`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionView {
    /// Who signed in.
    pub(crate) user: UserView,
    /// The session's CSRF token.
    pub(crate) csrf_token: String,
    /// The user's teams.
    pub(crate) teams: Vec<MembershipView>,
}
