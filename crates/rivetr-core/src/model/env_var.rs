//! Environment variables, with a secret flag.

use chrono::{DateTime, Utc};

use super::SecretString;
use crate::id::{AppId, EnvVarId, TeamId};
use crate::input::EnvKey;

/// An environment variable of an app.
///
/// A secret variable's value is write-only: stores return it only to
/// callers allowed to [reveal secrets](crate::model::Action::RevealSecrets)
/// (and to the engine, which puts it in the container's environment).
/// There is no `Serialize` impl: an API must build its own view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvVar {
    /// Identity.
    pub id: EnvVarId,
    /// Owning team.
    pub team_id: TeamId,
    /// The app it belongs to.
    pub app_id: AppId,
    /// Variable name, unique per app.
    pub key: EnvKey,
    /// The value; `None` when the variable is secret and the caller may
    /// not see it.
    pub value: Option<SecretString>,
    /// Whether the value is secret (sealed at rest, hidden from readers).
    pub secret: bool,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// What it takes to set an [`EnvVar`] (insert, or replace by key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEnvVar {
    /// The app.
    pub app_id: AppId,
    /// Variable name.
    pub key: EnvKey,
    /// The value.
    pub value: SecretString,
    /// Whether it is secret.
    pub secret: bool,
}
