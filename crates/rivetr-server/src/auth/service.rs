//! [`AuthService`]: the authentication building blocks of one server,
//! configured once and shared by every request.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use chrono::TimeDelta;
use rivetr_core::id::UserId;

use super::api_token::TokenHasher;
use super::client_addr::{TrustedProxies, client_addr};
use super::cookie::SessionCookie;
use super::csrf::CsrfKey;
use super::password::{HashParams, PasswordError, PasswordHasher};
use super::password_policy::PasswordPolicy;
use super::rate_limit::{RateLimit, RateLimiter, RetryAfter};
use super::server_key::ServerKey;
use super::session::Sessions;
use super::session_store::SessionStore;
use super::setup_token::SetupTokenFile;

/// How the server authenticates callers.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Argon2id cost for new password hashes.
    pub hash_params: HashParams,
    /// Shortest password accepted.
    pub min_password_length: usize,
    /// How long a browser session lasts.
    pub session_ttl: TimeDelta,
    /// Sign-in attempts allowed per client address and minute.
    pub login_per_minute: u32,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    /// The server's public origin (`https://rivetr.example`), against
    /// which cookie-authenticated writes are checked; `None` compares
    /// with the request's own `Host`.
    pub public_origin: Option<String>,
    /// Whether the session cookie is marked `Secure` (`__Host-` name).
    pub secure_cookie: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            hash_params: HashParams::PRODUCTION,
            min_password_length: 12,
            session_ttl: TimeDelta::days(7),
            login_per_minute: 10,
            trusted_proxies: TrustedProxies::default(),
            public_origin: None,
            secure_cookie: false,
        }
    }
}

/// Why an [`AuthService`] could not be built.
#[derive(Debug, thiserror::Error)]
#[error("authentication: {0}")]
pub struct AuthSetupError(#[from] PasswordError);

/// Everything a request handler needs to authenticate: password hashing
/// and policy, API token hashes, sessions, CSRF tokens, the sign-in rate
/// limiter and the one-time setup token.
#[derive(Debug)]
pub struct AuthService {
    passwords: PasswordHasher,
    policy: PasswordPolicy,
    tokens: TokenHasher,
    sessions: Sessions,
    csrf: CsrfKey,
    cookie: SessionCookie,
    login_limiter: RateLimiter,
    trusted_proxies: TrustedProxies,
    public_origin: Option<String>,
    setup: Arc<SetupTokenFile>,
    totp_steps: Mutex<HashMap<UserId, u64>>,
}

impl AuthService {
    /// Build the service from its settings, the server key, where sessions
    /// live and the setup token file.
    ///
    /// # Errors
    ///
    /// Argon2 parameters the library refuses.
    pub fn new(
        settings: AuthSettings,
        key: &ServerKey,
        sessions: Arc<dyn SessionStore>,
        setup: Arc<SetupTokenFile>,
    ) -> Result<Self, AuthSetupError> {
        let per_minute = settings.login_per_minute.max(1);
        Ok(Self {
            passwords: PasswordHasher::new(settings.hash_params)?,
            policy: PasswordPolicy::with_min_length(settings.min_password_length),
            tokens: TokenHasher::new(key.bytes()),
            sessions: Sessions::new(sessions, key.bytes(), settings.session_ttl),
            csrf: CsrfKey::new(key.bytes()),
            cookie: if settings.secure_cookie {
                SessionCookie::https()
            } else {
                SessionCookie::insecure_dev()
            },
            login_limiter: RateLimiter::new(RateLimit {
                per_minute,
                burst: per_minute,
                ..RateLimit::default()
            }),
            trusted_proxies: settings.trusted_proxies,
            public_origin: settings.public_origin,
            setup,
            totp_steps: Mutex::new(HashMap::new()),
        })
    }

    /// Password hashing (on the blocking pool).
    #[must_use]
    pub fn passwords(&self) -> &PasswordHasher {
        &self.passwords
    }

    /// The minimum password strength.
    #[must_use]
    pub fn policy(&self) -> &PasswordPolicy {
        &self.policy
    }

    /// API token hashes.
    #[must_use]
    pub fn tokens(&self) -> &TokenHasher {
        &self.tokens
    }

    /// Browser sessions.
    #[must_use]
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// CSRF tokens of sessions.
    #[must_use]
    pub fn csrf(&self) -> &CsrfKey {
        &self.csrf
    }

    /// The session cookie's format.
    #[must_use]
    pub fn cookie(&self) -> SessionCookie {
        self.cookie
    }

    /// The public origin cookie-authenticated writes must come from, if
    /// configured.
    #[must_use]
    pub fn public_origin(&self) -> Option<&str> {
        self.public_origin.as_deref()
    }

    /// The one-time setup token file.
    #[must_use]
    pub fn setup(&self) -> &Arc<SetupTokenFile> {
        &self.setup
    }

    /// The client address of a request from `peer` (trusting
    /// `X-Forwarded-For` only from configured proxies).
    #[must_use]
    pub fn client_addr(&self, peer: SocketAddr, x_forwarded_for: Option<&str>) -> IpAddr {
        client_addr(peer, x_forwarded_for, &self.trusted_proxies)
    }

    /// Count a sign-in attempt from `client`.
    ///
    /// # Errors
    ///
    /// [`RetryAfter`] when the client is over its limit.
    pub fn check_login_rate(&self, client: IpAddr) -> Result<(), RetryAfter> {
        self.login_limiter.check(client, Instant::now())
    }

    /// The last TOTP step `user` signed in with (replay protection; kept
    /// in memory: after a restart, a code already used can be used once
    /// more within its 90-second window).
    #[must_use]
    pub fn last_totp_step(&self, user: UserId) -> Option<u64> {
        self.steps().get(&user).copied()
    }

    /// Remember the TOTP step `user` just used.
    pub fn record_totp_step(&self, user: UserId, step: u64) {
        let mut steps = self.steps();
        let last = steps.entry(user).or_insert(step);
        *last = (*last).max(step);
    }

    fn steps(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, u64>> {
        self.totp_steps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
