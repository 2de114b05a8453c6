//! Dotted lowercase names (`backup.run`, `env_var.reveal`, `proxy.acme_email`):
//! the one syntax shared by [`JobKind`](super::JobKind),
//! [`AuditAction`](super::AuditAction) and [`SettingKey`](super::SettingKey).

use crate::input::InputError;

/// The longest dotted name, in characters.
pub(crate) const MAX_LEN: usize = 64;

/// Checks `s` as a dotted name: segments separated by `.`, each starting
/// with a lowercase ASCII letter followed by lowercase letters, digits and
/// `_`; at least `min_segments` segments; at most [`MAX_LEN`] characters.
pub(crate) fn check(what: &'static str, s: &str, min_segments: usize) -> Result<(), InputError> {
    if s.is_empty() {
        return Err(InputError::new(what, s, "must not be empty"));
    }
    let len = s.chars().count();
    if len > MAX_LEN {
        let reason = format!("is {len} characters long; the limit is {MAX_LEN}");
        return Err(InputError::new(what, s, reason));
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.';
    if let Some((i, c)) = s.chars().enumerate().find(|&(_, c)| !allowed(c)) {
        let reason = format!(
            "use lowercase letters, digits, '_' and '.' only: found {c:?} at position {}",
            i + 1
        );
        return Err(InputError::new(what, s, reason));
    }
    for segment in s.split('.') {
        if !segment.starts_with(|c: char| c.is_ascii_lowercase()) {
            let reason = if segment.is_empty() {
                "has an empty part: dots separate non-empty parts such as \"backup.run\"".to_owned()
            } else {
                format!("part \"{segment}\" must start with a lowercase letter")
            };
            return Err(InputError::new(what, s, reason));
        }
    }
    let segments = s.split('.').count();
    if segments < min_segments {
        let reason = format!(
            "needs at least {min_segments} dot-separated parts, such as \"env_var.reveal\""
        );
        return Err(InputError::new(what, s, reason));
    }
    Ok(())
}

/// Defines a string newtype checked by [`check`], with the conversions of
/// every input string type (`FromStr`, `TryFrom`, `Display`, `AsRef<str>`,
/// serde with validation) from `crate::input::string_type!`.
macro_rules! dotted_name {
    ($(#[$doc:meta])* $name:ident, $what:literal, min_segments = $min:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The name.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }

            fn parse(s: &str) -> Result<Self, $crate::input::InputError> {
                $crate::model::dotted_name::check($what, s, $min)?;
                Ok(Self(s.to_owned()))
            }
        }

        $crate::input::string_type!($name);
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_dotted_lowercase_names() {
        for s in [
            "backup",
            "backup.run",
            "env_var.reveal",
            "a1.b_2.c3",
            &"a".repeat(64),
        ] {
            assert!(check("name", s, 1).is_ok(), "{s}");
        }
    }

    #[test]
    fn refuses_other_shapes_with_a_reason() {
        let cases = [
            ("", "must not be empty"),
            ("Backup.run", "found 'B' at position 1"),
            ("backup-run", "found '-' at position 7"),
            ("backup run", "found ' ' at position 7"),
            ("backup..run", "empty part"),
            (".backup", "empty part"),
            ("backup.", "empty part"),
            (
                "1backup",
                "part \"1backup\" must start with a lowercase letter",
            ),
            ("backup._run", "part \"_run\""),
        ];
        for (s, needle) in cases {
            let e = check("name", s, 1).unwrap_err();
            assert!(e.reason().contains(needle), "{s:?}: {e}");
        }
        let long = "a".repeat(65);
        assert_eq!(
            check("name", &long, 1).unwrap_err().reason(),
            "is 65 characters long; the limit is 64"
        );
        assert!(
            check("name", "backup", 2)
                .unwrap_err()
                .reason()
                .contains("at least 2")
        );
    }
}
