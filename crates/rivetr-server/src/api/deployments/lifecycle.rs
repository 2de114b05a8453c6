//! Stop, start and restart an app's live version, over the container
//! runtime and the route table (the engine has no such verbs).
//!
//! - **stop**: the proxy stops sending the app traffic (its upstreams are
//!   emptied, so visitors get the proxy's "unavailable" answer at once,
//!   not connection errors), then the live containers are stopped with the
//!   app's grace period. The deployment stays `live`: it is the version a
//!   start brings back.
//! - **start**: the live containers are started again, their (possibly
//!   new) addresses recorded on the deployment, and the proxy pointed at
//!   them.
//! - **restart**: stop, then start (the app is briefly unavailable; a
//!   zero-downtime restart is a redeploy, `POST /api/v1/apps/{app}/rollback`
//!   to the live deployment's id or a deploy).
//!
//! Each answers when done, with the live deployment and its containers'
//! states; each is refused (409) while a deployment of the app is queued
//! or in flight.
//!
//! Known limit: the stopped state is not recorded in the store, so the
//! engine's start-up reconciliation (which revives a live deployment's
//! stopped containers) starts a stopped app again when the server
//! restarts.

use axum::extract::State;
use rivetr_core::access::Scope;
use rivetr_core::id::AppId;
use rivetr_core::model::{
    Action, App, Deployment, DeploymentStatus, DeploymentUpdate, RunningContainer,
};
use rivetr_core::route::{SwitchOptions, Upstream};
use rivetr_core::runtime::ContainerState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::live::live_app;
use super::views::{AppContainerView, AppRunState};
use crate::api::extract::Path;
use crate::api::{ApiError, ApiState, Caller};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(stop_app))
        .routes(routes!(start_app))
        .routes(routes!(restart_app))
}

/// Stop an app: take it out of the proxy, then stop its live containers.
#[utoipa::path(
    post, path = "/api/v1/apps/{app}/stop", tag = "deployments",
    params(("app" = String, Path, description = "app id (UUID)")),
    security(("token" = ["deploy"]), ("session" = ["deploy"])),
    responses(
        (status = 200, description = "stopped", body = AppRunState),
        (status = 403, description = "the role may not deploy"),
        (status = 404, description = "no such app in this team"),
        (status = 409, description = "the app has no live deployment, or a deployment of it is under way"),
    )
)]
async fn stop_app(
    State(state): State<ApiState>,
    caller: Caller,
    Path(app): Path<AppId>,
) -> Result<axum::Json<AppRunState>, ApiError> {
    act(&state, &caller, app, Verb::Stop).await
}

/// Start an app's stopped live containers and route traffic to them again.
#[utoipa::path(
    post, path = "/api/v1/apps/{app}/start", tag = "deployments",
    params(("app" = String, Path, description = "app id (UUID)")),
    security(("token" = ["deploy"]), ("session" = ["deploy"])),
    responses(
        (status = 200, description = "started", body = AppRunState),
        (status = 403, description = "the role may not deploy"),
        (status = 404, description = "no such app in this team"),
        (status = 409, description = "the app has no live deployment, or a deployment of it is under way"),
    )
)]
async fn start_app(
    State(state): State<ApiState>,
    caller: Caller,
    Path(app): Path<AppId>,
) -> Result<axum::Json<AppRunState>, ApiError> {
    act(&state, &caller, app, Verb::Start).await
}

/// Restart an app's live containers (stop, then start).
#[utoipa::path(
    post, path = "/api/v1/apps/{app}/restart", tag = "deployments",
    params(("app" = String, Path, description = "app id (UUID)")),
    security(("token" = ["deploy"]), ("session" = ["deploy"])),
    responses(
        (status = 200, description = "restarted", body = AppRunState),
        (status = 403, description = "the role may not deploy"),
        (status = 404, description = "no such app in this team"),
        (status = 409, description = "the app has no live deployment, or a deployment of it is under way"),
    )
)]
async fn restart_app(
    State(state): State<ApiState>,
    caller: Caller,
    Path(app): Path<AppId>,
) -> Result<axum::Json<AppRunState>, ApiError> {
    act(&state, &caller, app, Verb::Restart).await
}

/// What a lifecycle route does.
#[derive(Debug, Clone, Copy)]
enum Verb {
    Stop,
    Start,
    Restart,
}

