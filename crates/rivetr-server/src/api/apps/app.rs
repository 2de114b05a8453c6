//! Apps: list, create, read, change the spec, delete.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rivetr_core::ErrorKind;
use rivetr_core::id::{AppId, DeploymentId, EnvironmentId, ProjectId};
use rivetr_core::input::AppName;
use rivetr_core::model::{Action, App, DeploymentStatus, NewApp, NewDomain};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::domains::domains_changed;
use super::generated::generated_host;
use super::record;
use super::run::RunBody;
use super::source::SourceBody;
use super::spec::{AppSpecBody, BuildBody, DeployBody};
use super::teardown::{cancel_in_flight, tear_down};
use crate::api::extract::{Json, Path, Query};
use crate::api::{ApiError, ApiState, Caller};

/// This file's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_apps, create_app))
        .routes(routes!(get_app, update_app, delete_app))
}

/// An app: one service of a project, in one environment.
#[derive(Debug, Serialize, ToSchema)]
struct AppView {
    /// Identity.
    #[schema(value_type = String, format = Uuid)]
    id: AppId,
    /// The project it belongs to.
    #[schema(value_type = String, format = Uuid)]
    project_id: ProjectId,
    /// The environment it runs in.
    #[schema(value_type = String, format = Uuid)]
    environment_id: EnvironmentId,
    /// Name: a DNS label, unique in the environment.
    #[schema(value_type = String)]
    name: AppName,
    /// How it is fetched, built, run and rolled out.
    spec: AppSpecBody,
    /// When it was created.
    created_at: DateTime<Utc>,
    /// When its spec last changed.
    updated_at: DateTime<Utc>,
    /// The deployment serving it now (only in single-app answers; `null`
    /// when none is live).
    #[serde(skip_serializing_if = "Option::is_none")]
    live_deployment: Option<Option<LiveDeploymentView>>,
    /// Its domains' hosts (only in single-app answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    domains: Option<Vec<String>>,
}

impl AppView {
    fn new(app: &App) -> Self {
        Self {
            id: app.id,
            project_id: app.project_id,
            environment_id: app.environment_id,
            name: app.name.clone(),
            spec: (&app.spec).into(),
            created_at: app.created_at,
            updated_at: app.updated_at,
            live_deployment: None,
            domains: None,
        }
    }
}

/// The deployment an app is served by.
#[derive(Debug, Serialize, ToSchema)]
struct LiveDeploymentView {
    /// Identity.
    #[schema(value_type = String, format = Uuid)]
    id: DeploymentId,
    /// Its number within the app (1, 2, …).
    number: u64,
    /// Its status (`live`).
    #[schema(value_type = String)]
    status: DeploymentStatus,
}

/// Apps.
#[derive(Debug, Serialize, ToSchema)]
struct AppList {
    /// Ordered by creation.
    items: Vec<AppView>,
}

/// Which apps to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct AppListQuery {
    /// Only this project's apps (a project id); all of the team's when
    /// left out.
    #[param(value_type = Option<String>, format = Uuid)]
    project: Option<ProjectId>,
}

/// What it takes to create an app.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewAppRequest {
    /// The environment to create it in (which fixes project and team).
    #[schema(value_type = String, format = Uuid)]
    environment_id: EnvironmentId,
    /// Name: a DNS label (lowercase letters, digits, `-`), unique in the
    /// environment.
    #[schema(value_type = String)]
    name: AppName,
    /// How to fetch, build, run and roll it out.
    spec: AppSpecBody,
}

/// A change of an app's spec. Each section given replaces that section
/// of the spec as a whole (fields left out of it take their defaults);
/// sections left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AppPatchRequest {
    /// New source.
    source: Option<SourceBody>,
    /// New build settings.
    build: Option<BuildBody>,
    /// New run settings.
    run: Option<RunBody>,
    /// New roll-out policy.
    deploy: Option<DeployBody>,
}

/// The team's apps, optionally of one project.
#[utoipa::path(
    get, path = "/api/v1/apps", tag = "apps",
    params(AppListQuery),
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 200, description = "the apps", body = AppList),
        (status = 404, description = "no such project in this team"),
    )
)]
async fn list_apps(
    State(state): State<ApiState>,
    caller: Caller,
    Query(query): Query<AppListQuery>,
) -> Result<axum::Json<AppList>, ApiError> {
    if let Some(project) = query.project {
        // Another team's (or no) project is 404, not an empty list.
        state.store().get_project(&caller.scope, project).await?;
    }
    let apps = state
        .store()
        .list_apps(&caller.scope, query.project)
        .await?;
    let items = apps.iter().map(AppView::new).collect();
    Ok(axum::Json(AppList { items }))
}

/// Create an app. When the instance has an app base domain, the app gets
/// a generated domain `<name>-<6 hex digits>.<base>` right away.
#[utoipa::path(
    post, path = "/api/v1/apps", tag = "apps",
    request_body = NewAppRequest,
    security(("token" = ["manage_apps"]), ("session" = ["manage_apps"])),
    responses(
        (status = 201, description = "created (not deployed yet)", body = AppView),
        (status = 403, description = "the role may not manage apps"),
        (status = 404, description = "no such environment in this team"),
        (status = 409, description = "the environment already has an app of that name"),
        (status = 422, description = "invalid input; the message names the field"),
    )
)]
async fn create_app(
    State(state): State<ApiState>,
    caller: Caller,
    Json(req): Json<NewAppRequest>,
) -> Result<(StatusCode, axum::Json<AppView>), ApiError> {
    let spec = req.spec.into_spec(&state.settings().git_policy)?;
    let app = state
        .store()
        .create_app(
            &caller.scope,
            NewApp {
                environment_id: req.environment_id,
                name: req.name,
                spec,
            },
        )
        .await?;
    let domains = add_generated_domain(&state, &caller, &app).await;
    record(
        &state,
        &caller,
        "app.create",
        app.id.to_string(),
        json!({ "name": app.name.to_string(), "project": app.project_id.to_string() }),
    )
    .await;
    let mut view = AppView::new(&app);
    view.live_deployment = Some(None);
    view.domains = Some(domains);
    Ok((StatusCode::CREATED, axum::Json(view)))
}

