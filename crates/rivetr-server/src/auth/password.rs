//! Passwords: Argon2id hashing (on tokio's blocking pool), verification,
//! and the minimum-strength policy a new password must meet.
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

use argon2::password_hash::{self, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rivetr_core::input::Email;
use rivetr_core::model::PasswordHash;

use super::crypto::{RandomUnavailable, random_bytes};

/// The longest password accepted, in characters (Argon2 takes any length;
/// the limit keeps requests cheap to reject).
pub const MAX_PASSWORD_CHARS: usize = 1024;

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
#[derive(Clone, Debug)]
pub struct PasswordHasher {
    params: Params,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        // The production parameters are constants within Argon2's range
        // (and Argon2's own defaults).
        Self::new(HashParams::PRODUCTION).unwrap_or(Self {
            params: Params::DEFAULT,
        })
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
        Ok(Self { params })
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
        let hasher = self.clone();
        tokio::task::spawn_blocking(move || hasher.hash_blocking(&password))
            .await
            .map_err(|_| PasswordError::Task)?
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
        let hasher = self.clone();
        tokio::task::spawn_blocking(move || hasher.verify_blocking(&password, &hash))
            .await
            .map_err(|_| PasswordError::Task)?
    }

    /// Spend the time of one verification and answer `false`: what a
    /// sign-in with an unknown e-mail address runs, so the answer's timing
    /// does not tell which addresses have an account.
    ///
    /// # Errors
    ///
    /// As [`PasswordHasher::hash`].
    pub async fn verify_unknown_user(&self, password: String) -> Result<bool, PasswordError> {
        let hasher = self.clone();
        tokio::task::spawn_blocking(move || {
            let salt =
                SaltString::from_b64("dW5rbm93bnVzZXJzYWx0").map_err(PasswordError::Hashing)?;
            hasher
                .argon2()
                .hash_password(password.as_bytes(), &salt)
                .map_err(PasswordError::Hashing)?;
            Ok(false)
        })
        .await
        .map_err(|_| PasswordError::Task)?
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

/// Why a password was refused as too weak; the message is meant for the
/// user.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("password too weak: {reason}")]
pub struct WeakPassword {
    /// What is wrong with it.
    pub reason: WeakReason,
}

/// What makes a password too weak.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WeakReason {
    /// Fewer characters than the policy's minimum.
    #[error("it must have at least {min} characters")]
    TooShort {
        /// The minimum.
        min: usize,
    },
    /// More characters than [`MAX_PASSWORD_CHARS`].
    #[error("it must have at most {max} characters")]
    TooLong {
        /// The maximum.
        max: usize,
    },
    /// Only one kind of character (say, only lowercase letters) and shorter
    /// than `min` characters.
    #[error(
        "it uses only one kind of character; mix lowercase, uppercase, digits or symbols, or use at least {min} characters"
    )]
    OneCharacterClass {
        /// The length from which one kind of character is enough.
        min: usize,
    },
    /// One of the most common passwords, perhaps with digits or symbols
    /// added at its end.
    #[error("it is one of the most common passwords")]
    Common,
    /// It contains the part of the user's e-mail address before the `@`.
    #[error("it contains your e-mail address's name")]
    ContainsEmail,
}

/// The most common passwords (lowercase), after any trailing digits and
/// symbols are removed. Short on purpose: the length rules do the rest.
const COMMON: &[&str] = &[
    "password",
    "passw",
    "passwd",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "qwerty",
    "qwertyuiop",
    "qwertz",
    "azerty",
    "asdfgh",
    "asdfghjkl",
    "zxcvbnm",
    "letmein",
    "welcome",
    "iloveyou",
    "admin",
    "administrator",
    "root",
    "changeme",
    "trustno",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "sunshine",
    "princess",
    "superman",
    "starwars",
    "master",
    "shadow",
    "secret",
    "abc",
    "abcdef",
    "abcdefgh",
    "abcdefghijkl",
    "qazwsx",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "1q2w3e4r5t6y",
    "rivetr",
    "login",
    "hello",
    "whatever",
];

/// The minimum strength a new password must have.
///
/// - at least `min_length` characters (12 by default) and at most
///   [`MAX_PASSWORD_CHARS`];
/// - when it uses only one kind of character (lowercase, uppercase,
///   digits, or other), at least [`PasswordPolicy::ONE_CLASS_MIN`] (16);
/// - not one of a short built-in list of the most common passwords,
///   compared without case and without trailing digits and symbols (so
///   `Password123!` counts as `password`);
/// - not containing the user's e-mail local part (when it has 3 or more
///   characters), without case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    min_length: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: Self::DEFAULT_MIN_LENGTH,
        }
    }
}

impl PasswordPolicy {
    /// The default minimum length.
    pub const DEFAULT_MIN_LENGTH: usize = 12;
    /// The length from which one kind of character is enough.
    pub const ONE_CLASS_MIN: usize = 16;

    /// A policy with another minimum length (at least 1).
    #[must_use]
    pub fn with_min_length(min_length: usize) -> Self {
        Self {
            min_length: min_length.max(1),
        }
    }

