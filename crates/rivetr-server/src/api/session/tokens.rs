//! API tokens: listed, created (the secret shown once, only its keyed hash
//! kept) and revoked. A token acts in the team it was made in and never
//! allows more than its creator's role (the store refuses otherwise).

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, TimeDelta, Utc};
use rivetr_core::id::{TeamId, TokenId, UserId};
use rivetr_core::input::DisplayName;
use rivetr_core::model::{ApiToken, NewApiToken, NewAuditEntry, TokenScope};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::password::internal;
use crate::api::extract::{Json, Path};
use crate::api::{ApiError, ApiState, Caller};
use crate::auth::api_token::{ApiTokenSecret, expires_at};

/// Longest lifetime a token may be given, in days (ten years).
const MAX_DAYS: u32 = 3650;

/// An API token (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TokenView {
    /// Identity.
    #[schema(value_type = String, format = Uuid)]
    id: TokenId,
    /// Whose token it is.
    #[schema(value_type = String, format = Uuid)]
    user_id: UserId,
    /// The team it acts in.
    #[schema(value_type = String, format = Uuid)]
    team_id: TeamId,
    /// Its name.
    name: String,
    /// What it may do: `read`, `deploy`, `write` or `admin`.
    #[schema(value_type = String, example = "deploy")]
    scope: TokenScope,
    /// Created at.
    created_at: DateTime<Utc>,
    /// Refused from this instant; `null` = never expires.
    expires_at: Option<DateTime<Utc>>,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> Self {
        Self {
            id: t.id,
            user_id: t.user_id,
            team_id: t.team_id,
            name: t.name.as_str().to_owned(),
            scope: t.scope,
            created_at: t.created_at,
            expires_at: t.expires_at,
        }
    }
}

/// A list of tokens.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TokenList {
    /// Oldest first.
    items: Vec<TokenView>,
}

/// The caller's tokens in the acting team (everyone's for admins).
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "tokens",
    security(("token" = ["read"]), ("session" = ["read"])),
    responses((status = 200, description = "tokens", body = TokenList))
)]
pub(super) async fn list(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<axum::Json<TokenList>, ApiError> {
    let items = state.store().list_tokens(&caller.scope).await?;
    Ok(axum::Json(TokenList {
        items: items.into_iter().map(TokenView::from).collect(),
    }))
}

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewToken {
    /// A name to recognise it by.
    name: String,
    /// What it may do: `read`, `deploy`, `write` or `admin` (default
    /// `read`); never more than the caller's role.
    #[serde(default = "read_scope")]
    #[schema(value_type = String, example = "deploy")]
    scope: TokenScope,
    /// Days until it expires (1 to 3650); none = never.
    #[serde(default)]
    expires_in_days: Option<u32>,
}

fn read_scope() -> TokenScope {
    TokenScope::Read
}

/// A created token, with its secret (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CreatedToken {
    /// The token.
    #[serde(flatten)]
    token: TokenView,
    /// `rvt_…`: send as `Authorization: Bearer <secret>`. Not shown again.
    secret: String,
}

/// Create a token for the caller in the acting team.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "tokens",
    request_body = NewToken,
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 201, description = "created; the secret is shown once", body = CreatedToken),
        (status = 403, description = "the scope exceeds what the caller may do"),
        (status = 422, description = "invalid name or lifetime"),
    )
)]
pub(super) async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    Json(new): Json<NewToken>,
) -> Result<(StatusCode, axum::Json<CreatedToken>), ApiError> {
    let name: DisplayName = new.name.parse()?;
    let ttl = match new.expires_in_days {
        None => None,
        Some(days @ 1..=MAX_DAYS) => Some(TimeDelta::days(i64::from(days))),
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
                format!("expires_in_days: must be 1 to {MAX_DAYS}"),
            ));
        }
    };
    let secret = ApiTokenSecret::generate().map_err(internal)?;
    let token = state
        .store()
        .create_token(
            &caller.scope,
            NewApiToken {
                user_id: caller.user.id,
                team_id: caller.team,
                name,
                scope: new.scope,
                token_hash: state.auth().tokens().hash(&secret),
                expires_at: expires_at(Utc::now(), ttl),
            },
        )
        .await?;
    state
        .store()
        .record_audit(
            &caller.scope,
            NewAuditEntry {
                team_id: Some(caller.team),
                action: "token.create".parse()?,
                target: format!("token {}", token.id),
                detail: serde_json::json!({ "name": token.name.as_str(), "scope": token.scope }),
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedToken {
            token: TokenView::from(token),
            secret: secret.expose().to_owned(),
        }),
    ))
}

/// Revoke a token (one's own; anyone's in the team for admins).
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{token}",
    tag = "tokens",
    params(("token" = String, Path, description = "token id (UUID)")),
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 204, description = "revoked"),
        (status = 404, description = "no such token visible to the caller"),
    )
)]
pub(super) async fn revoke(
    State(state): State<ApiState>,
    caller: Caller,
    Path(token): Path<TokenId>,
) -> Result<StatusCode, ApiError> {
    state.store().revoke_token(&caller.scope, token).await?;
    state
        .store()
        .record_audit(
            &caller.scope,
            NewAuditEntry {
                team_id: Some(caller.team),
                action: "token.revoke".parse()?,
                target: format!("token {token}"),
                detail: serde_json::Value::Null,
            },
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
