//! HTTP basic auth in front of a route: `Authorization: Basic …` checked
//! against the route's user name and PHC password hash (argon2), with a
//! bounded in-memory cache of credentials already verified.
//!
//! # Cost
//!
//! Argon2 is slow on purpose, so a verification runs on tokio's blocking
//! pool, at most as many at once as the machine has cores (others wait
//! their turn), never on the request threads. A credential that passed is
//! remembered: the cache keeps an HMAC-SHA256 (with a key drawn at random
//! when the proxy starts) of the route, its user name and hash, and the
//! credentials sent, never the password itself; later requests with the
//! same credentials cost one HMAC and a lookup. It holds at most
//! [`CACHE_CAPACITY`] entries (the oldest go first); failures are not
//! cached, so guessing stays as slow as argon2 makes it.
//!
//! # Failing closed
//!
//! A missing, malformed or wrong `Authorization` header, and a route whose
//! hash is not an argon2 PHC string (logged as a warning), get 401.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use argon2::{Algorithm, Argon2};
use base64ct::{Base64, Encoding};
use http::HeaderMap;
use http::header::AUTHORIZATION;
use ring::hmac;
use rivetr_core::model::BasicAuth;
use rivetr_core::route::HostRoute;
use tokio::sync::Semaphore;

use crate::metrics::Metrics;

/// The most verified credentials remembered, over all routes.
pub(crate) const CACHE_CAPACITY: usize = 4096;

/// The cache is split in this many shards, each with its own lock, so
/// requests of different routes rarely wait for each other.
const SHARDS: usize = 16;

/// The longest `Authorization` value decoded (user name and password of a
/// sane length fit many times over).
const MAX_HEADER_BYTES: usize = 4096;

/// One cache entry: an HMAC-SHA256 tag.
type Tag = [u8; 32];

/// Checks basic auth credentials; one per server.
#[derive(Debug)]
pub(crate) struct BasicAuthGate {
    /// The HMAC key of cache tags, random per process (`None`, and no
    /// cache, if the system's random generator failed).
    key: Option<hmac::Key>,
    shards: [Mutex<Shard>; SHARDS],
    /// Bounds the argon2 verifications running at once (a permit lives
    /// as long as its blocking task, even when the request is dropped).
    permits: Arc<Semaphore>,
    metrics: Arc<Metrics>,
}

/// Part of the cache: a set of tags, and their insertion order for
/// eviction.
#[derive(Debug, Default)]
struct Shard {
    tags: HashSet<Tag>,
    order: VecDeque<Tag>,
}

/// Why a hash cannot be used; logged, never shown to the client.
#[derive(Debug, thiserror::Error)]
enum HashError {
    #[error("not a PHC string: {0}")]
    NotPhc(argon2::password_hash::Error),
    #[error("unsupported algorithm {0} (only argon2id, argon2i and argon2d are)")]
    Algorithm(String),
}

