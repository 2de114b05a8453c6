//! Deploy, roll back and cancel: each queues (or stops) work and answers
//! at once with the deployment; nothing waits for a build.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use rivetr_core::ErrorKind;
use rivetr_core::id::{AppId, DeploymentId};
use rivetr_core::model::{Action, Trigger};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::DeploymentView;
use crate::api::extract::Path;
use crate::api::{ApiError, ApiState, Caller};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(deploy))
        .routes(routes!(rollback))
        .routes(routes!(cancel))
}

/// The body of a deploy request (may be empty or absent: the app deploys
/// from its configured source).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct DeployRequest {}

/// The body of a rollback request (may be empty or absent).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RollbackRequest {
    /// The deployment whose image to run again; default: the version live
    /// before the current one.
    #[schema(value_type = Option<String>, format = Uuid)]
    deployment: Option<DeploymentId>,
}

/// Read an optional JSON body: empty means the default.
fn optional_json<T: Default + serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|err| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            format!("the request body is not valid: {err}"),
        )
    })
}

/// Deploy an app from its configured source.
///
/// Answers at once with the queued deployment; follow it with
/// `GET /api/v1/deployments/{deployment}/logs?follow=true`.
#[utoipa::path(
    post, path = "/api/v1/apps/{app}/deploy", tag = "deployments",
    params(("app" = String, Path, description = "app id (UUID)")),
    request_body(content = Option<DeployRequest>, description = "optional; `{}` or no body"),
    security(("token" = ["deploy"]), ("session" = ["deploy"])),
    responses(
        (status = 202, description = "queued", body = DeploymentView),
        (status = 403, description = "the role may not deploy"),
        (status = 404, description = "no such app in this team"),
        (status = 422, description = "malformed body"),
    )
)]
async fn deploy(
    State(state): State<ApiState>,
    caller: Caller,
    Path(app): Path<AppId>,
    body: Bytes,
) -> Result<(StatusCode, axum::Json<DeploymentView>), ApiError> {
    let DeployRequest {} = optional_json(&body)?;
    let deployment = state
        .engine()
        .deploy(&caller.scope, app, Trigger::Manual)
        .await?;
    Ok((StatusCode::ACCEPTED, axum::Json(deployment.into())))
}

/// Roll an app back to the image of an earlier live deployment.
///
/// Nothing is fetched or rebuilt; the rollback is a new deployment.
#[utoipa::path(
    post, path = "/api/v1/apps/{app}/rollback", tag = "deployments",
    params(("app" = String, Path, description = "app id (UUID)")),
    request_body(content = Option<RollbackRequest>, description = "optional target"),
    security(("token" = ["deploy"]), ("session" = ["deploy"])),
    responses(
        (status = 202, description = "rollback queued", body = DeploymentView),
        (status = 403, description = "the role may not deploy"),
        (status = 404, description = "no such app, or no such target deployment of it"),
        (status = 409, description = "no earlier version went live, or the target never did"),
        (status = 422, description = "malformed body"),
    )
)]
async fn rollback(
    State(state): State<ApiState>,
    caller: Caller,
    Path(app): Path<AppId>,
    body: Bytes,
) -> Result<(StatusCode, axum::Json<DeploymentView>), ApiError> {
    let request: RollbackRequest = optional_json(&body)?;
    // The role first, so a viewer hears "not allowed" rather than "nothing
    // to roll back to".
    let target = state.store().get_app(&caller.scope, app).await?;
    caller.scope.check(target.team_id, Action::Deploy)?;
    let deployment = match state
        .engine()
        .rollback(&caller.scope, app, request.deployment)
        .await
    {
        Ok(deployment) => deployment,
        // The app exists (read above): with no target named, "not found"
        // means no earlier version went live — a state, not a missing
        // resource.
        Err(err) if request.deployment.is_none() && err.kind() == ErrorKind::NotFound => {
            return Err(rivetr_core::Error::conflict(err.message().to_owned()).into());
        }
        Err(err) => return Err(err.into()),
    };
    Ok((StatusCode::ACCEPTED, axum::Json(deployment.into())))
}

/// Cancel a deployment that is queued or in flight.
///
/// A queued one is cancelled at once; one in flight stops at the end of
/// its current step (new containers removed, routes untouched): the
/// answer shows it as it is now, follow it to see `cancelled`.
#[utoipa::path(
    post, path = "/api/v1/deployments/{deployment}/cancel", tag = "deployments",
    params(("deployment" = String, Path, description = "deployment id (UUID)")),
    security(("token" = ["deploy"]), ("session" = ["deploy"])),
    responses(
        (status = 202, description = "cancelled, or being cancelled", body = DeploymentView),
        (status = 403, description = "the role may not deploy"),
        (status = 404, description = "no such deployment in this team"),
        (status = 409, description = "already live or finished"),
    )
)]
async fn cancel(
    State(state): State<ApiState>,
    caller: Caller,
    Path(deployment): Path<DeploymentId>,
) -> Result<(StatusCode, axum::Json<DeploymentView>), ApiError> {
    let deployment = state.engine().cancel(&caller.scope, deployment).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(deployment.into())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_body_is_the_default_and_unknown_fields_are_refused() {
        let empty: RollbackRequest = optional_json(&Bytes::from_static(b" \n")).unwrap();
        assert!(empty.deployment.is_none());
        let DeployRequest {} = optional_json(&Bytes::from_static(b"{}")).unwrap();
        let err =
            optional_json::<DeployRequest>(&Bytes::from_static(b"{\"ref\":\"main\"}")).unwrap_err();
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
