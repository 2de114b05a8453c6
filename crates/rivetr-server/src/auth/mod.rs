//! Authentication building blocks (in progress).

pub mod api_token;
pub mod client_addr;
pub mod cookie;
mod crypto;
pub mod csrf;
pub mod password;
pub mod password_policy;
pub mod rate_limit;
pub mod session;
pub mod session_store;
pub mod totp;

pub use self::crypto::RandomUnavailable;