impl BasicAuthGate {
    /// A gate with an empty cache, counting its work in `metrics`. If the
    /// system's random generator fails (for the cache's HMAC key), every
    /// request is verified with argon2, and a warning says so.
    pub(crate) fn new(metrics: Arc<Metrics>) -> Self {
        let rng = ring::rand::SystemRandom::new();
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng);
        if key.is_err() {
            tracing::warn!(
                "basic auth: no random key for the cache; every request will run argon2"
            );
        }
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            key: key.ok(),
            shards: std::array::from_fn(|_| Mutex::default()),
            permits: Arc::new(Semaphore::new(cores)),
            metrics,
        }
    }

    /// Whether `headers` carry the credentials of `auth`, the basic auth
    /// of `route`.
    pub(crate) async fn allows(
        &self,
        route: &HostRoute,
        auth: &BasicAuth,
        headers: &HeaderMap,
    ) -> bool {
        let Some((user, password)) = credentials(headers) else {
            return false;
        };
        let tag = self.tag(route, auth, &user, &password);
        if tag.as_ref().is_some_and(|tag| self.cached(tag)) {
            self.metrics.auth_cache_hit();
            return true;
        }
        let hash = auth.password_hash.clone();
        let Ok(permit) = Arc::clone(&self.permits).acquire_owned().await else {
            return false; // Closed: never happens, the gate owns it.
        };
        self.metrics.auth_hash_checked();
        let verified = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            verify(&hash, &password)
        });
        let verified = verified.await;
        let password_ok = match verified {
            Ok(Ok(ok)) => ok,
            Ok(Err(error)) => {
                tracing::warn!(host = %route.host, %error, "basic auth: the route's password hash cannot be used; refusing every request");
                return false;
            }
            Err(error) => {
                tracing::warn!(%error, "basic auth: the verification task failed");
                return false;
            }
        };
        // Compared after argon2 ran, so a wrong user name costs as much as
        // a wrong password.
        if !password_ok || !constant_time_eq(&user, auth.username.as_bytes()) {
            return false;
        }
        if let Some(tag) = tag {
            self.remember(tag);
        }
        true
    }

    /// The cache tag of these credentials for this route and its settings.
    fn tag(
        &self,
        route: &HostRoute,
        auth: &BasicAuth,
        user: &[u8],
        password: &[u8],
    ) -> Option<Tag> {
        let mut context = hmac::Context::with_key(self.key.as_ref()?);
        let host = route.host.to_string();
        for part in [
            host.as_bytes(),
            auth.username.as_bytes(),
            auth.password_hash.as_bytes(),
            user,
            password,
        ] {
            // Length-prefixed, so fields cannot run into each other.
            context.update(&(part.len() as u64).to_le_bytes());
            context.update(part);
        }
        let mut tag = [0_u8; 32];
        tag.copy_from_slice(context.sign().as_ref());
        Some(tag)
    }

    fn shard(&self, tag: &Tag) -> std::sync::MutexGuard<'_, Shard> {
        let shard = &self.shards[usize::from(tag[0]) % SHARDS];
        shard.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn cached(&self, tag: &Tag) -> bool {
        self.shard(tag).tags.contains(tag)
    }

    fn remember(&self, tag: Tag) {
        let mut shard = self.shard(&tag);
        if !shard.tags.insert(tag) {
            return;
        }
        shard.order.push_back(tag);
        while shard.order.len() > CACHE_CAPACITY / SHARDS {
            if let Some(oldest) = shard.order.pop_front() {
                shard.tags.remove(&oldest);
            }
        }
    }
}

/// The user name and password of the one `Authorization: Basic` header.
fn credentials(headers: &HeaderMap) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values.next()?.as_bytes();
    if values.next().is_some() || value.len() > MAX_HEADER_BYTES {
        return None;
    }
    let value = std::str::from_utf8(value).ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = Base64::decode_vec(token.trim()).ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    let (user, password) = decoded.split_at(colon);
    Some((user.to_vec(), password.get(1..)?.to_vec()))
}

/// Verify `password` against the PHC string `hash` (argon2 only).
fn verify(hash: &str, password: &[u8]) -> Result<bool, HashError> {
    let parsed = PasswordHash::new(hash).map_err(HashError::NotPhc)?;
    if Algorithm::try_from(parsed.algorithm).is_err() {
        return Err(HashError::Algorithm(parsed.algorithm.to_string()));
    }
    Ok(Argon2::default().verify_password(password, &parsed).is_ok())
}

