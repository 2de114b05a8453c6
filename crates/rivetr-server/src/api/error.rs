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
}

impl ApiError {
    /// An error with an explicit status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
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
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
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
        (self.status, Json(body)).into_response()
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
