//! The server configuration (in progress).