/// `a == b` in a time that depends on their lengths only.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "tests unwrap to fail loudly"
    )]

    use argon2::password_hash::{PasswordHasher, SaltString};
    use argon2::{Params, Version};
    use http::HeaderValue;

    use super::*;

    /// A PHC argon2id hash of `password`, with low costs to keep tests fast.
    fn phc(password: &str) -> String {
        let params = Params::new(8, 1, 1, None).unwrap();
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::encode_b64(b"rivetr-test-salt").unwrap();
        argon2
            .hash_password(password.as_bytes(), &salt)
            .unwrap()
            .to_string()
    }

    fn gate() -> (BasicAuthGate, Arc<Metrics>) {
        let metrics = Arc::new(Metrics::new());
        (BasicAuthGate::new(Arc::clone(&metrics)), metrics)
    }

    fn route(user: &str, hash: String) -> (HostRoute, BasicAuth) {
        let auth = BasicAuth {
            username: user.to_owned(),
            password_hash: hash,
        };
        let mut route = HostRoute::plain("app.test".parse().unwrap());
        route.basic_auth = Some(auth.clone());
        (route, auth)
    }

    fn basic(credentials: &str) -> HeaderMap {
        let value = format!("Basic {}", Base64::encode_string(credentials.as_bytes()));
        header(&value)
    }

    fn header(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    /// Argon2 runs so far, from the rendered metrics.
    fn hash_checks(metrics: &Metrics) -> u64 {
        let text = metrics.render_prometheus();
        let line = (text.lines())
            .find(|l| l.starts_with("rivetr_proxy_basic_auth_hash_checks_total "))
            .unwrap();
        line.rsplit(' ').next().unwrap().parse().unwrap()
    }

    #[tokio::test]
    async fn a_verified_credential_is_cached() {
        let (gate, metrics) = gate();
        let (route, auth) = route("ada", phc("s3cret: with colon"));
        let right = basic("ada:s3cret: with colon");
        assert!(gate.allows(&route, &auth, &right).await);
        assert_eq!(hash_checks(&metrics), 1);
        assert!(gate.allows(&route, &auth, &right).await);
        assert_eq!(
            hash_checks(&metrics),
            1,
            "the second check must hit the cache"
        );

        // Another password for the same route is not served from the cache.
        assert!(!gate.allows(&route, &auth, &basic("ada:guess")).await);
        assert_eq!(hash_checks(&metrics), 2);
        // Nor is the same credential once the route's hash changed.
        let (route, auth) = route_with_new_hash(&route);
        assert!(!gate.allows(&route, &auth, &right).await);
        assert_eq!(hash_checks(&metrics), 3);
    }

    fn route_with_new_hash(old: &HostRoute) -> (HostRoute, BasicAuth) {
        let (mut route, auth) = route("ada", phc("another"));
        route.host = old.host.clone();
        (route, auth)
    }

    #[tokio::test]
    async fn wrong_missing_and_malformed_credentials_are_refused() {
        let (gate, metrics) = gate();
        let (route, auth) = route("ada", phc("pw"));
        assert!(!gate.allows(&route, &auth, &basic("bob:pw")).await);
        assert!(!gate.allows(&route, &auth, &basic("ada:PW")).await);
        assert!(!gate.allows(&route, &auth, &HeaderMap::new()).await);
        for bad in ["Basic", "Basic !!!", "Bearer YWRhOnB3", "Basic YWRhcHc="] {
            assert!(!gate.allows(&route, &auth, &header(bad)).await, "{bad}");
        }
        // The scheme is case-insensitive.
        let lower = format!("basic {}", Base64::encode_string(b"ada:pw"));
        assert!(gate.allows(&route, &auth, &header(&lower)).await);
        // Only "bob:pw", "ada:PW" and the good one reached argon2.
        assert_eq!(hash_checks(&metrics), 3);
    }

    #[tokio::test]
    async fn unsupported_hashes_fail_closed() {
        let (gate, _metrics) = gate();
        for hash in [
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            "$pbkdf2-sha256$i=1000$c2FsdA$aGFzaA",
            "plain-text-password",
            "",
        ] {
            let (route, auth) = route("ada", hash.to_owned());
            assert!(
                !gate
                    .allows(&route, &auth, &basic(&format!("ada:{hash}")))
                    .await,
                "{hash}"
            );
        }
    }

    #[test]
    fn the_cache_is_bounded() {
        let (gate, _metrics) = gate();
        let (route, auth) = route("ada", "h".to_owned());
        let tags: Vec<Tag> = (0..CACHE_CAPACITY * 2)
            .map(|i| (gate.tag(&route, &auth, b"ada", i.to_string().as_bytes())).unwrap())
            .collect();
        for tag in &tags {
            gate.remember(*tag);
        }
        let held: usize = (gate.shards.iter())
            .map(|s| s.lock().unwrap().tags.len())
            .sum();
        assert!(held <= CACHE_CAPACITY, "{held}");
        assert!(gate.cached(tags.last().unwrap()));
        assert!(!gate.cached(&tags[0]));
    }
}
