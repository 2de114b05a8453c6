//! Authentication building blocks (in progress).

pub mod api_token;
mod crypto;
pub mod password;

pub use self::crypto::RandomUnavailable;
