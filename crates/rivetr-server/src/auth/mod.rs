//! Authentication: who is calling, proven how.
//!
//! These are the building blocks; the HTTP layer wires them into routes.
//! Authorization (what a caller may do) is not here: it happens where data
//! is read, in the store's scoped queries (architecture rule 5).
//!
//! # Credentials
//!
//! | credential | shown to the user | stored by the server | module |
//! | --- | --- | --- | --- |
//! | password | never (the user chose it) | Argon2id PHC hash ([`PasswordHash`](rivetr_core::model::PasswordHash)) | [`password`], [`password_policy`] |
//! | API token `rvt_…` | once, at creation | HMAC-SHA256(server key, token), hex, with scope and expiry | [`api_token`] |
//! | browser session id | never (an `HttpOnly` cookie) | HMAC-SHA256(server key, id), hex, with user and expiry | [`session`], [`session_store`], [`cookie`] |
//! | CSRF token | in pages and at sign-in | nothing (derived: HMAC(server key, session id)) | [`csrf`] |
//! | TOTP secret | once, as base32 and an `otpauth://` URI | the secret, sealed, and the last step used | [`totp`] |
//! | setup token | once, in the log (and the 0600 file) | the file `<data dir>/setup-token` until redeemed | [`setup_token`] |
//!
//! The server key ([`server_key::ServerKey`]) is 32 random bytes kept in
//! `<data dir>/auth.key` (mode 0600); the keyed hashes depend on it (a leaked database alone allows no offline check of
//! token or session guesses). One key serves every keyed use: each use
//! prefixes its input with its own label, so a value of one kind is never
//! valid as another. Secrets (`ApiTokenSecret`, `SessionId`, `TotpSecret`,
//! `SetupToken`) print as `***` in `Debug`, and errors never echo them.
//!
//! # Which checks run where
//!
//! - **First start** (no user in the store): [`setup_token`] issues the
//!   setup token. Creating the first admin redeems it (once, constant-time
//!   comparison); the new password passes [`password_policy`].
//! - **Sign-in** (`POST` with e-mail and password): the client address
//!   ([`client_addr`], trusting `X-Forwarded-For` only from configured
//!   proxies) is counted by [`rate_limit`] *before* any password work; an
//!   unknown e-mail costs a dummy Argon2 run
//!   ([`PasswordHasher::verify_unknown_user`](password::PasswordHasher::verify_unknown_user));
//!   when the user has 2FA, a TOTP code is checked ([`totp::verify`]) and
//!   its step stored against replay. Success starts a session
//!   ([`session::Sessions::start`]) and sets the cookie.
//! - **Every request**: `Authorization: Bearer rvt_…` is parsed
//!   ([`api_token::ApiTokenSecret::parse`] refuses malformed tokens before
//!   any lookup), hashed, looked up, and refused when expired
//!   ([`api_token::is_expired`]); its scope narrows its owner's role.
//!   Otherwise the session cookie is read ([`cookie::SessionCookie::read`])
//!   and resolved ([`session::Sessions::resolve`]).
//! - **Cookie-authenticated unsafe methods** (`POST`, `PUT`, `PATCH`,
//!   `DELETE`, …: [`csrf::requires_csrf`]): the CSRF token must match
//!   ([`csrf::CsrfKey::verify`]) and the `Origin`/`Referer` must be the
//!   server's ([`csrf::check_same_origin`]). Token-authenticated requests
//!   carry no ambient credential and skip both.
//! - **Password change / sign-out everywhere**: every session of the user
//!   ends ([`session::Sessions::end_all`]).
//!
//! Session storage is behind the [`session_store::SessionStore`] trait:
//! the server keeps sessions in the platform's store
//! ([`session_store::StoreSessions`], so they survive a restart);
//! [`session_store::MemorySessionStore`] serves embedders and tests
//! without a store.

pub mod api_token;
pub mod client_addr;
pub mod cookie;
mod crypto;
pub mod csrf;
pub mod password;
pub mod password_policy;
pub mod rate_limit;
pub mod server_key;
pub mod service;
pub mod session;
pub mod session_store;
pub mod setup_token;
pub mod totp;

pub use self::crypto::RandomUnavailable;