/// The generated domain's host, if one was added.
async fn add_generated_domain(state: &ApiState, caller: &Caller, app: &App) -> Vec<String> {
    let Some(base) = state.settings().app_base_domain.as_deref() else {
        return Vec::new();
    };
    let host = match generated_host(&app.name, app.id, base) {
        Ok(host) => host,
        Err(err) => {
            tracing::warn!(error = %err, app = %app.id, "no generated domain for this app");
            return Vec::new();
        }
    };
    let new = NewDomain {
        app_id: app.id,
        host,
        force_https: false,
        redirect_to: None,
        basic_auth: None,
    };
    match state.store().add_domain(&caller.scope, new).await {
        Ok(domain) => {
            domains_changed(state, app.id).await;
            vec![domain.host.to_string()]
        }
        Err(err) => {
            tracing::warn!(error = %err, app = %app.id, "adding the generated domain failed");
            Vec::new()
        }
    }
}

/// One app, with its live deployment and its domains.
#[utoipa::path(
    get, path = "/api/v1/apps/{app}", tag = "apps",
    params(("app" = String, Path, description = "app id (UUID)")),
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 200, description = "the app", body = AppView),
        (status = 404, description = "no such app in this team"),
    )
)]
async fn get_app(
    State(state): State<ApiState>,
    caller: Caller,
    Path(app): Path<AppId>,
) -> Result<axum::Json<AppView>, ApiError> {
    let app = state.store().get_app(&caller.scope, app).await?;
    Ok(axum::Json(detailed(&state, &caller, &app).await?))
}

async fn detailed(state: &ApiState, caller: &Caller, app: &App) -> Result<AppView, ApiError> {
    let live = state.store().live_deployment(&caller.scope, app.id).await?;
    let domains = state
        .store()
        .list_domains(&caller.scope, Some(app.id))
        .await?;
    let mut view = AppView::new(app);
    view.live_deployment = Some(live.map(|d| LiveDeploymentView {
        id: d.id,
        number: d.number,
        status: d.status,
    }));
    view.domains = Some(domains.iter().map(|d| d.host.to_string()).collect());
    Ok(view)
}

/// Change an app's spec: each section given (`source`, `build`, `run`,
/// `deploy`) replaces that section; the others stay. The change applies
/// from the next deployment.
#[utoipa::path(
    patch, path = "/api/v1/apps/{app}", tag = "apps",
    params(("app" = String, Path, description = "app id (UUID)")),
    request_body = AppPatchRequest,
    security(("token" = ["manage_apps"]), ("session" = ["manage_apps"])),
    responses(
        (status = 200, description = "the changed app", body = AppView),
        (status = 403, description = "the role may not manage apps"),
        (status = 404, description = "no such app in this team"),
        (status = 422, description = "invalid input; the message names the field"),
    )
)]
async fn update_app(
    State(state): State<ApiState>,
    caller: Caller,
    Path(app): Path<AppId>,
    Json(req): Json<AppPatchRequest>,
) -> Result<axum::Json<AppView>, ApiError> {
    let current = state.store().get_app(&caller.scope, app).await?;
    let mut body = AppSpecBody::from(&current.spec);
    let mut changed = Vec::new();
    if let Some(source) = req.source {
        body.source = source;
        changed.push("source");
    }
    if let Some(build) = req.build {
        body.build = build;
        changed.push("build");
    }
    if let Some(run) = req.run {
        body.run = run;
        changed.push("run");
    }
    if let Some(deploy) = req.deploy {
        body.deploy = deploy;
        changed.push("deploy");
    }
    let spec = body.into_spec(&state.settings().git_policy)?;
    let updated = state
        .store()
        .update_app_spec(&caller.scope, app, spec)
        .await?;
    record(
        &state,
        &caller,
        "app.update",
        app.to_string(),
        json!({ "name": updated.name.to_string(), "sections": changed }),
    )
    .await;
    Ok(axum::Json(detailed(&state, &caller, &updated).await?))
}

/// Delete an app with its deployments, env vars, domains and volume
/// records: deployments in flight are cancelled, its routes leave the
/// proxy, its containers are stopped and removed.
#[utoipa::path(
    delete, path = "/api/v1/apps/{app}", tag = "apps",
    params(("app" = String, Path, description = "app id (UUID)")),
    security(("token" = ["manage_apps"]), ("session" = ["manage_apps"])),
    responses(
        (status = 204, description = "deleted"),
        (status = 403, description = "the role may not manage apps"),
        (status = 404, description = "no such app in this team"),
    )
)]
async fn delete_app(
    State(state): State<ApiState>,
    caller: Caller,
    Path(app): Path<AppId>,
) -> Result<StatusCode, ApiError> {
    let found = state.store().get_app(&caller.scope, app).await?;
    // Authorization first: a viewer's delete must not cancel anything.
    caller.scope.check(found.team_id, Action::ManageApps)?;
    cancel_in_flight(&state, &caller, &found).await;
    match state.store().delete_app(&caller.scope, app).await {
        Ok(()) => {}
        Err(err) if err.kind() == ErrorKind::NotFound => {}
        Err(err) => return Err(err.into()),
    }
    tear_down(&state, &found).await;
    state.announce_domains_changed();
    record(
        &state,
        &caller,
        "app.delete",
        app.to_string(),
        json!({ "name": found.name.to_string() }),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
