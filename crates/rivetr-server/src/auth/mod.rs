//! Authentication building blocks (in progress).

pub mod api_token;
mod crypto;
pub mod password;
pub mod password_policy;
pub mod totp;

pub use self::crypto::RandomUnavailable;
