//! An app's environment variables. Secret values are sealed by the store
//! and never listed: only `reveal` shows one, to a role that may
//! `reveal_secrets`, and that is recorded in the audit log.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rivetr_core::id::AppId;
use rivetr_core::input::EnvKey;
use rivetr_core::model::{Action, EnvVar, NewEnvVar, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{invalid, record};
use crate::api::extract::{Json, Path};
use crate::api::{ApiError, ApiState, Caller};

/// The longest value accepted, in bytes.
const MAX_VALUE_BYTES: usize = 64 * 1024;

/// This file's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_env))
        .routes(routes!(set_env, delete_env))
        .routes(routes!(reveal_env))
}

/// An environment variable as listed: a secret's value is `null`.
#[derive(Debug, Serialize, ToSchema)]
struct EnvVarView {
    /// Name.
    #[schema(value_type = String)]
    key: EnvKey,
    /// The value; `null` for a secret (see `reveal`).
    value: Option<String>,
    /// Whether the value is a secret (sealed at rest, masked in lists).
    secret: bool,
    /// When it was last set.
    updated_at: DateTime<Utc>,
}

impl EnvVarView {
    fn masked(var: EnvVar) -> Self {
        Self {
            value: if var.secret {
                None
            } else {
                var.value.map(|v| v.expose().to_owned())
            },
            key: var.key,
            secret: var.secret,
            updated_at: var.updated_at,
        }
    }
}

/// An app's environment variables.
#[derive(Debug, Serialize, ToSchema)]
struct EnvVarList {
    /// Ordered by key.
    items: Vec<EnvVarView>,
}

/// A variable's new value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SetEnvVarRequest {
    /// The value (at most 64 KiB, no NUL character).
    value: String,
    /// Keep it secret: sealed at rest and masked in lists (default false).
    #[serde(default)]
    secret: bool,
}

/// A revealed variable.
#[derive(Serialize, ToSchema)]
struct RevealedEnvVar {
    /// Name.
    #[schema(value_type = String)]
    key: EnvKey,
    /// The value in clear.
    value: String,
    /// Whether it is a secret.
    secret: bool,
}

fn env_key(key: &str) -> Result<EnvKey, ApiError> {
    key.parse::<EnvKey>().map_err(|err| invalid("key", err))
}

/// An app's environment variables; secret values are `null`.
#[utoipa::path(
    get, path = "/api/v1/apps/{app}/env", tag = "apps",
    params(("app" = String, Path, description = "app id (UUID)")),
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 200, description = "the variables", body = EnvVarList),
        (status = 404, description = "no such app in this team"),
    )
)]
async fn list_env(
    State(state): State<ApiState>,
    caller: Caller,
    Path(app): Path<AppId>,
) -> Result<axum::Json<EnvVarList>, ApiError> {
    state.store().get_app(&caller.scope, app).await?;
    let vars = state.store().list_env_vars(&caller.scope, app).await?;
    let items = vars.into_iter().map(EnvVarView::masked).collect();
    Ok(axum::Json(EnvVarList { items }))
}