    /// The minimum length.
    #[must_use]
    pub fn min_length(&self) -> usize {
        self.min_length
    }

    /// Whether `password` is strong enough for the user with `email`.
    ///
    /// # Errors
    ///
    /// [`WeakPassword`] with the first rule it breaks.
    pub fn check(&self, password: &str, email: Option<&Email>) -> Result<(), WeakPassword> {
        let weak = |reason| Err(WeakPassword { reason });
        let chars = password.chars().count();
        if chars < self.min_length {
            return weak(WeakReason::TooShort {
                min: self.min_length,
            });
        }
        if chars > MAX_PASSWORD_CHARS {
            return weak(WeakReason::TooLong {
                max: MAX_PASSWORD_CHARS,
            });
        }
        if chars < Self::ONE_CLASS_MIN && classes(password) == 1 {
            return weak(WeakReason::OneCharacterClass {
                min: Self::ONE_CLASS_MIN,
            });
        }
        let lower = password.to_lowercase();
        let stem = lower.trim_end_matches(|c: char| !c.is_alphabetic());
        if COMMON.contains(&stem) || COMMON.contains(&lower.as_str()) {
            return weak(WeakReason::Common);
        }
        if let Some(email) = email {
            let local = email.local_part().to_lowercase();
            if local.chars().count() >= 3 && lower.contains(&local) {
                return weak(WeakReason::ContainsEmail);
            }
        }
        Ok(())
    }
}

/// How many of the classes lowercase, uppercase, digit and other appear.
fn classes(password: &str) -> usize {
    let mut seen = [false; 4];
    for c in password.chars() {
        let class = if c.is_lowercase() {
            0
        } else if c.is_uppercase() {
            1
        } else if c.is_numeric() {
            2
        } else {
            3
        };
        seen[class] = true;
    }
    seen.iter().filter(|s| **s).count()
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

    #[tokio::test]
    async fn unknown_users_cost_a_verification_and_never_match() {
        assert!(
            !fast()
                .verify_unknown_user("anything at all".into())
                .await
                .unwrap()
        );
    }

    fn weak(password: &str) -> WeakReason {
        PasswordPolicy::default()
            .check(password, None)
            .unwrap_err()
            .reason
    }

    #[test]
    fn length_rules() {
        assert_eq!(weak("Sh0rt!pass"), WeakReason::TooShort { min: 12 });
        assert_eq!(
            weak(&"aB3!".repeat(300)),
            WeakReason::TooLong {
                max: MAX_PASSWORD_CHARS
            }
        );
        let lax = PasswordPolicy::with_min_length(8);
        assert!(lax.check("Tr0ub4dor", None).is_ok());
        assert_eq!(PasswordPolicy::with_min_length(0).min_length(), 1);
        // Length counts characters, not bytes.
        assert_eq!(weak("ééééééééééé"), WeakReason::TooShort { min: 12 });
    }

    #[test]
    fn one_character_class_needs_sixteen_characters() {
        assert_eq!(
            weak("correcthorsebat"),
            WeakReason::OneCharacterClass { min: 16 }
        );
        assert_eq!(
            weak("739182736451827"),
            WeakReason::OneCharacterClass { min: 16 }
        );
        assert!(
            PasswordPolicy::default()
                .check("correcthorsebatt", None)
                .is_ok()
        );
        assert!(
            PasswordPolicy::default()
                .check("correcthorse9at", None)
                .is_ok()
        );
        assert!(
            PasswordPolicy::default()
                .check("correct horse b", None)
                .is_ok()
        );
    }

    #[test]
    fn common_passwords_are_refused_with_suffixes() {
        for p in [
            "Password123!",
            "PASSWORD2024!!",
            "Qwertyuiop12",
            "1q2w3e4r5t6y",
            "iloveyou1234",
        ] {
            assert_eq!(weak(p), WeakReason::Common, "{p}");
        }
        // Digits alone are not a common word with a suffix.
        assert!(
            PasswordPolicy::default()
                .check("7391827364518279", None)
                .is_ok()
        );
        assert!(
            PasswordPolicy::default()
                .check("Password-is-long-now", None)
                .is_ok()
        );
    }

    #[test]
    fn passwords_containing_the_email_name_are_refused() {
        let email: Email = "Ada.Lovelace@example.com".parse().unwrap();
        let err = PasswordPolicy::default()
            .check("my ada.lovelace pw 1", Some(&email))
            .unwrap_err();
        assert_eq!(err.reason, WeakReason::ContainsEmail);
        assert_eq!(
            err.to_string(),
            "password too weak: it contains your e-mail address's name"
        );
        assert!(
            PasswordPolicy::default()
                .check("Analytical Engine 1843", Some(&email))
                .is_ok()
        );
        // A very short local part is not a meaningful word.
        let short: Email = "al@example.com".parse().unwrap();
        assert!(
            PasswordPolicy::default()
                .check("metal alloy 1843", Some(&short))
                .is_ok()
        );
    }

    #[test]
    fn messages_are_clear() {
        let e = PasswordPolicy::default().check("short", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "password too weak: it must have at least 12 characters"
        );
    }
}
