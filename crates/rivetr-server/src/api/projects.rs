//! Projects and their environments.
//!
//! | route | permission |
//! | --- | --- |
//! | `GET /api/v1/projects` | `read` |
//! | `POST /api/v1/projects` | `manage_projects` (the project starts with a `production` environment) |
//! | `GET /api/v1/projects/{project}` | `read` (with its environments) |
//! | `DELETE /api/v1/projects/{project}` | `manage_projects` (409 while it still has apps) |
//! | `GET /api/v1/projects/{project}/environments` | `read` |
//! | `POST /api/v1/projects/{project}/environments` | `manage_projects` |

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rivetr_core::id::{EnvironmentId, ProjectId};
use rivetr_core::input::DisplayName;
use rivetr_core::model::{Environment, NewProject, Project};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::apps::record;
use super::extract::{Json, Path};
use super::{ApiError, ApiState, Caller};

/// This module's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_projects, create_project))
        .routes(routes!(get_project, delete_project))
        .routes(routes!(list_environments, create_environment))
}

/// A project: a group of apps, in one or more environments.
#[derive(Debug, Serialize, ToSchema)]
struct ProjectView {
    /// Identity.
    #[schema(value_type = String, format = Uuid)]
    id: ProjectId,
    /// Name shown in the dashboard.
    #[schema(value_type = String)]
    name: DisplayName,
    /// When it was created.
    created_at: DateTime<Utc>,
    /// Its environments, ordered by creation (only in single-project
    /// answers; absent in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    environments: Option<Vec<EnvironmentView>>,
}

impl ProjectView {
    fn new(project: Project, environments: Option<Vec<Environment>>) -> Self {
        Self {
            id: project.id,
            name: project.name,
            created_at: project.created_at,
            environments: environments
                .map(|list| list.into_iter().map(EnvironmentView::from).collect()),
        }
    }
}

/// The team's projects.
#[derive(Debug, Serialize, ToSchema)]
struct ProjectList {
    /// Ordered by creation.
    items: Vec<ProjectView>,
}

/// What it takes to create a project.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewProjectRequest {
    /// Name shown in the dashboard (1 to 100 printable characters), unique
    /// in the team.
    name: String,
}

/// An environment of a project (`production`, `staging`, …).
#[derive(Debug, Serialize, ToSchema)]
struct EnvironmentView {
    /// Identity.
    #[schema(value_type = String, format = Uuid)]
    id: EnvironmentId,
    /// The project it belongs to.
    #[schema(value_type = String, format = Uuid)]
    project_id: ProjectId,
    /// Name, unique in the project.
    #[schema(value_type = String)]
    name: DisplayName,
    /// When it was created.
    created_at: DateTime<Utc>,
}

impl From<Environment> for EnvironmentView {
    fn from(env: Environment) -> Self {
        Self {
            id: env.id,
            project_id: env.project_id,
            name: env.name,
            created_at: env.created_at,
        }
    }
}

/// A project's environments.
#[derive(Debug, Serialize, ToSchema)]
struct EnvironmentList {
    /// Ordered by creation.
    items: Vec<EnvironmentView>,
}

/// What it takes to create an environment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewEnvironmentRequest {
    /// Name (1 to 100 printable characters), unique in the project.
    name: String,
}

fn display_name(field: &str, value: &str) -> Result<DisplayName, ApiError> {
    value.parse::<DisplayName>().map_err(|err| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            format!("{field}: {err}"),
        )
    })
}

/// The team's projects.
#[utoipa::path(
    get, path = "/api/v1/projects", tag = "projects",
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 200, description = "the team's projects", body = ProjectList),
        (status = 401, description = "not signed in"),
    )
)]
async fn list_projects(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<axum::Json<ProjectList>, ApiError> {
    let projects = state.store().list_projects(&caller.scope).await?;
    let items = projects
        .into_iter()
        .map(|p| ProjectView::new(p, None))
        .collect();
    Ok(axum::Json(ProjectList { items }))
}

/// Create a project; it starts with one environment, `production`.
#[utoipa::path(
    post, path = "/api/v1/projects", tag = "projects",
    request_body = NewProjectRequest,
    security(("token" = ["manage_projects"]), ("session" = ["manage_projects"])),
    responses(
        (status = 201, description = "created, with its environments", body = ProjectView),
        (status = 403, description = "the role may not manage projects"),
        (status = 409, description = "the team already has a project of that name"),
        (status = 422, description = "invalid name"),
    )
)]
async fn create_project(
    State(state): State<ApiState>,
    caller: Caller,
    Json(req): Json<NewProjectRequest>,
) -> Result<(StatusCode, axum::Json<ProjectView>), ApiError> {
    let name = display_name("name", &req.name)?;
    let project = state
        .store()
        .create_project(
            &caller.scope,
            NewProject {
                team_id: caller.team,
                name,
            },
        )
        .await?;
    let environments = state
        .store()
        .list_environments(&caller.scope, project.id)
        .await?;
    record(
        &state,
        &caller,
        "project.create",
        project.id.to_string(),
        json!({ "name": project.name.to_string() }),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        axum::Json(ProjectView::new(project, Some(environments))),
    ))
}

