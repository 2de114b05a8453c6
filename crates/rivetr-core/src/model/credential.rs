//! Sealed credentials a team keeps for its apps: registry passwords,
//! deploy keys, git tokens.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::SecretString;
use crate::id::{CredentialId, TeamId};
use crate::input::DisplayName;

/// What a [`Credential`] is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// A password or token for a container registry.
    RegistryPassword,
    /// A private SSH key for cloning a repository.
    DeployKey,
    /// An access token for a git host.
    GitToken,
}

impl CredentialKind {
    /// Lowercase name (`registry_password`, `deploy_key`, `git_token`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RegistryPassword => "registry_password",
            Self::DeployKey => "deploy_key",
            Self::GitToken => "git_token",
        }
    }
}

/// A team's sealed credential, named uniquely within the team.
///
/// Its value is write-only, like a secret env var: stores return it only to
/// callers allowed to [reveal secrets](crate::model::Action::RevealSecrets)
/// and to the platform. No `Serialize` impl: an API builds its own view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    /// Identity.
    pub id: CredentialId,
    /// Owning team.
    pub team_id: TeamId,
    /// Name, unique per team.
    pub name: DisplayName,
    /// What it is for.
    pub kind: CredentialKind,
    /// The value; `None` when the caller may not see it.
    pub value: Option<SecretString>,
    /// When it was first stored.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// What it takes to store a [`Credential`] (insert, or replace by name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCredential {
    /// Owning team.
    pub team_id: TeamId,
    /// Name, unique per team.
    pub name: DisplayName,
    /// What it is for.
    pub kind: CredentialKind,
    /// The value.
    pub value: SecretString,
}
