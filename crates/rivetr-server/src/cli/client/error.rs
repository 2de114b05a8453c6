//! What can go wrong in a client command, and the exit code for it.

use std::path::PathBuf;

/// A client command's failure.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClientError {
    /// The API answered with an error (`{"error": {"code", "message"}}`).
    #[error("{message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The API's error code (`unauthenticated`, `not_found`, ...).
        code: String,
        /// The API's message.
        message: String,
    },
    /// The server could not be reached or the connection broke.
    #[error("cannot reach {url}: {reason}")]
    Transport {
        /// The server.
        url: String,
        /// What happened (with its causes).
        reason: String,
    },
    /// The server answered something that is not the API's JSON.
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    /// No server URL or token is known.
    #[error("{0}")]
    NotLoggedIn(String),
    /// The user's input cannot be used (ambiguous or unknown app, bad URL).
    #[error("{0}")]
    Input(String),
    /// Reading or writing the credentials file or the CA file failed.
    #[error("{what} {}: {source}", path.display())]
    File {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl ClientError {
    /// A transport error, with the error's chain of causes.
    pub(crate) fn transport(url: &str, err: &dyn std::error::Error) -> Self {
        let mut reason = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            reason.push_str(": ");
            reason.push_str(&cause.to_string());
            source = cause.source();
        }
        Self::Transport {
            url: url.to_owned(),
            reason,
        }
    }

    /// A hint printed under the error, when one helps.
    pub(crate) fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Api { status: 401, .. } => {
                Some("log in again with `rivetr login` or set RIVETR_TOKEN")
            }
            _ => None,
        }
    }
}
