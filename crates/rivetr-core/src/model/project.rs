//! Projects and their environments.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{EnvironmentId, ProjectId, TeamId};
use crate::input::DisplayName;

/// A project groups the apps that make up one product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    /// Identity.
    pub id: ProjectId,
    /// Owning team.
    pub team_id: TeamId,
    /// Name shown in the dashboard, unique within the team.
    pub name: DisplayName,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// What it takes to create a [`Project`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewProject {
    /// Owning team.
    pub team_id: TeamId,
    /// Name, unique within the team.
    pub name: DisplayName,
}

/// An environment of a project (`production`, `staging`, ...). Every project
/// starts with one named `production`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// Identity.
    pub id: EnvironmentId,
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// Owning team (the project's).
    pub team_id: TeamId,
    /// Name, unique within the project.
    pub name: DisplayName,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}
