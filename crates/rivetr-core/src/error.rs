//! The one public error family of Rivetr's plug-in traits and engine.
//!
//! Every implementation keeps its own private error type and converts it into
//! [`Error`] at the trait boundary, choosing an [`ErrorKind`] that tells the
//! caller what to do next (retry, show the user, give up).

use std::fmt;

use crate::input::InputError;

/// What went wrong, in terms a caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The thing asked for does not exist (or the caller may not see it).
    NotFound,
    /// The request conflicts with the current state (duplicate name,
    /// stale compare-and-set, a transition the state machine forbids).
    Conflict,
    /// The input was refused; the message says why.
    InvalidInput,
    /// The caller may see the resource but not do this to it.
    PermissionDenied,
    /// This implementation cannot do that (see its `capabilities()`).
    Unsupported,
    /// A dependency (daemon, database, network) is not answering.
    Unavailable,
    /// The operation did not finish in time.
    Timeout,
    /// The operation was cancelled by the caller.
    Cancelled,
    /// A bug or an unexpected answer from a dependency.
    Internal,
}

impl ErrorKind {
    /// Whether retrying the same call later may succeed.
    #[must_use]
    pub fn default_retryable(self) -> bool {
        matches!(self, Self::Unavailable | Self::Timeout)
    }

    /// A short lowercase name, stable for logs and API error codes.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::InvalidInput => "invalid_input",
            Self::PermissionDenied => "permission_denied",
            Self::Unsupported => "unsupported",
            Self::Unavailable => "unavailable",
            Self::Timeout => "timeout",
            Self::Cancelled => "cancelled",
            Self::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error returned by every plug-in trait and by the engine.
///
/// ```
/// use rivetr_core::{Error, ErrorKind};
///
/// let err = Error::not_found("app web");
/// assert_eq!(err.kind(), ErrorKind::NotFound);
/// assert!(!err.is_retryable());
/// assert_eq!(err.to_string(), "not_found: app web");
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
    retryable: bool,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A new error of `kind` with a message for people.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            retryable: kind.default_retryable(),
            source: None,
        }
    }

    /// Attach the underlying cause (kept for `source()` chains).
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Override whether the call may be retried.
    #[must_use]
    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// [`ErrorKind::NotFound`].
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, what)
    }

    /// [`ErrorKind::Conflict`].
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    /// [`ErrorKind::InvalidInput`].
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// [`ErrorKind::PermissionDenied`].
    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::PermissionDenied, message)
    }

    /// [`ErrorKind::Unsupported`].
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }

    /// [`ErrorKind::Unavailable`] (retryable).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }

    /// [`ErrorKind::Timeout`] (retryable).
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Timeout, message)
    }

    /// [`ErrorKind::Cancelled`].
    pub fn cancelled(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Cancelled, message)
    }

    /// [`ErrorKind::Internal`].
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// What kind of failure this is.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message for people, without the kind prefix.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether retrying the same call later may succeed.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    /// Prefix the message with what the caller was doing.
    #[must_use]
    pub fn context(mut self, doing: impl fmt::Display) -> Self {
        self.message = format!("{doing}: {}", self.message);
        self
    }
}

impl From<InputError> for Error {
    fn from(err: InputError) -> Self {
        Self::invalid_input(err.to_string()).with_source(err)
    }
}

/// The result type of every plug-in trait.
pub type Result<T, E = Error> = std::result::Result<T, E>;
