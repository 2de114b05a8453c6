//! Who is calling: [`Signed`] (an authenticated user) and [`Caller`] (a
//! user acting in one team, with the [`Scope`] every store call takes).
//!
//! A request authenticates with `Authorization: Bearer rvt_…` (an API
//! token, bound to one team) or with the session cookie of a browser. A
//! cookie-authenticated request with an unsafe method must carry the
//! session's CSRF token in `X-CSRF-Token` and come from the server's own
//! origin. A session acts in the team named by `X-Rivetr-Team`, or else
//! in the user's first team.

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE, ORIGIN, REFERER};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;
use rivetr_core::access::Scope;
use rivetr_core::id::TeamId;
use rivetr_core::model::{ApiToken, Role, User};

use super::{ApiError, ApiState};
use crate::auth::api_token::{ApiTokenSecret, is_expired};
use crate::auth::csrf::{check_same_origin, requires_csrf};
use crate::auth::session::SessionId;

/// The header naming the team a session acts in.
pub const TEAM_HEADER: &str = "x-rivetr-team";
/// The header carrying a session's CSRF token on unsafe methods.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    /// An API token (bound to one team, narrowed by its scope).
    Token(ApiToken),
    /// A browser session.
    Session(SessionId),
}

/// An authenticated user, in no particular team yet.
#[derive(Debug, Clone)]
pub struct Signed {
    /// Who is calling.
    pub user: User,
    /// How they proved it.
    pub credential: Credential,
}

/// An authenticated user acting in one team.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who is calling.
    pub user: User,
    /// How they proved it.
    pub credential: Credential,
    /// The team acted in.
    pub team: TeamId,
    /// The user's role there.
    pub role: Role,
    /// What every store call of this request is made with.
    pub scope: Scope,
}

impl FromRequestParts<ApiState> for Signed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        if let Some(value) = parts.headers.get(AUTHORIZATION) {
            let value = value.to_str().unwrap_or_default();
            let Some(token) = value.strip_prefix("Bearer ") else {
                return Err(ApiError::unauthenticated(
                    "the Authorization header must be `Bearer rvt_…`",
                ));
            };
            return by_token(token.trim(), state).await;
        }
        let cookie = state.auth().cookie();
        let session_value = parts
            .headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|header| cookie.read(header));
        let Some(session_value) = session_value else {
            return Err(ApiError::unauthenticated(
                "sign in, or send an API token as `Authorization: Bearer rvt_…`",
            ));
        };
        let Some((id, session)) = state
            .auth()
            .sessions()
            .resolve(session_value, Utc::now())
            .await?
        else {
            return Err(ApiError::unauthenticated(
                "the session has expired or was ended; sign in again",
            ));
        };
        if requires_csrf(parts.method.as_str()) {
            check_csrf(&parts.headers, &id, state)?;
        }
        let user = state
            .store()
            .get_user(&Scope::system(), session.user_id)
            .await
            .map_err(|_| ApiError::unauthenticated("the session's user no longer exists"))?;
        Ok(Self {
            user,
            credential: Credential::Session(id),
        })
    }
}

async fn by_token(token: &str, state: &ApiState) -> Result<Signed, ApiError> {
    let secret = ApiTokenSecret::parse(token)
        .map_err(|err| ApiError::unauthenticated(format!("malformed API token: {err}")))?;
    let hash = state.auth().tokens().hash(&secret);
    let system = Scope::system();
    let Some(token) = state.store().find_token_by_hash(&system, &hash).await? else {
        return Err(ApiError::unauthenticated("unknown or revoked API token"));
    };
    if is_expired(&token, Utc::now()) {
        return Err(ApiError::unauthenticated("this API token has expired"));
    }
    let user = state
        .store()
        .get_user(&system, token.user_id)
        .await
        .map_err(|_| ApiError::unauthenticated("the token's user no longer exists"))?;
    Ok(Signed {
        user,
        credential: Credential::Token(token),
    })
}

fn check_csrf(headers: &HeaderMap, id: &SessionId, state: &ApiState) -> Result<(), ApiError> {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    state
        .auth()
        .csrf()
        .verify(id, text(CSRF_HEADER))
        .map_err(|err| ApiError::new(StatusCode::FORBIDDEN, "csrf", err.to_string()))?;
    let expected = match state.auth().public_origin() {
        Some(origin) => origin.to_owned(),
        None => format!("http://{}", text("host").unwrap_or_default()),
    };
    let secure_expected = expected.replacen("http://", "https://", 1);
    let origin = text(ORIGIN.as_str());
    let referer = text(REFERER.as_str());
    check_same_origin(&expected, origin, referer)
        .or_else(|_| check_same_origin(&secure_expected, origin, referer))
        .map_err(|err| ApiError::new(StatusCode::FORBIDDEN, "csrf", err.to_string()))
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        let signed = Signed::from_request_parts(parts, state).await?;
        let asked = match parts.headers.get(TEAM_HEADER) {
            None => None,
            Some(value) => Some(
                value
                    .to_str()
                    .ok()
                    .and_then(|v| v.trim().parse::<TeamId>().ok())
                    .ok_or_else(|| {
                        ApiError::new(
                            StatusCode::BAD_REQUEST,
                            "bad_request",
                            format!("{TEAM_HEADER} must be a team id (a UUID)"),
                        )
                    })?,
            ),
        };
        signed.in_team(state, asked).await
    }
}

impl Signed {
    /// Act in `asked` (or the credential's team, or the user's first
    /// team).
    ///
    /// # Errors
    ///
    /// 403 when the user is not a member of the team (or of any team),
    /// 400 when a token is asked to act in another team than its own.
    pub async fn in_team(
        self,
        state: &ApiState,
        asked: Option<TeamId>,
    ) -> Result<Caller, ApiError> {
        let system = Scope::system();
        let team = match (&self.credential, asked) {
            (Credential::Token(token), Some(asked)) if asked != token.team_id => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    format!("this API token acts in team {} only", token.team_id),
                ));
            }
            (Credential::Token(token), _) => token.team_id,
            (Credential::Session(_), Some(asked)) => asked,
            (Credential::Session(_), None) => state
                .store()
                .teams_of_user(&system, self.user.id)
                .await?
                .first()
                .map(|(team, _)| team.id)
                .ok_or_else(no_team)?,
        };
        let mut scope = state
            .store()
            .scope_for(self.user.id, team)
            .await
            .map_err(|_| no_team())?;
        if let Credential::Token(token) = &self.credential {
            scope = scope.with_token_scope(token.scope);
        }
        let role = scope.role().ok_or_else(no_team)?;
        Ok(Caller {
            user: self.user,
            credential: self.credential,
            team,
            role,
            scope,
        })
    }
}

fn no_team() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "no_team",
        "you are not a member of this team (or of any team): accept an invitation or create a team",
    )
}
