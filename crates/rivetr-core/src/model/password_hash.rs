//! [`PasswordHash`]: how a user's password is kept.

use std::fmt;
use std::str::FromStr;

use crate::input::InputError;

const WHAT: &str = "password hash";
const PREFIX: &str = "$argon2id$";
const MAX_LEN: usize = 512;

/// An Argon2id password hash in PHC string form
/// (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), never a password.
///
/// Only Argon2id hashes are accepted, so a weaker or plain-text value cannot
/// be stored by mistake. `Debug` prints `PasswordHash(***)`; there is no
/// `Display` or `Serialize`, so the hash does not reach a log or a response
/// by accident.
///
/// ```
/// use rivetr_core::model::PasswordHash;
///
/// let phc = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo";
/// let hash: PasswordHash = phc.parse()?;
/// assert_eq!(hash.as_str(), phc);
/// assert_eq!(format!("{hash:?}"), "PasswordHash(***)");
/// assert!("hunter2".parse::<PasswordHash>().is_err());
/// assert!("$2b$12$abcdefghijklmnopqrstuv".parse::<PasswordHash>().is_err());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// The PHC string, for the password verifier.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn parse(s: &str) -> Result<Self, InputError> {
        // The value is a credential: errors never echo it.
        let refuse = |reason: &str| InputError::new(WHAT, "***", reason);
        let Some(rest) = s.strip_prefix(PREFIX) else {
            return Err(refuse(
                "must be an Argon2id hash in PHC form, starting with \"$argon2id$\"",
            ));
        };
        if s.len() > MAX_LEN {
            return Err(refuse("is longer than 512 characters"));
        }
        let phc = |c: char| {
            c.is_ascii_alphanumeric() || matches!(c, '$' | '=' | ',' | '+' | '/' | '.' | '-')
        };
        if !s.chars().all(phc) {
            return Err(refuse(
                "may hold only letters, digits and $ = , + / . - (PHC string form)",
            ));
        }
        let mut parts: Vec<&str> = rest.split('$').collect();
        if parts.first().is_some_and(|p| p.starts_with("v=")) {
            parts.remove(0);
        }
        let well_formed =
            parts.len() == 3 && parts[0].starts_with("m=") && parts.iter().all(|p| !p.is_empty());
        if !well_formed {
            return Err(refuse(
                "must have the parts [v=..$]m=..,t=..,p=..$salt$hash after \"$argon2id$\"",
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

impl FromStr for PasswordHash {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for PasswordHash {
    type Error = InputError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_argon2id_phc_strings() {
        for s in [
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA",
            "$argon2id$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        ] {
            assert_eq!(PasswordHash::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn refuses_everything_else_without_echoing_it() {
        for s in [
            "",
            "hunter2",
            "$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            "$argon2d$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            "$argon2id$",
            "$argon2id$v=19$m=1,t=1,p=1$c2FsdA",
            "$argon2id$v=19$m=1,t=1,p=1$$aGFzaA",
            "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFz aA",
            "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA$extra$more",
        ] {
            let e = PasswordHash::parse(s).unwrap_err();
            assert_eq!(e.value(), "***", "{s:?}");
        }
        let long = format!("$argon2id$v=19$m=1,t=1,p=1$c2FsdA${}", "a".repeat(600));
        assert!(PasswordHash::parse(&long).is_err());
    }
}
