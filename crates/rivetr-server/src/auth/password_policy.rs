//! The minimum strength a new password must have, with messages meant
//! for the user.

use rivetr_core::input::Email;

/// The longest password accepted, in characters (Argon2 takes any length;
/// the limit keeps requests cheap to reject).
pub const MAX_PASSWORD_CHARS: usize = 1024;

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
    /// Fewer than `min` different characters (`aaaaaaaaaaaaaaaaaaaa`,
    /// `abababababababab`), however long.
    #[error("it repeats too few different characters; use at least {min}")]
    Repetitive {
        /// The fewest different characters accepted.
        min: usize,
    },
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
/// - at least [`PasswordPolicy::MIN_DISTINCT`] (5) different characters;
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
    /// The fewest different characters a password may have.
    pub const MIN_DISTINCT: usize = 5;

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
        let mut distinct: Vec<char> = password.chars().collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < Self::MIN_DISTINCT {
            return weak(WeakReason::Repetitive {
                min: Self::MIN_DISTINCT,
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
    fn repetitive_passwords_are_refused_however_long() {
        for p in [
            "aaaaaaaaaaaaaaaaaaaaaaaa",
            "abababababababababab",
            "Aa1!Aa1!Aa1!Aa1!",
        ] {
            assert_eq!(weak(p), WeakReason::Repetitive { min: 5 }, "{p}");
        }
        assert!(
            PasswordPolicy::default()
                .check("abcdeabcdeabcdeab", None)
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
