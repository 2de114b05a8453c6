//! The API's one error shape:
//! `{"error": {"code": "not_found", "message": "app 0190… not found"}}`,
//! with the HTTP status derived from the core error kind.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rivetr_core::{Error, ErrorKind};
use serde::Serialize;

/// An error answer of the API.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with an explicit status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 401: no credential, or one that is not (or no longer) valid.
    #[must_use]
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    /// 429: over a rate limit; retry after `seconds`.
    #[must_use]
    pub fn too_many(message: impl Into<String>, seconds: u64) -> Self {
        let mut err = Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message);
        err.retry_after = Some(seconds.max(1));
        err
    }

    /// 400 with a message.
    #[must_use]
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// The machine-readable code (`not_found`, `unauthenticated`, …).
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The human-readable message.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// No route answers this path.
    #[must_use]
    pub fn no_route() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such API endpoint (the API reference lists them)",
        )
    }

    /// The status this error answers with.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

/// The status for each kind: not found 404, conflict 409, invalid input
/// 422, permission denied 403, unsupported 501, unavailable 503, timeout
/// 504, cancelled 409, internal 500 (its message is logged, not shown).
impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        let status = match err.kind() {
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict | ErrorKind::Cancelled => StatusCode::CONFLICT,
            ErrorKind::InvalidInput => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::PermissionDenied => StatusCode::FORBIDDEN,
            ErrorKind::Unsupported => StatusCode::NOT_IMPLEMENTED,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Timeout => StatusCode::GATEWAY_TIMEOUT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %err, "internal error answering an API request");
            "internal error (the server's log has the details)".to_owned()
        } else {
            err.message().to_owned()
        };
        Self {
            status,
            code: err.kind().as_str(),
            message,
            retry_after: None,
        }
    }
}

impl From<rivetr_core::input::InputError> for ApiError {
    fn from(err: rivetr_core::input::InputError) -> Self {
        Error::from(err).into()
    }
}

/// The body of every error answer.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ErrorBody)]
pub(crate) struct Body<'a> {
    error: Inner<'a>,
}

/// What went wrong.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ErrorDetail)]
pub(crate) struct Inner<'a> {
    /// Machine-readable: `not_found`, `conflict`, `invalid_input`,
    /// `permission_denied`, `unauthenticated`, `csrf`, `rate_limited`, …
    code: &'a str,
    /// For people.
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"rivetr\""),
            );
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_statuses_and_internal_details_stay_in_the_log() {
        let cases = [
            (Error::not_found("app x"), StatusCode::NOT_FOUND),
            (Error::conflict("taken"), StatusCode::CONFLICT),
            (
                Error::invalid_input("bad"),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (Error::permission_denied("no"), StatusCode::FORBIDDEN),
            (Error::unavailable("down"), StatusCode::SERVICE_UNAVAILABLE),
            (
                Error::internal("db password is hunter2"),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
        ];
        for (err, status) in cases {
            let api = ApiError::from(err);
            assert_eq!(api.status(), status);
            if status == StatusCode::INTERNAL_SERVER_ERROR {
                assert!(!api.message.contains("hunter2"), "{}", api.message);
            }
        }
    }
}
