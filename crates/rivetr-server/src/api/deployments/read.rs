//! Reading deployments: an app's history, page by page, and one
//! deployment.

use axum::extract::State;
use rivetr_core::id::{AppId, DeploymentId};
use rivetr_core::model::Page;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::{DeploymentList, DeploymentView};
use crate::api::extract::{Path, Query};
use crate::api::{ApiError, ApiState, Caller};

/// Deployments per page unless `limit` says otherwise.
const DEFAULT_LIMIT: u32 = 20;
/// The largest page.
const MAX_LIMIT: u32 = 100;

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_deployments))
        .routes(routes!(get_deployment))
}

/// Keyset pagination of an app's deployments.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct DeploymentListQuery {
    /// Only deployments numbered below this (the `next` of the previous
    /// page).
    before: Option<u64>,
    /// Page size, 1 to 100 (default 20).
    limit: Option<u32>,
}

/// An app's deployments, newest first.
#[utoipa::path(
    get, path = "/api/v1/apps/{app}/deployments", tag = "deployments",
    params(("app" = String, Path, description = "app id (UUID)"), DeploymentListQuery),
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 200, description = "a page of deployments", body = DeploymentList),
        (status = 404, description = "no such app in this team"),
        (status = 422, description = "limit out of range"),
    )
)]
async fn list_deployments(
    State(state): State<ApiState>,
    caller: Caller,
    Path(app): Path<AppId>,
    Query(query): Query<DeploymentListQuery>,
) -> Result<axum::Json<DeploymentList>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(rivetr_core::Error::invalid_input(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        ))
        .into());
    }
    // The app itself first: an empty history and an invisible app differ.
    state.store().get_app(&caller.scope, app).await?;
    let page = Page {
        before: query.before,
        limit,
    };
    let items = state
        .store()
        .list_deployments(&caller.scope, app, page)
        .await?;
    let full = items.len() == usize::try_from(limit).unwrap_or(usize::MAX);
    let next = items
        .last()
        .filter(|last| full && last.number > 1)
        .map(|last| last.number);
    Ok(axum::Json(DeploymentList {
        items: items.into_iter().map(DeploymentView::from).collect(),
        next,
    }))
}

/// One deployment.
#[utoipa::path(
    get, path = "/api/v1/deployments/{deployment}", tag = "deployments",
    params(("deployment" = String, Path, description = "deployment id (UUID)")),
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 200, description = "the deployment", body = DeploymentView),
        (status = 404, description = "no such deployment in this team"),
    )
)]
async fn get_deployment(
    State(state): State<ApiState>,
    caller: Caller,
    Path(deployment): Path<DeploymentId>,
) -> Result<axum::Json<DeploymentView>, ApiError> {
    let deployment = state
        .store()
        .get_deployment(&caller.scope, deployment)
        .await?;
    Ok(axum::Json(deployment.into()))
}