/// Set (create or replace) a variable. It applies from the next
/// deployment.
#[utoipa::path(
    put, path = "/api/v1/apps/{app}/env/{key}", tag = "apps",
    params(
        ("app" = String, Path, description = "app id (UUID)"),
        ("key" = String, Path, description = "variable name (letters, digits, `_`; not starting with a digit)"),
    ),
    request_body = SetEnvVarRequest,
    security(("token" = ["manage_apps"]), ("session" = ["manage_apps"])),
    responses(
        (status = 200, description = "the variable as listed", body = EnvVarView),
        (status = 403, description = "the role may not manage apps"),
        (status = 404, description = "no such app in this team"),
        (status = 422, description = "invalid key or value"),
    )
)]
async fn set_env(
    State(state): State<ApiState>,
    caller: Caller,
    Path((app, key)): Path<(AppId, String)>,
    Json(req): Json<SetEnvVarRequest>,
) -> Result<axum::Json<EnvVarView>, ApiError> {
    let key = env_key(&key)?;
    if req.value.contains('\0') {
        return Err(invalid("value", "a value may not contain a NUL character"));
    }
    if req.value.len() > MAX_VALUE_BYTES {
        return Err(invalid(
            "value",
            format!("at most {MAX_VALUE_BYTES} bytes; mount a file for larger data"),
        ));
    }
    state.store().get_app(&caller.scope, app).await?;
    let var = state
        .store()
        .set_env_var(
            &caller.scope,
            NewEnvVar {
                app_id: app,
                key: key.clone(),
                value: SecretString::new(req.value),
                secret: req.secret,
            },
        )
        .await?;
    record(
        &state,
        &caller,
        "env.set",
        format!("{app}/{key}"),
        json!({ "key": key.to_string(), "secret": req.secret }),
    )
    .await;
    Ok(axum::Json(EnvVarView::masked(var)))
}

/// Delete a variable.
#[utoipa::path(
    delete, path = "/api/v1/apps/{app}/env/{key}", tag = "apps",
    params(
        ("app" = String, Path, description = "app id (UUID)"),
        ("key" = String, Path, description = "variable name"),
    ),
    security(("token" = ["manage_apps"]), ("session" = ["manage_apps"])),
    responses(
        (status = 204, description = "deleted"),
        (status = 403, description = "the role may not manage apps"),
        (status = 404, description = "no such app in this team, or no such variable"),
    )
)]
async fn delete_env(
    State(state): State<ApiState>,
    caller: Caller,
    Path((app, key)): Path<(AppId, String)>,
) -> Result<StatusCode, ApiError> {
    let key = env_key(&key)?;
    state.store().get_app(&caller.scope, app).await?;
    state
        .store()
        .delete_env_var(&caller.scope, app, &key)
        .await?;
    record(
        &state,
        &caller,
        "env.delete",
        format!("{app}/{key}"),
        json!({ "key": key.to_string() }),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Show a variable's value in clear, secrets included. Recorded in the
/// audit log (who, when, which key).
#[utoipa::path(
    post, path = "/api/v1/apps/{app}/env/{key}/reveal", tag = "apps",
    params(
        ("app" = String, Path, description = "app id (UUID)"),
        ("key" = String, Path, description = "variable name"),
    ),
    security(("token" = ["reveal_secrets"]), ("session" = ["reveal_secrets"])),
    responses(
        (status = 200, description = "the value", body = RevealedEnvVar),
        (status = 403, description = "the role may not reveal secrets"),
        (status = 404, description = "no such app in this team, or no such variable"),
    )
)]
async fn reveal_env(
    State(state): State<ApiState>,
    caller: Caller,
    Path((app, key)): Path<(AppId, String)>,
) -> Result<axum::Json<RevealedEnvVar>, ApiError> {
    let key = env_key(&key)?;
    let found = state.store().get_app(&caller.scope, app).await?;
    // The store lists secrets in clear only to a scope that may reveal
    // them; saying 403 here (rather than answering `null`) tells the
    // caller why.
    caller.scope.check(found.team_id, Action::RevealSecrets)?;
    let vars = state.store().list_env_vars(&caller.scope, app).await?;
    let var = vars
        .into_iter()
        .find(|v| v.key == key)
        .ok_or_else(|| rivetr_core::Error::not_found(format!("no variable {key} in app {app}")))?;
    let Some(value) = var.value else {
        return Err(rivetr_core::Error::permission_denied("this value may not be revealed").into());
    };
    record(
        &state,
        &caller,
        "env.reveal",
        format!("{app}/{key}"),
        json!({ "key": key.to_string(), "secret": var.secret }),
    )
    .await;
    Ok(axum::Json(RevealedEnvVar {
        key,
        value: value.expose().to_owned(),
        secret: var.secret,
    }))
}
