//! An app's named volumes. Creating one also mounts it in the app's spec
//! (`run.volumes`), deleting one unmounts it; both apply from the next
//! deployment. The data itself stays with the container runtime.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rivetr_core::id::{AppId, VolumeId};
use rivetr_core::input::{ContainerPath, VolumeName};
use rivetr_core::model::{MountSource, NewVolume, Volume, VolumeMount};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::record;
use super::run::MountBody;
use crate::api::extract::{Json, Path};
use crate::api::{ApiError, ApiState, Caller};

/// This file's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_volumes, create_volume))
        .routes(routes!(delete_volume))
}

/// A named volume of an app.
#[derive(Debug, Serialize, ToSchema)]
struct VolumeView {
    /// Identity.
    #[schema(value_type = String, format = Uuid)]
    id: VolumeId,
    /// The app it belongs to.
    #[schema(value_type = String, format = Uuid)]
    app_id: AppId,
    /// Its name, unique on the instance.
    #[schema(value_type = String)]
    name: VolumeName,
    /// Where it is mounted in the app's containers.
    #[schema(value_type = String)]
    mount_path: ContainerPath,
    /// When it was created.
    created_at: DateTime<Utc>,
}

impl From<Volume> for VolumeView {
    fn from(v: Volume) -> Self {
        Self {
            id: v.id,
            app_id: v.app_id,
            name: v.name,
            mount_path: v.mount_path,
            created_at: v.created_at,
        }
    }
}

/// An app's volumes.
#[derive(Debug, Serialize, ToSchema)]
struct VolumeList {
    /// Ordered by creation.
    items: Vec<VolumeView>,
}

/// A volume to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewVolumeRequest {
    /// Name (letters, digits, `_`, `.`, `-`; no `/`), unique on the instance.
    #[schema(value_type = String)]
    name: VolumeName,
    /// Absolute path inside the container, e.g. `/data`.
    #[schema(value_type = String)]
    mount_path: ContainerPath,
}

/// An app's volumes.
#[utoipa::path(
    get, path = "/api/v1/apps/{app}/volumes", tag = "apps",
    params(("app" = String, Path, description = "app id (UUID)")),
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 200, description = "the volumes", body = VolumeList),
        (status = 404, description = "no such app in this team"),
    )
)]
async fn list_volumes(
    State(state): State<ApiState>,
    caller: Caller,
    Path(app): Path<AppId>,
) -> Result<axum::Json<VolumeList>, ApiError> {
    state.store().get_app(&caller.scope, app).await?;
    let volumes = state.store().list_volumes(&caller.scope, app).await?;
    let items = volumes.into_iter().map(Into::into).collect();
    Ok(axum::Json(VolumeList { items }))
}

/// Create a named volume and mount it in the app (from its next
/// deployment).
#[utoipa::path(
    post, path = "/api/v1/apps/{app}/volumes", tag = "apps",
    params(("app" = String, Path, description = "app id (UUID)")),
    request_body = NewVolumeRequest,
    security(("token" = ["manage_apps"]), ("session" = ["manage_apps"])),
    responses(
        (status = 201, description = "created and mounted", body = VolumeView),
        (status = 403, description = "the role may not manage apps"),
        (status = 404, description = "no such app in this team"),
        (status = 409, description = "the name is taken, or the path already has a mount"),
        (status = 422, description = "invalid name or path"),
    )
)]
async fn create_volume(
    State(state): State<ApiState>,
    caller: Caller,
    Path(app): Path<AppId>,
    Json(req): Json<NewVolumeRequest>,
) -> Result<(StatusCode, axum::Json<VolumeView>), ApiError> {
    let found = state.store().get_app(&caller.scope, app).await?;
    if let Some(taken) = found
        .spec
        .run
        .volumes
        .iter()
        .find(|m| m.target == req.mount_path)
    {
        return Err(rivetr_core::Error::conflict(format!(
            "{} is already a mount point of this app ({})",
            taken.target,
            describe(&taken.source)
        ))
        .into());
    }
    let volume = state
        .store()
        .create_volume(
            &caller.scope,
            NewVolume {
                app_id: app,
                name: req.name.clone(),
                mount_path: req.mount_path.clone(),
            },
        )
        .await?;
    let mut spec = found.spec;
    spec.run
        .volumes
        .push(MountBody::volume(req.name, req.mount_path).into());
    if let Err(err) = state
        .store()
        .update_app_spec(&caller.scope, app, spec)
        .await
    {
        // Keep the record and the spec in step: undo the record.
        if let Err(undo) = state.store().delete_volume(&caller.scope, volume.id).await {
            tracing::error!(error = %undo, volume = %volume.id, "undoing a volume record failed");
        }
        return Err(err.into());
    }
    record(
        &state,
        &caller,
        "volume.create",
        volume.id.to_string(),
        json!({ "app": app.to_string(), "name": volume.name.to_string(),
                "mount_path": volume.mount_path.to_string() }),
    )
    .await;
    Ok((StatusCode::CREATED, axum::Json(volume.into())))
}

fn describe(source: &MountSource) -> String {
    match source {
        MountSource::Volume(name) => format!("volume {name}"),
        MountSource::Bind(path) => format!("host directory {path}"),
    }
}

/// Delete a volume record and unmount it from its app (from the next
/// deployment). The runtime's data is not erased by this call.
#[utoipa::path(
    delete, path = "/api/v1/volumes/{volume}", tag = "apps",
    params(("volume" = String, Path, description = "volume id (UUID)")),
    security(("token" = ["manage_apps"]), ("session" = ["manage_apps"])),
    responses(
        (status = 204, description = "deleted"),
        (status = 403, description = "the role may not manage apps"),
        (status = 404, description = "no such volume in this team"),
    )
)]
async fn delete_volume(
    State(state): State<ApiState>,
    caller: Caller,
    Path(volume): Path<VolumeId>,
) -> Result<StatusCode, ApiError> {
    // The store has no lookup by volume id: find it among the team's apps.
    let mut found = None;
    for app in state.store().list_apps(&caller.scope, None).await? {
        let volumes = state.store().list_volumes(&caller.scope, app.id).await?;
        if let Some(v) = volumes.into_iter().find(|v| v.id == volume) {
            found = Some((app, v));
            break;
        }
    }
    let Some((app, record_of)) = found else {
        return Err(rivetr_core::Error::not_found(format!("volume {volume} not found")).into());
    };
    state.store().delete_volume(&caller.scope, volume).await?;
    let mut spec = app.spec.clone();
    let before = spec.run.volumes.len();
    spec.run.volumes.retain(|m| !is_mount_of(m, &record_of));
    if spec.run.volumes.len() != before {
        state
            .store()
            .update_app_spec(&caller.scope, app.id, spec)
            .await?;
    }
    record(
        &state,
        &caller,
        "volume.delete",
        volume.to_string(),
        json!({ "app": app.id.to_string(), "name": record_of.name.to_string() }),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

fn is_mount_of(mount: &VolumeMount, volume: &Volume) -> bool {
    matches!(&mount.source, MountSource::Volume(name) if *name == volume.name)
}