/// Do `verb` to `app`'s live version (after the checks every verb shares)
/// and record it in the audit log.
async fn act(
    state: &ApiState,
    caller: &Caller,
    app: AppId,
    verb: Verb,
) -> Result<axum::Json<AppRunState>, ApiError> {
    let (app, mut live) = live_app(state, &caller.scope, app, Action::Deploy).await?;
    ensure_no_rollout(state, &caller.scope, &app).await?;
    if matches!(verb, Verb::Stop | Verb::Restart) {
        stop(state, &app, &live).await?;
    }
    if matches!(verb, Verb::Start | Verb::Restart) {
        live = start(state, &caller.scope, &app, live).await?;
    }
    let action = match verb {
        Verb::Stop => "app.stop",
        Verb::Start => "app.start",
        Verb::Restart => "app.restart",
    };
    super::audit(
        state,
        caller,
        action,
        format!("app {} ({})", app.name, app.id),
        serde_json::Value::Null,
    )
    .await;
    run_state(state, live).await
}

/// Refuse while a deployment of the app is queued or in flight: its
/// switch would race with this one over the proxy and the containers.
async fn ensure_no_rollout(state: &ApiState, scope: &Scope, app: &App) -> Result<(), ApiError> {
    let unfinished = state.store().list_unfinished(scope).await?;
    if let Some(busy) = unfinished.iter().find(|d| d.app_id == app.id) {
        return Err(rivetr_core::Error::conflict(format!(
            "deployment #{} of {} is {}; wait for it (or cancel it) first",
            busy.number, app.name, busy.status
        ))
        .into());
    }
    Ok(())
}

/// Empty the app's upstreams, then stop its containers.
async fn stop(state: &ApiState, app: &App, live: &Deployment) -> Result<(), ApiError> {
    let parts = state.engine().parts();
    if app.spec.run.port.is_some() {
        let options = SwitchOptions {
            health_check: None,
            drain_timeout: app.spec.deploy.drain_timeout,
        };
        parts.routes.switch(app.id, Vec::new(), &options).await?;
    }
    for container in &live.containers {
        parts
            .runtime
            .stop_container(&container.id, app.spec.deploy.stop_grace)
            .await?;
    }
    Ok(())
}

/// Start the containers that are not running, record where they answer,
/// and point the proxy at them.
async fn start(
    state: &ApiState,
    scope: &Scope,
    app: &App,
    live: Deployment,
) -> Result<Deployment, ApiError> {
    let parts = state.engine().parts();
    let mut current = Vec::with_capacity(live.containers.len());
    for container in &live.containers {
        let info = parts.runtime.inspect_container(&container.id).await?;
        if info.state != ContainerState::Running {
            parts.runtime.start_container(&container.id).await?;
        }
        let address = if app.spec.run.port.is_some() {
            parts
                .runtime
                .inspect_container(&container.id)
                .await?
                .address
        } else {
            None
        };
        current.push(RunningContainer {
            id: container.id.clone(),
            address,
        });
    }
    let live = if current == live.containers {
        live
    } else {
        state
            .store()
            .transition_deployment(
                scope,
                live.id,
                DeploymentStatus::Live,
                DeploymentUpdate::to(DeploymentStatus::Live).containers(current),
            )
            .await?
    };
    if app.spec.run.port.is_some() {
        let upstreams = live
            .containers
            .iter()
            .filter_map(|c| c.address.map(|addr| Upstream { addr }))
            .collect();
        let options = SwitchOptions {
            health_check: None,
            drain_timeout: std::time::Duration::ZERO,
        };
        parts.routes.switch(app.id, upstreams, &options).await?;
    }
    Ok(live)
}

/// The answer: the deployment and its containers as the runtime sees them.
async fn run_state(
    state: &ApiState,
    live: Deployment,
) -> Result<axum::Json<AppRunState>, ApiError> {
    let runtime = &state.engine().parts().runtime;
    let mut containers = Vec::with_capacity(live.containers.len());
    for container in &live.containers {
        let info = runtime.inspect_container(&container.id).await?;
        containers.push(AppContainerView::from(info));
    }
    Ok(axum::Json(AppRunState {
        deployment: live.into(),
        containers,
    }))
}
