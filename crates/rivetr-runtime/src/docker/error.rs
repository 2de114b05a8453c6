//! The Docker runtime's private error, and its conversion into
//! [`rivetr_core::Error`] with a kind the caller can act on.

use bollard::errors::Error as BollardError;
use rivetr_core::{Error, ErrorKind};

/// What went wrong talking to the engine, with what was being done.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DockerError {
    /// The engine (or the connection to it) failed a call.
    #[error("{doing}: {}", describe(.source))]
    Api {
        /// What was being done, e.g. "creating container rivetr-web-1".
        doing: String,
        /// The client's error.
        #[source]
        source: BollardError,
    },
    /// A call the engine accepted but whose answer said it failed (progress
    /// streams of pulls and builds).
    #[error("{doing}: {message}")]
    Stream {
        /// What was being done.
        doing: String,
        /// The engine's message.
        message: String,
    },
}

impl DockerError {
    /// An API error while `doing` something.
    pub(crate) fn api(doing: impl Into<String>, source: BollardError) -> Self {
        Self::Api {
            doing: doing.into(),
            source,
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::Api { source, .. } => kind_of(source),
            Self::Stream { message, .. } => kind_of_message(message),
        }
    }
}

impl From<DockerError> for Error {
    fn from(err: DockerError) -> Self {
        let kind = err.kind();
        Error::new(kind, err.to_string()).with_source(err)
    }
}

/// A closure for `map_err`: the API error of a call made while `doing`.
pub(crate) fn api(doing: impl Into<String>) -> impl FnOnce(BollardError) -> Error {
    let doing = doing.into();
    move |source| DockerError::api(doing, source).into()
}

/// The HTTP status the engine answered with, when it answered.
pub(crate) fn status(err: &BollardError) -> Option<u16> {
    match err {
        BollardError::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// The engine's own message (without bollard's "Docker responded with status
/// code ..." wrapper), or the client error.
pub(crate) fn describe(err: &BollardError) -> String {
    match err {
        BollardError::DockerResponseServerError {
            status_code,
            message,
        } => format!("{} (HTTP {status_code})", message.trim()),
        BollardError::DockerStreamError { error } => error.trim().to_owned(),
        other => other.to_string(),
    }
}

/// The kind of a client error.
pub(crate) fn kind_of(err: &BollardError) -> ErrorKind {
    match err {
        BollardError::DockerResponseServerError {
            status_code,
            message,
        } => match status_code {
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            401 | 403 => ErrorKind::PermissionDenied,
            400 => ErrorKind::InvalidInput,
            // The engine reports registry failures as 500 with a message.
            _ => kind_of_message(message),
        },
        BollardError::DockerStreamError { error } => kind_of_message(error),
        BollardError::RequestTimeoutError => ErrorKind::Timeout,
        BollardError::HyperResponseError { .. }
        | BollardError::HyperLegacyError { .. }
        | BollardError::IOError { .. }
        | BollardError::SocketNotFoundError(_) => ErrorKind::Unavailable,
        _ => ErrorKind::Internal,
    }
}

/// The kind of an engine message that came without a telling status (pull
/// and build progress, 500 answers about registries).
pub(crate) fn kind_of_message(message: &str) -> ErrorKind {
    let m = message.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| m.contains(n));
    if has(&[
        "unauthorized",
        "authentication required",
        "incorrect username or password",
        "no basic auth credentials",
    ]) {
        ErrorKind::PermissionDenied
    } else if has(&[
        "not found",
        "manifest unknown",
        "does not exist",
        "no such image",
    ]) {
        ErrorKind::NotFound
    } else if has(&[
        "connection refused",
        "no such host",
        "i/o timeout",
        "timeout exceeded",
        "network is unreachable",
        "tls handshake timeout",
        "dial tcp",
        "server misbehaving",
    ]) {
        ErrorKind::Unavailable
    } else {
        ErrorKind::Internal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(status_code: u16, message: &str) -> BollardError {
        BollardError::DockerResponseServerError {
            status_code,
            message: message.to_owned(),
        }
    }

    #[test]
    fn statuses_map_to_kinds() {
        for (code, kind) in [
            (404, ErrorKind::NotFound),
            (409, ErrorKind::Conflict),
            (401, ErrorKind::PermissionDenied),
            (403, ErrorKind::PermissionDenied),
            (400, ErrorKind::InvalidInput),
            (500, ErrorKind::Internal),
        ] {
            assert_eq!(kind_of(&server(code, "boom")), kind, "{code}");
        }
    }

    #[test]
    fn connection_errors_are_retryable() {
        let err: Error = DockerError::api(
            "listing containers",
            BollardError::SocketNotFoundError("/nope.sock".to_owned()),
        )
        .into();
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        assert!(err.is_retryable());
        assert!(err.message().starts_with("listing containers: "));
    }

    #[test]
    fn messages_say_what_was_done_and_what_the_engine_said() {
        let err =
            api("creating container rivetr-web-1")(server(404, "No such image: rivetr/app:3"));
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(
            err.message(),
            "creating container rivetr-web-1: No such image: rivetr/app:3 (HTTP 404)"
        );
    }

    #[test]
    fn registry_messages_are_classified() {
        for (message, kind) in [
            (
                "unauthorized: incorrect username or password",
                ErrorKind::PermissionDenied,
            ),
            (
                "manifest for x:1 not found: manifest unknown",
                ErrorKind::NotFound,
            ),
            (
                "Get \"https://localhost:1/v2/\": dial tcp 127.0.0.1:1: connect: connection refused",
                ErrorKind::Unavailable,
            ),
            ("something odd", ErrorKind::Internal),
        ] {
            assert_eq!(kind_of(&server(500, message)), kind, "{message}");
        }
    }
}
