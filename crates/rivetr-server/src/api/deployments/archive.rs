//! Deploy an uploaded source archive (a zip or a tar.gz).
//!
//! The body is streamed to `<work dir>/uploads/<upload id>` (where the
//! archive source reads uploads), never held in memory, and refused with
//! 413 past `max_upload_bytes` (nothing is kept). The app's source then
//! becomes that upload, and a deployment is queued: later deploys, and
//! webhooks, build the same upload until the next one (or a PATCH of the
//! app's source). Because this changes the app, it needs `manage_apps`
//! as well as `deploy`.

use std::path::{Path as FsPath, PathBuf};

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use futures::StreamExt as _;
use rivetr_core::id::{AppId, UploadId};
use rivetr_core::model::{Action, SourceSpec, Trigger};
use tokio::io::AsyncWriteExt as _;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::DeploymentView;
use crate::api::extract::Path;
use crate::api::{ApiError, ApiState, Caller};

/// Media types accepted for the body.
const ACCEPTED_TYPES: [&str; 4] = [
    "application/gzip",
    "application/x-gzip",
    "application/zip",
    "application/octet-stream",
];

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(deploy_archive))
}

/// A zip or tar.gz archive of the source tree (raw bytes).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[expect(dead_code, reason = "only describes the body in the OpenAPI document")]
pub(super) struct SourceArchive(Vec<u8>);

/// Deploy an app from an uploaded zip or tar.gz.
///
/// The raw body is the archive (`Content-Type: application/gzip`,
/// `application/zip` or `application/octet-stream`), at most the server's
/// `max_upload` bytes. The upload becomes the app's source, and a
/// deployment of it is queued (the answer is that deployment).
#[utoipa::path(
    post, path = "/api/v1/apps/{app}/deploy/archive", tag = "deployments",
    params(("app" = String, Path, description = "app id (UUID)")),
    request_body(content = SourceArchive, content_type = "application/octet-stream",
        description = "a tar.gz or zip of the source tree, sent as `application/octet-stream`, \
                       `application/gzip`, `application/x-gzip` or `application/zip`"),
    security(("token" = ["manage_apps"]), ("session" = ["manage_apps"])),
    responses(
        (status = 202, description = "uploaded, and a deployment of it queued", body = DeploymentView),
        (status = 403, description = "the role may not change or deploy apps"),
        (status = 404, description = "no such app in this team"),
        (status = 413, description = "the archive is larger than the server accepts"),
        (status = 415, description = "not a zip or tar.gz"),
    )
)]
async fn deploy_archive(
    State(state): State<ApiState>,
    caller: Caller,
    Path(app): Path<AppId>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, axum::Json<DeploymentView>), ApiError> {
    // Who may do this is settled first, before a byte is read.
    let mut app = state.store().get_app(&caller.scope, app).await?;
    caller.scope.check(app.team_id, Action::ManageApps)?;
    caller.scope.check(app.team_id, Action::Deploy)?;
    check_content_type(&headers)?;
    let max = state.settings().max_upload_bytes;
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max as u64) {
        return Err(too_large(max));
    }

    let uploads = uploads_dir(&state);
    let upload = UploadId::new();
    let stored = Upload::receive(&uploads, upload, body, max).await?;
    let previous = app.spec.clone();
    app.spec.source = SourceSpec::Archive { upload };
    state
        .store()
        .update_app_spec(&caller.scope, app.id, app.spec.clone())
        .await?;
    let deployment = match state
        .engine()
        .deploy(&caller.scope, app.id, Trigger::Manual)
        .await
    {
        Ok(deployment) => deployment,
        Err(err) => {
            // The upload is removed with `stored`: point the app back at
            // what it deployed from before.
            let restored = state
                .store()
                .update_app_spec(&caller.scope, app.id, previous)
                .await;
            if let Err(restore) = restored {
                tracing::error!(app = %app.id, error = %restore, "cannot restore the app's source after a refused archive deploy");
            }
            return Err(err.into());
        }
    };
    let size = stored.keep();
    super::audit(
        &state,
        &caller,
        "app.deploy_archive",
        format!("app {} ({})", app.name, app.id),
        serde_json::json!({ "upload": upload, "bytes": size, "deployment": deployment.id }),
    )
    .await;
    Ok((StatusCode::ACCEPTED, axum::Json(deployment.into())))
}

/// Where uploads go: `<data dir>/uploads`, where the platform's archive
/// source reads them (outside the work dir the engine sweeps at start-up,
/// so an archive app can be redeployed after a restart).
fn uploads_dir(state: &ApiState) -> PathBuf {
    state.settings().uploads_dir.clone()
}

fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let media = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    match media {
        Some(media) if ACCEPTED_TYPES.contains(&media.as_str()) => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the archive as the raw body with Content-Type application/gzip, application/zip or application/octet-stream",
        )),
    }
}

fn too_large(max: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the archive is larger than this server accepts ({max} bytes)"),
    )
}

fn internal(err: &std::io::Error, doing: &str) -> ApiError {
    rivetr_core::Error::internal(format!("{doing}: {err}")).into()
}

/// An upload on disk, removed when dropped unless kept.
struct Upload {
    path: Option<PathBuf>,
    size: u64,
}

impl Upload {
    /// Stream `body` into `<dir>/<upload>`, refusing more than `max` bytes
    /// and anything that does not start like a zip or a gzip.
    async fn receive(
        dir: &FsPath,
        upload: UploadId,
        body: Body,
        max: usize,
    ) -> Result<Self, ApiError> {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| internal(&e, "creating the uploads directory"))?;
        let partial = dir.join(format!(".{upload}.partial"));
        let mut guard = Upload {
            path: Some(partial.clone()),
            size: 0,
        };
        let mut file = tokio::fs::File::create(&partial)
            .await
            .map_err(|e| internal(&e, "creating the upload file"))?;
        let mut head = Vec::with_capacity(4);
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|err| {
                ApiError::bad_request(format!("the upload was interrupted: {err}"))
            })?;
            guard.size += chunk.len() as u64;
            if guard.size > max as u64 {
                return Err(too_large(max));
            }
            if head.len() < 4 {
                let take = (4 - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
            }
            file.write_all(&chunk)
                .await
                .map_err(|e| internal(&e, "writing the upload"))?;
        }
        file.sync_all()
            .await
            .map_err(|e| internal(&e, "writing the upload"))?;
        drop(file);
        if !(head.starts_with(b"PK\x03\x04") || head.starts_with(&[0x1f, 0x8b])) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body is neither a zip nor a gzip-compressed tar archive",
            ));
        }
        let path = dir.join(upload.to_string());
        tokio::fs::rename(&partial, &path)
            .await
            .map_err(|e| internal(&e, "storing the upload"))?;
        guard.path = Some(path);
        Ok(guard)
    }

    /// Keep the file; its size.
    fn keep(mut self) -> u64 {
        self.path = None;
        self.size
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if let Some(path) = self.path.take()
            && let Err(err) = std::fs::remove_file(&path)
        {
            tracing::warn!(path = %path.display(), error = %err, "cannot remove a refused upload");
        }
    }
}