/// One project, with its environments.
#[utoipa::path(
    get, path = "/api/v1/projects/{project}", tag = "projects",
    params(("project" = String, Path, description = "project id (UUID)")),
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 200, description = "the project", body = ProjectView),
        (status = 404, description = "no such project in this team"),
    )
)]
async fn get_project(
    State(state): State<ApiState>,
    caller: Caller,
    Path(project): Path<ProjectId>,
) -> Result<axum::Json<ProjectView>, ApiError> {
    let project = state.store().get_project(&caller.scope, project).await?;
    let environments = state
        .store()
        .list_environments(&caller.scope, project.id)
        .await?;
    Ok(axum::Json(ProjectView::new(project, Some(environments))))
}

/// Delete a project (with its environments). Refused with 409 while it
/// still has apps: delete them first.
#[utoipa::path(
    delete, path = "/api/v1/projects/{project}", tag = "projects",
    params(("project" = String, Path, description = "project id (UUID)")),
    security(("token" = ["manage_projects"]), ("session" = ["manage_projects"])),
    responses(
        (status = 204, description = "deleted"),
        (status = 403, description = "the role may not manage projects"),
        (status = 404, description = "no such project in this team"),
        (status = 409, description = "the project still has apps"),
    )
)]
async fn delete_project(
    State(state): State<ApiState>,
    caller: Caller,
    Path(project): Path<ProjectId>,
) -> Result<StatusCode, ApiError> {
    let found = state.store().get_project(&caller.scope, project).await?;
    state.store().delete_project(&caller.scope, project).await?;
    record(
        &state,
        &caller,
        "project.delete",
        project.to_string(),
        json!({ "name": found.name.to_string() }),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// A project's environments.
#[utoipa::path(
    get, path = "/api/v1/projects/{project}/environments", tag = "projects",
    params(("project" = String, Path, description = "project id (UUID)")),
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 200, description = "the environments", body = EnvironmentList),
        (status = 404, description = "no such project in this team"),
    )
)]
async fn list_environments(
    State(state): State<ApiState>,
    caller: Caller,
    Path(project): Path<ProjectId>,
) -> Result<axum::Json<EnvironmentList>, ApiError> {
    let environments = state
        .store()
        .list_environments(&caller.scope, project)
        .await?;
    let items = environments.into_iter().map(Into::into).collect();
    Ok(axum::Json(EnvironmentList { items }))
}

/// Add an environment to a project.
#[utoipa::path(
    post, path = "/api/v1/projects/{project}/environments", tag = "projects",
    params(("project" = String, Path, description = "project id (UUID)")),
    request_body = NewEnvironmentRequest,
    security(("token" = ["manage_projects"]), ("session" = ["manage_projects"])),
    responses(
        (status = 201, description = "created", body = EnvironmentView),
        (status = 403, description = "the role may not manage projects"),
        (status = 404, description = "no such project in this team"),
        (status = 409, description = "the project already has an environment of that name"),
        (status = 422, description = "invalid name"),
    )
)]
async fn create_environment(
    State(state): State<ApiState>,
    caller: Caller,
    Path(project): Path<ProjectId>,
    Json(req): Json<NewEnvironmentRequest>,
) -> Result<(StatusCode, axum::Json<EnvironmentView>), ApiError> {
    let name = display_name("name", &req.name)?;
    let env = state
        .store()
        .create_environment(&caller.scope, project, name)
        .await?;
    record(
        &state,
        &caller,
        "environment.create",
        env.id.to_string(),
        json!({ "project": project.to_string(), "name": env.name.to_string() }),
    )
    .await;
    Ok((StatusCode::CREATED, axum::Json(env.into())))
}
