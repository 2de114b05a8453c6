//! Passwords: Argon2id hashing (on tokio's blocking pool) and
//! verification. The strength a new password must have is
//! [`PasswordPolicy`](super::password_policy::PasswordPolicy)'s business.
//!
//! # Parameters
//!
//! Production hashes use Argon2id, version 0x13, with
//! [`HashParams::PRODUCTION`]: 19 MiB of memory, 2 iterations, 1 lane, a
//! 16-byte random salt and a 32-byte output (OWASP's recommended minimum).
//! One hash takes a few tens of milliseconds on one core, on purpose.
//! The parameters are written into each PHC string, so hashes made with
//! older parameters still verify; [`PasswordHasher::needs_rehash`] says
//! when a hash should be replaced after a successful sign-in.

use std::sync::Arc;

use argon2::password_hash::{self, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rivetr_core::model::PasswordHash;
use tokio::sync::Semaphore;

use super::crypto::{RandomUnavailable, random_bytes};

/// Argon2id cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashParams {
    /// Memory, in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl HashParams {
    /// What production uses: 19 MiB, 2 iterations, 1 lane.
    pub const PRODUCTION: Self = Self {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// The cheapest parameters Argon2 allows (8 KiB, 1 iteration, 1 lane),
    /// for tests only: such hashes are fast to guess.
    pub const INSECURE_FAST: Self = Self {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };
}

impl Default for HashParams {
    fn default() -> Self {
        Self::PRODUCTION
    }
}

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// The cost parameters are out of Argon2's range.
    #[error("invalid Argon2 parameters: {0}")]
    Params(argon2::Error),
    /// Argon2 failed (the password hash library's message).
    #[error("password hashing failed: {0}")]
    Hashing(password_hash::Error),
    /// The stored hash is not a readable Argon2id PHC string.
    #[error("the stored password hash cannot be read: {0}")]
    StoredHash(password_hash::Error),
    /// The produced hash was refused by [`PasswordHash`] (a bug).
    #[error("the produced password hash is not an Argon2id PHC string")]
    NotArgon2id,
    /// No salt could be drawn.
    #[error(transparent)]
    Random(#[from] RandomUnavailable),
    /// The blocking task running Argon2 panicked or was cancelled.
    #[error("the password hashing task did not finish")]
    Task,
}

/// Hashes and verifies passwords with Argon2id.
///
/// `PasswordHasher::default()` uses [`HashParams::PRODUCTION`]; tests build
/// one with [`HashParams::INSECURE_FAST`] through [`PasswordHasher::new`].
///
/// The async methods run at most as many Argon2 computations at once as
/// the machine has cores (clones share the limit; others wait their
/// turn), so a burst of sign-ins costs queueing time, not one Argon2
/// memory block per blocking thread.
#[derive(Clone, Debug)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        // The production parameters are constants within Argon2's range
        // (and Argon2's own defaults).
        Self::new(HashParams::PRODUCTION).unwrap_or_else(|_| Self::with_params(Params::DEFAULT))
    }
}

impl PasswordHasher {
    /// A hasher with `params`.
    ///
    /// # Errors
    ///
    /// [`PasswordError::Params`] when Argon2 refuses them (for example
    /// less than 8 KiB of memory per lane).
    pub fn new(params: HashParams) -> Result<Self, PasswordError> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            Some(Params::DEFAULT_OUTPUT_LEN),
        )
        .map_err(PasswordError::Params)?;
        Ok(Self::with_params(params))
    }

    fn with_params(params: Params) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            params,
            permits: Arc::new(Semaphore::new(cores)),
        }
    }

    /// Run `work` on the blocking pool once a permit is free.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Self) -> Result<T, PasswordError> + Send + 'static,
    ) -> Result<T, PasswordError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| PasswordError::Task)?;
        let hasher = self.clone();
        tokio::task::spawn_blocking(move || {
            // Held until Argon2 is done, even if the caller went away.
            let _permit = permit;
            work(&hasher)
        })
        .await
        .map_err(|_| PasswordError::Task)?
    }

    /// The parameters new hashes get.
    #[must_use]
    pub fn params(&self) -> HashParams {
        HashParams {
            memory_kib: self.params.m_cost(),
            iterations: self.params.t_cost(),
            parallelism: self.params.p_cost(),
        }
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hash `password` with a fresh random salt, on the calling thread
    /// (slow: prefer [`PasswordHasher::hash`] in async code).
    ///
    /// # Errors
    ///
    /// When no salt can be drawn or Argon2 fails.
    pub fn hash_blocking(&self, password: &str) -> Result<PasswordHash, PasswordError> {
        let salt =
            SaltString::encode_b64(&random_bytes::<16>()?).map_err(PasswordError::Hashing)?;
        let phc = self
            .argon2()
            .hash_password(password.as_bytes(), &salt)
            .map_err(PasswordError::Hashing)?;
        phc.to_string()
            .parse()
            .map_err(|_| PasswordError::NotArgon2id)
    }

    /// Whether `password` matches `hash`, on the calling thread. The
    /// computed and stored outputs are compared in constant time; the cost
    /// is that of the parameters recorded in `hash`.
    ///
    /// # Errors
    ///
    /// [`PasswordError::StoredHash`] when `hash` cannot be read (a wrong
    /// password is `Ok(false)`).
    pub fn verify_blocking(
        &self,
        password: &str,
        hash: &PasswordHash,
    ) -> Result<bool, PasswordError> {
        let parsed =
            password_hash::PasswordHash::new(hash.as_str()).map_err(PasswordError::StoredHash)?;
        match self.argon2().verify_password(password.as_bytes(), &parsed) {
            Ok(()) => Ok(true),
            Err(password_hash::Error::Password) => Ok(false),
            Err(e) => Err(PasswordError::StoredHash(e)),
        }
    }

    /// [`PasswordHasher::hash_blocking`] on tokio's blocking pool.
    ///
    /// # Errors
    ///
    /// As `hash_blocking`, and [`PasswordError::Task`] if the task died.
    pub async fn hash(&self, password: String) -> Result<PasswordHash, PasswordError> {
        self.run(move |hasher| hasher.hash_blocking(&password))
            .await
    }

    /// [`PasswordHasher::verify_blocking`] on tokio's blocking pool.
    ///
    /// # Errors
    ///
    /// As `verify_blocking`, and [`PasswordError::Task`] if the task died.
    pub async fn verify(
        &self,
        password: String,
        hash: PasswordHash,
    ) -> Result<bool, PasswordError> {
        self.run(move |hasher| hasher.verify_blocking(&password, &hash))
            .await
    }

    /// Spend the time of one verification and answer `false`: what a
    /// sign-in with an unknown e-mail address runs, so the answer's timing
    /// does not tell which addresses have an account.
    ///
    /// # Errors
    ///
    /// As [`PasswordHasher::hash`].
    pub async fn verify_unknown_user(&self, password: String) -> Result<bool, PasswordError> {
        self.run(move |hasher| {
            let salt =
                SaltString::from_b64("dW5rbm93bnVzZXJzYWx0").map_err(PasswordError::Hashing)?;
            hasher
                .argon2()
                .hash_password(password.as_bytes(), &salt)
                .map_err(PasswordError::Hashing)?;
            Ok(false)
        })
        .await
    }

    /// Whether `hash` was made with other parameters than this hasher's
    /// (or cannot be read), so it should be replaced by a fresh hash of
    /// the password the user just signed in with.
    #[must_use]
    pub fn needs_rehash(&self, hash: &PasswordHash) -> bool {
        let Ok(parsed) = password_hash::PasswordHash::new(hash.as_str()) else {
            return true;
        };
        Params::try_from(&parsed).map_or(true, |p| {
            (p.m_cost(), p.t_cost(), p.p_cost())
                != (
                    self.params.m_cost(),
                    self.params.t_cost(),
                    self.params.p_cost(),
                )
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    fn fast() -> PasswordHasher {
        PasswordHasher::new(HashParams::INSECURE_FAST).unwrap()
    }

    #[test]
    fn production_parameters_are_the_documented_ones() {
        assert_eq!(PasswordHasher::default().params(), HashParams::PRODUCTION);
        assert_eq!(HashParams::default().memory_kib, 19_456);
        assert!(
            PasswordHasher::new(HashParams {
                memory_kib: 1,
                iterations: 1,
                parallelism: 1
            })
            .is_err()
        );
    }

    #[tokio::test]
    async fn hashes_verify_and_salts_differ() {
        let hasher = fast();
        let a = hasher.hash("correct horse battery".into()).await.unwrap();
        let b = hasher.hash("correct horse battery".into()).await.unwrap();
        assert!(a.as_str().starts_with("$argon2id$v=19$m=8,t=1,p=1$"));
        assert_ne!(a, b, "each hash has its own salt");
        assert!(
            hasher
                .verify("correct horse battery".into(), a.clone())
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("correct horse batterY".into(), a.clone())
                .await
                .unwrap()
        );
        assert!(!hasher.verify(String::new(), a).await.unwrap());
    }

    #[test]
    fn verification_uses_the_parameters_in_the_hash() {
        let old = fast().hash_blocking("an old password!").unwrap();
        let newer = PasswordHasher::new(HashParams {
            memory_kib: 16,
            iterations: 2,
            parallelism: 1,
        })
        .unwrap();
        assert!(newer.verify_blocking("an old password!", &old).unwrap());
        assert!(newer.needs_rehash(&old));
        assert!(!fast().needs_rehash(&old));
    }

    #[test]
    fn unreadable_stored_hash_is_an_error_not_a_mismatch() {
        let unreadable: PasswordHash = "$argon2id$v=19$m=x,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"
            .parse()
            .unwrap();
        assert!(matches!(
            fast().verify_blocking("whatever", &unreadable),
            Err(PasswordError::StoredHash(_))
        ));
        assert!(fast().needs_rehash(&unreadable));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_hashing_waits_for_permits_and_completes() {
        let hasher = fast();
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.hash(format!("password number {i}")).await })
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap().is_ok());
        }
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(hasher.permits.available_permits(), cores);
    }

    #[tokio::test]
    async fn unknown_users_cost_a_verification_and_never_match() {
        assert!(
            !fast()
                .verify_unknown_user("anything at all".into())
                .await
                .unwrap()
        );
    }
}
